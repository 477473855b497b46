"""Identified hedges: when a period's objective does not pin the hedge down, answer its
minimum-norm minimiser.

A variance hedge is not identified when the quadratic part of the objective is singular (more
instruments than observations in the risk sample, or instruments whose changes are collinear) and
the limits do not fix the flat directions: every point of an affine set of hedges is optimal,
and a solver returns an arbitrary one (the scipy cross-check another). The answer returned is
then defined as the minimum-norm minimiser, a second stage solved after the first:

.. math::

    h^\\star = \\arg\\min_h \\|h\\|_2^2 \\quad \\text{s.t.}\\quad f(h) \\ge f^\\star - \\tau,
    \\quad U h = U h_1, \\quad h \\in \\text{box and limits},

with :math:`U` the eigenvectors of the curvature :math:`P` with non-zero eigenvalue and
:math:`h_1` the first stage's answer (over a convex QP's minimisers :math:`Ph` is constant),

with :math:`f` the maximised objective, :math:`f^\\star` its optimum and
:math:`\\tau = \\text{MIN_NORM_TOLERANCE}\\cdot\\max(1, |f^\\star|)`. Without binding limits
it is :math:`h^\\star = P^+ (-q)` for the condensed QP :math:`\\tfrac12 h^\\top P h + q^\\top h`
(:func:`numpy.linalg.pinv`), i.e. the projection :math:`U^\\top U h_1` of the first stage's answer
onto the curved directions: it is tried first, in closed form at any size, and kept when it
satisfies the limits and the objective floor (it is then the minimiser of the second stage over a
superset of its feasible set). Otherwise the second stage is solved by CVXPY with :math:`U` an
``r × n`` Parameter (``r`` the rank of :math:`P`, at most the number of risk observations; one
compiled problem per rank) and the objective floor as the linear constraint
:math:`q^\\top h \\le q^\\top h_1 + \\tau` (the curvature is constant where :math:`Uh = Uh_1`), no
quadratic Parameter, so it works at any number of instruments. :func:`scipy_min_norm`
computes the same definition from the terms' numpy twins for the cross-check.

Detection (:func:`rank_deficiency`) covers objectives of linear terms minus quadratic forms
(:meth:`~cdshedge_cvx.model.Term.quadratic_form`), whatever the solve path.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import cvxpy as cp
import numpy as np
from scipy.linalg import get_lapack_funcs

from cdshedge_cvx.solve._box_projection import project_onto_box_and_affine
from cdshedge_cvx.solve._coefficients import coefficient_reader
from cdshedge_cvx.solve._compiled import CompiledProblem
from cdshedge_cvx.solve._direct_qp import _split
from cdshedge_cvx.solve._path import PeriodSolution, period_label

__all__ = ["MIN_NORM_TOLERANCE", "UnidentifiedHedgeWarning", "box_min_norm", "curved_directions", "forget",
           "identified", "is_unidentified", "min_norm_solution", "quadratic_matrix", "rank_deficiency",
           "scipy_min_norm"]

#: Relative objective tolerance τ of the second stage (of max(1, |optimum|), in $mm).
MIN_NORM_TOLERANCE = 1e-9
#: Eigenvalues below this times the largest are taken as zero.
RANK_TOLERANCE = 1e-10
_POTRF = get_lapack_funcs("potrf", (np.zeros(1),))


class UnidentifiedHedgeWarning(UserWarning):
    """Some periods' objective does not identify the hedge; the minimum-norm minimiser is returned."""


def quadratic_matrix(compiled: CompiledProblem) -> np.ndarray | None:
    """P = 2 Σ_k |w_k| G_k of the objective's subtracted quadratic forms at the current Parameter
    values, or ``None`` when the objective is not linear-minus-quadratic or has no quadratic part."""
    split = _split(compiled)
    if split is None or not split[1]:
        return None
    P = np.zeros((compiled.n, compiled.n))
    for k in split[1]:
        weight, term = compiled.entries[k]
        G, _, _ = term.quadratic_form()
        P += (-2.0 * weight) * np.asarray(G, dtype=float)
    return 0.5 * (P + P.T)


