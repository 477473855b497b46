"""Risk-based hedging: the OLS contract of minimum-variance hedging, the walk-forward information
set (no look-ahead, as a property) and the realised, out-of-sample PnL of walk-forward decisions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from generated import EXPOSURE, generated_market, monthly_blocks, wide_universe
from hypothesis import given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx.model._parser import parse_objective
from cdshedge_cvx.periods import PeriodBuilder


# OLS contract ------------------------------------------------------------------------------------
@pytest.mark.parametrize("objective", ["-variance", "-variance-as-term"])
def test_min_variance_hindsight_hedge_is_minus_the_ols_slopes(objective):
    market = generated_market(seed=11)
    obj = -ch.VariancePenalty() if objective.endswith("term") else parse_objective(objective)
    result = ch.backtest(market, wide_universe(), obj, horizon="M", conventions="market", mode="hindsight")
    blocks = list(monthly_blocks(market))
    assert len(blocks) == len(result.allocations)
    for (month, changes, desk), (end, h) in zip(blocks, result.allocations.iterrows()):
        assert month == end.to_period("M")
        design = np.column_stack([np.ones(len(desk)), changes])
        coefficients, *_ = np.linalg.lstsq(design, desk, rcond=None)
        slopes = coefficients[1:]
        np.testing.assert_allclose(h.to_numpy(), -slopes, rtol=1e-6, atol=1e-7)
    assert np.all(np.abs(result.allocations.to_numpy()) < 10.0 - 1e-3), "the limits must not bind"


@settings(max_examples=8)
@given(st.integers(min_value=0, max_value=10_000), st.floats(min_value=0.0, max_value=3.0))
def test_ols_contract_on_generated_markets_with_known_exposure(seed, noise):
    """For any generated desk, h = −β (OLS with intercept); without noise β = −exposure exactly."""
    market = generated_market(seed, days=70, noise=noise)
    result = ch.backtest(market, wide_universe(), -ch.VariancePenalty(), horizon="M", mode="hindsight",
                         cross_check=False)
    for (_, changes, desk), (_, h) in zip(monthly_blocks(market), result.allocations.iterrows()):
        design = np.column_stack([np.ones(len(desk)), changes])
        slopes = np.linalg.lstsq(design, desk, rcond=None)[0][1:]
        np.testing.assert_allclose(h.to_numpy(), -slopes, rtol=1e-6, atol=1e-6)
        if noise == 0.0:
            np.testing.assert_allclose(h.to_numpy(), EXPOSURE, rtol=1e-6, atol=1e-6)


def test_ols_contract_under_seed_conventions_scales_by_pnl_scale():
    """Seed conventions price hedge PnL as 0.01 · Δs · h, so the hedge is −β / 0.01 on within-period changes."""
    market = generated_market(seed=5, days=90, noise=0.5)
    result = ch.backtest(market, wide_universe(1e4), -ch.VariancePenalty(), horizon="M", conventions="seed",
                         mode="hindsight")
    spreads, desk = market.spreads.iloc[1:], market.desk_pnl.iloc[1:]
    for (_, block), (_, h) in zip(spreads.groupby(spreads.index.to_period("M")), result.allocations.iterrows()):
        changes = block.diff().fillna(0.0).to_numpy()        # the prototype's diff() inside the period
        design = np.column_stack([np.ones(len(block)), changes])
        slopes = np.linalg.lstsq(design, desk.loc[block.index].to_numpy(), rcond=None)[0][1:]
        np.testing.assert_allclose(h.to_numpy(), -slopes / 0.01, rtol=1e-6, atol=1e-4)


# walk-forward information set --------------------------------------------------------------------
def test_walk_forward_risk_window_ends_on_the_base_date():
    market = generated_market(seed=2, days=120)
    universe = wide_universe()
    builder = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe,
                                       ch.get_conventions("market"), "ME", "walk-forward", window=30, min_history=25)
    dates = market.dates
    whole = market.spreads.diff()
    for period in builder.periods:
        data = builder.build(period)
        base = dates.get_loc(data["base"])
        rows = slice(max(1, base - 29), base + 1)             # 30 observations ending with the base date
        np.testing.assert_array_equal(data["risk_changes"], whole.iloc[rows].to_numpy())
        np.testing.assert_array_equal(data["risk_desk_pnl"], market.desk_pnl.iloc[rows].to_numpy())
        assert data["period_end"] > data["base"] == dates[period.first - 1]
        np.testing.assert_array_equal(data["expected_change"], np.zeros(4))
    assert builder.periods[0].first - 1 >= 25                 # warm-up: min_history observations


def test_walk_forward_carry_and_roll_use_the_base_level_under_every_convention():
    market = generated_market(seed=3, days=120)
    universe = wide_universe()
    for name in ("seed", "market"):
        builder = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe,
                                           ch.get_conventions(name), "ME", "walk-forward", window=30)
        for period in builder.periods:
            np.testing.assert_array_equal(builder.build(period)["spread_start"],
                                          market.spreads.loc[builder.build(period)["base"]].to_numpy())


def test_walk_forward_reports_the_realised_out_of_sample_pnl_of_each_decision():
    market = generated_market(seed=4, days=160)
    result = ch.backtest(market, wide_universe(), -ch.VariancePenalty(), horizon="M", mode="walk-forward",
                         window=40, min_history=30)
    for record, (end, row) in zip(result.records, result.pnl.iterrows()):
        assert end == record.data["period_end"]
        base, last = record.data["base"], record.data["period_end"]
        realised = (market.spreads.loc[last] - market.spreads.loc[base]).to_numpy()
        h = record.solution.h
        assert row["hedge_pnl"] == pytest.approx(float(realised @ h), rel=1e-10, abs=1e-12)
        desk = market.desk_pnl.loc[(market.dates > base) & (market.dates <= last)].sum()
        assert row["desk_pnl"] == pytest.approx(desk, rel=1e-12, abs=1e-12)
        assert row["hedged_pnl"] == pytest.approx(row["desk_pnl"] + row["net_hedge"], rel=1e-12)
    desk_var = np.var(result.pnl["desk_pnl"], ddof=1)
    hedged_var = np.var(result.pnl["desk_pnl"] + result.pnl["net_hedge"], ddof=1)
    assert result.hedge_effectiveness() == pytest.approx(1 - hedged_var / desk_var)
    summary = result.summary()
    assert summary["mode"] == "walk-forward"
    assert summary["hedge_effectiveness"] == pytest.approx(result.hedge_effectiveness())


LOOK_AHEAD_OBJECTIVES = {
    "min-variance": lambda: -ch.VariancePenalty(),
    "costs+ewma": lambda: ch.HedgePnL() - ch.Carry() - ch.Roll() - 0.05 * ch.VariancePenalty(estimator="ewma"),
    "tcost+ledoit-wolf": lambda: (-ch.Carry() - 0.1 * ch.VariancePenalty(estimator="ledoit-wolf")
                                  - 3.0 * ch.TransactionCost()),
}


@settings(max_examples=12)
@given(seed=st.integers(min_value=0, max_value=10_000), cut=st.integers(min_value=20, max_value=62),
       kind=st.sampled_from(sorted(LOOK_AHEAD_OBJECTIVES)), conventions=st.sampled_from(["market", "seed"]),
       change=st.integers(min_value=0, max_value=2**31), on_a_base_date=st.booleans())
def test_no_look_ahead(seed, cut, kind, conventions, change, on_a_base_date):
    """Changing any data after a date leaves every walk-forward decision taken on or before that date.

    Half of the cut-offs are a decision (base) date itself: the sharpest case, where the very next
    row is changed.
    """
    market = generated_market(seed, days=80)
    cutoff = market.dates[cut]
    if on_a_base_date:  # the Friday on or before the cut: weekly periods are decided on Fridays
        earlier = market.dates[market.dates <= cutoff]
        cutoff = earlier[earlier.day_of_week == 4][-1]
    rng = np.random.default_rng(change)
    later = market.dates > cutoff
    spreads = market.spreads.copy()
    desk = market.desk_pnl.copy()
    spreads.loc[later] *= np.exp(rng.normal(0.0, 0.3, size=(int(later.sum()), 4)))
    desk.loc[later] += rng.normal(0.0, 5.0, size=int(later.sum()))
    changed = ch.MarketData(spreads, desk)
    kwargs = {"horizon": "W-FRI", "mode": "walk-forward", "window": 15, "min_history": 10, "cross_check": False,
              "conventions": conventions}
    limit = 2.0 if conventions == "market" else 200.0  # seed prices hedge PnL × 0.01: hedges are 100× larger
    universe = ch.examples.spread_quoted(ch.standard_universe()).with_limits(lower=[-limit] * 4, upper=[limit] * 4)
    before = ch.backtest(market, universe, LOOK_AHEAD_OBJECTIVES[kind](), **kwargs)
    after = ch.backtest(changed, universe, LOOK_AHEAD_OBJECTIVES[kind](), **kwargs)
    bases = pd.DatetimeIndex([r.data["base"] for r in before.records])
    decided = bases <= cutoff
    assert decided.any()
    pd.testing.assert_frame_equal(before.allocations[decided], after.allocations[decided], check_exact=True)
    pd.testing.assert_frame_equal(before.term_values[decided], after.term_values[decided], check_exact=True)


def test_walk_forward_min_variance_on_the_synthetic_market_is_believable():
    """Realised, out-of-sample effectiveness of monthly minimum-variance hedging on the synthetic desk
    (R² of daily desk PnL on spread changes about 0.6–0.8) with limits wide enough for its exposures."""
    from cdshedge_cvx.datasets._synthetic import generate_market

    simulated = generate_market(seed=0)
    market = ch.MarketData(simulated.spreads, simulated.desk_pnl)
    universe = ch.examples.spread_quoted(ch.standard_universe()).with_limits(lower=[0.0] * 4, upper=[2.0] * 4)
    result = ch.backtest(market, universe, -ch.VariancePenalty(), horizon="M", mode="walk-forward",
                         roll_jumps=simulated.roll_jumps, cross_check=False)
    effectiveness = result.hedge_effectiveness()
    assert 0.7 < effectiveness < 0.9
    # an oracle holding the true exposures every month does about as well, not much better
    exposures = simulated.exposures.to_numpy()
    oracle = ch.backtest(market, ch.examples.spread_quoted(ch.standard_universe()).with_limits(lower=exposures,
                                                                                              upper=exposures),
                         -ch.VariancePenalty(), horizon="M", mode="walk-forward", roll_jumps=simulated.roll_jumps,
                         cross_check=False)
    assert abs(oracle.hedge_effectiveness() - effectiveness) < 0.05
    net = result.allocations.sum(axis=1)
    assert net.mean() == pytest.approx(simulated.exposures.sum(), rel=0.15)
