"""Tests of the business-day calendars and the synthetic CDS-index market."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdshedge_cvx.calendars import (
    combined_business_days,
    eu_business_days,
    index_roll_dates,
    standard_maturity,
    us_business_days,
    years_to_maturity,
)
from cdshedge_cvx.datasets._synthetic import INSTRUMENTS, SyntheticMarket, generate_market

COLUMNS = ["CDX IG", "CDX HY", "iTraxx Main", "iTraxx Xover"]
US, EU = ["CDX IG", "CDX HY"], ["iTraxx Main", "iTraxx Xover"]
IG_LIKE, HY_LIKE = ["CDX IG", "iTraxx Main"], ["CDX HY", "iTraxx Xover"]
CALIBRATION_SEEDS = (0, 1)


@pytest.fixture(scope="module")
def markets() -> dict[int, SyntheticMarket]:
    return {seed: generate_market(seed) for seed in (0, 1, 2)}


@pytest.fixture(scope="module")
def market(markets: dict[int, SyntheticMarket]) -> SyntheticMarket:
    return markets[0]


def _ols(market: SyntheticMarket) -> tuple[np.ndarray, np.ndarray, float]:
    """OLS of desk PnL on market spread changes: slopes, HC1 std errors, R^2."""
    x = market.spread_changes().iloc[1:].to_numpy()
    y = market.desk_pnl.iloc[1:].to_numpy()
    design = np.column_stack([np.ones(len(x)), x])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ beta
    n, k = design.shape
    bread = np.linalg.inv(design.T @ design)
    meat = (design * resid[:, None] ** 2).T @ design
    cov = bread @ meat @ bread * n / (n - k)
    r2 = 1.0 - resid.var() / y.var()
    return beta[1:], np.sqrt(np.diag(cov))[1:], float(r2)


# --------------------------------------------------------------------------
# calendars
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "us_open", "eu_open"),
    [
        ("2024-07-04", False, True),  # Independence Day
        ("2024-11-28", False, True),  # Thanksgiving
        ("2024-01-15", False, True),  # Martin Luther King Jr. Day
        ("2022-06-20", False, True),  # Juneteenth observed (Sunday 19th)
        ("2021-06-18", True, True),  # Juneteenth not yet a market holiday
        ("2023-01-02", False, True),  # New Year observed (Sunday 1st)
        ("2021-12-31", True, True),  # Saturday New Year is not observed
        ("2021-12-24", False, True),  # Christmas observed (Saturday 25th)
        ("2024-04-01", True, False),  # Easter Monday
        ("2024-05-01", True, False),  # Labour Day
        ("2024-12-26", True, False),  # St Stephen's Day
        ("2024-03-29", False, False),  # Good Friday
        ("2024-12-25", False, False),  # Christmas
        ("2024-01-01", False, False),  # New Year
        ("2024-03-20", True, True),  # ordinary Wednesday
    ],
)
def test_holidays(day: str, us_open: bool, eu_open: bool) -> None:
    ts = pd.Timestamp(day)
    year = f"{ts.year}"
    assert (ts in us_business_days(f"{year}-01-01", f"{year}-12-31")) is us_open
    assert (ts in eu_business_days(f"{year}-01-01", f"{year}-12-31")) is eu_open
    combined = combined_business_days(f"{year}-01-01", f"{year}-12-31")
    assert (ts in combined) is (us_open or eu_open)


def test_business_days_exclude_weekends_and_are_named() -> None:
    days = combined_business_days("2024-01-01", "2024-12-31")
    assert days.name == "date"
    assert days.is_monotonic_increasing
    assert (days.day_of_week < 5).all()


@settings(max_examples=25, deadline=None)
@given(
    start=st.dates(
        min_value=pd.Timestamp("2000-01-01").date(),
        max_value=pd.Timestamp("2030-01-01").date(),
    ),
    length=st.integers(min_value=0, max_value=800),
)
def test_combined_is_union_of_us_and_eu(start, length: int) -> None:
    end = pd.Timestamp(start) + pd.Timedelta(days=length)
    us, eu = us_business_days(start, end), eu_business_days(start, end)
    combined = combined_business_days(start, end)
    assert combined.equals(us.union(eu).rename("date"))


def test_calendar_rejects_reversed_range() -> None:
    with pytest.raises(ValueError, match="before start"):
        us_business_days("2024-02-01", "2024-01-01")
    with pytest.raises(ValueError, match="not a valid date"):
        eu_business_days("not a date", "2024-01-01")


def test_roll_dates_move_off_weekends() -> None:
    rolls = index_roll_dates("2019-01-01", "2024-12-31")
    assert len(rolls) == 12
    assert set(rolls.month) == {3, 9}
    assert (rolls.day_of_week < 5).all()
    assert pd.Timestamp("2021-03-22") in rolls  # 20 March 2021 was a Saturday
    assert pd.Timestamp("2020-09-21") in rolls  # 20 September 2020 was a Sunday
    assert pd.Timestamp("2024-03-20") in rolls
    nominal = pd.to_datetime([f"{d.year}-{d.month:02d}-20" for d in rolls])
    assert ((rolls - nominal).days <= 2).all()
    assert (rolls[nominal.day_of_week < 5] == nominal[nominal.day_of_week < 5]).all()


def test_roll_dates_lag() -> None:
    base = index_roll_dates("2019-01-01", "2024-12-31", calendar="us")
    lagged = index_roll_dates("2019-01-01", "2024-12-31", lag_business_days=5, calendar="us")
    us = us_business_days("2019-01-01", "2025-01-31")
    assert len(lagged) == len(base)
    assert (us.get_indexer(lagged) - us.get_indexer(base) == 5).all()
    assert pd.Timestamp("2024-03-27") in lagged


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"months": ()}, "months"),
        ({"months": (13,)}, "months"),
        ({"day": 31}, "day"),
        ({"lag_business_days": -1}, "lag_business_days"),
        ({"calendar": "jp"}, "calendar"),
    ],
)
def test_roll_dates_validation(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        index_roll_dates("2020-01-01", "2020-12-31", **kwargs)


@pytest.mark.parametrize(
    ("trade", "maturity"),
    [
        ("2024-01-15", "2028-12-20"),
        ("2024-04-02", "2029-06-20"),
        ("2024-03-19", "2028-12-20"),
        ("2024-03-20", "2029-06-20"),
        ("2024-09-19", "2029-06-20"),
        ("2024-09-20", "2029-12-20"),
        ("2024-12-31", "2029-12-20"),
    ],
)
def test_standard_maturity_examples(trade: str, maturity: str) -> None:
    assert standard_maturity(trade) == pd.Timestamp(maturity)
    expected = (pd.Timestamp(maturity) - pd.Timestamp(trade)).days / 365.25
    assert years_to_maturity(trade) == pytest.approx(expected)


def test_standard_maturity_other_tenor_and_validation() -> None:
    assert standard_maturity("2024-04-02", tenor_years=3) == pd.Timestamp("2027-06-20")
    for bad in (0, -5, 2.5, True):
        with pytest.raises(ValueError, match="tenor_years"):
            standard_maturity("2024-04-02", tenor_years=bad)


@settings(max_examples=100, deadline=None)
@given(
    st.dates(
        min_value=pd.Timestamp("1990-01-01").date(),
        max_value=pd.Timestamp("2090-01-01").date(),
    )
)
def test_standard_maturity_invariants(day) -> None:
    maturity = standard_maturity(day)
    assert maturity.day == 20 and maturity.month in (6, 12)
    assert 4.74 < years_to_maturity(day) <= 5.26
    assert standard_maturity(pd.Timestamp(day) + pd.Timedelta(days=1)) >= maturity


# --------------------------------------------------------------------------
# synthetic market: structure and determinism
# --------------------------------------------------------------------------


def test_structure(market: SyntheticMarket) -> None:
    assert list(INSTRUMENTS) == COLUMNS
    assert list(market.spreads.columns) == COLUMNS
    assert market.spreads.index.equals(combined_business_days("2019-01-02", "2024-12-31"))
    assert market.spreads.index[0] == pd.Timestamp("2019-01-02")
    assert market.roll_jumps.shape == market.spreads.shape
    assert market.roll_jumps.index.equals(market.spreads.index)
    assert list(market.roll_jumps.columns) == COLUMNS
    assert market.desk_pnl.name == "desk_pnl"
    assert market.desk_pnl.index.equals(market.spreads.index)
    assert market.desk_pnl.iloc[0] == 0.0
    assert list(market.exposures.index) == COLUMNS
    assert set(market.roll_dates) == set(COLUMNS)
    assert np.isfinite(market.spreads.to_numpy()).all()
    assert np.isfinite(market.desk_pnl.to_numpy()).all()
    assert len(market.description.splitlines()) >= 10


def test_exposures_are_long_risk(market: SyntheticMarket) -> None:
    expected = pd.Series([0.8, 0.15, 0.5, 0.08], index=COLUMNS)
    np.testing.assert_allclose(market.exposures.to_numpy(), expected.to_numpy())


@pytest.mark.parametrize("seed", [0, 1, 2, 7, 123])
def test_spreads_strictly_positive(markets: dict[int, SyntheticMarket], seed: int) -> None:
    m = markets[seed] if seed in markets else generate_market(seed)
    assert (m.spreads.to_numpy() > 0.0).all()


def test_deterministic_given_seed(market: SyntheticMarket) -> None:
    again = generate_market(0)
    pd.testing.assert_frame_equal(again.spreads, market.spreads)
    pd.testing.assert_frame_equal(again.roll_jumps, market.roll_jumps)
    pd.testing.assert_series_equal(again.desk_pnl, market.desk_pnl)
    pd.testing.assert_series_equal(again.exposures, market.exposures)
    assert again.description == market.description
    for name in COLUMNS:
        assert again.roll_dates[name].equals(market.roll_dates[name])


def test_different_seeds_differ(markets: dict[int, SyntheticMarket]) -> None:
    a, b = markets[0], markets[1]
    assert not np.allclose(a.spreads.to_numpy(), b.spreads.to_numpy())
    assert not np.allclose(a.desk_pnl.to_numpy(), b.desk_pnl.to_numpy())
    # the calendar-driven parts do not depend on the seed
    assert a.spreads.index.equals(b.spreads.index)
    for name in COLUMNS:
        assert a.roll_dates[name].equals(b.roll_dates[name])


def test_invalid_arguments() -> None:
    for bad in (-1, 1.5, "0", True):
        with pytest.raises(ValueError, match="seed"):
            generate_market(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="two business days"):
        generate_market(0, start="2024-12-25", end="2024-12-25")
    with pytest.raises(ValueError, match="before start"):
        generate_market(0, start="2024-01-02", end="2023-01-02")


def test_custom_range_without_stress_episode() -> None:
    m = generate_market(3, start="2022-06-01", end="2023-12-31")
    assert m.spreads.index[0] == pd.Timestamp("2022-06-01")
    assert m.spreads.index[-1] == pd.Timestamp("2023-12-29")
    assert (m.spreads.to_numpy() > 0).all()
    assert len(m.roll_dates["CDX IG"]) == 3
    assert m.desk_pnl.iloc[0] == 0.0


# --------------------------------------------------------------------------
# calibration
# --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", CALIBRATION_SEEDS)
def test_levels(markets: dict[int, SyntheticMarket], seed: int) -> None:
    spreads = markets[seed].spreads
    median = spreads.median()
    assert median[IG_LIKE].between(50, 90).all(), median
    assert median[HY_LIKE].between(250, 500).all(), median
    # most of the time inside (a widened version of) the typical range
    inside_ig = spreads[IG_LIKE].apply(lambda s: s.between(40, 110)).mean()
    inside_hy = spreads[HY_LIKE].apply(lambda s: s.between(200, 600)).mean()
    assert (inside_ig > 0.95).all() and (inside_hy > 0.95).all()


@pytest.mark.parametrize("seed", CALIBRATION_SEEDS)
def test_daily_vols_and_fat_tails(markets: dict[int, SyntheticMarket], seed: int) -> None:
    changes = markets[seed].spread_changes().iloc[1:]
    vol = changes.std()
    assert vol[IG_LIKE].between(1.0, 2.5).all(), vol
    assert vol[HY_LIKE].between(5.0, 15.0).all(), vol
    assert (changes.kurt() > 3.0).all()


@pytest.mark.parametrize("seed", CALIBRATION_SEEDS)
def test_correlations(markets: dict[int, SyntheticMarket], seed: int) -> None:
    corr = markets[seed].spread_changes().iloc[1:].corr()
    assert corr.loc["CDX IG", "CDX HY"] >= 0.9
    assert corr.loc["iTraxx Main", "iTraxx Xover"] >= 0.9
    cross = corr.loc[US, EU].to_numpy()
    assert ((cross >= 0.6) & (cross <= 0.85)).all(), corr


@pytest.mark.parametrize("seed", CALIBRATION_SEEDS)
def test_march_2020_stress(markets: dict[int, SyntheticMarket], seed: int) -> None:
    spreads = markets[seed].spreads
    before = spreads.loc["2020-02-01":"2020-02-20"].mean()
    peak = spreads.loc["2020-03-01":"2020-04-15"].max()
    assert (peak / before > 1.5).all()
    later = spreads.loc["2020-10-01":"2020-12-31"].mean()
    assert (later < peak).all()


@pytest.mark.parametrize("seed", CALIBRATION_SEEDS)
def test_r_squared(markets: dict[int, SyntheticMarket], seed: int) -> None:
    _, _, r2 = _ols(markets[seed])
    assert 0.6 <= r2 <= 0.8


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ols_recovers_exposures(markets: dict[int, SyntheticMarket], seed: int) -> None:
    m = markets[seed]
    beta, se, _ = _ols(m)
    z = (beta + m.exposures.to_numpy()) / se
    assert (np.abs(z) < 4.0).all(), (beta, se)
    # total sensitivity to a typical joint move is pinned down much better
    vol = m.spread_changes().iloc[1:].std().to_numpy()
    assert float(beta @ vol) == pytest.approx(float(-m.exposures.to_numpy() @ vol), rel=0.1)


def test_desk_pnl_is_linear_in_market_changes_plus_noise(
    market: SyntheticMarket,
) -> None:
    systematic = -(market.spread_changes() @ market.exposures)
    noise = market.desk_pnl - systematic
    assert noise.iloc[0] == 0.0
    assert abs(np.corrcoef(noise.iloc[1:], systematic.iloc[1:])[0, 1]) < 0.1
    # a long-risk desk loses on days when all indices widen a lot
    wide = (market.spread_changes() > market.spread_changes().std()).all(axis=1)
    assert wide.sum() > 10
    assert market.desk_pnl[wide].mean() < 0


# --------------------------------------------------------------------------
# holidays and rolls inside the market
# --------------------------------------------------------------------------


def test_no_row_when_both_markets_closed(market: SyntheticMarket) -> None:
    index = market.spreads.index
    for day in ("2019-12-25", "2020-12-25", "2024-12-25", "2020-01-01", "2024-03-29"):
        assert pd.Timestamp(day) not in index


def test_us_holiday_freezes_cdx_only(market: SyntheticMarket) -> None:
    changes = market.spreads.diff()
    us = us_business_days("2019-01-02", "2024-12-31")
    eu = eu_business_days("2019-01-02", "2024-12-31")
    index = market.spreads.index
    us_only_closed = index[~index.isin(us)]
    eu_only_closed = index[~index.isin(eu)]
    assert len(us_only_closed) > 50 and len(eu_only_closed) > 10
    assert (changes.loc[us_only_closed, US] == 0.0).all().all()
    assert (changes.loc[us_only_closed, EU] != 0.0).all().all()
    assert (changes.loc[eu_only_closed, EU] == 0.0).all().all()
    assert (changes.loc[eu_only_closed, US] != 0.0).all().all()
    july4 = pd.Timestamp("2024-07-04")
    assert (changes.loc[july4, US] == 0.0).all()
    assert (changes.loc[july4, EU] != 0.0).all()
    easter_monday = pd.Timestamp("2024-04-01")
    assert (changes.loc[easter_monday, EU] == 0.0).all()
    assert (changes.loc[easter_monday, US] != 0.0).all()


def test_market_roll_dates(market: SyntheticMarket) -> None:
    first, last = market.spreads.index[0], market.spreads.index[-1]
    for name in COLUMNS:
        rolls = market.roll_dates[name]
        assert len(rolls) == 12
        assert set(rolls.month) == {3, 9}
        assert (rolls > first).all() and (rolls <= last).all()
        assert rolls.isin(market.spreads.index).all()
    ig, hy = market.roll_dates["CDX IG"], market.roll_dates["CDX HY"]
    assert ig.equals(index_roll_dates(first + pd.Timedelta(days=1), last, calendar="us"))
    assert (ig.day <= 22).all()
    us = us_business_days(first, last)
    assert (us.get_indexer(hy) - us.get_indexer(ig) == 5).all()
    assert market.roll_dates["iTraxx Main"].equals(market.roll_dates["iTraxx Xover"])


def test_roll_jumps_only_on_roll_dates(market: SyntheticMarket) -> None:
    jumps = market.roll_jumps
    assert (jumps.iloc[0] == 0.0).all()
    for name in COLUMNS:
        nonzero = jumps.index[jumps[name] != 0.0]
        assert nonzero.equals(market.roll_dates[name].rename("date"))
    on_roll_ig = pd.concat([jumps.loc[market.roll_dates[n], n] for n in IG_LIKE])
    on_roll_hy = pd.concat([jumps.loc[market.roll_dates[n], n] for n in HY_LIKE])
    assert on_roll_ig.between(2.0, 4.0).all()
    assert on_roll_hy.between(10.0, 25.0).all()


def test_roll_jumps_are_in_spreads(market: SyntheticMarket) -> None:
    raw = market.spread_changes(exclude_roll_jumps=False)
    pd.testing.assert_frame_equal(raw - market.spread_changes(), market.roll_jumps)
    for name in COLUMNS:
        rolls = market.roll_dates[name]
        on_roll = raw.loc[rolls, name].mean()
        other = raw.loc[~raw.index.isin(rolls), name].iloc[1:].mean()
        assert on_roll - other > 0.5 * market.roll_jumps.loc[rolls, name].mean()
