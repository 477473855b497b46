"""Issue 13, goal 4 (500 instruments daily): the minimum-norm stage on the CS01 box without CVXPY.

With more instruments than risk observations the variance hedge is not identified and the package
answers the minimum-norm minimiser (a second stage). On the box that stage is now the projection of the
origin onto the first stage's optimal face, by a dual semismooth Newton method
(:mod:`cdshedge_cvx.solve._box_projection`); it was a CVXPY + Clarabel solve of 1.3 s per period at 500
instruments that often ended ``infeasible_inaccurate`` (the face has no interior).

Independent references: a projection solved by CVXPY + Clarabel (and the KKT conditions of the
projection, checked directly); the minimum-norm minimiser defined without the face argument, as CVXPY's
``min ‖h‖² s.t. P h = P h₁, qᵀh ≤ qᵀh₁, box`` (an interior-point solve); the active-set box-QP solver
for the first stage's optimum.
"""

from __future__ import annotations

import warnings

import cvxpy as cp
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx.model._parser import parse_objective
from cdshedge_cvx.solve._box_projection import project_onto_box_and_affine
from cdshedge_cvx.solve._box_qp import solve_box_qp
from cdshedge_cvx.solve._min_norm import box_min_norm, curved_directions


def _cvxpy_projection(A: np.ndarray, b: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    h = cp.Variable(lower.size)
    problem = cp.Problem(cp.Minimize(cp.sum_squares(h)), [A @ h == b, h >= lower, h <= upper])
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    assert problem.status == cp.OPTIMAL
    return np.asarray(h.value)


@settings(max_examples=40)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(3, 30), rows=st.integers(1, 8))
def test_the_projection_meets_its_kkt_conditions_and_matches_cvxpy(seed: int, n: int, rows: int) -> None:
    rng = np.random.default_rng(seed)
    m = min(rows, n - 1)
    lower, upper = -rng.uniform(0.1, 1.0, n), rng.uniform(0.1, 1.0, n)
    inside = rng.uniform(lower, upper)  # a feasible point: the system is consistent
    A = rng.normal(size=(m, n))
    b = A @ inside
    answer = project_onto_box_and_affine(A, b, lower, upper, 1e-12)
    assert answer is not None
    h, y = answer.h, answer.y
    assert np.all(h >= lower) and np.all(h <= upper)
    assert np.max(np.abs(A @ h - b)) <= 1e-12
    np.testing.assert_allclose(h, np.clip(-(y @ A), lower, upper), atol=1e-14)  # stationarity, exactly
    np.testing.assert_allclose(h, _cvxpy_projection(A, b, lower, upper), atol=1e-6)
    assert float(h @ h) <= float(inside @ inside) + 1e-12  # no feasible point is shorter


def test_an_infeasible_system_is_refused_not_answered() -> None:
    A = np.array([[1.0, 1.0]])
    answer = project_onto_box_and_affine(A, np.array([5.0]), -np.ones(2), np.ones(2), 1e-12)
    assert answer is None


def _singular_qp(seed: int, n: int, rank: int, reach: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(rank, n))
    P = B.T @ B
    # a linear part with a flat component (pins coordinates on the box) and a curved one
    q = -P @ rng.normal(0.0, reach, n) + rng.normal(0.0, 0.05, n) * (rng.uniform(size=n) < 0.3)
    width = rng.uniform(0.2, 1.0, n)
    return P, q, -width, width


def _reference_min_norm(P: np.ndarray, q: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                        h_first: np.ndarray) -> np.ndarray:
    """min ‖h‖² over the box, {P h = P h₁} and {qᵀh ≤ qᵀh₁}: every minimiser of a convex QP has the same
    P h, and on that set the objective is at most f(h₁) exactly when qᵀh ≤ qᵀh₁. The curved rows from
    numpy's SVD, solved by CVXPY + Clarabel (an interior-point method: no face argument)."""
    _, singular, rows = np.linalg.svd(P)
    rows = rows[singular > 1e-10 * singular[0]]
    h = cp.Variable(q.size)
    problem = cp.Problem(cp.Minimize(cp.sum_squares(h)),
                         [rows @ h == rows @ h_first, q @ h <= q @ h_first, h >= lower, h <= upper])
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    assert problem.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)
    return np.asarray(h.value)


def _interior_point_optimum(P: np.ndarray, q: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """A minimiser from CVXPY + Clarabel: near the analytic centre of the optimal face, in general not the
    shortest minimiser (so the stage has to move it)."""
    h = cp.Variable(q.size)
    root = np.linalg.cholesky(P + 1e-12 * np.eye(q.size))
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(root.T @ h) + q @ h), [h >= lower, h <= upper])
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-13, tol_gap_rel=1e-13, tol_feas=1e-13)
    return np.clip(np.asarray(h.value), lower, upper)


@settings(max_examples=25)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(4, 24), rank=st.integers(1, 6),
       reach=st.sampled_from([0.3, 1.0, 3.0]))
