"""Issue 14, item 5: a variance hedge the objective does not identify (more instruments than risk
observations) is the minimum-norm minimiser, said once per run, and cross-checked on that definition.
On the main before issue 14 the answer was an arbitrary minimiser with a CrossCheckWarning every period."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.errors import CrossCheckWarning
from cdshedge_cvx.model._parser import parse_objective

NAMES = ["CDX IG", "CDX HY", "iTraxx Main", "iTraxx Xover"]


def _market(days: int = 80, seed: int = 3) -> ch.MarketData:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2021-01-04", periods=days)
    levels = np.array([60.0, 340.0, 55.0, 280.0]) * np.exp(np.cumsum(rng.normal(0, 0.02, (days, 4)), axis=0))
    changes = np.vstack([np.zeros((1, 4)), np.diff(levels, axis=0)])
    desk = -(changes @ np.array([0.3, 0.05, 0.2, 0.04])) + rng.normal(0, 0.05, days)
    return ch.MarketData(pd.DataFrame(levels, index=dates, columns=NAMES), pd.Series(desk, index=dates))


def _pinv_hedge(risk_changes: np.ndarray, risk_desk: np.ndarray) -> np.ndarray:
    """Independent reference: the minimum-norm minimiser of Var(desk + Δs·h) = pinv(Σ_ss) (−Σ_sd)."""
    joint = np.cov(np.column_stack([risk_desk, risk_changes]), rowvar=False)
    return np.linalg.pinv(joint[1:, 1:], rcond=1e-10) @ (-joint[1:, 0])


def test_unidentified_variance_hedges_are_the_minimum_norm_minimiser() -> None:
    market = _market()
    universe = ch.examples.spread_quoted(ch.standard_universe()).with_limits(
        lower=[-50.0] * 4, upper=[50.0] * 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = ch.backtest(market, universe, parse_objective("-variance"), horizon="W-FRI", mode="walk-forward",
                             window=3, min_history=3, conventions="market")
    said = [w for w in caught if "does not identify the hedge" in str(w.message)]
    assert len(said) == 1, [str(w.message) for w in caught]  # once per run
    assert not [w for w in caught if issubclass(w.category, CrossCheckWarning)]
    assert result.cross_check["ok"].all()
    assert len(result.problem.unidentified_periods_) == len(result.allocations)
    for record in result.records:
        data = record.data
        expected = _pinv_hedge(data["risk_changes"], data["risk_desk_pnl"])
        np.testing.assert_allclose(record.solution.h, expected, atol=1e-5)


def test_a_ridge_term_is_the_users_other_choice_and_is_identified() -> None:
    market = _market()
    universe = ch.examples.spread_quoted(ch.standard_universe()).with_limits(
        lower=[-50.0] * 4, upper=[50.0] * 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = ch.backtest(market, universe, parse_objective("-variance - 0.01*ridge"), horizon="W-FRI",
                             mode="walk-forward", window=3, min_history=3, conventions="market")
    assert not [w for w in caught if "does not identify" in str(w.message)]
    assert result.problem.unidentified_periods_ == []


def test_identified_problems_are_untouched() -> None:
    market = _market()
    universe = ch.examples.spread_quoted(ch.standard_universe()).with_limits(
        lower=[-50.0] * 4, upper=[50.0] * 4)
    result = ch.backtest(market, universe, parse_objective("-variance"), horizon="ME", mode="walk-forward",
                         window=30, min_history=30, conventions="market")
    assert result.problem.unidentified_periods_ == []


@pytest.mark.parametrize("seed", [0, 1])
def test_the_minimum_norm_stage_respects_a_binding_box(seed: int) -> None:
    """With the box binding, the answer is still optimal (objective within tolerance of the first
    stage's) and no longer than any other optimal hedge scipy finds."""
    market = _market(seed=seed)
    universe = ch.examples.spread_quoted(ch.standard_universe()).with_limits(
        lower=[0.0] * 4, upper=[0.2] * 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = ch.backtest(market, universe, parse_objective("-variance"), horizon="W-FRI", mode="walk-forward",
                             window=3, min_history=3, conventions="market")
    assert result.cross_check["ok"].all(), result.cross_check["message"].unique()
    assert (result.cross_check["objective_gap"] <= 1e-6).all()
