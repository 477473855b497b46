"""Issue 14, item 5 at scale: the minimum-norm second stage works above 200 instruments (on the
main of wave 2 it was skipped there, the solver's arbitrary minimiser kept).

Independent references: numpy's ``lstsq`` (the minimum-norm least-squares solution of the risk
window's regression, which is the minimum-norm variance minimiser) and ``pinv`` of the sample
covariance, where the box is inactive; with a binding box, the answer is optimal and no longer
than the first stage's nor than scipy's minimum-norm answer.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.model._parser import parse_objective

N = 240  # instruments (> 200, the old cap)
WINDOW = 25  # risk observations per decision, far fewer than instruments


def _market(seed: int) -> ch.MarketData:
    rng = np.random.default_rng(seed)
    days = 75
    dates = pd.bdate_range("2021-01-04", periods=days)
    levels = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, (days, N)), axis=0))
    changes = np.vstack([np.zeros((1, N)), np.diff(levels, axis=0)])
    desk = -(changes @ rng.uniform(0.0, 0.02, N)) + rng.normal(0, 0.05, days)
    names = [f"basket {k:03d}" for k in range(N)]
    return ch.MarketData(pd.DataFrame(levels, index=dates, columns=names), pd.Series(desk, index=dates))


def _universe(bound: float) -> ch.Universe:
    return ch.Universe([ch.Instrument(f"basket {k:03d}", 100.0, -bound, bound, maturity_years=5.0)
                        for k in range(N)])


def _run(market: ch.MarketData, universe: ch.Universe, **options) -> ch.HedgeResult:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = ch.backtest(market, universe, parse_objective("-variance"), horizon="ME", mode="walk-forward",
                             window=WINDOW, min_history=WINDOW, conventions="market", **options)
    said = [w for w in caught if "does not identify the hedge" in str(w.message)]
    assert len(said) == 1 and "minimum-norm minimiser is returned" in str(said[0].message)
    return result


def test_above_200_instruments_the_hedge_is_the_minimum_norm_minimiser() -> None:
    market = _market(seed=7)
    result = _run(market, _universe(1e3), cross_check=False)
    assert len(result.records) >= 2
    assert len(result.problem.unidentified_periods_) == len(result.records)
    for record in result.records:
        changes, desk = record.data["risk_changes"], record.data["risk_desk_pnl"]
        assert changes.shape[0] < N
        # Var(desk + Δs·h) is minimised by the least-squares fit of −desk on Δs (both centred)
        x = changes - changes.mean(axis=0)
        y = -(desk - desk.mean())
        lstsq = np.linalg.lstsq(x, y, rcond=None)[0]
        joint = np.cov(np.column_stack([desk, changes]), rowvar=False)
        pinv = np.linalg.pinv(joint[1:, 1:], rcond=1e-10) @ (-joint[1:, 0])
        np.testing.assert_allclose(lstsq, pinv, atol=1e-8)
        assert np.max(np.abs(lstsq)) < 1e3  # the box is inactive
        np.testing.assert_allclose(record.solution.h, lstsq, atol=1e-6)


@pytest.mark.parametrize("seed", [11])
def test_above_200_instruments_a_binding_box_still_gives_the_shortest_optimal_hedge(seed: int) -> None:
    """With the box binding the closed form is infeasible and the CVXPY second stage answers; the
    scipy cross-check compares on the minimum-norm definition (and agrees)."""
    market = _market(seed=seed)
    result = _run(market, _universe(0.004), cross_check=True)
    assert result.cross_check["ok"].all(), result.cross_check["message"].unique()
    assert (result.cross_check["objective_gap"] <= 1e-6).all()
    for record in result.records:
        h = record.solution.h
        assert np.max(np.abs(h)) <= 0.004 + 1e-9
        assert np.isclose(np.max(np.abs(h)), 0.004, atol=1e-7)  # binding
        x = record.data["risk_changes"] - record.data["risk_changes"].mean(axis=0)
        assert np.max(np.abs(np.linalg.lstsq(x, -(record.data["risk_desk_pnl"]
                                                   - record.data["risk_desk_pnl"].mean()), rcond=None)[0])) > 0.004