def test_the_box_stage_is_the_shortest_minimiser(seed: int, n: int, rank: int, reach: float) -> None:
    rank = min(rank, n - 1)
    P, q, lower, upper = _singular_qp(seed, n, rank, reach)
    exact = solve_box_qp(P, q, lower, upper)
    assert exact.solved
    h1 = _interior_point_optimum(P, q, lower, upper)

    def f(h: np.ndarray) -> float:
        return float(0.5 * h @ P @ h + q @ h)

    optimum = f(exact.x)
    assert f(h1) <= optimum + 1e-9
    tau = 1e-9 * max(1.0, abs(optimum))
    h = box_min_norm(P, curved_directions(P), q, h1, lower, upper, tau)
    assert h is not None
    assert np.all(h >= lower) and np.all(h <= upper)
    assert f(h) <= optimum + tau  # still a minimiser
    assert float(h @ h) <= float(h1 @ h1) + 1e-9  # never longer than the first stage's (to its accuracy)
    assert float(h @ h) <= float(exact.x @ exact.x) + 1e-9  # nor than the active-set solver's
    np.testing.assert_allclose(h, _reference_min_norm(P, q, lower, upper, h1), atol=1e-6)


def test_a_box_that_pins_every_flat_direction_keeps_the_first_answer() -> None:
    """Fewer flat directions than coordinates pinned by the box: the optimal set is one point."""
    rng = np.random.default_rng(5)
    n, rank = 10, 8
    B = rng.normal(size=(rank, n))
    P = B.T @ B
    q = rng.normal(0.0, 5.0, n)  # a large flat component: the box pins many coordinates
    lower, upper = -np.ones(n), np.ones(n)
    h1 = solve_box_qp(P, q, lower, upper).x
    h = box_min_norm(P, curved_directions(P), q, h1, lower, upper, 1e-9)
    np.testing.assert_array_equal(h, h1)


N, WINDOW = 60, 20


def _market(seed: int) -> ch.MarketData:
    rng = np.random.default_rng(seed)
    days = 60
    dates = pd.bdate_range("2021-01-04", periods=days)
    levels = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, (days, N)), axis=0))
    changes = np.vstack([np.zeros((1, N)), np.diff(levels, axis=0)])
    desk = -(changes @ rng.uniform(0.0, 0.02, N)) + rng.normal(0, 0.05, days)
    return ch.MarketData(pd.DataFrame(levels, index=dates, columns=[f"b{k:02d}" for k in range(N)]),
                         pd.Series(desk, index=dates))


def test_a_backtest_with_a_binding_box_needs_no_cvxpy_stage_and_agrees_with_it() -> None:
    """More instruments than observations, a binding box: every period answered without the CVXPY
    stage (no fallback recorded), each answer a minimiser no longer than the definition's."""
    universe = ch.Universe([ch.Instrument(f"b{k:02d}", 100.0, -0.004, 0.004, maturity_years=5.0) for k in range(N)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = ch.backtest(_market(2), universe, parse_objective("-variance"), horizon="W-FRI",
                             mode="walk-forward", window=WINDOW, min_history=WINDOW, conventions="market")
    assert result.cross_check["ok"].all()
    assert len(result.problem.unidentified_periods_) == len(result.records) >= 3
    for record in result.records:
        assert record.solution.fallback_from == []
        x = record.data["risk_changes"] - record.data["risk_changes"].mean(axis=0)
        y = record.data["risk_desk_pnl"] - record.data["risk_desk_pnl"].mean()
        scale = x.shape[0] - 1
        P, q = 2.0 * x.T @ x / scale, 2.0 * x.T @ y / scale  # Var(desk + Δs·h) = ½hᵀPh + qᵀh + const
        h = record.solution.h
        optimum = solve_box_qp(P, q, -0.004 * np.ones(N), 0.004 * np.ones(N)).x
        best = float(0.5 * optimum @ P @ optimum + q @ optimum)
        assert float(0.5 * h @ P @ h + q @ h) <= best + 1e-9 * max(1.0, abs(best))
        reference = _reference_min_norm(P, q, -0.004 * np.ones(N), 0.004 * np.ones(N), optimum)
        np.testing.assert_allclose(h, reference, atol=1e-7)


def test_a_bound_with_a_zero_multiplier_may_be_left() -> None:
    """min ½(h₀ + h₁)² − 1.5 (h₀ + h₁) over [−1, 1]³: the minimisers are h₀ + h₁ = 1.5 with any h₂, the
    shortest (0.75, 0.75, 0) (by hand). The first answer (1, 0.5 − 10⁻¹³, 0.3) sits on h₀'s upper bound with a
    multiplier of 10⁻¹³ (zero to rounding): that bound does not pin h₀."""
    P = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    q = np.array([-1.5, -1.5, 0.0])
    lower, upper = -np.ones(3), np.ones(3)
    h = box_min_norm(P, curved_directions(P), q, np.array([1.0, 0.5 - 1e-13, 0.3]), lower, upper, 1e-9)
    np.testing.assert_allclose(h, [0.75, 0.75, 0.0], atol=1e-12)
