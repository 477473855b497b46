"""Invariants on generated problems (hypothesis): limits hold, CVXPY is never beaten by scipy or
by any feasible point, linear objectives are bang-bang, term algebra adds values, and raising a
limit never lowers the optimum."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx.testing import cs01_vectors, period_data, universes

OBJECTIVES = {
    "linear": lambda: ch.HedgePnL() - ch.Carry() - ch.Roll(),
    "variance": lambda: ch.HedgePnL() - ch.Carry() - 3.0 * ch.VariancePenalty(),
    "min-variance": lambda: -ch.VariancePenalty(),
    "tcost": lambda: ch.HedgePnL() - ch.Roll() - 2.0 * ch.TransactionCost() - 0.5 * ch.VariancePenalty(),
}


@st.composite
def problems(draw, kinds=tuple(OBJECTIVES)):
    universe = draw(universes(max_size=5))
    data = draw(period_data(universe))
    kind = draw(st.sampled_from(kinds))
    return universe, data, kind


def _solve(universe, data, objective, **kwargs):
    problem = ch.HedgeProblem(universe, objective, **kwargs).build()
    problem.update(data)
    return problem, problem.solve()


def _feasible(universe, h, tol=1e-9):
    scale = np.maximum(1.0, np.abs(universe.upper) + np.abs(universe.lower))
    return np.all(h >= universe.lower - tol * scale) and np.all(h <= universe.upper + tol * scale)


@given(problems())
def test_limits_always_hold(case):
    universe, data, kind = case
    _, solution = _solve(universe, data, OBJECTIVES[kind]())
    assert _feasible(universe, solution.h), (solution.h, universe.lower, universe.upper)


@given(problems(), st.data())
def test_cvxpy_is_never_beaten_by_scipy_or_a_feasible_point(case, draw):
    universe, data, kind = case
    problem, solution = _solve(universe, data, OBJECTIVES[kind]())
    best = problem.twin_objective(solution.h, data)
    tol = 1e-6 * (1.0 + abs(best))
    _, scipy_value = ch.scipy_solve(problem.entries_, problem.constraints_, data)
    assert scipy_value <= best + tol
    for _ in range(5):
        point = draw.draw(cs01_vectors(universe))
        assert problem.twin_objective(point, data) <= best + tol


@given(problems(kinds=("linear",)))
def test_linear_objective_is_the_closed_form_bang_bang_answer(case):
    universe, data, _ = case
    objective = OBJECTIVES["linear"]()
    coefficient = (ch.HedgePnL().coefficients(data) - ch.Carry().coefficients(data) - ch.Roll().coefficients(data))
    assume(np.all(np.abs(coefficient) > 1e-6))
    expected = np.where(coefficient > 0, universe.upper, universe.lower)
    for closed_form in (True, False):
        _, solution = _solve(universe, data, objective, closed_form=closed_form)
        np.testing.assert_allclose(solution.h, expected, atol=1e-8, rtol=0)


@given(problems(), st.data())
def test_term_algebra_adds_values(case, draw):
    universe, data, _ = case
    a, b, c = ch.HedgePnL(), ch.Carry(), ch.VariancePenalty()
    objective = 2.5 * a - b - 0.5 * c
    h = draw.draw(cs01_vectors(universe))
    problem = ch.HedgeProblem(universe, objective).build()
    problem.update(data)
    expected = 2.5 * a.value(h, data) - b.value(h, data) - 0.5 * c.value(h, data)
    assert problem.twin_objective(h, data) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    problem.h_.value = h
    cvx_value = sum(w * e.value for (w, _), e in zip(problem.entries_, problem.term_exprs_))
    assert cvx_value == pytest.approx(expected, rel=1e-7, abs=1e-9)


@given(problems(), st.integers(min_value=0, max_value=4), st.floats(min_value=0.0, max_value=1.0))
def test_raising_a_limit_never_lowers_the_optimum(case, which, bump):
    universe, data, kind = case
    i = which % len(universe)
    upper = universe.upper.copy()
    upper[i] += bump
    _, before = _solve(universe, data, OBJECTIVES[kind]())
    raised = data.replace(cs01_max=upper)
    _, after = _solve(universe.with_limits(upper=upper), raised, OBJECTIVES[kind]())
    assert after.objective >= before.objective - 1e-7 * (1.0 + abs(before.objective))


def test_shadow_price_of_the_box_matches_a_finite_difference():
    """d optimum / d cs01_max equals the reported shadow price (independent bump-and-resolve)."""
    market, universe = ch.examples.seed()
    result = ch.backtest(market, universe, ch.HedgePnL() - ch.Carry() - 1e3 * ch.VariancePenalty(),
                         conventions="seed", horizon="Q", cross_check=False)
    record = result.records[2]
    shadow = result.shadow_prices.iloc[2].to_numpy()
    for i in range(len(universe)):
        bumped = universe.upper.copy()
        bumped[i] += 1e-4
        problem = ch.HedgeProblem(universe.with_limits(upper=bumped), result.objective).build()
        problem.update(record.data.replace(cs01_max=bumped))
        up = problem.solve().objective
        assert (up - record.solution.objective) / 1e-4 == pytest.approx(max(shadow[i], 0.0), rel=1e-2, abs=1e-5)
