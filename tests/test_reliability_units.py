"""Issue 14, items 2-3: spread units and plausibility per index kind, bad prints, desk PnL scale,
finite arithmetic. Each test fails on the main before issue 14 (it accepted every case)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx.model._parser import parse_objective

NAMES = ["CDX IG", "CDX HY", "iTraxx Main", "iTraxx Xover"]


def frames(days: int = 90, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2021-01-04", periods=days)
    levels = np.array([60.0, 340.0, 55.0, 280.0]) * np.exp(np.cumsum(rng.normal(0, 0.02, (days, 4)), axis=0))
    spreads = pd.DataFrame(levels, index=dates, columns=NAMES)
    changes = np.vstack([np.zeros((1, 4)), np.diff(levels, axis=0)])
    desk = pd.Series(-(changes @ np.array([0.4, 0.1, 0.3, 0.05])) + rng.normal(0, 0.01, days), index=dates)
    return spreads, desk


@pytest.mark.parametrize(("units", "factor"), [("percent", 100.0), ("decimal", 10_000.0)])
def test_percent_or_decimal_spreads_are_refused_with_the_conversion(units: str, factor: float) -> None:
    spreads, desk = frames()
    with pytest.raises(ch.DataError, match=rf"column 'CDX IG': spreads look like {units}.*multiply by "
                                           rf".*spread_units='{units}'"):
        ch.MarketData(spreads / factor, desk)


def test_spread_units_converts_to_bp_and_the_hedge_is_the_bp_one() -> None:
    """Main: percent spreads accepted, walk-forward -variance hedges 100x too large."""
    spreads, desk = frames()
    in_bp = ch.MarketData(spreads, desk)
    in_percent = ch.MarketData(spreads / 100, desk, spread_units="percent")
    np.testing.assert_allclose(in_percent.spreads.to_numpy(), in_bp.spreads.to_numpy(), rtol=1e-12)
    universe = ch.examples.spread_quoted(ch.standard_universe()).with_limits(
        lower=[-5.0] * 4, upper=[5.0] * 4)
    options = {"horizon": "ME", "mode": "walk-forward", "window": 40, "min_history": 30, "cross_check": False}
    a = ch.backtest(in_bp, universe, parse_objective("-variance"), **options).allocations
    b = ch.backtest(in_percent, universe, parse_objective("-variance"), **options).allocations
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), atol=1e-6)


def test_unknown_units_are_refused() -> None:
    spreads, desk = frames()
    with pytest.raises(ch.DataError, match="unknown spread_units 'pct'"):
        ch.MarketData(spreads, desk, spread_units="pct")


def test_a_bad_print_is_refused_under_error_and_reported_under_ffill() -> None:
    spreads, desk = frames()
    spreads.iloc[30, 0] = 6000.0
    with pytest.raises(ch.DataError, match=r"row 30 \(2021-02-15\), column 'CDX IG': spread 6000 bp is more than "
                                           r"10 times away from both neighbouring prints"):
        ch.MarketData(spreads, desk)
    market = ch.MarketData(spreads, desk, missing="ffill")
    assert market.missing_report["outliers"] == 1
    assert "2021-02-15" in market.missing_report["outlier_first"]
    assert market.spreads.iloc[30, 0] == market.spreads.iloc[29, 0]


def test_ranges_per_kind_and_overridable_per_column() -> None:
    spreads, desk = frames()
    spreads["CDX IG"] *= 50  # ~3000 bp: implausible for investment grade
    with pytest.raises(ch.DataError, match=r"column 'CDX IG': spread .* bp is outside 5-2,000 bp, plausible for "
                                           "investment grade indices"):
        ch.MarketData(spreads, desk)
    market = ch.MarketData(spreads, desk, spread_ranges={"CDX IG": (1.0, 10_000.0)})
    assert market.spreads["CDX IG"].max() > 2000


def test_desk_pnl_in_dollars_is_refused() -> None:
    """Main: accepted, 'desk 242150729'."""
    spreads, desk = frames()
    with pytest.raises(ch.DataError, match=r"desk PnL moves like a CS01 of .* \$mm per bp .* divide it by 1 000 000"):
        ch.MarketData(spreads, desk * 1e6)
    ch.MarketData(spreads, desk * 100)  # a large desk in $mm is fine


def test_a_desk_cell_of_1e300_is_refused() -> None:
    """Main: overflow warnings, then a zero hedge in every walk-forward period."""
    spreads, desk = frames()
    desk.iloc[10] = 1e300
    with pytest.raises(ch.DataError, match=r"1e[+]300 are too large to compute with"):
        ch.MarketData(spreads, desk)


def test_fx_and_roll_jumps_out_of_float_range_are_refused() -> None:
    spreads, desk = frames()
    with pytest.raises(ch.DataError, match=r"FX rate 1e\+200 is outside"):
        ch.MarketData(spreads, desk, fx=pd.Series(1e200, index=spreads.index, name="EUR"))
    jumps = pd.DataFrame({"CDX IG": [1e300]}, index=spreads.index[5:6])
    with pytest.raises(ch.DataError, match=r"roll jump is 1e[+]300"):
        ch.MarketData(spreads, desk, roll_jumps=jumps)


@settings(max_examples=30, deadline=None)
@given(scale=st.sampled_from([1e-2, 1.0, 1e6, 1e12, 1e300]), row=st.integers(1, 88),
       units=st.sampled_from(["bp", "percent"]))
def test_accepted_markets_have_finite_arithmetic(scale: float, row: int, units: str) -> None:
    """Property: whatever one desk cell holds, a market that loads has finite sums of squares of
    desk PnL and spread changes (what variance estimates compute)."""
    spreads, desk = frames()
    desk.iloc[row] = scale
    try:
        market = ch.MarketData(spreads / (100.0 if units == "percent" else 1.0), desk, spread_units=units)
    except ch.DataError as exc:
        assert "\n" not in str(exc)
        return
    d = market.desk_pnl.to_numpy()
    changes = np.diff(market.spreads.to_numpy(), axis=0)
    with np.errstate(over="raise"):
        assert np.isfinite((d ** 2).sum() * len(d)) and np.isfinite((changes ** 2).sum() * len(d))
        assert np.isfinite((np.abs(d[1:, None] * changes)).sum())