def rank_deficiency(compiled: CompiledProblem, P: np.ndarray | None = None) -> int:
    """How many directions the objective's curvature leaves flat: n − rank(P); 0 when identified
    (or when the objective is of another form).

    ``P`` is the curvature 2 Σ_k |w_k| G_k at the current Parameter values when the caller already
    built it (the direct-QP paths' condensed QP, summed in the same order as
    :func:`quadratic_matrix`); it is symmetrised here as :func:`quadratic_matrix` does.
    """
    return _flat_directions(compiled, P)[0]


def _flat_directions(compiled: CompiledProblem, P: np.ndarray | None
                     ) -> tuple[int, np.ndarray | None, np.ndarray | None]:
    """(n − rank(P), the symmetrised P, its curved directions as rows); the last two ``None`` when the objective
    is identified (shown by a Cholesky factorisation first) or of another form. One eigendecomposition serves
    both the count and the rows."""
    if P is None:
        P = quadratic_matrix(compiled)
        if P is None or _clearly_identified(P):
            return 0, None, None
    else:
        symmetric = P + P.T  # 0.5 (P + Pᵀ), exactly symmetric, shifted and factorised in place (it is ours)
        symmetric *= 0.5
        if _clearly_identified(symmetric, overwrite=True):
            return 0, None, None
        P = 0.5 * (P + P.T)
    rows = curved_directions(P)
    return compiled.n - rows.shape[0], P, rows


def _clearly_identified(P: np.ndarray, overwrite: bool = False) -> bool:
    """Whether every eigenvalue of ``P`` exceeds :data:`RANK_TOLERANCE` × its largest, shown by a
    Cholesky factorisation of P − τI (a third of an eigendecomposition's work).

    τ = RANK_TOLERANCE · g with g = max_i Σ_j |P_ij| ≥ λ_max (Gershgorin): the factorisation exists
    only if λ_min > τ ≥ RANK_TOLERANCE · λ_max. ``False`` means "not shown", never "deficient": the
    caller then counts the flat directions from the eigenvalues. ``P`` is symmetric (only its lower
    triangle is read) and left unchanged, unless ``overwrite`` (then it must be an exactly symmetric
    float64 array in either layout, and is overwritten).
    """
    bound = float(np.max(np.sum(np.abs(P), axis=1), initial=0.0))
    if bound == 0.0 or not np.isfinite(bound):
        return False
    if overwrite and P.dtype == np.float64 and (P.flags.f_contiguous or P.flags.c_contiguous):
        shifted = P if P.flags.f_contiguous else P.T  # exactly symmetric: its transpose is itself, in LAPACK's layout
    else:
        shifted = np.array(P, dtype=float, order="F")  # LAPACK's own layout: factorised in place, no second copy
    diagonal = np.arange(P.shape[0])
    shifted[diagonal, diagonal] -= 2.0 * RANK_TOLERANCE * bound  # P − τI (only the diagonal changes)
    _, info = _POTRF(shifted, lower=True, clean=False, overwrite_a=True)
    return info == 0


def curved_directions(P: np.ndarray) -> np.ndarray:
    """The eigenvectors of ``P`` with non-zero eigenvalue, as rows (the directions the curvature pins)."""
    eigenvalues, vectors = np.linalg.eigh(P)
    top = float(np.max(np.abs(eigenvalues), initial=0.0))
    if top == 0.0:
        return np.zeros((0, P.shape[0]))
    return vectors[:, eigenvalues > RANK_TOLERANCE * top].T


