"""The lifted-QP path's warm route: the exact solve started from the last period's active set, without Clarabel.

Its answers must be the optimum (within 1e-7 of CVXPY + Clarabel at tight tolerances, period by period on the
same data), a wrong guess must be corrected or handed to Clarabel (never answered), and its shadow prices must be
those of the Clarabel route where the multipliers are unique and valid supergradients of the optimum otherwise
(the references: the optimum re-solved by CVXPY with the limit moved by ±ε).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx.solve._lifted_qp import WARM_SOLVER, LiftedQPPath, assemble_lifted_qp
from cdshedge_cvx.solve._lifted_refine import ActiveSet, kkt_certificate, solve_at_active_set

TIGHT = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12, "tol_ktratio": 1e-10}
WINDOW = 60


def _objective() -> ch.Objective:
    return ch.HedgePnL() - ch.Carry() - 5.0 * ch.VariancePenalty() - ch.TransactionCost()


def _market(n: int, periods: int, seed: int, limit: float):
    from benchmarks.realistic import realistic_market

    return realistic_market(n=n, periods=periods, window=WINDOW, seed=seed, limit=limit)


def _backtest(market, universe, limits) -> ch.HedgeResult:
    return ch.backtest(market, universe, _objective(), constraints=limits, horizon="W-FRI", mode="walk-forward",
                       window=WINDOW, min_history=WINDOW, cross_check=False, progress=False)


def _path(problem: ch.HedgeProblem) -> LiftedQPPath:
    return next(path for path in problem.paths_ if isinstance(path, LiftedQPPath))


def _reference(universe, limits) -> ch.HedgeProblem:
    return ch.HedgeProblem(universe, _objective(), limits, direct_qp=False, solver="CLARABEL",
                           solver_options=TIGHT).build()


@st.composite
def _limits(draw, n: int, box: float):
    """A maker of some of gross, turnover, jump-to-default and net limits, at levels where they may bind (new
    limit objects for every problem: a limit's Parameters belong to the problem that set it up)."""
    made = []
    if draw(st.booleans()):
        made.append((ch.GrossLimit, (draw(st.floats(0.1, 0.9)) * n * box,)))
    if draw(st.booleans()):
        made.append((ch.TurnoverLimit, (draw(st.floats(0.02, 0.5)) * n * box,)))
    if draw(st.booleans()):
        made.append((ch.JumpToDefaultLimit, (draw(st.floats(0.05, 1.0)) * n * box * 10.0,)))
    if draw(st.booleans()):
        level = draw(st.floats(0.0, 0.5)) * n * box
        made.append((ch.NetLimit, (-level, level)))
    return lambda: [kind(*args) for kind, args in made]


@settings(max_examples=25, deadline=None)
@given(st.integers(3, 15), st.integers(0, 10_000), st.sampled_from([0.01, 0.03]), st.data())
def test_warm_answers_equal_a_tight_cvxpy_clarabel_solve(n, seed, box, draw):
    limits = draw.draw(_limits(n, box))
    market, universe = _market(n, 6, seed, box)
    result = _backtest(market, universe, limits())
    info = result.solver_info
    assert set(info["path"]) == {"lifted-qp"} and (info["fallback"] == "").all()
    assert set(info["solver"]) <= {"CLARABEL", WARM_SOLVER} and info["solver"].iloc[0] == "CLARABEL"
    reference = _reference(universe, limits())
    for record in result.records:  # the same period data (previous holdings included) on both sides
        reference.update(record.data)
        expected = reference.solve()
        np.testing.assert_allclose(record.solution.h, expected.h, rtol=0, atol=1e-7,
                                   err_msg=f"{record.solution.solver}, period {record.solution.period}")
        scale = 1.0 + abs(expected.objective)
        assert record.solution.objective >= expected.objective - 1e-9 * scale  # never beaten by the reference


@pytest.mark.parametrize("limits", [lambda n: [ch.GrossLimit(0.3 * n * 0.02)],
                                    lambda n: [ch.TurnoverLimit(0.1 * n * 0.02), ch.JumpToDefaultLimit(0.3)]],
                         ids=["gross", "turnover+jtd"])
def test_the_warm_route_answers_most_periods_and_says_so(limits):
    n = 30
    market, universe = _market(n, 12, 3, 0.02)
    result = _backtest(market, universe, limits(n))
    solvers = result.solver_info["solver"]
    assert solvers.iloc[0] == "CLARABEL"  # nothing to start from
    assert (solvers == WARM_SOLVER).sum() >= len(solvers) // 2
    assert result.summary()["fallbacks"] == 0  # a guess Clarabel had to answer is no failure


def _period_two(limits, n: int = 12):
    """A problem solved at its first period (Clarabel's route, its active set kept), its second period's data and
    the reference's answer there (``limits()``: new limits for every problem)."""
    market, universe = _market(n, 4, 5, 0.02)
    records = _backtest(market, universe, limits()).records
    problem = ch.HedgeProblem(universe, _objective(), limits()).build()
    problem.update(records[0].data)
    first = problem.solve()
    assert first.solver == "CLARABEL" and _path(problem)._warm is not None
    reference = _reference(universe, limits())
    reference.update(records[1].data)
    return problem, records[1].data, reference.solve().h


def test_a_wrong_guess_is_corrected_or_handed_to_clarabel(monkeypatch):
    problem, data, expected = _period_two(lambda: [ch.GrossLimit(0.1), ch.TurnoverLimit(0.05)])
    path = _path(problem)
    wrong = path._warm.copy()
    wrong.box[:] = 1  # every hedge on its upper bound, every lifted sign +1, every limit binding
    wrong.lifted[:] = 1
    wrong.limits[:] = True
    path._warm = wrong.copy()
    problem.update(data)
    corrected = problem.solve()  # corrected (a certified answer) or Clarabel's: the optimum either way
    np.testing.assert_allclose(corrected.h, expected, rtol=0, atol=1e-7)
    # no corrections allowed: the guess cannot be certified, Clarabel answers and nothing is recorded as failed
    monkeypatch.setattr("cdshedge_cvx.solve._lifted_qp.WARM_CORRECTIONS", 0)
    path._warm = wrong.copy()
    problem.update(data)
    handed = problem.solve()
    assert (handed.solver, handed.path, handed.fallback_from) == ("CLARABEL", "lifted-qp", [])
    np.testing.assert_allclose(handed.h, expected, rtol=0, atol=1e-7)
    assert path._warm is not None and not np.array_equal(path._warm.box, wrong.box)  # Clarabel's exact active set


def test_a_guess_of_another_shape_is_dropped_and_reset_forgets_the_guess():
    problem, data, expected = _period_two(lambda: [ch.GrossLimit(0.1)])
    path = _path(problem)
    path._warm = ActiveSet(np.zeros(3, dtype=int), np.zeros(3, dtype=int), np.zeros(0, dtype=bool))
    problem.update(data)
    solution = problem.solve()
    assert solution.solver == "CLARABEL"
    np.testing.assert_allclose(solution.h, expected, rtol=0, atol=1e-7)
    assert path._warm is not None and path._warm.fits(assemble_lifted_qp(problem.compiled, data))
    problem.reset()
    assert path._warm is None


def test_a_failed_lifted_solve_forgets_the_guess(monkeypatch):
    problem, data, _ = _period_two(lambda: [ch.GrossLimit(0.1)])
    path = _path(problem)
    path._warm = None  # the warm route not taken: Clarabel is asked, and fails
    import clarabel

    class Broken:
        def __init__(self, *args):
            pass

        def solve(self):
            raise RuntimeError("broken on purpose")

    monkeypatch.setattr(clarabel, "DefaultSolver", Broken)
    path._workspace = None
    problem.update(data)
    solution = problem.solve()
    assert solution.path == "solver" and solution.fallback_from[0].startswith("CLARABEL (lifted QP): RuntimeError")
    assert path._warm is None


def test_the_certificate_refuses_what_is_not_a_kkt_point():
    problem, data, expected = _period_two(lambda: [ch.GrossLimit(0.1), ch.TurnoverLimit(0.05)])
    problem.update(data)  # the Parameters (the objective's coefficients) of the period
    qp = assemble_lifted_qp(problem.compiled, data)
    answer = solve_at_active_set(qp, _path(problem)._warm.copy(), repair=True, max_corrections=12)
    assert answer is not None and kkt_certificate(qp, answer) is None
    np.testing.assert_allclose(answer.h, expected, rtol=0, atol=1e-7)
    moved = type(answer)(answer.h + 1e-6 * (np.arange(qp.n) == 0), answer.active, answer.box_prices,
                         answer.limit_multipliers, answer.kink_multipliers, answer.corrections)
    assert kkt_certificate(qp, moved) is not None
    priced = type(answer)(answer.h, answer.active, answer.box_prices,
                          answer.limit_multipliers + 1e-3 * (1.0 + np.abs(answer.limit_multipliers)),
                          answer.kink_multipliers, answer.corrections)
    assert kkt_certificate(qp, priced) is not None


# shadow prices --------------------------------------------------------------------------------------------------

GROSS, TURNOVER, EPSILON = 0.045, 0.013, 1e-5


def _optimum(reference: ch.HedgeProblem, data, change=None) -> float:
    """The optimum of the period with the limits at GROSS, TURNOVER and ``change(limits, data)`` applied."""
    _, gross, turnover = reference.compiled.limits
    gross.max_gross, turnover.max_turnover = GROSS, TURNOVER
    data = {**data, "cs01_min": np.array(data["cs01_min"], dtype=float),
            "cs01_max": np.array(data["cs01_max"], dtype=float)}
    if change is not None:
        change(gross, turnover, data)
    reference.update(data)
    return reference.solve().objective


def _one_sided(reference, data, bump) -> tuple[float, float]:
    """The left and right derivatives of the optimum in the bumped limit (Richardson-extrapolated: steps ε, 2ε)."""
    at = _optimum(reference, data)

    def slope(step: float) -> float:
        return (_optimum(reference, data, lambda g, t, d: bump(g, t, d, step)) - at) / step

    right = 2 * slope(EPSILON) - slope(2 * EPSILON)
    left = 2 * slope(-EPSILON) - slope(-2 * EPSILON)
    return left, right


def _check_price(warm: float, clarabel: float, left: float, right: float, what: str) -> str:
    """Both prices lie in [right, left] (supergradients of the concave optimum); where the optimum is differentiable
    the warm route's is its derivative and Clarabel's the same to its duals' accuracy (gaps of 1e-8)."""
    size = max(1.0, abs(left), abs(right))
    assert right <= left + 1e-6 * size, what  # the optimum is concave in the limit
    assert right - 1e-6 * size <= warm <= left + 1e-6 * size, what
    assert right - 1e-4 * size <= clarabel <= left + 1e-4 * size, what
    if left - right > 1e-6 * size:
        return "kink"
    assert warm == pytest.approx(0.5 * (left + right), rel=1e-6, abs=1e-7), what  # exact
    assert warm == pytest.approx(clarabel, rel=1e-4, abs=1e-6), what
    return "priced" if abs(warm) > 1e-6 else "zero"


def test_warm_shadow_prices_are_the_clarabel_routes_where_unique_and_supergradients_otherwise():
    n = 8
    market, universe = _market(n, 10, 1, 0.01)
    limits = lambda: [ch.GrossLimit(GROSS), ch.TurnoverLimit(TURNOVER)]  # noqa: E731
    result = _backtest(market, universe, limits())
    reference = _reference(universe, limits())
    cold = ch.HedgeProblem(universe, _objective(), limits()).build()
    seen: dict[str, int] = {}
    for record in result.records:
        if record.solution.solver != WARM_SOLVER:
            continue
        cold.reset()  # no guess: Clarabel's route
        cold.update(record.data)
        clarabel = cold.solve()
        assert clarabel.solver == "CLARABEL"
        np.testing.assert_allclose(record.solution.h, clarabel.h, rtol=0, atol=1e-9)
        bumps = {"GrossLimit": lambda g, t, d, s: setattr(g, "max_gross", GROSS + s),
                 "TurnoverLimit": lambda g, t, d, s: setattr(t, "max_turnover", TURNOVER + s)}
        for label, bump in bumps.items():
            left, right = _one_sided(reference, record.data, bump)
            kind = _check_price(record.solution.shadow_prices[label], clarabel.shadow_prices[label], left, right,
                                f"{label}, period {record.solution.period}")
            seen[kind] = seen.get(kind, 0) + 1
        h, box = record.solution.h, record.solution.shadow_prices["BoxLimits"]
        for i in range(n):
            for key in ("cs01_max", "cs01_min"):
                if abs(h[i] - record.data[key][i]) > 1e-9:
                    continue

                def bump(g, t, d, s, key=key, i=i):
                    d[key][i] += s

                # the box price is d optimum / d cs01_max where the upper bound binds, d optimum / d cs01_min where
                # the lower one does
                left, right = _one_sided(reference, record.data, bump)
                kind = _check_price(box[i], clarabel.shadow_prices["BoxLimits"][i], left, right,
                                    f"box {i} ({key}), period {record.solution.period}")
                seen[kind] = seen.get(kind, 0) + 1
    assert seen.get("priced", 0) >= 3 and seen.get("kink", 0) >= 3, seen
