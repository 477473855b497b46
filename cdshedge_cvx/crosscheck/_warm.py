"""The default cross-check: a warm optimality certificate on every period, cold re-solves on a sample.

For a convex problem, a local improvement exists wherever the answer is not optimal. So scipy
started *from the package's answer* and finding no feasible improvement beyond tolerance
certifies it: :func:`warm_check` runs one short scipy minimisation (L-BFGS-B on the box for smooth
objectives, SLSQP on the lifted problem otherwise) from the answer, on the terms' and limits'
numpy twins, never their CVXPY forms. What it cannot see (an answer optimal for the wrong
problem) the twin gap catches; what a warm start could hide (a bug shared by every period) the
independent cold re-solves on a seeded sample of periods (:func:`cold_periods`) and on every
period where the warm check found an improvement catch.

Modes (``backtest(cross_check=...)``):

* ``"warm"`` (default, also ``True``): warm certificate on every period; cold re-solve
  (:func:`~cdshedge_cvx.crosscheck.cross_check`) on the first and last period, on a seeded
  :data:`COLD_SAMPLE_RATE` share of the others, and on every period the warm check flags;
* ``"full"``: the cold re-solve of every period;
* ``False`` / ``"off"``: none.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.optimize import minimize

from cdshedge_cvx.crosscheck._reference import (
    DEFAULT_TOLERANCES,
    CrossCheck,
    _lifted_problem,
    _objective_and_gradient,
    box_gap,
    report,
    twin_gradient,
    twin_value,
    twin_violation,
)
from cdshedge_cvx.errors import CdsHedgeError, SpecificationError
from cdshedge_cvx.model import BoxLimits

if TYPE_CHECKING:
    from cdshedge_cvx.solve._problem import HedgeProblem

__all__ = [
    "CHECK_MODES",
    "COLD_SAMPLE_RATE",
    "COLD_SAMPLE_SEED",
    "WARM_MAX_ITERATIONS",
    "box_gap_bound",
    "check_mode",
    "cold_periods",
    "period_check",
    "single_threaded",
    "warm_check",
]

#: The cross-check modes: ``warm`` (certificate on every period + sampled cold re-solves), ``full``, ``off``.
CHECK_MODES = ("warm", "full", "off")
#: Share of periods (besides the first and last) re-solved cold by scipy in the ``warm`` mode.
COLD_SAMPLE_RATE = 0.01
#: Seed of the sample: the same periods for the same number of periods, run after run.
COLD_SAMPLE_SEED = 0
#: Iterations of the warm scipy run (from an optimum it stops after a few).
WARM_MAX_ITERATIONS = 200


def check_mode(cross_check: bool | str | None) -> str:
    """``True``/``"warm"`` → ``warm``; ``"full"`` → ``full``; ``False``/``None``/``"off"`` → ``off``."""
    if cross_check is True:
        return "warm"
    if cross_check is False or cross_check is None:
        return "off"
    if isinstance(cross_check, str) and cross_check.lower() in CHECK_MODES:
        return cross_check.lower()
    raise SpecificationError(f"cross_check must be True, False, 'warm', 'full' or 'off', got {cross_check!r}")


def cold_periods(count: int, rate: float = COLD_SAMPLE_RATE, seed: int = COLD_SAMPLE_SEED) -> np.ndarray:
    """Boolean mask of the periods re-solved cold: the first, the last and a seeded ``rate`` share of the rest.

    Reproducible: the same ``count``, ``rate`` and ``seed`` give the same periods.
    """
    if not 0.0 <= rate <= 1.0:
        raise SpecificationError(f"the cold re-solve rate must be in [0, 1], got {rate!r}")
    mask = np.random.default_rng(seed).random(count) < rate
    if count:
        mask[0] = mask[-1] = True
    return mask


@functools.cache
@functools.lru_cache(maxsize=1)
def _controller() -> Any:
    """threadpoolctl's controller of the loaded BLAS libraries, found once (a scan of the process's libraries,
    about 40 µs, that every period's check paid)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # optional: without it BLAS keeps its own threads
        return None
    return ThreadpoolController()