def _linear_part(compiled: CompiledProblem, cache: dict[str, Any]) -> np.ndarray:
    """q of the condensed QP (the maximised objective is −½ hᵀPh − qᵀh + const) at the current
    Parameter values: the affine terms' coefficients read from CVXPY (compiled once, cached) and
    the quadratic forms' linear parts."""
    if "read_linear" not in cache:
        split = _split(compiled)
        affine = None if split is None else split[0]
        cache["read_linear"] = (None if affine is None
                                else coefficient_reader(compiled.h, affine, cp.Problem(cp.Maximize(affine))))
    c = np.zeros(compiled.n) if cache["read_linear"] is None else cache["read_linear"]()
    q = -np.asarray(c, dtype=float)
    split = _split(compiled)
    for k in split[1] if split is not None else ():
        weight, term = compiled.entries[k]
        q = q + (-2.0 * weight) * np.asarray(term.quadratic_form()[1], dtype=float)
    return q


def _stage_two(compiled: CompiledProblem, cache: dict[str, Any], rank: int
               ) -> tuple[cp.Problem, cp.Parameter, cp.Parameter, cp.Parameter | None, cp.Parameter | None]:
    """min ‖h‖² s.t. the problem's limits, U h = u (the ``rank`` curved directions) and qᵀh ≤ t;
    U (rank × n), u, q and t Parameters, compiled once per rank.

    Over {U h = U h₁} the curvature term is constant (P (h − h₁) = 0), so the objective is
    f(h₁) − qᵀ(h − h₁) there and "objective ≥ f(h₁)" is the linear qᵀh ≤ qᵀh₁: the
    second stage holds no quadratic Parameter (an n × n one would make CVXPY's parameter tensor n³
    large; linear, the floor needs no slack: t = qᵀh₁), so it compiles at any number of instruments."""
    if cache.get("compiled") is not compiled:  # a new compiled problem: new stages
        cache.clear()
        cache["compiled"] = compiled
    stages = cache.setdefault("stages", {})
    if rank not in stages:
        n = compiled.n
        ceiling, q = cp.Parameter(name="objective_ceiling"), cp.Parameter(n, name="q")
        constraints = [*compiled.problem.constraints, q @ compiled.h <= ceiling]
        U = u = None
        if rank:
            U, u = cp.Parameter((rank, n), name="U"), cp.Parameter(rank, name="u")
            constraints.append(U @ compiled.h == u)
        stages[rank] = (cp.Problem(cp.Minimize(cp.sum_squares(compiled.h)), constraints), ceiling, q, U, u)
    return stages[rank]


def _satisfies(compiled: CompiledProblem, h: np.ndarray, floor: float) -> bool:
    """Whether ``h`` keeps the objective at or above ``floor`` and breaks none of the compiled limits
    (CVXPY's residuals of the limits' own constraints, to 1e-9 of the hedge's scale)."""
    if float(sum(compiled.term_values(h).values())) < floor:
        return False
    saved = compiled.h.value
    try:
        compiled.h.value = h
        worst = max((float(np.max(c.violation(), initial=0.0)) for c in compiled.constraints), default=0.0)
    finally:
        compiled.h.value = saved
    return worst <= 1e-9 * max(1.0, float(np.max(np.abs(h), initial=0.0)))


