"""Numerical range: spreads from 0.5 to 20 000 bp, limits from 1e-6 to 1e3 $mm/bp, one-day and
ten-year periods, thousands of instruments of zero variance. No crash, limits never violated by
more than 1e-9 relative (to max(1, |limit|): 1e-9 $mm/bp, a thousandth of a dollar per bp, below
a limit of 1), the scipy cross-check agrees (its warning is an error in this suite), or a clear
error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch

VARIANCE = ch.HedgePnL() - ch.Carry() - ch.Roll() - 5.0 * ch.VariancePenalty()
OBJECTIVES = {"linear": None, "variance": VARIANCE,
              "tcost": ch.HedgePnL() - ch.Carry() - 0.5 * ch.VariancePenalty() - ch.TransactionCost()}


def _market(levels, days: int, seed: int = 0, vol: float = 0.02, dates: pd.DatetimeIndex | None = None
            ) -> ch.MarketData:
    """Log-normal random-walk spreads from ``levels`` (bp) on business days from 2021-01-04."""
    rng = np.random.default_rng(seed)
    levels = np.asarray(levels, dtype=float)
    dates = pd.bdate_range("2021-01-04", periods=days) if dates is None else dates
    days = len(dates)
    paths = levels * np.exp(np.vstack([np.zeros(len(levels)),
                                       np.cumsum(rng.normal(0, vol, (days - 1, len(levels))), axis=0)]))
    desk = pd.Series(rng.normal(0, 0.05, days), index=dates)
    return ch.MarketData(pd.DataFrame(paths, index=dates, columns=[f"I{i}" for i in range(len(levels))]), desk)


def _universe(lower, upper) -> ch.Universe:
    return ch.Universe([ch.Instrument(f"I{i}", 100.0, float(lo), float(up)) for i, (lo, up) in
                        enumerate(zip(lower, upper))])


def assert_within_limits(result: ch.HedgeResult, universe: ch.Universe, tol: float = 1e-9) -> None:
    h = result.allocations.to_numpy()
    slack = tol * np.maximum(1.0, np.maximum(np.abs(universe.lower), np.abs(universe.upper)))
    assert np.all(h >= universe.lower - slack), h
    assert np.all(h <= universe.upper + slack), h


@pytest.mark.parametrize("objective", sorted(OBJECTIVES))
def test_spreads_from_half_a_bp_to_20000_bp(objective: str) -> None:
    market = _market([0.5, 3.0, 120.0, 5000.0, 20_000.0], days=45, vol=0.01)
    spreads = market.spreads.to_numpy()
    assert spreads.min() < 0.6 and spreads.max() > 15_000
    universe = _universe([-1.0] * 5, [1.0] * 5)
    result = ch.backtest(market, universe, OBJECTIVES[objective], horizon="M")
    assert_within_limits(result, universe)
    assert result.cross_check["ok"].all()
    assert result.problem.dpp_  # small problems are compiled once


@pytest.mark.parametrize("objective", sorted(OBJECTIVES))
def test_limits_from_1e_6_to_1e3(objective: str) -> None:
    market = _market([80.0, 400.0, 60.0, 300.0], days=45)
    universe = _universe([-1e-6, 0.0, -1e3, 1e-6], [1e-6, 1e3, 1e3, 2e-6])
    result = ch.backtest(market, universe, OBJECTIVES[objective], horizon="M")
    assert_within_limits(result, universe)
    assert result.cross_check["ok"].all()


@settings(max_examples=25)
@given(exponents=st.lists(st.tuples(st.floats(-6, 3), st.floats(-6, 3), st.booleans()), min_size=2, max_size=5),
       seed=st.integers(0, 2**16), gamma=st.sampled_from([0.0, 0.1, 10.0]),
       gross=st.one_of(st.none(), st.floats(-6, 3)))
def test_limits_hold_to_1e_9_relative_at_any_scale(exponents, seed, gamma, gross) -> None:
    lower = [(-10.0 ** a) if short else 0.0 for a, _, short in exponents]
    upper = [10.0 ** b for _, b, _ in exponents]
    universe = _universe(lower, upper)
    market = _market(np.linspace(50.0, 500.0, len(lower)), days=30, seed=seed)
    constraints = [] if gross is None else [ch.GrossLimit(10.0 ** gross)]
    objective = ch.HedgePnL() - ch.Carry() - gamma * ch.VariancePenalty()
    result = ch.backtest(market, universe, objective, horizon="M", constraints=constraints, cross_check=False)
    assert_within_limits(result, universe)
    if gross is not None:
        limit = 10.0 ** gross
        assert np.all(result.allocations.abs().sum(axis=1) <= limit + 1e-9 * max(1.0, limit))


def test_one_day_periods() -> None:
    market = _market([80.0, 400.0, 60.0], days=8)
    universe = _universe([-0.5, 0.0, -0.2], [0.5, 0.1, 0.2])
    result = ch.backtest(market, universe, None, horizon="D")
    assert len(result.allocations) == 7 and (result.solver_info["path"] == "closed-form").all()
    assert_within_limits(result, universe)
    assert result.cross_check["ok"].all()
    # a variance over one day cannot be estimated: a clear error naming the period and the term
    with pytest.raises(ch.DataError, match=r"term VariancePenalty, period 2021-01-05: .*at least 2 daily"):
        ch.backtest(market, universe, VARIANCE, horizon="D")


def test_a_ten_year_period() -> None:
    market = _market([80.0, 400.0, 60.0, 300.0], days=0, vol=0.01,
                     dates=pd.bdate_range("2010-12-31", "2020-12-31"))
    universe = _universe([-0.25, 0.0, -0.25, 0.0], [0.25, 0.1, 0.25, 0.1])
    result = ch.backtest(market, universe, VARIANCE, horizon="10YE")
    days = [r.data["calendar_days"] for r in result.records]
    assert max(days) >= 3650, days  # one period spans ten years
    assert_within_limits(result, universe)
    assert result.cross_check["ok"].all()


def test_two_thousand_flat_instruments_with_a_variance_penalty() -> None:
    """Constant spreads: no PnL, no variance from the hedge, carry and roll costs only, so the
    optimum is every instrument on its lower limit (by hand: all coefficients are negative)."""
    n = 2000
    dates = pd.bdate_range("2021-01-04", "2021-01-29")  # one monthly period
    spreads = pd.DataFrame(np.tile(np.linspace(20.0, 900.0, n), (len(dates), 1)), index=dates,
                           columns=[f"I{i}" for i in range(n)])
    desk = pd.Series(np.random.default_rng(1).normal(0, 0.05, len(dates)), index=dates)
    lower = np.where(np.arange(n) % 2 == 0, -0.5, 0.01)
    universe = _universe(lower, np.full(n, 0.5))
    result = ch.backtest(ch.MarketData(spreads, desk), universe, VARIANCE, horizon="M")
    assert result.problem.dpp_ is False  # the DPP tensor would be (n + 1) × 4 million: folded in per solve
    assert set(result.solver_info["solver"]) == {"OSQP"}
    h = result.allocations.to_numpy()
    assert h.shape == (1, n)
    np.testing.assert_allclose(h[0], lower, rtol=0, atol=1e-7)
    assert_within_limits(result, universe)
    assert result.cross_check["ok"].all()


@pytest.mark.parametrize("excess", [9e-9, 5e-8])
def test_an_answer_just_outside_a_limit_is_pulled_inside_it(excess, monkeypatch) -> None:
    """A solver meets a limit to its tolerance times the problem's scale: with a box of 100 $mm/bp a
    gross limit of 0.01 came back broken by ~9e-9, beyond the 1e-9 promised (and then refused, every
    solver alike, or the property test above failed). The answer is now moved inside the limit along
    the segment to a point strictly inside it; a farther one is still refused (the fallback answers)."""
    import cvxpy as cp

    market = _market([80.0, 400.0, 60.0], days=30, seed=3)
    universe = _universe([-100.0, 0.0, -100.0], [100.0, 100.0, 100.0])
    limit = 0.01
    original = cp.Problem.solve

    def solve(self, *args, **kwargs):
        value = original(self, *args, **kwargs)
        if kwargs.get("solver") == "OSQP":
            variable = self.variables()[0]
            h = np.asarray(variable.value, dtype=float)
            variable.save_value(h * (1.0 + excess / np.sum(np.abs(h))))  # gross = limit + excess
        return value

    monkeypatch.setattr(cp.Problem, "solve", solve)
    objective = ch.HedgePnL() - ch.Carry() - 0.1 * ch.VariancePenalty()
    result = ch.backtest(market, universe, objective, horizon="M", constraints=[ch.GrossLimit(limit)],
                         cross_check=False, direct_qp=False, progress=False)
    gross = result.allocations.abs().sum(axis=1)
    assert np.all(gross <= limit + 1e-9 * max(1.0, limit)), gross - limit
    assert set(result.solver_info["solver"]) == {"OSQP"}  # the answer kept, polished, not refused
    assert np.all(gross >= limit - 10 * excess)  # moved by the order of the violation only
    assert_within_limits(result, universe)
