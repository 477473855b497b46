"""Checking an answer before it is accepted, and explaining a problem that has none.

* :func:`feasibility_issue`: a solver's hedge must be finite, inside the CS01 box up to the
  solver's own tolerance (:data:`BOX_PROJECTION_TOLERANCE`; it is then projected exactly onto the
  box by :func:`project_onto_box`), and meet every other limit's numpy twin to
  :data:`FEASIBILITY_TOLERANCE`.
* :func:`kkt_issue`: OSQP's answer on the condensed QP must be optimal for *this* period's data
  (stationarity, and duals only on binding limits), which catches a stale workspace.
* :func:`lifted_kkt_residual`: how far a hedge is from a KKT point of the lifted QP (the general
  path's problem), with the best multipliers for it (non-negative least squares).
* :func:`limits_can_hold` and :func:`infeasibility_culprits`: a second opinion on a solver's
  infeasibility verdict, and the limits (and instruments) to name when it stands; both solve
  small feasibility problems with Clarabel.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.model import BoxLimits
from cdshedge_cvx.solve._compiled import CompiledProblem

__all__ = ["BOX_PROJECTION_TOLERANCE", "FEASIBILITY_TOLERANCE", "feasibility_issue", "infeasibility_culprits",
           "kkt_issue", "lifted_kkt_residual", "limits_can_hold", "polish_onto_limits", "project_onto_box"]

#: A solver's answer is accepted only if every limit holds to this relative tolerance
#: (violation ≤ tol · max(1, |limit|)); the box is met exactly by projection (see ``solve``).
FEASIBILITY_TOLERANCE = 1e-9
#: A solver answer at most this far outside the CS01 box (relative to max(1, |bound|)) is within
#: the solver's own tolerance and is projected exactly onto the box; further out it is refused.
BOX_PROJECTION_TOLERANCE = 1e-6


def project_onto_box(compiled: CompiledProblem, h: np.ndarray) -> np.ndarray:
    """``h`` clipped to the current CS01 box."""
    lower, upper = compiled.box_bounds()
    return np.clip(h, lower, upper)


def _limit_size(constraint: Any) -> float:
    """The largest number among a limit's hyperparameters (the scale of its tolerance), at least 1."""
    return max((abs(float(v)) for k, v in vars(constraint).items()
                if not k.startswith("_") and not k.endswith("_") and isinstance(v, (int, float))
                and not isinstance(v, bool)), default=1.0)


def _signed_excess(forms: list[Any], x: np.ndarray) -> float:
    """max over the limits' rows of G_h x + G_t |A x − b| − g (≤ 0: every polyhedral limit holds at x)."""
    worst = -np.inf
    for form in forms:
        value = form.G_h @ x + form.G_t @ np.abs(form.A @ x - form.b) - form.g
        worst = max(worst, float(np.max(value, initial=-np.inf)))
    return worst