def min_norm_solution(compiled: CompiledProblem, data: Mapping[str, Any], solution: PeriodSolution,
                      cache: dict[str, Any], curvature: np.ndarray | None = None,
                      rows: np.ndarray | None = None) -> PeriodSolution:
    """The minimum-norm minimiser of the period, given the first stage's ``solution``.

    First the closed form (the projection of the first stage's answer onto the curved directions),
    kept when feasible; else, with the CS01 box as only limit, the projection of the origin onto the
    first stage's optimal face by :func:`box_min_norm` (a dual semismooth Newton method); else,
    or when that answer is not kept (no convergence, or a lower objective after an inexact first
    stage), the second stage by CVXPY. Falls back to ``solution`` (recorded in ``fallback_from``, with
    the reason the Newton answer was not kept) when that stage fails, and keeps it when it is already
    the minimum-norm one. ``cache`` holds the compiled second stages; ``curvature`` is the
    objective's P when the solve path built it (else it is built from the terms), ``rows`` its curved
    directions when already known (:func:`curved_directions`).
    """
    P = quadratic_matrix(compiled) if curvature is None else 0.5 * (curvature + curvature.T)
    if rows is None:
        rows = curved_directions(P) if P is not None else np.zeros((0, compiled.n))
    target = solution.objective - MIN_NORM_TOLERANCE * max(1.0, abs(solution.objective))
    projected = rows.T @ (rows @ solution.h)
    fallback_from = list(solution.fallback_from)
    h, newton = None, ""
    if _satisfies(compiled, projected, target):
        h = projected
    elif compiled.box_only:
        lower, upper = (np.asarray(bound, dtype=float) for bound in compiled.box_bounds())
        h = box_min_norm(P, rows, _linear_part(compiled, cache), solution.h, lower, upper,
                         solution.objective - target)
        if h is None:
            newton = "the semismooth Newton method did not converge"
        elif not _satisfies(compiled, h, target):  # e.g. an inexact first stage: CVXPY's stage decides
            newton, h = "the semismooth Newton answer lowered the objective", None
    if h is None:
        problem, ceiling, q, U, u = _stage_two(compiled, cache, rows.shape[0])
        if U is not None:
            U.value, u.value = rows, rows @ solution.h
        q.value = _linear_part(compiled, cache)
        ceiling.value = float(q.value @ solution.h)  # exact (linear) here: no slack τ needed
        try:
            problem.solve(solver=cp.CLARABEL)
            h = None if compiled.h.value is None else np.asarray(compiled.h.value, dtype=float).copy()
        except cp.error.SolverError as exc:  # keep the first stage's answer, and say why
            solution.fallback_from = [*fallback_from, *_said(newton), f"minimum-norm stage: {exc}"]
            return solution
        if h is None or problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or not np.all(np.isfinite(h)):
            solution.fallback_from = [*fallback_from, *_said(newton), f"minimum-norm stage: status {problem.status}"]
            return solution
        lower, upper = compiled.box_bounds()
        h = np.clip(h, lower, upper)
    scale = max(1.0, float(np.max(np.abs(solution.h), initial=0.0)))
    if float(h @ h) >= float(solution.h @ solution.h) or float(np.max(np.abs(h - solution.h))) <= 1e-7 * scale:
        solution.fallback_from = fallback_from
        return solution  # already the minimum-norm one (to solver accuracy)
    return PeriodSolution.at(compiled, data, h, status=solution.status, solver=solution.solver,
                             path=solution.path, shadow_prices=solution.shadow_prices,
                             fallback_from=fallback_from)


def _said(newton: str) -> list[str]:
    return [f"minimum-norm stage: {newton}"] if newton else []


#: Residual tolerance of :func:`box_min_norm`'s rows, relative to the box's and the hedge's size.
BOX_STAGE_TOLERANCE = 1e-12
#: A coordinate of the first stage's answer this close to a bound (relative to the box's size), with a
#: multiplier that matters, is on that bound and is put there (an interior-point first stage stops short of
#: its bounds; the move is along the multiplier's sign, so it never lowers the objective).
PINNED_DISTANCE = 1e-6
#: Eigenvalues of U_Zᵀ U_Z (at most 1: U has orthonormal rows) below this are flat directions of the optimal set.
FLAT_TOLERANCE = 1e-12


