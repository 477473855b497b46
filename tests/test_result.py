"""Realised attribution and metrics checked by hand from the period data."""

from __future__ import annotations

import numpy as np
import pytest

import cdshedge_cvx as ch


@pytest.fixture(scope="module")
def result():
    market, universe = ch.examples.market()
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll() - ch.TransactionCost() - 0.05 * ch.VariancePenalty()
    return ch.backtest(market, universe, objective, horizon="Q", mode="walk-forward", cross_check=False)


def test_realised_net_is_hedge_minus_carry_and_trading_costs(result):
    record = result.records[3]
    data, h = record.data.realised(), record.solution.h  # walk-forward: the realised data is sealed (issue 14)
    fx = np.asarray(data["fx_rate"])
    hedge = fx * np.asarray(data["spread_changes"]).sum(axis=0) * h            # Δs(bp) · CS01($mm/bp)
    carry = -fx * data["figures"].carry * h  # ISDA value change with the spread unchanged, per CS01
    tcost = fx * 0.5 * data["bid_ask_bp"] * np.abs(h - data["h_prev"])
    row = result.pnl.iloc[3]
    assert row["hedge_pnl"] == pytest.approx(hedge.sum(), rel=1e-12)
    assert row["carry"] == pytest.approx(carry.sum(), rel=1e-12)
    assert row["tcost"] == pytest.approx(tcost.sum(), rel=1e-12)
    # roll-down is reported but not subtracted: the realised changes already contain it
    assert row["net_hedge"] == pytest.approx(hedge.sum() - carry.sum() - tcost.sum(), rel=1e-12)
    assert row["hedged_pnl"] == pytest.approx(float(np.sum(data["desk_pnl"])) + row["net_hedge"], rel=1e-12)


def test_hedge_effectiveness_and_turnover_by_hand(result):
    pnl = result.pnl
    expected = 1.0 - np.var(pnl["hedged_pnl"], ddof=1) / np.var(pnl["desk_pnl"], ddof=1)
    assert result.hedge_effectiveness() == pytest.approx(expected)
    h = result.allocations.to_numpy()
    moves = np.abs(np.diff(np.vstack([np.zeros(h.shape[1]), h]), axis=0)).sum(axis=1)
    np.testing.assert_allclose(result.turnover().to_numpy(), moves)


def test_variance_twin_cache_never_serves_another_periods_covariance(result):
    """The numpy twin remembers Σ for the last PeriodData only; a replaced period or a plain dict
    (mutable) is always estimated afresh."""
    term = ch.VariancePenalty(gamma=2.0)
    data = result.records[3].data
    h = np.full(len(result.universe), 0.1)
    first = term.value(h, data)
    assert term.value(h, data) == first                        # same object: cached
    doubled = data.replace(risk_changes=2.0 * np.asarray(data["risk_changes"]))
    assert term.value(h, doubled) != pytest.approx(first)      # new object: recomputed
    plain = dict(data)
    before = term.value(h, plain)
    plain["risk_desk_pnl"] = 3.0 * np.asarray(plain["risk_desk_pnl"])
    assert term.value(h, plain) != pytest.approx(before)       # mutable mapping: never cached
