"""The cold scipy re-solve above 50 instruments: projected Newton from the start on the twins' curvature.

On main it ran L-BFGS-B (up to 1000 iterations) before the Newton steps, 20–60 ms per period at 125
instruments; it now starts the projected Newton steps (Bertsekas' ε-active set, held coordinates
pinned) from the cold start and runs L-BFGS-B only when they do not reach a minimiser to rounding.
Every answer here is judged by an independent criterion: the KKT conditions of the period's QP
built from ``np.cov`` of the window, a closed form, or the KKT conditions of a random box QP.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx.crosscheck import cross_check, period_check, scipy_solve
from cdshedge_cvx.errors import CrossCheckWarning

N = 125
GAMMA = 5.0


def _kkt_residual(P: np.ndarray, q: np.ndarray, h: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """max violation of the box QP's KKT conditions at h (min ½hᵀPh + qᵀh), relative to the gradient's size."""
    g = P @ h + q
    width = 1e-12 * np.maximum(1.0, np.maximum(np.abs(lower), np.abs(upper)))
    at_lower, at_upper = h <= lower + width, h >= upper - width
    violation = np.where(at_lower, np.maximum(-g, 0.0), np.where(at_upper, np.maximum(g, 0.0), np.abs(g)))
    return float(np.max(violation) / max(np.max(np.abs(q)), 1e-12))


@pytest.fixture(scope="module")
def weekly_periods():
    """Three weekly walk-forward periods of the realistic universe (125 instruments on the roll calendar),
    each with its answer and its QP (P, q) built here from np.cov of the window."""
    from benchmarks.realistic import realistic_market

    market, universe = realistic_market(N, periods=3, window=252)
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll() - GAMMA * ch.VariancePenalty()
    result = ch.backtest(market, universe, objective, horizon="W-FRI", mode="walk-forward", window=252,
                         min_history=252, cross_check=False, progress=False)
    out = []
    for record in result.records:
        data = record.data
        scale = data["pnl_scale"] * data["fx_rate"]
        sigma = np.cov(np.column_stack([data["risk_desk_pnl"], scale * data["risk_changes"]]), rowvar=False)
        c = sum(w * term.coefficients(data) for w, term in ch.HedgePnL() - ch.Carry() - ch.Roll())
        weight = 2.0 * GAMMA * data["horizon_rows"]
        out.append((data, record.solution, weight * sigma[1:, 1:], weight * sigma[1:, 0] - c))
    return result.problem, out


def test_the_cold_resolve_from_the_previous_holdings_meets_the_kkt_conditions_at_125(weekly_periods):
    problem, periods = weekly_periods
    for data, solution, P, q in periods:
        problem.update(data)
        lower, upper = np.asarray(data["cs01_min"]), np.asarray(data["cs01_max"])
        for start in (np.asarray(data["h_prev"]), np.zeros(N), upper.copy()):
            with warnings.catch_warnings():
                warnings.simplefilter("error", CrossCheckWarning)
                check = cross_check(problem, data, solution.h, solution.objective, starts=[start])
            assert check.ok, check.message
            assert _kkt_residual(P, q, check.scipy_h, lower, upper) <= 1e-9
            assert check.allocation_gap <= 1e-9


def test_a_wrong_answer_at_125_is_flagged_by_the_certificate_and_the_cold_resolve(weekly_periods):
    problem, periods = weekly_periods
    data, solution, P, q = periods[-1]
    problem.update(data)
    lower, upper = np.asarray(data["cs01_min"]), np.asarray(data["cs01_max"])
    free = (solution.h > lower + 1e-3) & (solution.h < upper - 1e-3)
    assert free.sum() >= 5
    direction = np.where(free, np.linalg.eigh(P)[1][:, -1], 0.0)
    wrong = solution.h + 1e-3 * direction / np.max(np.abs(direction))
    objective = float(sum(problem.compiled.term_values(wrong).values()))
    cold = cross_check(problem, data, wrong, objective, warn=False, starts=[np.asarray(data["h_prev"])])
    assert not cold.ok and "allocations differ" in cold.message and "scipy's objective is better" in cold.message
    with pytest.warns(CrossCheckWarning, match="improved the answer"):
        joined = period_check(problem, data, wrong, objective, "warm", cold=False)
    assert joined.kind == "warm+cold" and not joined.ok  # the failed certificate brought the cold re-solve
    assert _kkt_residual(P, q, joined.scipy_h, lower, upper) <= 1e-9
    with pytest.raises(ch.CrossCheckError, match="improved the answer"):
        period_check(problem, data, wrong, objective, "warm", cold=False, strict=True)


class _Quadratic(ch.Term):
    """½ hᵀPh + qᵀh, subtracted in the objective (a numpy twin only)."""

    def __init__(self, P: np.ndarray, q: np.ndarray) -> None:
        self.P, self.q = P, q

    def value(self, h, data):
        return float(0.5 * h @ self.P @ h + self.q @ h)

    def gradient(self, h, data):
        return self.P @ h + self.q


class _Linear(ch.Term):
    def __init__(self, c: np.ndarray) -> None:
        self.c = c

    def value(self, h, data):
        return float(self.c @ h)

    def gradient(self, h, data):
        return self.c


class _Quartic(ch.Term):
    """κ Σ h⁴: smooth, convex, not quadratic (its curvature at 0 is 0)."""

    def __init__(self, kappa: float) -> None:
        self.kappa = kappa

    def value(self, h, data):
        return float(self.kappa * np.sum(h**4))

    def gradient(self, h, data):
        return 4.0 * self.kappa * h**3


@settings(max_examples=8)
@given(n=st.integers(51, 90), rank=st.floats(0.3, 2.0), seed=st.integers(0, 2**31 - 1))
def test_the_cold_resolve_meets_the_kkt_conditions_of_random_box_qps(n, rank, seed):
    """Identified and singular curvature (rank < n: flat directions), random boxes and starts."""
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(max(1, int(rank * n)), n)) * rng.uniform(0.1, 3.0, n)
    P = factor.T @ factor / factor.shape[0]
    q = rng.normal(size=n) * 3.0
    lower = -rng.uniform(0.05, 1.0, n)
    upper = rng.uniform(0.05, 1.0, n)
    data = {"cs01_min": lower, "cs01_max": upper}
    start = rng.uniform(lower, upper)
    h, value = scipy_solve([(-1.0, _Quadratic(P, q))], [], data, [start])
    assert np.all(h >= lower) and np.all(h <= upper)
    assert _kkt_residual(P, q, h, lower, upper) <= 1e-8
    assert np.isclose(-value, 0.5 * h @ P @ h + q @ h, rtol=1e-12, atol=1e-12)


def test_a_non_quadratic_objective_is_solved_by_the_fallback():
    """max c·h − κΣh⁴ on a box, separable: h_i = clip(∛(c_i / 4κ)). The curvature measured from h = 0 with
    steps of half the box (4κs², a secant) is up to 10⁴ times the quartic's at the answer (12κh²), so the
    Newton steps crawl and L-BFGS-B, then Newton on the curvature measured again, must finish."""
    rng = np.random.default_rng(3)
    n, kappa = 70, 2.0
    c = rng.normal(size=n) * np.geomspace(1e-4, 4.0, n)
    lower, upper = -np.full(n, 0.8), np.full(n, 0.6)
    expected = np.clip(np.cbrt(c / (4.0 * kappa)), lower, upper)
    h, value = scipy_solve([(1.0, _Linear(c)), (-1.0, _Quartic(kappa))], [], {"cs01_min": lower, "cs01_max": upper},
                           [np.zeros(n)])
    np.testing.assert_allclose(h, expected, atol=1e-5)  # the flattest coordinates (curvature 1e-2) to 3e-6
    assert np.isclose(value, c @ expected - kappa * np.sum(expected**4), rtol=1e-12)
