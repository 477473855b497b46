"""Issue 14, item 4: desk PnL is never dropped; the schedule comes from the calendar.

Fail on the main before issue 14: the desk PnL of dropped or spread-less dates was thrown away
(while the spread change across the gap was kept), and a dropped value changed a later period's
row count, hence a walk-forward decision taken before it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx import datasets
from cdshedge_cvx.model._parser import parse_objective
from cdshedge_cvx.reporting import describe_missing

NAMES = ["CDX IG", "CDX HY", "iTraxx Main", "iTraxx Xover"]
H_TRUE = np.array([0.2, 0.05, 0.15, 0.03])


def _market_frames(seed: int = 1, days: int = 128) -> tuple[pd.DataFrame, pd.Series]:
    """Business-day spreads (bp) and the PnL of a desk that the CS01 hedge ``H_TRUE`` hedges exactly:
    desk PnL = −H_TRUE · Δs every day (weekend desk PnL included, on its own dates)."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2021-01-04", periods=days)
    levels = np.array([60.0, 350.0, 55.0, 280.0]) + np.cumsum(rng.normal(0, 1.0, (days, 4)), axis=0)
    spreads = pd.DataFrame(levels, index=dates, columns=NAMES)
    changes = np.vstack([np.zeros((1, 4)), np.diff(levels, axis=0)])
    desk = pd.Series(-(changes @ H_TRUE), index=dates)
    return spreads, desk


def test_dropped_dates_desk_pnl_moves_to_the_next_kept_date_and_the_hedge_is_exact() -> None:
    """Noise-free desk: under 'drop' the variance hedge is H_TRUE in every period (main: off by
    up to ~0.37 $mm/bp because the dropped dates' desk PnL was thrown away)."""
    spreads, desk = _market_frames()
    holed = spreads.copy()
    for k, row in enumerate(range(5, len(holed) - 3, 9)):
        holed.iloc[row, k % 4] = np.nan
    market = ch.MarketData(holed, desk, missing="drop")
    assert market.missing_report["desk_dates_moved"] == market.missing_report["dropped_rows"] > 0
    assert np.isclose(market.desk_pnl.iloc[1:].sum(), desk.iloc[1:].sum(), atol=1e-12)
    universe = ch.examples.spread_quoted(ch.standard_universe())
    wide = ch.Universe([i.replace(cs01_min=-5.0, cs01_max=5.0) for i in universe])
    result = ch.backtest(market, wide, parse_objective("-variance"), horizon="ME", conventions="market",
                         cross_check=False)
    np.testing.assert_allclose(result.allocations.to_numpy(), np.tile(H_TRUE, (len(result.allocations), 1)),
                               atol=1e-5)


def test_weekend_desk_pnl_moves_to_monday() -> None:
    """Main: 'N desk PnL date(s) without spreads ignored' and the amount lost."""
    spreads, desk = _market_frames(days=20)
    saturday = pd.Timestamp("2021-01-09")
    desk = pd.concat([desk, pd.Series([1.25], index=[saturday])]).sort_index()
    market = ch.MarketData(spreads, desk)
    assert market.desk_pnl.loc["2021-01-11"] == pytest.approx(desk.loc["2021-01-11"] + 1.25)
    assert market.missing_report["desk_dates_moved"] == 1
    assert market.missing_report["desk_pnl_moved"] == pytest.approx(1.25)
    assert "moved to the next date with spreads" in describe_missing(market.missing_report)


@settings(max_examples=25, deadline=None)
@given(policy=st.sampled_from(["error", "ffill", "drop"]), seed=st.integers(0, 10_000),
       holes=st.integers(0, 6), weekend=st.integers(0, 4))
def test_total_desk_pnl_is_preserved_to_the_cent_under_every_policy(policy: str, seed: int, holes: int,
                                                                     weekend: int) -> None:
    """Property: the desk PnL the periods see sums to the input's, to the cent (PnL after the last
    spread date is the only part left out, and it is reported)."""
    spreads, desk = _market_frames(seed=seed, days=40)
    rng = np.random.default_rng(seed)
    desk = (desk * 1e3).round(2)  # cents of a $mm book are 1e-8; here $k-sized cents keep the sum exact
    if policy != "error":
        for row in rng.choice(np.arange(1, len(spreads) - 1), size=holes, replace=False):
            spreads.iloc[row, int(rng.integers(4))] = np.nan
    extra = pd.date_range("2021-01-02", periods=60, freq="D")
    extra = extra[extra.day_of_week >= 5][:weekend]
    desk = pd.concat([desk, pd.Series(np.round(rng.normal(0, 5, len(extra)), 2), index=extra)]).sort_index()
    market = ch.MarketData(spreads, desk, missing=policy, max_gap=10)
    first, last = market.dates[0], market.dates[-1]
    in_periods = desk[(desk.index > first) & (desk.index <= last)].sum()
    assert round(market.desk_pnl.iloc[1:].sum(), 2) == round(in_periods, 2)
    outside = desk[(desk.index < first) | (desk.index > last)]
    assert round(market.missing_report.get("desk_pnl_ignored", 0.0), 2) == round(outside.sum(), 2)


def test_a_dropped_value_after_the_base_date_does_not_change_the_decision() -> None:
    """Walk-forward under 'drop': a NaN in period k (after its base date) leaves period k's decision
    as it was (main: the period's row count, hence the variance/carry trade-off, changed)."""
    market, universe = datasets.market()
    spreads = market.spreads.loc["2020-06-01":"2021-06-30"].copy()
    desk = market.desk_pnl.loc[spreads.index]
    objective = parse_objective("pnl - carry - 0.05*variance")
    options = {"horizon": "ME", "mode": "walk-forward", "window": 60, "min_history": 40, "cross_check": False}
    universe = ch.Universe([i.replace(cs01_min=-5.0, cs01_max=5.0) for i in universe])  # interior optimum
    clean = ch.backtest(ch.MarketData(spreads, desk, missing="drop"), universe, objective, **options)
    holed_spreads = spreads.copy()
    holed_spreads.loc["2021-03-10", "CDX HY"] = np.nan  # inside the March period, after its base date
    holed = ch.backtest(ch.MarketData(holed_spreads, desk, missing="drop"), universe, objective, **options)
    pd.testing.assert_series_equal(clean.allocations.loc["2021-03-31"], holed.allocations.loc["2021-03-31"],
                                   atol=1e-6)
