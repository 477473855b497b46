"""Issue 14, item 4 (desk PnL under ``--missing drop``), as properties over where the holes fall:

* the desk PnL the backtest's periods realise sums to the input's, to the cent, under every
  missing-data policy (a dropped or spread-less date's desk PnL moves to the next kept date);
* under ``drop``, a missing spread cell placed anywhere after a decision's base date leaves that
  decision's hedge as it was (the schedule comes from the calendar, not from the kept dates).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx.model._parser import parse_objective

NAMES = ["CDX IG", "CDX HY", "iTraxx Main", "iTraxx Xover"]
UNIVERSE = ch.Universe([i.replace(cs01_min=-5.0, cs01_max=5.0, currency="USD")
                        for i in ch.examples.spread_quoted(ch.standard_universe())])


def _frames(seed: int, days: int = 90) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2021-01-04", periods=days)
    levels = np.array([60.0, 350.0, 55.0, 280.0]) * np.exp(np.cumsum(rng.normal(0, 0.01, (days, 4)), axis=0))
    changes = np.vstack([np.zeros((1, 4)), np.diff(levels, axis=0)])
    desk = -(changes @ np.array([0.2, 0.05, 0.15, 0.03])) + rng.normal(0, 0.3, days)
    return pd.DataFrame(levels, index=dates, columns=NAMES), pd.Series(np.round(desk, 2), index=dates)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=st.sampled_from(["error", "ffill", "drop"]), seed=st.integers(0, 10_000), holes=st.integers(0, 8),
       weekend=st.integers(0, 3))
def test_the_backtests_desk_pnl_sums_to_the_input_to_the_cent(policy: str, seed: int, holes: int,
                                                              weekend: int) -> None:
    spreads, desk = _frames(seed)
    rng = np.random.default_rng(seed)
    if policy != "error":
        for row in rng.choice(np.arange(1, len(spreads) - 1), size=holes, replace=False):
            spreads.iloc[row, int(rng.integers(4))] = np.nan
    saturdays = pd.date_range("2021-01-09", periods=weekend, freq="7D")
    desk = pd.concat([desk, pd.Series(np.round(rng.normal(0, 5, weekend), 2), index=saturdays)]).sort_index()
    market = ch.MarketData(spreads, desk, missing=policy, max_gap=10)
    result = ch.backtest(market, UNIVERSE, parse_objective("pnl - carry - 0.05*variance"), horizon="ME",
                         cross_check=False)
    first, last = market.dates[0], market.dates[-1]
    expected = desk[(desk.index > first) & (desk.index <= last)].sum()
    assert round(float(result.pnl["desk_pnl"].sum()), 2) == round(float(expected), 2)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), where=st.floats(0.0, 1.0, exclude_max=True), column=st.integers(0, 3))
def test_under_drop_a_hole_after_a_base_date_leaves_that_decision_unchanged(seed: int, where: float,
                                                                            column: int) -> None:
    spreads, desk = _frames(seed, days=130)
    objective = parse_objective("pnl - carry - 0.05*variance")
    options = {"horizon": "ME", "mode": "walk-forward", "window": 30, "min_history": 20, "cross_check": False}
    clean = ch.backtest(ch.MarketData(spreads, desk, missing="drop"), UNIVERSE, objective, **options)
    base_dates = [pd.Timestamp(r.data["base"]) for r in clean.records]
    # a date strictly after the first decision's base date, not the last row (drop needs a last date)
    candidates = spreads.index[(spreads.index > base_dates[0]) & (spreads.index < spreads.index[-1])]
    hole = candidates[int(where * len(candidates))]
    holed_spreads = spreads.copy()
    holed_spreads.loc[hole, NAMES[column]] = np.nan
    holed = ch.backtest(ch.MarketData(holed_spreads, desk, missing="drop"), UNIVERSE, objective, **options)
    assert list(holed.allocations.index) == list(clean.allocations.index)  # the schedule is the calendar's
    decided_before = [r.data["period_end"] for r, base in zip(clean.records, base_dates) if base < hole]
    assert decided_before
    pd.testing.assert_frame_equal(clean.allocations.loc[decided_before], holed.allocations.loc[decided_before],
                                  atol=1e-7, rtol=0)
    assert round(float(holed.pnl["desk_pnl"].sum()), 2) == round(float(clean.pnl["desk_pnl"].sum()), 2)