def box_min_norm(P: np.ndarray, rows: np.ndarray, q: np.ndarray, h_first: np.ndarray, lower: np.ndarray,
                 upper: np.ndarray, objective_tolerance: float) -> np.ndarray | None:
    """The second stage on the CS01 box, from the first stage's optimal face.

    Over a convex QP's minimisers the gradient :math:`g = P h + q` of :math:`\\tfrac12 h^\\top P h + q^\\top h`
    is constant (:math:`P h` is), so every minimiser keeps the coordinates with :math:`g_i \\ne 0` at the
    bound the first stage's answer :math:`h_1` holds them on (:math:`h_i = l_i` where :math:`g_i > 0`,
    :math:`u_i` where :math:`g_i < 0`: the KKT conditions), and conversely every box point with
    :math:`U h = U h_1` and those coordinates fixed is a minimiser. The optimal set is therefore

    .. math::

        S = \\{h : U h = U h_1,\\ h_i = h_{1,i}\\ (i \\notin Z),\\ l_Z \\le h_Z \\le u_Z\\},

    :math:`Z` the coordinates with :math:`g_i = 0` (inside the box, or on a bound with a zero
    multiplier: :math:`|g_i| (u_i - l_i) \\le τ / n`, so that moving all of them costs at most the
    stage's objective tolerance τ; a coordinate within :data:`PINNED_DISTANCE` of the bound its
    multiplier points to is on it, and put there), and the answer is the projection of the origin onto
    :math:`S`. When :math:`U_Z` has full column rank, :math:`S = \\{h_1\\}` (the box identifies the hedge)
    and :math:`h_1` is returned. Otherwise :math:`U_Z h_Z = U_Z h_{1,Z}` is written with an
    orthonormal basis :math:`A` of :math:`U_Z`'s row space (the eigenvectors of :math:`U_Z^\\top U_Z` with
    eigenvalue above :data:`FLAT_TOLERANCE`) and projected onto by :func:`project_onto_box_and_affine`.
    ``None`` when the Newton method does not converge (the caller solves by CVXPY).
    """
    g = P @ h_first + q
    scale = max(float(np.max(np.abs(lower), initial=0.0)), float(np.max(np.abs(upper), initial=0.0)),
                float(np.max(np.abs(h_first), initial=0.0)), 1e-300)
    near = PINNED_DISTANCE * scale
    significant = np.abs(g) * (upper - lower) > objective_tolerance / max(1, h_first.size)
    pinned_lower = significant & (g > 0) & (h_first <= lower + near)
    pinned_upper = significant & (g < 0) & (h_first >= upper - near)
    Z = np.flatnonzero(~(pinned_lower | pinned_upper))
    h = np.where(pinned_lower, lower, np.where(pinned_upper, upper, h_first))
    if Z.size == 0:
        return h
    U_Z = rows[:, Z]
    eigenvalues, vectors = np.linalg.eigh(U_Z.T @ U_Z)
    curved = eigenvalues > FLAT_TOLERANCE
    if curved.all():
        return h  # the optimal set is a single point: h₁ (on its bounds)
    A = vectors[:, curved].T
    start = h[Z]
    answer = project_onto_box_and_affine(A, A @ start, lower[Z], upper[Z], BOX_STAGE_TOLERANCE * scale,
                                         y_start=-(A @ start))
    if answer is None:
        return None
    h[Z] = answer.h
    return h


def scipy_min_norm(entries: Any, constraints: Any, data: Mapping[str, Any], h_start: np.ndarray,
                   optimum: float, P: np.ndarray | None = None) -> np.ndarray:
    """The minimum-norm minimiser from the terms' numpy twins (scipy SLSQP), for the cross-check:
    min ‖h‖² s.t. Σ w·term.value(h) ≥ optimum − τ, the box, the limits' twins and (given the
    curvature ``P``) P's curved coordinates held at scipy's own optimum ``h_start``."""
    from scipy.optimize import minimize

    from cdshedge_cvx.crosscheck._reference import twin_value, twin_violation
    from cdshedge_cvx.model import BoxLimits

    lower = np.asarray(data["cs01_min"], dtype=float)
    upper = np.asarray(data["cs01_max"], dtype=float)
    floor = optimum - MIN_NORM_TOLERANCE * max(1.0, abs(optimum))
    extra = [c for c in constraints if not isinstance(c, BoxLimits)]
    scale = max(1.0, abs(optimum))
    cons = [{"type": "ineq", "fun": lambda h: (sum(w * twin_value(t, h, data) for w, t in entries) - floor) / scale}]
    cons += [{"type": "ineq", "fun": (lambda h, c=c: -twin_violation(c, h, data))} for c in extra]
    if P is not None:
        rows = curved_directions(P)
        if rows.size:
            target = rows @ h_start
            cons.append({"type": "eq", "fun": lambda h: rows @ h - target, "jac": lambda h: rows})
    result = minimize(lambda h: float(h @ h), np.clip(h_start, lower, upper), jac=lambda h: 2.0 * h,
                      bounds=list(zip(lower, upper)), constraints=cons, method="SLSQP",
                      options={"ftol": 1e-15, "maxiter": 2000})
    return np.clip(result.x, lower, upper)


