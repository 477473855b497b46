"""The independent scipy cross-check.

Each period is solved again with :func:`scipy.optimize.minimize` from the terms' numpy twins
(:meth:`Term.value`, with analytic gradients where the terms give them) and the constraints'
numpy twins (:meth:`Constraint.violation`). The CVXPY expressions are never evaluated here.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize

from .constraints import BoxLimits, Constraint
from .errors import CdsHedgeError, CrossCheckError, CrossCheckWarning, SpecificationError
from .terms import Term

__all__ = ["DEFAULT_TOLERANCES", "CrossCheck", "cross_check", "scipy_solve"]

#: objective: |gap| ≤ abs + rel·|objective| ($mm); allocation: max |Δh| ≤ alloc · max(1, limit range)
DEFAULT_TOLERANCES = {"objective_abs": 1e-7, "objective_rel": 1e-6, "allocation": 1e-4}


@dataclass(frozen=True)
class CrossCheck:
    """Result of the scipy cross-check of one period.

    Attributes
    ----------
    scipy_h : ndarray
        scipy's optimum.
    scipy_objective, cvxpy_objective : float
        Both optima evaluated with the numpy twins ($mm).
    objective_gap : float
        ``scipy_objective − cvxpy_objective``: positive means scipy found a better hedge.
    twin_gap : float
        CVXPY's own objective minus the twins' value at CVXPY's hedge (term consistency).
    allocation_gap : float
        max_i |h_cvxpy − h_scipy| ($mm/bp).
    ok : bool
        Every gap within tolerance.
    message : str
        What was out of tolerance, empty when ``ok``.
    """

    scipy_h: np.ndarray
    scipy_objective: float
    cvxpy_objective: float
    objective_gap: float
    twin_gap: float
    allocation_gap: float
    ok: bool
    message: str


def _objective_and_gradient(entries: Sequence[tuple[float, Term]], data: Mapping[str, Any]):
    def f(h: np.ndarray) -> float:
        return -float(sum(w * t.value(h, data) for w, t in entries))

    probe = np.zeros(len(data["cs01_min"])) if "cs01_min" in data else None
    has_gradient = probe is not None and all(t.gradient(probe, data) is not None for _, t in entries)
    if not has_gradient:
        return f, None

    def grad(h: np.ndarray) -> np.ndarray:
        return -np.sum([w * np.asarray(t.gradient(h, data), dtype=float) for w, t in entries], axis=0)

    return f, grad


def scipy_solve(entries: Sequence[tuple[float, Term]], constraints: Sequence[Constraint],
                data: Mapping[str, Any], starts: Sequence[np.ndarray] | None = None) -> tuple[np.ndarray, float]:
    """Maximise Σ w·term.value(h) over the box and the constraints' twins with scipy.

    Box only: L-BFGS-B (projected gradient, lands exactly on bounds); other limits: SLSQP with
    ``−violation(h) ≥ 0``. Several starting points may be given; the best answer is kept.

    Returns
    -------
    h, objective : ndarray, float
    """
    lower = np.asarray(data["cs01_min"], dtype=float)
    upper = np.asarray(data["cs01_max"], dtype=float)
    bounds = list(zip(lower, upper))
    f, grad = _objective_and_gradient(entries, data)
    extra = [c for c in constraints if not isinstance(c, BoxLimits)]
    if starts is None:
        starts = [np.clip(0.0, lower, upper)]
    best_h, best_value = None, np.inf
    for x0 in starts:
        x0 = np.clip(np.asarray(x0, dtype=float), lower, upper)
        if extra:
            cons = [{"type": "ineq", "fun": (lambda h, c=c: -c.violation(h, data))} for c in extra]
            result = minimize(f, x0, jac=grad, bounds=bounds, constraints=cons, method="SLSQP",
                              options={"ftol": 1e-12, "maxiter": 1000})
        else:
            result = minimize(f, x0, jac=grad, bounds=bounds, method="L-BFGS-B",
                              options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 15000})
        h = np.clip(result.x, lower, upper)
        value = f(h)
        if extra and any(c.violation(h, data) > 1e-8 for c in extra):
            continue
        if value < best_value:
            best_h, best_value = h, value
    if best_h is None:
        best_h = np.clip(starts[0], lower, upper)
        best_value = f(best_h)
    return best_h, -best_value


def cross_check(problem: Any, data: Mapping[str, Any], h_cvxpy: np.ndarray, cvxpy_objective: float,
                tolerances: Mapping[str, float] | None = None, *, strict: bool = False) -> CrossCheck:
    """Solve the period with scipy from the numpy twins and compare with CVXPY's answer.

    Emits :class:`CrossCheckWarning` (or raises :class:`CrossCheckError` when ``strict``) if
    a gap exceeds its tolerance.
    """
    tol = {**DEFAULT_TOLERANCES, **(tolerances or {})}
    entries = problem.entries_
    starts = [np.clip(0.0, data["cs01_min"], data["cs01_max"])]
    if "h_prev" in data:
        starts.append(np.asarray(data["h_prev"], dtype=float))
    period = data.get("period", "?")
    labels = getattr(problem, "labels_", [t.name for _, t in entries])
    twin_values = []
    for label, (weight, term) in zip(labels, entries):
        try:
            twin_values.append(weight * float(term.value(h_cvxpy, data)))
        except CdsHedgeError:
            raise
        except Exception as exc:
            raise SpecificationError(f"term {label}, period {period}: its numpy value() failed in the scipy "
                                     f"cross-check: {type(exc).__name__}: {exc}; fix the term or turn the "
                                     "cross-check off") from exc
    try:
        h_scipy, scipy_value = scipy_solve(entries, problem.constraints_, data, starts)
    except CdsHedgeError:
        raise
    except Exception as exc:
        raise SpecificationError(f"period {period}: the scipy cross-check failed ({type(exc).__name__}: {exc}); "
                                 "check the terms' value()/gradient() and the constraints' violation()") from exc
    twin_at_cvxpy = float(sum(twin_values))
    scale = max(abs(twin_at_cvxpy), abs(scipy_value))
    objective_tol = tol["objective_abs"] + tol["objective_rel"] * scale
    objective_gap = scipy_value - twin_at_cvxpy
    twin_gap = cvxpy_objective - twin_at_cvxpy
    box_range = float(np.max(np.asarray(data["cs01_max"]) - np.asarray(data["cs01_min"]), initial=0.0))
    allocation_gap = float(np.max(np.abs(h_cvxpy - h_scipy), initial=0.0))
    problems = []
    if not (np.isfinite(twin_at_cvxpy) and np.isfinite(scipy_value)):
        problems.append(f"a term's numpy value is not finite ({twin_at_cvxpy} at CVXPY's hedge)")
    if objective_gap > objective_tol:
        problems.append(f"scipy's objective is better by {objective_gap:.3g} $mm")
    if abs(twin_gap) > objective_tol:
        problems.append(f"a term's numpy value differs from its CVXPY expression by {twin_gap:.3g} $mm")
    if allocation_gap > tol["allocation"] * max(1.0, box_range):
        problems.append(f"allocations differ by up to {allocation_gap:.3g} $mm/bp")
    message = "; ".join(problems)
    check = CrossCheck(h_scipy, scipy_value, twin_at_cvxpy, objective_gap, twin_gap, allocation_gap,
                       not problems, message)
    if problems:
        text = f"period {data.get('period', '?')}: scipy cross-check: {message}"
        if strict:
            raise CrossCheckError(text)
        warnings.warn(text, CrossCheckWarning, stacklevel=3)
    return check
