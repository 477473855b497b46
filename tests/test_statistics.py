"""Hedge statistics against numpy computations written here independently."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.engine._statistics import hedge_statistics


def _pnl(seed=0, n=40):
    rng = np.random.default_rng(seed)
    desk = rng.standard_t(3, n)
    hedge = -0.7 * desk + 0.3 * rng.normal(size=n)
    tcost = np.abs(rng.normal(size=n)) * 0.01
    net = hedge - tcost
    return pd.DataFrame({"desk_pnl": desk, "net_hedge": net, "hedged_pnl": desk + net, "tcost": tcost})


def _drawdown_loop(x):
    peak, wealth, worst = 0.0, 0.0, 0.0
    for v in x:
        wealth += v
        peak = max(peak, wealth)
        worst = max(worst, peak - wealth)
    return worst


def test_statistics_match_independent_numpy():
    pnl = _pnl()
    turnover = pd.Series(np.linspace(0.1, 0.5, len(pnl)))
    table = hedge_statistics(pnl, turnover)
    for column, key in (("desk", "desk_pnl"), ("hedge", "net_hedge"), ("hedged", "hedged_pnl")):
        x = pnl[key].to_numpy()
        assert table.loc["volatility", column] == pytest.approx(pd.Series(x).std())
        assert table.loc["max_drawdown", column] == pytest.approx(_drawdown_loop(x))
        assert table.loc["worst_period", column] == pytest.approx(x.min())
        losses = np.sort(-x)
        for level in (95, 99):
            var = np.percentile(-x, level)
            assert table.loc[f"var_{level}", column] == pytest.approx(var)
            assert table.loc[f"es_{level}", column] == pytest.approx(losses[losses >= var].mean())
    desk, hedged, hedge = pnl["desk_pnl"].to_numpy(), pnl["hedged_pnl"].to_numpy(), pnl["net_hedge"].to_numpy()
    assert table.loc["hit_ratio", "desk"] == pytest.approx((desk > 0).sum() / len(desk))
    assert table.loc["hit_ratio", "hedge"] == pytest.approx(np.mean(hedge * desk < 0))
    worst = np.argsort(desk)[:4]  # 10 % of 40 periods
    expected = 1 - np.var(hedged[worst], ddof=1) / np.var(desk[worst], ddof=1)
    assert table.loc["effectiveness_worst_10pct", "hedged"] == pytest.approx(expected)
    assert table.loc["turnover", "hedge"] == pytest.approx(0.3)
    removed = np.var(desk, ddof=1) - np.var(hedged, ddof=1)
    assert table.loc["cost_per_variance_removed", "hedge"] == pytest.approx(pnl["tcost"].sum() / removed)


def test_result_statistics_in_summary():
    market, universe = ch.examples.seed()
    result = ch.backtest(market, universe, horizon="Q")
    table = result.statistics()
    summary = result.summary()
    assert summary["hedged_max_drawdown"] == pytest.approx(table.loc["max_drawdown", "hedged"])
    assert summary["desk_es_95"] == pytest.approx(table.loc["es_95", "desk"])
    assert table.loc["volatility", "desk"] == pytest.approx(result.pnl["desk_pnl"].std())
