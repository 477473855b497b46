"""The exact box-QP solver against CVXPY + Clarabel, and against every feasible point."""

from __future__ import annotations

import dataclasses

import cvxpy as cp
import numpy as np
import pytest
from generated import generated_market, wide_universe
from hypothesis import given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx.solve import BoxQP, solve_box_qp


@st.composite
def box_qps(draw):
    """Random PSD P (full rank or not), q, and a box (some bounds equal, some one-sided far away)."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(1, 25))
    rank = draw(st.sampled_from([n, max(1, n // 2), 1]))
    scale = 10.0 ** draw(st.integers(-4, 3))
    A = rng.normal(size=(rank, n)) * rng.uniform(0.1, 3.0, n)
    P = scale * (A.T @ A) + (draw(st.sampled_from([0.0, 1e-3])) * scale) * np.eye(n)
    q = scale * rng.normal(size=n) * draw(st.sampled_from([0.1, 1.0, 10.0]))
    lower = -rng.uniform(0.0, 2.0, n)
    upper = rng.uniform(0.0, 2.0, n)
    fixed = rng.random(n) < 0.1
    upper[fixed] = lower[fixed]
    return P, q, lower, upper


def _objective(P, q, x):
    return 0.5 * x @ P @ x + q @ x


def _clarabel(P, q, lower, upper):
    x = cp.Variable(q.size)
    problem = cp.Problem(cp.Minimize(0.5 * cp.quad_form(x, cp.psd_wrap(P)) + q @ x), [x >= lower, x <= upper])
    problem.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    return np.clip(x.value, lower, upper)


@settings(max_examples=60, deadline=None)
@given(box_qps())
def test_the_box_qp_answer_is_clarabels_and_no_feasible_point_beats_it(qp):
    P, q, lower, upper = qp
    result = solve_box_qp(P, q, lower, upper)
    assert result.solved, result.status
    x = result.x
    assert np.all(x >= lower) and np.all(x <= upper)
    value = _objective(P, q, x)
    scale = 1.0 + abs(value) + float(np.abs(q).sum()) * float(np.max(upper - lower, initial=0.0))
    reference = _clarabel(P, q, lower, upper)
    assert value <= _objective(P, q, reference) + 1e-7 * scale  # equal to Clarabel's (or better)
    assert value == pytest.approx(_objective(P, q, reference), abs=1e-7 * scale)
    rng = np.random.default_rng(0)
    points = rng.uniform(lower, upper, (200, q.size))
    corners = np.where(rng.random((50, q.size)) < 0.5, lower, upper)
    near = np.clip(x + 1e-3 * rng.normal(size=(100, q.size)), lower, upper)
    for point in np.vstack([points, corners, near]):
        assert value <= _objective(P, q, point) + 1e-12 * scale
    # KKT: P x + q + y = 0, y ≥ 0 only at the upper bound, ≤ 0 only at the lower one
    g = P @ x + q
    size = max(float(np.abs(g).max()), float(np.abs(q).max()), 1e-300)
    np.testing.assert_allclose(g + result.y, 0.0, atol=1e-9 * size)
    assert np.all((result.y <= 1e-9 * size) | (x == upper)) and np.all((result.y >= -1e-9 * size) | (x == lower))


@settings(max_examples=20, deadline=None)
@given(box_qps(), st.floats(0.5, 1.5))
def test_a_warm_start_from_another_problems_active_set_gives_the_same_answer(qp, shift):
    P, q, lower, upper = qp
    solver = BoxQP(q.size)
    solver.solve(P, shift * q[::-1].copy() if q.size else q, lower, upper)  # a different problem first
    warm = solver.solve(P, q, lower, upper)
    cold = solve_box_qp(P, q, lower, upper)
    scale = 1.0 + abs(_objective(P, q, cold.x)) + float(np.abs(q).sum()) * float(np.max(upper - lower, initial=0.0))
    assert _objective(P, q, warm.x) == pytest.approx(_objective(P, q, cold.x), abs=1e-9 * scale)


@pytest.mark.parametrize("limit", [10.0, 0.3])
def test_the_box_qp_path_answers_box_only_variance_backtests_like_cvxpy(limit):
    market, universe = generated_market(seed=8, days=260), wide_universe(limit)
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll() - 0.2 * ch.VariancePenalty()
    kwargs = {"horizon": "W-FRI", "mode": "walk-forward", "window": 60, "min_history": 3, "cross_check": False}
    fast = ch.backtest(market, universe, objective, **kwargs)
    plain = ch.backtest(market, universe, problem=ch.HedgeProblem(universe, objective, direct_qp=False).build(),
                        **kwargs)
    info = fast.solver_info
    assert set(info["path"]) == {"box-qp"} and set(info["solver"]) == {"ACTIVE-SET"} and (info["fallback"] == "").all()
    np.testing.assert_allclose(fast.allocations, plain.allocations, atol=1e-7)
    np.testing.assert_allclose(fast.term_values, plain.term_values, atol=1e-8)


def test_a_failed_box_qp_solve_goes_to_osqp_and_is_recorded(monkeypatch):
    from cdshedge_cvx.solve import _box_qp

    market, universe = generated_market(seed=8, days=120), wide_universe(0.3)
    monkeypatch.setattr(_box_qp, "solve_box_qp", lambda *args, **kwargs: _box_qp.DirectQPResult(
        status="broken", solved=False, x=np.zeros(4), y=np.zeros(4), iterations=0, solve_time=0.0))
    result = ch.backtest(market, universe, -ch.VariancePenalty(), horizon="M", cross_check=False)
    assert set(result.solver_info["path"]) == {"direct-qp"}
    assert result.solver_info["fallback"].str.startswith("ACTIVE-SET (box QP): status broken").all()


@pytest.mark.parametrize(("corruption", "recorded"), [
    (lambda r: dataclasses.replace(r, x=r.x + 1.0), "outside its CS01 limits"),
    (lambda r: dataclasses.replace(r, x=r.x * np.nan), "non-finite hedge"),
    (lambda r: dataclasses.replace(r, x=0.999 * r.x), "not optimal for this period's data"),
    (lambda r: dataclasses.replace(r, y=r.y + 1e-6), "not optimal for this period's data"),
], ids=["outside", "nan", "not-optimal", "wrong-duals"])
def test_a_wrong_box_qp_answer_is_refused_by_the_kkt_check_and_recorded(monkeypatch, corruption, recorded):
    original = BoxQP.solve
    monkeypatch.setattr(BoxQP, "solve", lambda self, *args: corruption(original(self, *args)))
    market, universe = generated_market(seed=4, days=120), wide_universe(0.3)
    objective = ch.HedgePnL() - ch.Carry() - ch.VariancePenalty()
    result = ch.backtest(market, universe, objective, horizon="M", cross_check=False)
    assert set(result.solver_info["path"]) == {"direct-qp"}
    assert all(text.startswith("ACTIVE-SET (box QP): ") and recorded in text for text in result.solver_info["fallback"])
    monkeypatch.setattr(BoxQP, "solve", original)
    clean = ch.backtest(market, universe, objective, horizon="M", cross_check=False)
    assert set(clean.solver_info["path"]) == {"box-qp"}
    np.testing.assert_allclose(result.allocations, clean.allocations, atol=1e-7)


def test_the_realistic_benchmark_runs_and_its_floors_solve_the_same_qps():
    """Smoke test of ``python -m benchmarks --only realistic`` at a tiny size (no timing asserted)."""
    from benchmarks.realistic import bench_realistic

    out = bench_realistic(n=6, periods=6, window=30, full=False)
    assert out["periods"] == 6 and out["paths"] == {"box-qp": 6} and out["checks_ok"]
    assert out["max_gap_box_qp_vs_package"] < 1e-9  # numpy's P, q solved by the box-QP solver = the package's answer
    assert out["cold_periods"] >= 2 and np.isfinite(out["realistic_ratio"]) and np.isfinite(out["crosscheck_ratio"])