def single_threaded() -> Any:
    """A context in which BLAS runs one thread (scipy's small dense algebra only loses to thread start-up)."""
    controller = _controller()
    if controller is None:
        import contextlib

        return contextlib.nullcontext()
    return controller.limit(limits=1, user_api="blas")


def box_gap_bound(grad: Any, h: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Upper bound on how much a convex objective can still improve on the box from ``h`` (its Frank–Wolfe gap).

    With g = ∇f(h) of the minimised convex f, f(x) ≥ f(h) + g·(x − h), so
    f(h) − min_box f ≤ −Σ_i min(g_i (l_i − h_i), g_i (u_i − h_i)). ``inf`` when the gradient is unknown.
    """
    if grad is None:
        return float("inf")
    return box_gap(np.asarray(grad(h), dtype=float), h, lower, upper)


def warm_check(problem: HedgeProblem, data: Mapping[str, Any], h_cvxpy: np.ndarray, cvxpy_objective: float,
               tolerances: Mapping[str, float] | None = None, *, strict: bool = False,
               warn: bool = True) -> CrossCheck:
    """scipy from the package's answer: a certificate of optimality when it finds no feasible improvement.

    Box-only smooth objectives: the Frank–Wolfe gap from the twins' gradient at ``h_cvxpy``
    (:func:`box_gap_bound`, a rigorous bound for a convex objective) certifies the answer when it is
    within tolerance; otherwise L-BFGS-B on the box from ``h_cvxpy`` looks for an improvement.
    Otherwise SLSQP on the lifted
    problem (x = (h, t), t ≥ |A h − b| for the terms' and limits' :class:`~cdshedge_cvx.model.ScipyForm`)
    from the lifted answer. At most :data:`WARM_MAX_ITERATIONS` iterations.

    Returns
    -------
    CrossCheck
        ``kind="warm"``; ``objective_gap`` is the improvement scipy found (≤ tolerance: certified),
        ``allocation_gap`` how far it moved. ``ok`` is false when the improvement or the twin gap
        exceeds the tolerance (a cold re-solve then decides; see :func:`cdshedge_cvx.engine.backtest`).
    """
    tol = {**DEFAULT_TOLERANCES, **(tolerances or {})}
    compiled = problem.compiled
    entries = compiled.entries
    lower = np.asarray(data["cs01_min"], dtype=float)
    upper = np.asarray(data["cs01_max"], dtype=float)
    n = lower.size
    h0 = np.clip(np.asarray(h_cvxpy, dtype=float), lower, upper)
    extra = [c for c in compiled.limits if not isinstance(c, BoxLimits)]
    period = data.get("period", "?")
    try:
        lifted = bool(extra) or any(w < 0 and t.scipy_form(data) is not None for w, t in entries)
        # every term's twin value and gradient at the answer, once each
        twin_at_cvxpy = float(sum(w * twin_value(t, h0, data) for w, t in entries))
        gradients = None if lifted else [twin_gradient(t, h0, data) for _, t in entries]
        if gradients is not None and all(g is not None for g in gradients):
            gradient = -sum(w * g for (w, _), g in zip(entries, gradients))
            bound = box_gap(np.broadcast_to(gradient, h0.shape), h0, lower, upper)
        else:
            bound = np.inf
        h_scipy, scipy_value = h0, twin_at_cvxpy
        if not bound <= tol["objective_abs"] + tol["objective_rel"] * abs(twin_at_cvxpy):
            f_twin, grad_twin = _objective_and_gradient(entries, data)
            if lifted:
                f, grad, cons, m, lift = _lifted_problem(entries, extra, data, n)
                bounds = list(zip(lower, upper)) + [(0.0, None)] * m
                result = minimize(f, lift(h0), jac=grad, bounds=bounds, constraints=cons, method="SLSQP",
                                  options={"ftol": 1e-14, "maxiter": WARM_MAX_ITERATIONS})
                h_scipy = np.clip(np.asarray(result.x[:n], dtype=float), lower, upper)
            else:
                result = minimize(f_twin, h0, jac=grad_twin, bounds=list(zip(lower, upper)), method="L-BFGS-B",
                                  options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": WARM_MAX_ITERATIONS})
                h_scipy = np.clip(np.asarray(result.x, dtype=float), lower, upper)
            if extra and any(twin_violation(c, h_scipy, data) > 1e-8 for c in extra):
                h_scipy = h0  # an infeasible move is no improvement
            scipy_value = -f_twin(h_scipy)
    except CdsHedgeError:
        raise
    except Exception as exc:
        raise SpecificationError(f"period {period}: the scipy cross-check failed ({type(exc).__name__}: {exc}); "
                                 "check the terms' value()/gradient() and the constraints' violation()") from exc
    if scipy_value < twin_at_cvxpy:  # scipy never returns worse than its start in the comparison
        h_scipy, scipy_value = h0, twin_at_cvxpy
    scale = max(abs(twin_at_cvxpy), abs(scipy_value))
    objective_tol = tol["objective_abs"] + tol["objective_rel"] * scale
    objective_gap = scipy_value - twin_at_cvxpy
    twin_gap = cvxpy_objective - twin_at_cvxpy
    allocation_gap = float(np.max(np.abs(h0 - h_scipy), initial=0.0))
    problems = []
    if not np.isfinite(twin_at_cvxpy):
        problems.append(f"a term's numpy value is not finite ({twin_at_cvxpy} at CVXPY's hedge)")
    if objective_gap > objective_tol:
        problems.append(f"scipy improved the answer by {objective_gap:.3g} $mm starting from it")
    if abs(twin_gap) > objective_tol:
        problems.append(f"a term's numpy value differs from its CVXPY expression by {twin_gap:.3g} $mm")
    message = "; ".join(problems)
    check = CrossCheck(h_scipy, scipy_value, twin_at_cvxpy, objective_gap, twin_gap, allocation_gap, not problems,
                       message, kind="warm")
    if problems and warn:
        report(f"period {period}: scipy cross-check (warm): {message}", strict)
    return check


def period_check(problem: HedgeProblem, data: Mapping[str, Any], h: np.ndarray, objective: float, mode: str,
                 cold: bool, tolerances: Mapping[str, float] | None = None, *, strict: bool = False) -> CrossCheck:
    """One period's cross-check in ``mode`` (``warm`` or ``full``); ``cold``: the period is in the cold sample.

    ``full``: the cold re-solve. ``warm``: the warm certificate, plus the cold re-solve when the
    period is sampled or the certificate failed; the record then joins both (``kind="warm+cold"``:
    the cold solve's figures, ``ok`` only if both passed, both messages). One warning (or
    :class:`CrossCheckError` when ``strict``) per period out of tolerance.
    """
    from cdshedge_cvx.crosscheck._lots import uses_lots
    from cdshedge_cvx.crosscheck._reference import cross_check

    with single_threaded():  # also the twins' own algebra (a 126 × 252 covariance: 2× slower on 2 threads)
        if mode == "full" or uses_lots(problem):  # whole lots: no continuous certificate; enumeration or bound
            return cross_check(problem, data, h, objective, tolerances, strict=strict)
        warm = warm_check(problem, data, h, objective, tolerances, warn=False)
        if warm.ok and not cold:
            return warm
        # one cold start, the previous holdings (zero in the first period): never the answer checked
        start = np.asarray(data["h_prev"], dtype=float) if "h_prev" in data else np.zeros(np.size(h))
        full = cross_check(problem, data, h, objective, tolerances, warn=False, starts=[start])
    problems = [text for text in (warm.message, full.message) if text]
    message = "; ".join(dict.fromkeys(problems))
    check = CrossCheck(full.scipy_h, full.scipy_objective, full.cvxpy_objective,
                       max(full.objective_gap, warm.objective_gap), full.twin_gap, full.allocation_gap,
                       warm.ok and full.ok, message, kind="warm+cold")
    if not check.ok:
        report(f"period {data.get('period', '?')}: scipy cross-check: {message}", strict)
    return check