def warn_once(state: dict[str, Any], data: Mapping[str, Any], flat: int, n: int) -> None:
    """Say once per run (per :meth:`HedgeProblem.reset`) that hedges are not identified."""
    periods = state.setdefault("periods", [])
    periods.append(period_label(data))
    if len(periods) == 1:
        warnings.warn(f"period {period_label(data)}: the objective does not identify the hedge ({flat} of {n} "
                      "direction(s) without curvature, e.g. more instruments than risk observations); the "
                      "minimum-norm minimiser is returned here and in every such period (listed in "
                      "problem.unidentified_periods_); add a ridge term to choose another", UnidentifiedHedgeWarning,
                      stacklevel=4)


def identified(problem: Any, compiled: CompiledProblem, data: Mapping[str, Any],
               solution: PeriodSolution, curvature: np.ndarray | None = None) -> PeriodSolution:
    """The hook of :meth:`HedgeProblem.solve`: ``solution``, or the minimum-norm minimiser when the
    period's objective leaves directions flat (said once per run; the periods are listed in
    ``problem.unidentified_periods_``, emptied by :meth:`HedgeProblem.reset`). ``curvature``: the
    objective's P when the solve path already built it (see :func:`rank_deficiency`)."""
    flat, P, rows = _flat_directions(compiled, curvature)
    if not flat:
        return solution
    state = problem.__dict__.setdefault("_min_norm_state", {})
    warn_once(state, data, flat, compiled.n)
    problem.unidentified_periods_ = list(state["periods"])
    answer = min_norm_solution(compiled, data, solution, state.setdefault("cache", {}), P, rows)
    moved = state.setdefault("moved", set())
    (moved.add if answer is not solution else moved.discard)(period_label(data))
    return answer


def forget(problem: Any) -> None:
    """Start a new run: the warning is said again, the list of periods emptied (the compiled second stage kept)."""
    state = problem.__dict__.get("_min_norm_state")
    if state is not None:
        state.pop("periods", None)
        state.pop("moved", None)
    problem.unidentified_periods_ = []


#: Above this many instruments the scipy cross-check compares on the minimum-norm definition (a
#: dense SLSQP solve, O(n³) per iteration) only in the periods where the second stage moved the
#: answer; where the first stage's answer was kept, on the plain optimum.
SCIPY_MIN_NORM_MAX_INSTRUMENTS = 200


def is_unidentified(problem: Any, data: Mapping[str, Any]) -> bool:
    """Whether the last run answered ``data``'s period with the minimum-norm minimiser (the scipy
    cross-check then compares on that definition; above :data:`SCIPY_MIN_NORM_MAX_INSTRUMENTS`
    instruments only when the second stage moved the first stage's answer)."""
    label = period_label(data)
    if label not in getattr(problem, "unidentified_periods_", ()):
        return False
    state = problem.__dict__.get("_min_norm_state", {})
    return problem.compiled.n <= SCIPY_MIN_NORM_MAX_INSTRUMENTS or label in state.get("moved", ())
