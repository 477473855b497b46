"""An exact solver of the box QP  min ½hᵀPh + qᵀh  s.t. l ≤ h ≤ u, warm-started from the last active set.

The condensed QP of a variance-plus-linear objective with only the CS01 box (:func:`condense`)
is small and dense; an active-set method answers it exactly (to rounding) in a few linear
solves, where a first-order solver iterates to a tolerance. :class:`BoxQP` runs:

1. the primal–dual active-set method (Hintermüller, Ito & Kunisch 2002): fix the guessed
   active bounds, solve the free block P_FF h_F = −(q_F + P_FA h_A), move every violated bound
   or wrong-signed multiplier to the other set; starting from the previous period's active set
   it usually stops after 1–3 solves;
2. should it cycle (possible when P is not an M-matrix), the primal active-set method
   (Nocedal & Wright §16.5), which decreases the objective at every step and ends finitely.

The answer is optimal when the KKT conditions hold: stationarity P h + q + y = 0 with y = 0
on free instruments, y ≥ 0 where the upper bound binds, y ≤ 0 where the lower one does (the
same sign convention as OSQP's duals). :class:`BoxQPPath` checks them to
:data:`BOX_QP_KKT_TOLERANCE` with :func:`~cdshedge_cvx.solve.kkt_issue` every period; a period it
cannot answer (a singular, inconsistent free block) is passed to OSQP and recorded.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.linalg as sla

from cdshedge_cvx.solve._compiled import CompiledProblem
from cdshedge_cvx.solve._direct_qp import DIRECT_QP_MAX_INSTRUMENTS, DirectQPPath, DirectQPResult, _split

__all__ = ["BOX_QP_KKT_TOLERANCE", "BoxQP", "BoxQPPath", "solve_box_qp"]

#: The KKT conditions an answer must meet, relative to the size of the gradient terms.
BOX_QP_KKT_TOLERANCE = 1e-9
_MAX_EXCHANGES = 60
_POTRF, _POTRS = sla.get_lapack_funcs(("potrf", "potrs"), (np.zeros(1),))


class _Singular(Exception):
    """The free block's system has no solution (P singular there and q not in its range)."""

    ray: np.ndarray | None = None


def _free_solve(P: np.ndarray, q: np.ndarray, x: np.ndarray, free: np.ndarray) -> np.ndarray:
    """x with its free entries replaced by the minimiser over them (the others fixed).

    Raises :class:`_Singular` (carrying a descent direction of zero curvature, ``ray``) when the
    free block is singular and the linear part has a component in its null space: no minimiser.
    """
    out = x.copy()
    inside = np.flatnonzero(free)
    if not inside.size:
        return out
    outside = np.flatnonzero(~free)
    rows = P.take(inside, axis=0)  # P[np.ix_(free, ·)] by integer takes: the same entries, a tenth of the overhead
    rhs = -(q[inside] + rows.take(outside, axis=1) @ x[outside])
    block = rows.take(inside, axis=1)
    # scipy's cho_factor/cho_solve(check_finite=False) are these two LAPACK calls (the same bits), without their checks
    factor, info = _POTRF(block, lower=False, clean=False, overwrite_a=False)
    if info == 0:
        z, info = _POTRS(factor, rhs, lower=False)
        if info == 0 and np.isfinite(z).all():
            out[inside] = z
            return out
    z, *_ = np.linalg.lstsq(block, rhs, rcond=None)  # semidefinite: the least-norm minimiser on the face
    scale = float(np.max(np.abs(rhs), initial=0.0)) + float(np.max(np.abs(block), initial=0.0)) + 1e-300
    residual = rhs - block @ z  # in the null space of the (symmetric) block: f falls linearly along it
    if float(np.max(np.abs(residual), initial=0.0)) > 1e-10 * scale:
        error = _Singular("the free block is singular and the linear part points along its null space")
        error.ray = np.zeros_like(x)
        error.ray[free] = residual
        raise error
    out[free] = z
    return out


def _positive_definite(P: np.ndarray) -> bool:
    try:
        sla.cho_factor(P, check_finite=False)
    except (np.linalg.LinAlgError, ValueError):
        return False
    return True


def _pdas(P: np.ndarray, q: np.ndarray, lower: np.ndarray, upper: np.ndarray, at_lower: np.ndarray,
          at_upper: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int] | None:
    """Primal–dual active set from the guess (at_lower, at_upper); ``None`` when it cycles or runs long."""
    seen: set[bytes] = set()
    n = q.size
    for iteration in range(1, _MAX_EXCHANGES + 1):
        at_upper = at_upper & ~at_lower
        x = np.where(at_lower, lower, np.where(at_upper, upper, 0.0))
        free = ~(at_lower | at_upper)
        try:
            x = _free_solve(P, q, x, free)
        except _Singular:  # P is singular: the proximal iterations answer
            return None
        g = P @ x + q
        new_lower = (free & (x < lower)) | (at_lower & (g > 0))
        new_upper = (free & (x > upper)) | (at_upper & (g < 0))
        if not ((new_lower ^ at_lower) | (new_upper ^ at_upper)).any():
            return np.clip(x, lower, upper), at_lower, at_upper, iteration
        key = np.packbits(np.concatenate([new_lower, new_upper])).tobytes()
        if key in seen:
            return None
        seen.add(key)
        at_lower, at_upper = new_lower, new_upper
        if iteration > 4 * n + 4:
            return None
    return None


