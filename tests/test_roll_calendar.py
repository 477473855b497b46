"""One source of truth for index roll dates and on-the-run maturities (CDX HY lag included)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdshedge_cvx.calendars import on_the_run_maturities, series_maturities, standard_maturity, years_to_maturity
from cdshedge_cvx.credit._rolls import remaining_maturity, roll_dates
from cdshedge_cvx.market import standard_universe

UNIVERSE = standard_universe()


def _days(index: pd.DatetimeIndex) -> list[str]:
    return [d.strftime("%Y-%m-%d") for d in index]


def test_cdx_hy_rolled_a_week_after_ig_in_the_good_friday_week_of_2016() -> None:
    """Published: CDX IG S26 rolled on Monday 2016-03-21 (20 March was a Sunday), CDX HY S26 a week
    later on 2016-03-28, although Good Friday (2016-03-25) lies between."""
    assert _days(roll_dates(UNIVERSE["CDX IG"], "2016-03-01", "2016-03-31")) == ["2016-03-21"]
    assert _days(roll_dates(UNIVERSE["CDX HY"], "2016-03-01", "2016-03-31")) == ["2016-03-28"]


def test_cdx_hy_rolls_of_2024() -> None:
    """Published CDX HY S42/S43 roll dates: 2024-03-27 and 2024-09-27."""
    assert _days(roll_dates(UNIVERSE["CDX HY"], "2024-01-01", "2024-12-31")) == ["2024-03-27", "2024-09-27"]


def test_standard_maturity_knows_the_hy_lag() -> None:
    """On 2024-03-20 CDX IG's new series (maturing 2029-06-20) is on the run, CDX HY's is not yet:
    its on-the-run series still matures on 2028-12-20 (4.7529 years, ACT/365.25)."""
    assert standard_maturity("2024-03-20") == pd.Timestamp("2029-06-20")
    assert standard_maturity("2024-03-20", roll_lag_days=5, calendar="us") == pd.Timestamp("2028-12-20")
    assert years_to_maturity("2024-03-20", roll_lag_days=5, calendar="us") == pytest.approx(1736 / 365.25)
    assert years_to_maturity("2024-03-20") == pytest.approx(1918 / 365.25)


def test_series_maturities_by_launch_month() -> None:
    launches = ["2024-03-20", "2024-03-27", "2024-09-20", "2024-09-27", "2025-01-15"]
    assert _days(series_maturities(launches, 5)) == ["2029-06-20", "2029-06-20", "2029-12-20", "2029-12-20",
                                                     "2029-12-20"]


@settings(max_examples=40, deadline=None)
@given(st.dates(min_value=pd.Timestamp("2005-01-01").date(), max_value=pd.Timestamp("2035-12-31").date()),
       st.sampled_from(list(UNIVERSE.names)))
def test_backtest_maturities_and_standard_maturity_agree(day, name) -> None:
    """The remaining maturity a backtest uses is the scalar API's, for every index (HY lag included),
    and it stays within one roll cycle of the tenor (4.75–5.25 years)."""
    instrument = UNIVERSE[name]
    years = remaining_maturity(instrument, [day])[0]
    maturity = standard_maturity(day, instrument.tenor_years, roll_lag_days=instrument.roll_lag_days,
                                 calendar=instrument.roll_calendar)
    assert years == pytest.approx((maturity - pd.Timestamp(day)).days / 365.25)
    assert 4.7 <= years <= 5.3


def test_vectorised_maturities_equal_the_scalar_ones() -> None:
    dates = pd.bdate_range("2015-12-01", "2017-01-31")
    vector = on_the_run_maturities(dates, 5, roll_lag_days=5, calendar="us")
    assert list(vector) == [standard_maturity(d, 5, roll_lag_days=5, calendar="us") for d in dates]
