"""The solve paths as strategies: which path accepts which compiled problem, every path that accepts
a problem gives the same answer on it, a path that fails hands the period to the next (recorded),
and a term's expression is validated in one place."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx.errors import Hint
from cdshedge_cvx.solve import (
    BoxQPPath,
    ClosedFormPath,
    CvxpySolverPath,
    DirectQPPath,
    PathFailed,
    _direct_qp,
    compile_problem,
    limit_constraint_issue,
    term_expression_issue,
    validate_term_expression,
)
from cdshedge_cvx.testing import period_data, universes

LINEAR = ch.HedgePnL() - ch.Carry() - ch.Roll()
VARIANCE = ch.HedgePnL() - ch.Carry() - 2.0 * ch.VariancePenalty()
PATHS = (ClosedFormPath, DirectQPPath, CvxpySolverPath)


def _accepting(*args, **kwargs) -> list[type]:
    compiled = compile_problem(*args, **kwargs)
    return [path for path in PATHS if path().accepts(compiled)]


@pytest.mark.parametrize(("objective", "limits", "kwargs", "expected"), [
    (LINEAR, [], {}, [ClosedFormPath, CvxpySolverPath]),
    (VARIANCE, [], {}, [DirectQPPath, CvxpySolverPath]),
    (-ch.VariancePenalty(), [], {}, [DirectQPPath, CvxpySolverPath]),
    (VARIANCE - ch.TransactionCost(), [], {}, [CvxpySolverPath]),
    (LINEAR - ch.TransactionCost(), [], {}, [CvxpySolverPath]),
    (LINEAR, [ch.GrossLimit(1.0)], {}, [CvxpySolverPath]),
    (VARIANCE, [ch.GrossLimit(1.0)], {}, [CvxpySolverPath]),
    (VARIANCE, [], {"solver": "CLARABEL"}, [CvxpySolverPath]),
], ids=["linear+box", "variance+box", "min-variance", "variance+tcost", "linear+tcost", "linear+gross",
        "variance+gross", "variance+clarabel"])
def test_each_path_accepts_its_problems(objective, limits, kwargs, expected):
    assert _accepting(4, objective, limits, **kwargs) == expected


def test_the_direct_qp_path_leaves_large_problems_to_cvxpy(monkeypatch):
    monkeypatch.setattr(_direct_qp, "DIRECT_QP_MAX_INSTRUMENTS", 3)
    assert _accepting(4, VARIANCE) == [CvxpySolverPath]
    assert _accepting(3, VARIANCE) == [DirectQPPath, CvxpySolverPath]


def test_the_facade_asks_the_paths_in_order_and_honours_its_flags():
    def first(objective, **kwargs):
        return type(ch.HedgeProblem(4, objective, **kwargs).build().paths_[0])

    assert first(LINEAR) is ClosedFormPath
    assert first(LINEAR, closed_form=False) is CvxpySolverPath
    assert first(VARIANCE) is BoxQPPath
    assert first(VARIANCE, box_qp=False) is DirectQPPath
    assert first(VARIANCE, direct_qp=False) is CvxpySolverPath
    assert [type(p) for p in ch.HedgeProblem(4, VARIANCE).build().paths_] == [BoxQPPath, DirectQPPath,
                                                                               CvxpySolverPath]


def _solve_each(universe, data, objective):
    """The period solved by every path that accepts the problem, on one compiled problem."""
    problem = ch.HedgeProblem(universe, objective).build()
    problem.update(data)
    compiled = problem.compiled
    return {type(path): path.solve(compiled, data) for path in (p() for p in PATHS) if path.accepts(compiled)}


@settings(max_examples=8, deadline=None)
@given(universes(max_size=5), st.data(), st.sampled_from(["linear", "variance", "min-variance"]))
def test_every_accepting_path_gives_the_same_answer(universe, draw, kind):
    objective = {"linear": LINEAR, "variance": VARIANCE, "min-variance": -ch.VariancePenalty()}[kind]
    data = draw.draw(period_data(universe))
    solutions = _solve_each(universe, data, objective)
    assert len(solutions) == 2 and CvxpySolverPath in solutions
    reference = solutions.pop(CvxpySolverPath)
    (fast,) = solutions.values()
    scale = 1.0 + abs(reference.objective)
    assert fast.objective == pytest.approx(reference.objective, abs=1e-7 * scale)
    for label, value in reference.terms.items():
        assert fast.terms[label] == pytest.approx(value, abs=1e-6 * scale)
    np.testing.assert_array_equal(fast.h, np.clip(fast.h, universe.lower, universe.upper))
    assert fast.path != reference.path == "solver" and fast.fallback_from == reference.fallback_from == []
    if kind == "linear":  # bang-bang: the hedges and the box's duals agree wherever the coefficient is not 0
        prices = reference.shadow_prices["BoxLimits"]
        decided = np.abs(fast.shadow_prices["BoxLimits"]) > 1e-9 * scale
        np.testing.assert_allclose(fast.h[decided], reference.h[decided], atol=1e-7)
        np.testing.assert_allclose(fast.shadow_prices["BoxLimits"], prices, atol=1e-6 * scale)


@settings(max_examples=5, deadline=None)
@given(universes(max_size=4), st.data())
def test_a_failing_path_hands_the_period_on_and_it_is_recorded(monkeypatch_class, universe, draw):
    data = draw.draw(period_data(universe))
    plain = ch.HedgeProblem(universe, VARIANCE, direct_qp=False).build()
    plain.update(data)
    expected = plain.solve()

    def fail(self, compiled, data):
        raise PathFailed(["OSQP (direct QP): broken on purpose"])

    with monkeypatch_class.context() as patch:
        patch.setattr(DirectQPPath, "solve", fail)
        problem = ch.HedgeProblem(universe, VARIANCE, box_qp=False).build()
        problem.update(data)
        solution = problem.solve()
    assert solution.fallback_from == ["OSQP (direct QP): broken on purpose"]
    assert (solution.path, solution.solver) == ("solver", "OSQP")
    np.testing.assert_allclose(solution.objective, expected.objective, rtol=1e-9, atol=1e-12)


@pytest.fixture(scope="module")
def monkeypatch_class():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_when_every_path_fails_the_error_names_each_failure_and_hints_the_solver(monkeypatch):
    market, universe = ch.examples.seed()

    def fail_direct(self, compiled, data):
        raise PathFailed(["OSQP (direct QP): first"])

    def fail_solver(self, compiled, data):
        raise PathFailed(["OSQP: second", "CLARABEL: third"])

    monkeypatch.setattr(DirectQPPath, "solve", fail_direct)
    monkeypatch.setattr(CvxpySolverPath, "solve", fail_solver)
    with pytest.raises(ch.SolverError) as info:
        ch.backtest(market, universe, conventions="seed", horizon="Q", cross_check=False,
                    problem=ch.HedgeProblem(universe, VARIANCE, box_qp=False))
    error = info.value
    assert error.hints == (Hint("solver"),)
    assert "no solver found an optimal hedge (OSQP (direct QP): first; OSQP: second; CLARABEL: third)" in str(error)
    assert "--solver" not in str(error) and str(error).endswith("try solver=...")
    assert error.message_for("cli").endswith("try --solver")


# the compiled problem and the facade's earlier attributes ------------------------------------------------------
def test_the_compiled_problem_is_what_the_old_attributes_read():
    problem = ch.HedgeProblem(ch.standard_universe(), VARIANCE, [ch.GrossLimit(1.0), ch.GrossLimit(2.0)]).build()
    compiled = problem.compiled
    assert problem.entries_ is compiled.entries and problem.constraints_ is compiled.limits
    assert problem.h_ is compiled.h and problem.problem_ is compiled.problem and problem.labels_ == compiled.labels
    assert compiled.limit_labels == ("BoxLimits", "GrossLimit", "GrossLimit#2") and compiled.box_label == "BoxLimits"
    assert compiled.instrument(1) == "CDX HY" and compile_problem(3, VARIANCE).instrument(1) == "#1"
    assert (problem.solver_, problem.direct_qp_, problem.closed_form_) == ("OSQP", False, False)
    with pytest.raises(AttributeError):
        problem.affine_problem_  # noqa: B018  (only the direct QP path has one)


# one validation of a term's expression ----------------------------------------------------------------------
class Crashing(ch.HedgePnL):
    def expr(self, h):
        raise ZeroDivisionError("division by zero")


def test_a_term_that_cannot_build_is_named():
    with pytest.raises(ch.SpecificationError, match=r"^term Crashing: setup\(\)/expr\(h\) failed: ZeroDivisionError"):
        ch.HedgeProblem(3, ch.HedgePnL() - Crashing()).build()


def test_one_function_words_every_refusal():
    h = cp.Variable(3)
    p, q = cp.Parameter(nonneg=True), cp.Parameter(3)
    assert term_expression_issue("X", "text") == ("build", "expr(h) must return a CVXPY expression, got str")
    assert term_expression_issue("X", h)[0] == "build"
    assert term_expression_issue("X", cp.sum_squares(h) - cp.sum(cp.abs(h)))[0] == "DCP"
    assert term_expression_issue("X", p * (q @ h))[0] == "DPP"
    assert term_expression_issue("X", cp.sum_squares(h), weight=1.0)[0] == "sign"
    assert term_expression_issue("X", cp.sum_squares(h), weight=-1.0) is None
    assert term_expression_issue("X", cp.sum_squares(h)) is None  # no weight: no sign check
    assert isinstance(validate_term_expression("X", 2), cp.Constant)
    with pytest.raises(ch.SpecificationError, match=r"^term X: expression is not DPP: a Parameter multiplies"):
        validate_term_expression("X", p * (q @ h), 1.0)
    with pytest.raises(ch.SpecificationError, match=r"^term X: expression is not DCP: expr\(h\) is neither"):
        validate_term_expression("X", cp.sum_squares(h) - cp.sum(cp.abs(h)), 1.0)
    with pytest.raises(ch.SpecificationError, match=r"^term X is convex, not concave, and enters the maximised "
                                                    r"objective with a \+ sign \(weight 2\); subtract it instead "
                                                    r"\(e.g. '- X'\)$"):
        validate_term_expression("X", cp.sum_squares(h), 2.0)
    with pytest.raises(ch.SpecificationError, match=r"^term X is concave, not convex, .* a - sign"):
        validate_term_expression("X", -cp.sum_squares(h), -1.0)


class Product(ch.Constraint):
    """p · (q @ h) <= 1: not DPP."""

    def setup(self, n):
        self.p_, self.q_ = cp.Parameter(nonneg=True, value=1.0), cp.Parameter(n, value=np.ones(n))

    def constraints(self, h):
        return [self.p_ * (self.q_ @ h) <= 1.0]


class Concave(ch.Constraint):
    """Σ h² >= 1: not a convex set."""

    def constraints(self, h):
        return [cp.sum_squares(h) >= 1.0]


class NotAConstraint(ch.Constraint):
    def constraints(self, h):
        return [h]


def test_one_function_words_every_refused_limit():
    h = cp.Variable(3)
    assert limit_constraint_issue(h <= 1.0) is None
    assert limit_constraint_issue(cp.sum_squares(h) >= 1.0)[0] == "DCP"
    assert limit_constraint_issue("h <= 1")[0] == "build"
    with pytest.raises(ch.SpecificationError, match=r"^constraint Product: .* is not DPP: a Parameter multiplies"):
        ch.HedgeProblem(3, LINEAR, [Product()]).build()
    with pytest.raises(ch.SpecificationError, match=r"^constraint Concave: .* is not DCP: the feasible set must be "
                                                    r"convex"):
        ch.HedgeProblem(3, LINEAR, [Concave()]).build()
    with pytest.raises(ch.SpecificationError, match=r"^constraint NotAConstraint: constraints\(h\) must return CVXPY "
                                                    r"constraints"):
        ch.HedgeProblem(3, LINEAR, [NotAConstraint()]).build()