def _primal(P: np.ndarray, q: np.ndarray, lower: np.ndarray, upper: np.ndarray,
            start: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Primal active set from the feasible ``start``: the objective decreases at every step."""
    x = np.clip(start, lower, upper)
    at_lower, at_upper = x <= lower, (x >= upper) & ~(x <= lower)
    width = np.maximum(1.0, np.maximum(np.abs(lower), np.abs(upper)))
    for iteration in range(1, 20 * q.size + 20):
        free = ~(at_lower | at_upper)
        unbounded = False
        try:
            target = _free_solve(P, q, x, free)
            step = target - x
        except _Singular as exc:  # no minimiser on this face: follow the ray to the first bound
            if exc.ray is None:
                raise
            step, unbounded = exc.ray, True
        if not unbounded and float(np.max(np.abs(step) / width, initial=0.0)) <= 1e-15:
            g = P @ x + q
            wrong = np.where(at_lower, np.maximum(-g, 0.0), 0.0) + np.where(at_upper, np.maximum(g, 0.0), 0.0)
            if not np.any(wrong > 0):
                return x, at_lower, at_upper, iteration
            i = int(np.argmax(wrong))
            at_lower[i] = at_upper[i] = False
            continue
        alpha, blocking = 1.0, -1
        with np.errstate(divide="ignore", invalid="ignore"):
            room = np.where(step < 0, (lower - x) / step, np.where(step > 0, (upper - x) / step, np.inf))
        room = np.where(free, room, np.inf)
        if unbounded and not np.isfinite(np.min(room, initial=np.inf)):
            raise _Singular("the objective falls without bound")
        if room.size and (unbounded or float(np.min(room)) < 1.0):
            blocking = int(np.argmin(room))
            alpha = max(float(room[blocking]), 0.0)
        x = np.clip(x + alpha * step, lower, upper)
        if blocking >= 0:
            if step[blocking] < 0:
                x[blocking], at_lower[blocking] = lower[blocking], True
            else:
                x[blocking], at_upper[blocking] = upper[blocking], True
    raise _Singular("the primal active-set method did not finish")


def _kkt_holds(P: np.ndarray, q: np.ndarray, x: np.ndarray, lower: np.ndarray, upper: np.ndarray,
               tol: float) -> tuple[bool, np.ndarray, np.ndarray]:
    """Whether x meets the KKT conditions to ``tol`` (relative), with the bounds it sits on."""
    at_lower, at_upper = x <= lower, (x >= upper) & (x > lower)
    g = P @ x + q
    scale = max(float(np.max(np.abs(g), initial=0.0)), float(np.max(np.abs(q), initial=0.0)), 1e-300)
    wrong = np.where(at_lower, np.maximum(-g, 0.0), np.where(at_upper, np.maximum(g, 0.0), np.abs(g)))
    wrong[lower >= upper] = 0.0  # a fixed instrument: both bounds bind, any sign
    return bool(np.max(wrong, initial=0.0) <= tol * scale), at_lower, at_upper


def _polish(P: np.ndarray, q: np.ndarray, x: np.ndarray, active: np.ndarray) -> np.ndarray | None:
    """The minimiser over the free coordinates closest to x (least-squares step), or ``None``."""
    free = ~active
    if not free.any():
        return x
    block = P[np.ix_(free, free)]
    gradient = P[free] @ x + q[free]
    step, *_ = np.linalg.lstsq(block, -gradient, rcond=None)
    out = x.copy()
    out[free] += step
    return out if np.all(np.isfinite(out)) else None


def _proximal(P: np.ndarray, q: np.ndarray, lower: np.ndarray, upper: np.ndarray, at_lower: np.ndarray,
              at_upper: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Proximal-point iterations x ← argmin ½xᵀPx + qᵀx + ρ/2‖x − x_k‖² for a singular P (each strictly convex,
    solved exactly), until x meets the KKT conditions of the original problem to rounding."""
    x = np.clip(start, lower, upper)
    rho = 1e-7 * max(float(np.max(np.diag(P), initial=0.0)), 1e-300)
    regularised = P + rho * np.eye(q.size)
    solves = 0
    for _ in range(200):
        found = _pdas(regularised, q - rho * x, lower, upper, at_lower, at_upper)
        if found is None:
            found = _primal(regularised, q - rho * x, lower, upper, x)
        x, at_lower, at_upper, count = found
        x = np.where(at_lower, lower, np.where(at_upper, upper, x))
        solves += count
        done, lo, up = _kkt_holds(P, q, x, lower, upper, 1e-12)
        if done:
            return x, lo, up, solves
        polished = _polish(P, q, x, lo | up)  # the original problem on this iterate's active set
        if polished is not None and np.all(polished >= lower) and np.all(polished <= upper):
            done, lo, up = _kkt_holds(P, q, polished, lower, upper, 1e-11)
            if done:
                return polished, lo, up, solves + 1
    raise _Singular("the proximal iterations did not meet the KKT conditions")


def solve_box_qp(P: np.ndarray, q: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                 guess: tuple[np.ndarray, np.ndarray] | None = None,
                 start_at: np.ndarray | None = None) -> DirectQPResult:
    """min ½hᵀPh + qᵀh over l ≤ h ≤ u, exactly (P symmetric positive semidefinite).

    Parameters
    ----------
    P, q, lower, upper : ndarray
        The QP.
    guess : (at_lower, at_upper), optional
        Boolean masks of the bounds guessed to bind (e.g. the previous period's).
    start_at : ndarray, optional
        Where the primal active-set method starts (projected onto the box) when the primal–dual
        one cycles or meets a singular free block (default: the guessed bounds, 0 elsewhere).

    Returns
    -------
    DirectQPResult
        ``x`` the minimiser, ``y = −(P x + q)`` on the binding bounds (0 elsewhere), ``iterations``
        the number of linear solves; ``solved`` false (status says why) when the free block is
        singular and inconsistent.
    """
    start = time.perf_counter()
    n = q.size
    lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    if guess is None or guess[0].shape != (n,):
        at_lower, at_upper = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    else:
        at_lower, at_upper = guess[0].copy(), guess[1].copy()
    try:
        found = _pdas(P, q, lower, upper, at_lower, at_upper)
        status = "solved"
        if found is None:
            begin = np.where(at_lower, lower, np.where(at_upper, upper, 0.0)) if start_at is None else start_at
            try:
                found = _primal(P, q, lower, upper, begin) if _positive_definite(P) else None
                status = "solved (primal active set)"
            except _Singular:
                found = None
            if found is None:
                found = _proximal(P, q, lower, upper, at_lower, at_upper, begin)
                status = "solved (proximal point)"
    except _Singular as exc:
        return DirectQPResult(status=str(exc), solved=False, x=np.zeros(n), y=np.zeros(n), iterations=0,
                              solve_time=time.perf_counter() - start)
    x, at_lower, at_upper, iterations = found
    x = np.where(at_lower, lower, np.where(at_upper, upper, x))
    y = np.where(at_lower | at_upper, -(P @ x + q), 0.0)
    return DirectQPResult(status=status, solved=True, x=x, y=y, iterations=iterations,
                          solve_time=time.perf_counter() - start)


class BoxQP:
    """:func:`solve_box_qp` with the last answer's active set kept as the next guess.

    Parameters
    ----------
    n : int
        Number of variables.
    warm_start : bool
        Start from the previous answer's active set (``False``: from all bounds free).
    """

    #: Read by :func:`~cdshedge_cvx.solve.kkt_issue`: the tolerance the answers are checked to.
    settings: Mapping[str, Any] = {"kkt_tolerance": BOX_QP_KKT_TOLERANCE}

    def __init__(self, n: int, warm_start: bool = True) -> None:
        self.n = n
        self.warm_start = warm_start
        self._guess: tuple[np.ndarray, np.ndarray] | None = None
        self._last: np.ndarray | None = None

    def solve(self, P: np.ndarray, q: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> DirectQPResult:
        """Solve; the active set of a solved answer becomes the next guess."""
        warm = self.warm_start and self._guess is not None
        result = solve_box_qp(P, q, lower, upper, self._guess if warm else None, self._last if warm else None)
        if result.solved:
            x = result.x
            self._guess = (x <= lower, (x >= upper) & (x > lower))
            self._last = x
        return result


class BoxQPPath(DirectQPPath):
    """The exact active-set solver (:class:`BoxQP`) on the condensed QP, before OSQP's direct path.

    Accepts what :class:`~cdshedge_cvx.solve.DirectQPPath` accepts: affine terms and subtracted
    terms with a :meth:`~cdshedge_cvx.model.Term.quadratic_form`, the CS01 box as only limit,
    OSQP as the chosen solver, at most :data:`DIRECT_QP_MAX_INSTRUMENTS` instruments. Every answer
    meets the KKT conditions to :data:`BOX_QP_KKT_TOLERANCE` or the period goes to OSQP (recorded).
    """

    name = "box-qp"
    solver_name = "ACTIVE-SET"
    failure_label = "ACTIVE-SET (box QP)"

    def accepts(self, compiled: CompiledProblem) -> bool:
        return (compiled.box_only and not compiled.is_linear and compiled.solver == "OSQP"
                and compiled.n <= DIRECT_QP_MAX_INSTRUMENTS and _split(compiled) is not None)

    def _direct(self, compiled: CompiledProblem) -> BoxQP:  # type: ignore[override]
        if self._workspace is None:
            self._workspace = BoxQP(compiled.n, warm_start=bool(compiled.solver_options.get("warm_start", True)))
        return self._workspace  # type: ignore[return-value]