def polish_onto_limits(compiled: CompiledProblem, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray:
    """``h`` pulled back inside the limits when a solver left it just outside one (its own tolerance).

    An iterative solver meets a limit to its feasibility tolerance times the problem's scale: at
    a box of 100 $mm/bp, a gross limit of 0.01 was broken by 9e-9 (1e-9 relative is the promise).
    When a limit's numpy twin is broken beyond ``FEASIBILITY_TOLERANCE · max(1, |limit|)`` but
    within ``BOX_PROJECTION_TOLERANCE`` of the problem's scale (the limit's and the box's), the
    answer is moved along the segment towards an anchor strictly inside every polyhedral limit
    (the box's point nearest zero, or the previous holdings): h(θ) = a + θ (h − a) with the largest
    θ whose rows G_h h + G_t |A h − b| ≤ g all hold (bisection; the rows are convex in θ, so the
    box and every other limit keep holding). The objective moves by the same order as the violation.
    Returns ``h`` unchanged when nothing is broken beyond tolerance, a limit has no
    :meth:`~cdshedge_cvx.model.Constraint.scipy_form`, or no anchor is strictly inside.
    """
    lower, upper = compiled.box_bounds()
    if h.shape != (compiled.n,) or not np.all(np.isfinite(h)):
        return h
    box_scale = float(np.max(np.maximum(np.abs(lower), np.abs(upper)), initial=1.0))
    projected = np.clip(h, lower, upper)
    broken, forms = False, []
    for constraint in compiled.limits:
        if constraint is compiled.box:
            continue
        try:
            violation = float(constraint.violation(projected, data))
            form = constraint.scipy_form(data)
        except NotImplementedError:
            return h
        size = max(1.0, _limit_size(constraint))
        if violation > FEASIBILITY_TOLERANCE * size:
            if violation > BOX_PROJECTION_TOLERANCE * max(size, box_scale):
                return h  # beyond any solver's tolerance: refused as it is
            broken = True
        if form is None or form.g is None:
            return h
        forms.append(form)
    if not broken:
        return h
    anchors = [np.clip(0.0, lower, upper)]
    if "h_prev" in data:
        anchors.append(np.clip(np.asarray(data["h_prev"], dtype=float), lower, upper))
    anchor = min(anchors, key=lambda a: _signed_excess(forms, a))
    if not _signed_excess(forms, anchor) < 0.0:
        return h
    inside, outside = 0.0, 1.0
    for _ in range(80):
        middle = 0.5 * (inside + outside)
        if _signed_excess(forms, anchor + middle * (projected - anchor)) <= 0.0:
            inside = middle
        else:
            outside = middle
    return np.clip(anchor + inside * (projected - anchor), lower, upper)


def feasibility_issue(compiled: CompiledProblem, h: np.ndarray, data: Mapping[str, Any]) -> str | None:
    """Why ``h`` is not an acceptable answer (non-finite, or a limit broken beyond tolerance), or ``None``.

    The box is checked before projection: a solver answer further than
    ``BOX_PROJECTION_TOLERANCE · max(1, |bound|)`` outside it is refused, a closer one is
    projected onto it. The other limits are checked with their numpy twins
    (``violation(h, data)``) after projection, to ``FEASIBILITY_TOLERANCE · max(1, |limit|)``.
    """
    if h.shape != (compiled.n,) or not np.all(np.isfinite(h)):
        return "returned a non-finite hedge"
    box = compiled.box
    lower, upper = compiled.box_bounds()
    slack = BOX_PROJECTION_TOLERANCE * np.maximum(1.0, np.maximum(np.abs(lower), np.abs(upper)))
    outside = np.maximum(lower - h, h - upper) - slack
    if np.any(outside > 0):
        i = int(np.argmax(outside))
        return (f"hedge of {compiled.instrument(i)!r} ({h[i]:.12g}) is outside its CS01 limits "
                f"[{lower[i]:g}, {upper[i]:g}] beyond tolerance")
    projected = np.clip(h, lower, upper)
    for constraint in compiled.limits:
        if constraint is box:
            continue
        try:
            violation = float(constraint.violation(projected, data))
        except NotImplementedError:
            continue
        if violation > FEASIBILITY_TOLERANCE * max(1.0, _limit_size(constraint)):
            return f"hedge breaks {constraint!r} by {violation:.3g} (beyond tolerance)"
    return None


def kkt_issue(compiled: CompiledProblem, P: np.ndarray, q: np.ndarray, h: np.ndarray, y: np.ndarray,
              settings: Mapping[str, Any]) -> str | None:
    """Why OSQP's answer (h, y) is not optimal for min ½hᵀPh + qᵀh over the current box, or ``None``.

    Stationarity P h + q + y = 0, and duals y > 0 only where h = u, y < 0 only where h = l, to
    1000 times OSQP's tolerance (``eps_abs``, ``eps_rel`` in ``settings``; at least 1e-6), or
    ``settings["kkt_tolerance"]`` when given (an exact solver's), relative to the size of the
    terms; h is projected onto the box first.
    """
    lower, upper = compiled.box_bounds()
    if "kkt_tolerance" in settings:
        tol = float(settings["kkt_tolerance"])
    else:
        tol = max(1e-6, 1e3 * max(float(settings.get("eps_abs", 1e-3)), float(settings.get("eps_rel", 1e-3))))
    h = np.clip(h, lower, upper)
    gradient = P @ h + q
    scale = max(float(np.max(np.abs(gradient), initial=0.0)), float(np.max(np.abs(q), initial=0.0)),
                float(np.max(np.abs(y), initial=0.0)), 1e-12)
    residual = float(np.max(np.abs(gradient + y), initial=0.0))
    if residual > tol * scale:
        return f"not optimal for this period's data (stationarity residual {residual:.3g})"
    width = tol * np.maximum(1.0, np.maximum(np.abs(lower), np.abs(upper)))
    loose = ((y > tol * scale) & (h < upper - width)) | ((y < -tol * scale) & (h > lower + width))
    if np.any(loose):
        return f"a dual on the limit of {compiled.instrument(int(np.argmax(loose)))!r}, which does not bind"
    return None


def lifted_kkt_residual(qp: Any, h: np.ndarray, active_tolerance: float = 1e-6) -> dict[str, float]:
    r"""KKT residuals of the hedge ``h`` on a period's lifted QP ``qp`` (a ``LiftedQP``), each relative to its scale.

    At x = (h, |A h − b|) (the smallest auxiliary variables), with slacks s = b − A_all x, the
    multipliers z ≥ 0 of the rows with s ≤ ``active_tolerance`` · scale are the non-negative least
    squares fit of stationarity :math:`\nabla f(x) + A_{act}^\top z = 0` (the best any multipliers
    can do). Returns ``stationarity`` = ‖∇f + A_actᵀz‖∞, ``complementarity`` = max zᵢsᵢ (both over the
    gradient's scale), ``primal`` = max(A_all x − b, 0) over the problem's scale, and ``total``, their
    maximum. An exact minimiser has all of them at rounding; an interior-point answer at its tolerance.
    """
    from scipy.optimize import nnls

    x = qp.lift(np.asarray(h, dtype=float))
    n = qp.n
    gradient = qp.q_all.copy()
    gradient[:n] += qp.P @ x[:n]
    slack = qp.b_all - qp.A_all @ x
    scale = max(1.0, float(np.max(np.abs(qp.b_all), initial=0.0)))
    active = slack <= active_tolerance * scale
    rows = qp.A_all[active].toarray()
    z, _ = nnls(rows.T, -gradient, maxiter=50 * max(1, rows.shape[0]))
    gradient_scale = max(float(np.max(np.abs(gradient), initial=0.0)), 1e-300)
    stationarity = float(np.max(np.abs(gradient + rows.T @ z), initial=0.0)) / gradient_scale
    complementarity = float(np.max(z * np.maximum(slack[active], 0.0), initial=0.0)) / gradient_scale
    primal = float(np.max(np.maximum(-slack, 0.0), initial=0.0)) / scale
    return {"stationarity": stationarity, "complementarity": complementarity, "primal": primal,
            "total": max(stationarity, complementarity, primal)}


def limits_can_hold(compiled: CompiledProblem) -> bool:
    """Second opinion on a solver's infeasibility verdict (OSQP's detection misfires on badly scaled QPs):
    a box alone always holds (``update`` checked it); otherwise Clarabel solves the feasibility problem."""
    if compiled.box_only:
        return True
    trial = cp.Problem(cp.Minimize(0), list(compiled.constraints))
    try:
        trial.solve(solver="CLARABEL")
    except cp.error.SolverError:
        return False
    return trial.status == cp.OPTIMAL


def infeasibility_culprits(compiled: CompiledProblem) -> str:
    """Name the limits that contradict the CS01 box, the instruments the box forces away from 0, and a fix."""
    box = compiled.box
    lower, upper = compiled.box_bounds()
    forced = [f"{compiled.instrument(i)} (cs01_min {lower[i]:g})" if lower[i] > 0 else
              f"{compiled.instrument(i)} (cs01_max {upper[i]:g})" for i in np.flatnonzero((lower > 0) | (upper < 0))]
    forced_text = (f"; the box forces {', '.join(forced[:5])}{' …' if len(forced) > 5 else ''} away from zero"
                   if forced else "")
    extra = [c for c in compiled.limits if not isinstance(c, BoxLimits)]
    if not extra:
        return "CS01 box limits" + forced_text
    culprits = []
    for c in extra:
        trial = cp.Problem(cp.Minimize(0), box._built + c._built)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                trial.solve(solver="CLARABEL")
        except cp.error.SolverError:
            continue
        if trial.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
            culprits.append(f"{c!r} with the CS01 box limits")
    if culprits:
        return "; ".join(culprits) + forced_text + "; relax that limit or the instruments' cs01_min/cs01_max"
    return ("the combination of " + ", ".join(repr(c) for c in compiled.limits) + forced_text
            + "; relax one of them")
