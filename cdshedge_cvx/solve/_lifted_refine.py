"""The lifted QP of a period as arrays, and its exact solution at the active set an interior-point solver found.

The lifted QP (:mod:`cdshedge_cvx.solve._lifted_qp`) in x = (h, t) is

    minimise    ½ hᵀP h + qᵀh + cᵀt
    subject to  h ≤ u,  −h ≤ −l,  A h − t ≤ b,  −A h − t ≤ −b,  G_h h + G_t t ≤ g

(one block of lifted rows per :class:`~cdshedge_cvx.model.ScipyForm`, c the costs' weights, zero
for a limit's auxiliary variables). An interior-point solver stops at a duality gap ε; on such a
problem (many hedges on a cost's kink h_i = h_prev,i, on the box, or both) its answer is then off
by O(√ε) in the directions the kinks pin down: at the package's gap of 1e-10 up to 4e-7 $mm/bp
on 125 instruments. :func:`refine_at_active_set` recovers the exact answer: from the solver's
slacks s and duals z it reads the active set (z_i > s_i), which says for every auxiliary
variable whether it sits at +(A_j h − b_j), at −(A_j h − b_j) or on the kink A_j h = b_j, and so
turns the problem into an equality-constrained QP in h alone,

    minimise    ½ hᵀP h + (q + Σ_j c_j σ_j A_jᵀ)ᵀ h
    subject to  h_i = u_i or l_i (active bounds),  A_j h = b_j (kinks),
                (G_h,r + Σ_j G_t,rj σ_j A_j) h = g_r + Σ_j G_t,rj σ_j b_j (active limit rows),

solved exactly (null-space method: QR of the active rows, Cholesky of the reduced curvature).
Rows that are parallel (a hedge on its bound *and* on its kink) are merged, their multipliers'
intervals added (a bound's [0, ∞), a kink's [−w_j, w_j] with w_j = c_j + Σ_r λ_r G_t,rj). The
answer is accepted only if it is a KKT point to rounding: every row holds, every multiplier lies
in its interval, every sign σ_j is kept, and the objective is no worse than the solver's.
Otherwise (a wrong active set, dependent rows, a flat reduced curvature: a singular P, which the
minimum-norm stage answers) the solver's answer stands.

Rows on one hedge (bounds, the kinks of costs and limits on single hedges, a jump-to-default group of
one index) fix that coordinate and are eliminated before the null-space method, which then runs on the
free hedges and the other rows only (at 125 instruments mostly a few dozen free hedges and one or two
limit rows). Limit rows without auxiliary variables (jump-to-default, net) may share a hedge's group as
"bound-like" rows (multiplier ≥ 0); a limit row with auxiliary variables (gross, turnover), whose
multiplier widens the kinks' intervals, must be alone in its group. Dependent rows get their multipliers
from HiGHS, one per row.

:func:`solve_at_active_set` with ``repair=True`` starts from a guess, the last period's active set (the
path's warm route): parallel rows of different values keep the value every bound-like row allows and
the kinks' variables go to its side; a limit row fixed by the other rows and left slack (or broken) by
them moves, by the rows at the edge of their intervals when its multiplier is made as small (large) as
still fits, not by dropping the limit (whose multiplier may hold many kinks); multipliers that fit no
interval are replaced by those that leave their intervals least, whose corrections follow. Its answers
are accepted only through :func:`kkt_certificate`, which checks the hedge and the multipliers alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from cdshedge_cvx.model import ScipyForm

__all__ = ["ActiveSet", "ExactAnswer", "LiftedQP", "kkt_certificate", "refine_at_active_set", "solve_at_active_set",
           "solver_active_set"]

#: Relative tolerance of the refined point's rows (of the problem's scale: its largest bound): rounding, not a
#: solver's tolerance.
PRIMAL_TOLERANCE = 1e-12
#: Parallel active rows (a hedge on its bound and on its kink h_prev) whose values differ by less than this
#: (relative) are one row at the bound's value: the previous holdings came from a solver at its tolerance.
SNAP_TOLERANCE = 1e-9
#: Relative tolerance of the refined point's multipliers (of the gradient's scale).
DUAL_TOLERANCE = 1e-9


@dataclass
class LiftedQP:
    """One period's lifted QP: the matrices handed to Clarabel and the forms they were stacked from.

    ``P_all``, ``q_all``, ``A_all``, ``b_all``: Clarabel's problem ½xᵀP_all x + q_allᵀx, A_all x ≤ b_all
    (P_all upper-triangular) in x = (h, t), the sparse matrices built by ``matrices()`` on first use (the
    warm route needs neither); ``P``, ``q``, ``lower``, ``upper``: the condensed QP in h and its box;
    ``forms``: the terms' then the limits' forms, whose auxiliary variables are
    ``t[offsets[k]:offsets[k + 1]]`` with costs ``cost``; ``plus_rows``/``minus_rows``: the rows of
    A_all of A h − t ≤ b and −A h − t ≤ −b for each auxiliary variable; ``g_rows``: (form index, first
    row) of each form's G rows; ``term_forms``, ``limit_rows``: what the path reads back.
    """

    n: int
    P: np.ndarray
    q: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    forms: list[ScipyForm]
    offsets: np.ndarray
    cost: np.ndarray
    q_all: np.ndarray
    b_all: np.ndarray
    plus_rows: np.ndarray
    minus_rows: np.ndarray
    g_rows: list[tuple[int, int]]
    term_forms: list[tuple[int, float, ScipyForm]]
    limit_rows: list[tuple[str, int, np.ndarray, Any]]
    matrices: Callable[[], tuple[sp.csc_matrix, sp.csc_matrix]] = field(repr=False, compare=False)
    _matrices: tuple[sp.csc_matrix, sp.csc_matrix] | None = field(default=None, init=False, repr=False,
                                                                  compare=False)

    @property
    def P_all(self) -> sp.csc_matrix:
        """Clarabel's quadratic cost (upper triangle) in x = (h, t)."""
        return self._sparse()[0]

    @property
    def A_all(self) -> sp.csc_matrix:
        """Clarabel's constraint matrix in x = (h, t)."""
        return self._sparse()[1]

    def _sparse(self) -> tuple[sp.csc_matrix, sp.csc_matrix]:
        if self._matrices is None:
            self._matrices = self.matrices()
        return self._matrices

    def stacked(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(A, b) of every auxiliary variable (t_j ≥ |A_j h − b_j|) and (G_h, G_t, g) of every limit row."""
        n, m = self.n, int(self.offsets[-1])
        A = np.vstack([form.A for form in self.forms]) if self.forms else np.zeros((0, n))
        b = np.concatenate([form.b for form in self.forms]) if self.forms else np.zeros(0)
        blocks = [(k, form) for k, form in enumerate(self.forms) if form.g is not None]
        G_h = np.vstack([form.G_h for _, form in blocks]) if blocks else np.zeros((0, n))
        G_t = np.zeros((G_h.shape[0], m))
        g = np.concatenate([form.g for _, form in blocks]) if blocks else np.zeros(0)
        row = 0
        for k, form in blocks:
            G_t[row:row + form.g.size, self.offsets[k]:self.offsets[k + 1]] = form.G_t
            row += form.g.size
        return A, b, G_h, G_t, g

    def lift(self, h: np.ndarray) -> np.ndarray:
        """x = (h, t) with the smallest auxiliary variables, t = |A h − b|."""
        return np.concatenate([h] + [form.lift(h) for form in self.forms])

    def objective(self, h: np.ndarray) -> float:
        """½ hᵀP h + qᵀh + Σ_j c_j |A_j h − b_j| (the minimised objective at h)."""
        return float(0.5 * h @ self.P @ h + self.q @ h + self.cost @ self.lift(h)[self.n:])


#: The most active-set corrections tried after the solver's active set before its answer is kept as it is.
MAX_CORRECTIONS = 8

_UPPER, _LOWER, _KINK, _LIMIT = 0, 1, 2, 3


@dataclass
class ActiveSet:
    """An active set of the lifted QP: ``box`` +1 (upper bound), −1 (lower) or 0 per hedge; ``lifted`` +1 or −1
    (the sign of A_j h − b_j) or 0 (on the kink A_j h = b_j) per auxiliary variable; ``limits`` per limit row
    (in :meth:`LiftedQP.stacked`'s order), whether it binds."""

    box: np.ndarray
    lifted: np.ndarray
    limits: np.ndarray

    def copy(self) -> ActiveSet:
        return ActiveSet(self.box.copy(), self.lifted.copy(), self.limits.copy())

    def fits(self, qp: LiftedQP) -> bool:
        """Whether it has the shape of ``qp``'s active sets."""
        rows = sum(form.g.size for form in qp.forms if form.g is not None)
        return self.box.shape == (qp.n,) and self.lifted.shape == (int(qp.offsets[-1]),) and \
            self.limits.shape == (rows,)


@dataclass
class ExactAnswer:
    """The exact minimiser at an active set and its multipliers.

    ``h``: the hedge; ``active``: the active set it was solved at (after the corrections);
    ``box_prices``: the multipliers of the upper minus the lower bounds (d optimum / d bound, the sign of
    Clarabel's z[:n] − z[n:2n]); where a hedge sits on its bound and on a kink at once (the multiplier
    is not unique), the smallest the kinks leave to the bound, i.e. the gain per unit of loosening it;
    ``limit_multipliers``: λ ≥ 0 of each limit row (:meth:`LiftedQP.stacked`'s order); ``kink_multipliers``:
    ξ_j ∈ [−w_j, w_j] of each auxiliary variable (w_j = c_j + Σ_r λ_r G_t,rj; ξ_j = ±w_j off its kink);
    ``corrections``: the active-set corrections it took.
    """

    h: np.ndarray
    active: ActiveSet
    box_prices: np.ndarray
    limit_multipliers: np.ndarray
    kink_multipliers: np.ndarray
    corrections: int


def primal_tolerance(qp: LiftedQP, stacked: tuple[np.ndarray, ...]) -> float:
    """:data:`PRIMAL_TOLERANCE` times the problem's scale (its largest bound, limit or kink)."""
    _, b, _, _, g = stacked
    return PRIMAL_TOLERANCE * max(1.0, float(np.max(np.abs(qp.upper), initial=0.0)),
                                  float(np.max(np.abs(qp.lower), initial=0.0)),
                                  float(np.max(np.abs(g), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))


def solver_active_set(qp: LiftedQP, x: np.ndarray, s: np.ndarray, z: np.ndarray,
                      stacked: tuple[np.ndarray, ...] | None = None) -> ActiveSet:
    """The active set an interior-point solver's (x, s, z) shows: the rows with z_i > s_i."""
    n = qp.n
    A, b, _, _, g = qp.stacked() if stacked is None else stacked
    active = z > s
    limit_active = np.zeros(g.size, dtype=bool)
    row = 0
    for k, first in qp.g_rows:
        size = qp.forms[k].g.size
        limit_active[row:row + size] = active[first:first + size]
        row += size
    box = np.where(active[:n], 1, np.where(active[n:2 * n], -1, 0))
    plus, minus = active[qp.plus_rows], active[qp.minus_rows]
    residual = A @ x[:n] - b
    lifted = np.where(plus & minus, 0, np.where(plus, 1, np.where(minus, -1, np.where(residual >= 0, 1, -1))))
    return ActiveSet(box, lifted, limit_active)


def refine_at_active_set(qp: LiftedQP, x: np.ndarray, s: np.ndarray, z: np.ndarray,
                         h_solver: np.ndarray) -> ExactAnswer | None:
    """The exact minimiser at the active set the solver's (x, s, z) shows, corrected by primal–dual active-set
    steps (at most :data:`MAX_CORRECTIONS`), or ``None`` when no KKT point was found (or it is not better than
    ``h_solver``, the solver's hedge). See the module."""
    stacked = qp.stacked()
    A, b, G_h, G_t, g = stacked
    answer = solve_at_active_set(qp, solver_active_set(qp, x, s, z, stacked), stacked)
    if answer is None:
        return None
    h, lam = answer.h, answer.limit_multipliers
    solver = np.clip(h_solver, qp.lower, qp.upper)
    # weak duality: f* ≤ f(h_s) + λᵀ(limit rows' excess at h_s)⁺ for the solver's (box-projected) hedge
    before = qp.objective(solver) + float(lam @ np.maximum(G_h @ solver + G_t @ np.abs(A @ solver - b) - g, 0))
    if qp.objective(h) > before + 1e-12 * max(1.0, abs(before)):
        return None
    return answer


def solve_at_active_set(qp: LiftedQP, active: ActiveSet, stacked: tuple[np.ndarray, ...] | None = None,
                        max_corrections: int = MAX_CORRECTIONS, repair: bool = False) -> ExactAnswer | None:
    """The exact minimiser at ``active`` (modified in place), corrected by primal–dual active-set steps (at most
    ``max_corrections``): the answer once a solve changes nothing (a KKT point to rounding), else ``None``.

    ``repair``: parallel rows of ``active`` that cannot bind together (a hedge on two kinks, or on its bound
    and a kink, of different values, as a guess carried over from another period has) keep the first (the
    bound when there is one) and the others' variables go to the side that value puts them on; without it
    such an active set is refused (a solver's active set with it is not the answer's).
    """
    stacked = qp.stacked() if stacked is None else stacked
    primal_tol = primal_tolerance(qp, stacked)
    for corrections in range(max_corrections + 1):
        step = _solve_at(qp, stacked, active, primal_tol, repair)
        if step is None:
            return None
        if step[-1]:
            continue
        h, box_prices, lam, xi, _ = step
        return ExactAnswer(np.clip(h, qp.lower, qp.upper), active, box_prices, lam, xi, corrections)
    return None


def _solve_at(qp: LiftedQP, stacked: tuple[np.ndarray, ...], active: ActiveSet, primal_tol: float,
              repair: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool] | None:
    """Solve at the active set (``box`` +1/−1/0 per hedge, ``lifted`` +1/−1 or 0 on the kink per auxiliary
    variable, ``limits`` per limit row) and correct the active set in place where the answer breaks a row
    or a multiplier leaves its interval: (h, box prices, the limit rows' multipliers λ, the auxiliary variables'
    multipliers ξ, whether anything changed), or ``None`` when the equality QP has no unique answer. The
    multipliers are meaningful only when nothing changed. ``repair``: see :func:`solve_at_active_set`.

    Rows of a group (parallel rows, one value) are a bound, limit rows without auxiliary variables (a
    jump-to-default or net row, "bound-like": a multiplier ≥ 0) and kinks; a limit row with auxiliary
    variables (gross, turnover) must be alone in its group (its multiplier widens the kinks' intervals).
    """
    A, b, G_h, G_t, g = stacked
    box, lifted, limit_active = active.box, active.lifted, active.limits
    n, cost = qp.n, qp.cost
    linear = ~np.any(G_t != 0, axis=1)  # limit rows without auxiliary variables
    for attempt in range(2):
        relevant = (cost > 0) | (np.abs(G_t[limit_active]).sum(axis=0) > 0)
        kink = relevant & (lifted == 0)
        sigma = np.where(kink, 0.0, lifted.astype(float))
        up, low, limits = np.flatnonzero(box == 1), np.flatnonzero(box == -1), np.flatnonzero(limit_active)
        kinks = np.flatnonzero(kink)
        D0 = np.zeros((up.size + low.size + kinks.size + limits.size, n))
        D0[np.arange(up.size), up] = 1.0
        D0[up.size + np.arange(low.size), low] = -1.0
        D0[up.size + low.size:up.size + low.size + kinks.size] = A[kinks]
        D0[up.size + low.size + kinks.size:] = G_h[limits] + (G_t[limits] * sigma) @ A
        e0 = np.concatenate([qp.upper[up], -qp.lower[low], b[kinks], g[limits] + (G_t[limits] * sigma) @ b])
        owners = np.concatenate([np.column_stack([np.full(up.size, _UPPER), up]),
                                 np.column_stack([np.full(low.size, _LOWER), low]),
                                 np.column_stack([np.full(kinks.size, _KINK), kinks]),
                                 np.column_stack([np.full(limits.size, _LIMIT), limits])]).astype(int)
        kinds = owners[:, 0]
        is_bound, is_limit = (kinds == _UPPER) | (kinds == _LOWER), kinds == _LIMIT
        bound_like = is_bound.copy()
        bound_like[is_limit] = linear[owners[is_limit, 1]]
        groups = _parallel_groups(D0)
        if groups is None:
            return None
        directions, alphas, _, group_of, columns = groups
        count = directions.shape[0]
        # each group's anchor: its bound, else a bound-like limit row, else its first row (the box holds exactly)
        priority = np.where(is_bound, 0, np.where(bound_like, 1, 2))
        order = np.lexsort((np.arange(kinds.size), priority, group_of))
        anchor = order[np.searchsorted(group_of[order], np.arange(count))]
        values = e0 / alphas
        e = values[anchor]
        snap = SNAP_TOLERANCE * (1.0 + np.abs(e[group_of]))
        apart = np.abs(values - e[group_of]) > snap
        if not np.any(apart):
            break
        if not repair or attempt or not _repair(apart, group_of, kinds, bound_like, owners, alphas, values, e0,
                                                box, lifted, limit_active):
            return None  # parallel rows that cannot both bind: the solver's active set is not the answer's
    q_local = qp.q + A.T @ (cost * sigma)
    changed = False
    solved = _equality_qp(qp.P, q_local, directions, e, columns)
    if solved is None:
        return None
    h, nu, dependent, consistent = solved
    fitted, loose, broken = True, np.zeros(0, dtype=int), False
    fit = None
    if dependent.size:
        if not consistent and not repair:
            return None
        gradient = qp.P @ h + q_local
        fit = (D0, gradient, alphas, owners, group_of, count, cost, G_t, g.size)
        nu = _degenerate_multipliers(*fit)[0] if consistent else None
        if nu is None:
            if not repair:
                return None
            # a guess: the multipliers that leave their intervals least say which rows stop binding
            nu = _degenerate_multipliers(*fit, least_violation=True)[0]
            if nu is None:
                return None
            fitted = False
            if not consistent:  # limit rows the others fix, all left slack or all broken by them
                rows = np.flatnonzero(np.isin(group_of, dependent))
                excess = alphas[rows] * (np.einsum("ij,j->i", directions[group_of[rows]], h) - e[group_of[rows]])
                if np.any(kinds[rows] != _LIMIT) or not (np.all(excess < 0) or np.all(excess > 0)):
                    return None
                loose, broken = rows, bool(np.all(excess > 0))
    gradient_scale = max(float(np.max(np.abs(qp.P @ h), initial=0.0)), float(np.max(np.abs(q_local), initial=0.0)),
                         float(np.max(cost, initial=0.0)), 1e-12)
    dual_tol = DUAL_TOLERANCE * gradient_scale
    sizes = np.bincount(group_of, minlength=count)
    if np.any(is_limit & ~bound_like & (sizes[group_of] > 1)):
        return None  # a limit row with auxiliary variables parallel to another row: its multiplier is not determined
    lam = np.zeros(g.size)
    alone = is_limit & (sizes[group_of] == 1)
    lam[owners[alone, 1]] = nu[group_of[alone]] / alphas[alone]
    width = cost + G_t.T @ np.maximum(lam, 0.0)  # the limits with auxiliary variables are alone in their groups
    # multipliers out of their intervals: those rows stop binding (a kink's variable leaves it on the pulled side)
    is_kink = kinds == _KINK
    kink_width = np.zeros(owners.shape[0])
    kink_width[is_kink] = width[owners[is_kink, 1]]
    lo = np.where(is_kink, -kink_width, 0.0)
    hi = np.where(is_kink, kink_width, np.inf)
    lo, hi = np.where(alphas < 0, hi, lo), np.where(alphas < 0, lo, hi)
    with np.errstate(invalid="ignore"):
        low_sum = np.bincount(group_of, weights=alphas * lo, minlength=count)
        high_sum = np.bincount(group_of, weights=alphas * hi, minlength=count)
    wrong = ~((low_sum - dual_tol <= nu) & (nu <= high_sum + dual_tol))
    if np.any(wrong):
        direction = np.where(nu > high_sum, 1, -1)
        _release(np.flatnonzero(wrong[group_of]), direction, group_of, owners, alphas, box, lifted, limit_active)
        changed = True
    elif loose.size:
        # limit rows the others fix and leave slack: their smallest multipliers that fit; zero, they stop binding; else
        # the rows that keep them from being smaller (at the edge of their intervals) leave to that side, to use what
        # the limit leaves. Limit rows the others break: the rows that keep their multipliers from being larger leave.
        extreme, edges, sides = _degenerate_multipliers(*fit, extreme=(owners[loose, 1], -1.0 if broken else 1.0))
        if extreme is None:
            return None
        keep = ~np.isin(edges, group_of[loose])
        edges, sides = edges[keep], sides[keep]
        if not broken and (np.all(np.abs(extreme[group_of[loose]]) <= dual_tol) or not edges.size):
            limit_active[owners[loose, 1]] = False
        elif not edges.size:
            return None
        else:
            direction = np.zeros(count, dtype=int)
            direction[edges] = sides
            _release(np.flatnonzero(np.isin(group_of, edges)), direction, group_of, owners, alphas, box, lifted,
                     limit_active)
        changed = True
    elif not fitted:
        return None  # no multipliers fit, yet none is out of its interval (to the tolerance): no correction to make
    # rows broken at h: they bind
    above, below = h > qp.upper + primal_tol, h < qp.lower - primal_tol
    if np.any(above | below):
        box[above], box[below] = 1, -1
        changed = True
    residual = A @ h - b
    flipped = relevant & (lifted != 0) & (lifted * residual < -primal_tol)
    if np.any(flipped):
        lifted[flipped] = 0
        changed = True
    if g.size:
        excess = G_h @ h + G_t @ np.abs(residual) - g
        broken_rows = ~limit_active & (excess > primal_tol)
        if np.any(broken_rows):
            limit_active[broken_rows] = True
            changed = True
        elif not changed and np.any(excess > primal_tol):  # the sides' small misses add up over a limit's row
            lifted[relevant & (lifted != 0) & (lifted * residual < 0)] = 0
            changed = True
    if changed:
        return h, np.zeros(n), lam, np.zeros(cost.size), True
    box_prices, xi = _split_multipliers(nu, alphas, owners, group_of, order, bound_like, width, sigma, lam, n)
    return h, box_prices, lam, xi, False


def _repair(apart: np.ndarray, group_of: np.ndarray, kinds: np.ndarray, bound_like: np.ndarray, owners: np.ndarray,
            alphas: np.ndarray, values: np.ndarray, e0: np.ndarray, box: np.ndarray, lifted: np.ndarray,
            limit_active: np.ndarray) -> bool:
    """Make a guess's parallel rows of different values consistent (in place): in each such group the value
    every bound-like row allows binds (the bound's first), the other bound-like rows stop binding and the
    kinks' variables go to the side that value puts them on; ``False`` when no value is allowed by all, or a
    limit row with auxiliary variables is among them."""
    for group in np.unique(group_of[apart]):
        rows = np.flatnonzero(group_of == group)
        limits = rows[bound_like[rows]]
        if np.any((kinds[rows] == _LIMIT) & ~bound_like[rows]):
            return False
        if limits.size:  # D0_r h ≤ e0_r along the group's direction: α_r v ≤ e0_r
            slack = SNAP_TOLERANCE * (1.0 + np.abs(e0[limits]))
            allowed = [r for r in limits if np.all(alphas[limits] * values[r] <= e0[limits] + slack)]
            if not allowed:
                return False
            value = values[allowed[0]]
        else:
            value = values[rows[0]]
        off = rows[np.abs(values[rows] - value) > SNAP_TOLERANCE * (1.0 + abs(value))]
        for r in off:
            kind, index = owners[r]
            if kind == _KINK:
                lifted[index] = 1 if alphas[r] * value - e0[r] > 0 else -1
            elif kind == _LIMIT:
                limit_active[index] = False
            else:
                box[index] = 0
    return True


def _release(rows: np.ndarray, direction: np.ndarray, group_of: np.ndarray, owners: np.ndarray, alphas: np.ndarray,
             box: np.ndarray, lifted: np.ndarray, limit_active: np.ndarray) -> None:
    """Rows whose group's multiplier leaves its interval (``direction``: +1 above, −1 below) stop binding: bounds
    and limits leave, a kink's variable goes to the side it is pulled to."""
    kinds, indices = owners[rows, 0], owners[rows, 1]
    box[indices[(kinds == _UPPER) | (kinds == _LOWER)]] = 0
    at = kinds == _KINK
    lifted[indices[at]] = (direction[group_of[rows[at]]] * np.sign(alphas[rows[at]])).astype(int)
    limit_active[indices[kinds == _LIMIT]] = False


def _split_multipliers(nu: np.ndarray, alphas: np.ndarray, owners: np.ndarray, group_of: np.ndarray,
                       order: np.ndarray, bound_like: np.ndarray, width: np.ndarray, sigma: np.ndarray,
                       lam: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's multiplier from its group's ν (unique unless a group has a bound and a kink, two kinks or two
    bound-like rows): the group's kinks take what they can, clip(ν, −W, W) with W = Σ |α_j| w_j, in proportion to
    their |α_j| w_j (each within its [−w_j, w_j]), its first bound-like row of the rest's sign (the bound before a
    limit row) the rest; (upper minus lower bound multipliers per hedge, ξ per auxiliary variable, σ_j w_j off
    the kinks); the bound-like limit rows' λ written into ``lam``."""
    count = nu.size
    is_kink = owners[:, 0] == _KINK
    capacity = np.zeros(owners.shape[0])
    capacity[is_kink] = np.abs(alphas[is_kink]) * width[owners[is_kink, 1]]
    total = np.bincount(group_of, weights=capacity, minlength=count)
    taken = np.clip(nu, -total, total)
    share = np.divide(taken, total, out=np.zeros(count), where=total > 0)
    xi = sigma * width
    rows = np.flatnonzero(is_kink)
    xi[owners[rows, 1]] = share[group_of[rows]] * capacity[rows] / alphas[rows]
    rest = nu - taken
    fits = bound_like & (np.sign(alphas) == np.sign(rest[group_of])) & (rest[group_of] != 0)
    candidates = order[fits[order]]  # by group, bounds first
    takers = candidates[np.unique(group_of[candidates], return_index=True)[1]]
    box_prices = np.zeros(n)
    bounds = takers[owners[takers, 0] != _LIMIT]  # α = +1 (upper) or −1 (lower): μ_up − μ_low = α μ = the rest
    box_prices[owners[bounds, 1]] = rest[group_of[bounds]]
    limits = owners[:, 0] == _LIMIT
    lam[owners[limits & bound_like, 1]] = 0.0
    takers = takers[owners[takers, 0] == _LIMIT]
    lam[owners[takers, 1]] = rest[group_of[takers]] / alphas[takers]
    return box_prices, xi


def kkt_certificate(qp: LiftedQP, answer: ExactAnswer, stacked: tuple[np.ndarray, ...] | None = None) -> str | None:
    """Why ``answer`` is not a KKT point of the period's problem to rounding, or ``None`` when it is one.

    Checked from the answer's hedge and multipliers alone (not the active set they came from): every row
    holds to :data:`PRIMAL_TOLERANCE` of the problem's scale; every multiplier lies in its interval (the
    bounds' and the limits' of their sign and zero where the row does not bind, each auxiliary variable's
    ξ_j = w_j sign(A_j h − b_j) off its kink and |ξ_j| ≤ w_j on it), to :data:`DUAL_TOLERANCE` of the
    gradient's scale; and stationarity P h + q + Aᵀξ + G_hᵀλ + μ = 0 to the same. For a convex QP such a
    point is the minimiser (to those tolerances).
    """
    A, b, G_h, G_t, g = qp.stacked() if stacked is None else stacked
    h, mu, lam, xi = answer.h, answer.box_prices, answer.limit_multipliers, answer.kink_multipliers
    primal_tol = primal_tolerance(qp, (A, b, G_h, G_t, g))
    if not np.all(np.isfinite(h)) or np.any(h > qp.upper + primal_tol) or np.any(h < qp.lower - primal_tol):
        return "outside the box"
    residual = A @ h - b
    slack = g - (G_h @ h + G_t @ np.abs(residual))
    if np.any(slack < -primal_tol):
        return "a limit row is broken"
    curvature = qp.P @ h
    gradient = curvature + qp.q
    dual_tol = DUAL_TOLERANCE * max(float(np.max(np.abs(curvature), initial=0.0)),
                                    float(np.max(np.abs(qp.q), initial=0.0)), float(np.max(qp.cost, initial=0.0)),
                                    1e-12)
    if np.any(lam < -dual_tol) or np.any((lam > dual_tol) & (slack > primal_tol)):
        return "a limit multiplier out of its interval"
    at_upper, at_lower = h >= qp.upper - primal_tol, h <= qp.lower + primal_tol
    if np.any((mu > dual_tol) & ~at_upper) or np.any((mu < -dual_tol) & ~at_lower):
        return "a box multiplier out of its interval"
    width = qp.cost + G_t.T @ lam
    off = np.abs(residual) > primal_tol
    if np.any(np.abs(xi) > width + dual_tol) or np.any(off & (np.abs(xi - np.sign(residual) * width) > dual_tol)):
        return "an auxiliary variable's multiplier out of its interval"
    stationarity = gradient + A.T @ xi + G_h.T @ lam + mu
    if np.max(np.abs(stationarity), initial=0.0) > dual_tol:
        return f"stationarity off by {float(np.max(np.abs(stationarity))):.2e}"
    return None


def _parallel_groups(D: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Rows of D grouped by direction: (unit direction of each group, each row's signed scale along its group's
    direction, the first row of each group, the group of each row, each group's coordinate when its
    direction is a unit vector e_i, else −1). Rows with one non-zero entry (bounds, the kinks of costs on
    single hedges) are grouped by their column; the others by their directions' inner products."""
    if D.shape[0] == 0:
        return np.zeros((0, D.shape[1])), np.zeros(0), np.zeros(0, dtype=int), np.zeros(0, dtype=int), \
            np.zeros(0, dtype=int)
    k = D.shape[0]
    nonzero = D != 0
    counts = nonzero.sum(axis=1)
    if np.any(counts == 0):
        return None
    lead = np.argmax(nonzero, axis=1)  # the first non-zero entry of each row
    leads = D[np.arange(k), lead]
    alphas = np.empty(k)
    leader = np.empty(k, dtype=int)
    single = counts == 1
    rows = np.flatnonzero(single)
    if rows.size:
        alphas[rows] = leads[rows]
        _, first, inverse = np.unique(lead[rows], return_index=True, return_inverse=True)
        leader[rows] = rows[first[inverse]]
    general = np.flatnonzero(~single)
    if general.size:
        block = D[general]
        norms = np.linalg.norm(block, axis=1)
        U = block / norms[:, None]
        big = np.abs(U) > 1e-12 * np.max(np.abs(U), axis=1, keepdims=True)
        signs = np.sign(U[np.arange(general.size), np.argmax(big, axis=1)])
        U *= signs[:, None]
        alphas[general] = norms * signs
        leader[general] = general[np.argmax((U @ U.T) > 1.0 - 1e-12, axis=1)]  # the first row parallel to each row
    leaders, group_of = np.unique(leader, return_inverse=True)
    directions = D[leaders] / alphas[leaders][:, None]
    columns = np.where(single[leaders], lead[leaders], -1)
    directions[columns >= 0] = 0.0
    directions[np.flatnonzero(columns >= 0), columns[columns >= 0]] = 1.0
    return directions, alphas, leaders, group_of, columns


def _equality_qp(P: np.ndarray, q: np.ndarray, D: np.ndarray, e: np.ndarray,
                 columns: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool] | None:
    """argmin ½hᵀPh + qᵀh s.t. D h = e, multipliers ν of P h + q + Dᵀν = 0 (zero on rows that depend on the
    others), the rows that did and whether the rows all hold at h (when some depend on the others they may
    not); ``None`` when the curvature on D's null space is flat (no unique minimiser). ``columns``: per row of
    D, the coordinate i when the row is the unit vector e_i (it fixes h_i: eliminated before the null-space
    method on the others), else −1."""
    n, k = P.shape[0], D.shape[0]
    columns = np.full(k, -1, dtype=int) if columns is None else columns
    fixed_rows = np.flatnonzero(columns >= 0)
    fixed = columns[fixed_rows]
    if np.unique(fixed).size < fixed.size:
        raise ValueError("two rows fix the same coordinate")  # _parallel_groups merges them
    rows = np.flatnonzero(columns < 0)
    free = np.ones(n, dtype=bool)
    free[fixed] = False
    free_index = np.flatnonzero(free)
    h = np.zeros(n)
    h[fixed] = e[fixed_rows]
    M = D[np.ix_(rows, free_index)]
    target = e[rows] - D[np.ix_(rows, fixed)] @ h[fixed]
    P_ff = P[np.ix_(free_index, free_index)]
    q_f = q[free_index] + P[np.ix_(free_index, fixed)] @ h[fixed]
    rank = 0
    if rows.size:
        Q, R, perm = la.qr(M.T, pivoting=True)
        m = min(free_index.size, rows.size)
        diagonal = np.abs(np.diag(R[:m, :m]))
        rank = int(np.sum(diagonal > 1e-10))  # D's rows are unit vectors
        R1, Q1, Z = R[:rank, :rank], Q[:, :rank], Q[:, rank:]
        kept = rows[perm[:rank]]
        h0 = Q1 @ la.solve_triangular(R1, target[perm[:rank]], trans="T")
    else:
        Z, h0 = np.eye(free_index.size), np.zeros(free_index.size)
    if Z.shape[1]:
        H = Z.T @ P_ff @ Z
        try:
            factor = la.cho_factor(H)
        except la.LinAlgError:
            return None
        pivots = np.abs(np.diag(factor[0]))
        if pivots.min() ** 2 <= 1e-12 * pivots.max() ** 2:
            return None
        h_free = h0 + Z @ la.cho_solve(factor, -Z.T @ (P_ff @ h0 + q_f))
    else:
        h_free = h0
    h[free_index] = h_free
    nu = np.zeros(k)
    dependent = rows[perm[rank:]] if rows.size else rows
    if k:
        if np.max(np.abs(D @ h - e)) > 1e-12 * (1.0 + float(np.max(np.abs(e)))):
            return h, nu, dependent, False
        gradient = P @ h + q
        if rank:
            nu[kept] = -la.solve_triangular(R1, Q1.T @ gradient[free_index])
        nu[fixed_rows] = -(gradient + D[rows].T @ nu[rows])[fixed]
    return h, nu, dependent, True


def _degenerate_multipliers(D: np.ndarray, gradient: np.ndarray, alphas: np.ndarray, owners: np.ndarray,
                            group_of: np.ndarray, count: int, cost: np.ndarray, G_t: np.ndarray, n_limits: int,
                            least_violation: bool = False, extreme: tuple[np.ndarray, float] | None = None,
                            ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Multipliers of dependent active rows ``D`` (a limit's row binding where bounds and kinks already fix every
    hedge), one per row: μ with Dᵀμ = −gradient, a bound's μ ≥ 0, a kink's |μ_j| ≤ c_j + Σ_r λ_r G_t,rj, a limit
    row's μ = λ_r ≥ 0, found by HiGHS; returned as each group's ν = Σ α_i μ_i, or ``None`` when there are none.

    ``least_violation``: when there are none, the multipliers that leave their intervals least (in sum), whose
    corrections then change the active set. ``extreme`` (limit rows, +1 or −1): the multipliers where the sum of
    those rows' λ is smallest (+1) or largest (−1). Also returned: the groups one of whose rows' interval ends
    binds HiGHS's optimum, and the side (+1 above, −1 below) their ν would leave by.
    """
    from scipy.optimize import linprog

    k = D.shape[0]
    kinds, indices = owners[:, 0], owners[:, 1]
    kinks, limits = np.flatnonzero(kinds == _KINK), np.flatnonzero(kinds == _LIMIT)
    bounds = np.flatnonzero((kinds == _UPPER) | (kinds == _LOWER))
    # inequalities over (μ, λ): μ_i − G_t,jᵀλ ≤ c_j and −μ_i − G_t,jᵀλ ≤ c_j (kinks), −μ_i ≤ 0 (bounds)
    A_ub = np.zeros((2 * kinks.size + bounds.size, k + n_limits))
    A_ub[np.arange(kinks.size), kinks] = 1.0
    A_ub[kinks.size + np.arange(kinks.size), kinks] = -1.0
    A_ub[:kinks.size, k:] = -G_t[:, indices[kinks]].T
    A_ub[kinks.size:2 * kinks.size, k:] = -G_t[:, indices[kinks]].T
    A_ub[2 * kinks.size + np.arange(bounds.size), bounds] = -1.0
    b_ub = np.concatenate([cost[indices[kinks]], cost[indices[kinks]], np.zeros(bounds.size)])
    # the side a group's ν leaves by when each inequality binds
    sides = np.concatenate([np.sign(alphas[kinks]), -np.sign(alphas[kinks]), -np.sign(alphas[bounds])])
    owner_rows = np.concatenate([kinks, kinks, bounds])
    A_eq = np.zeros((D.shape[1] + limits.size, k + n_limits))
    A_eq[:D.shape[1], :k] = D.T
    A_eq[D.shape[1] + np.arange(limits.size), limits] = 1.0  # μ_i = λ_r
    A_eq[D.shape[1] + np.arange(limits.size), k + indices[limits]] = -1.0
    b_eq = np.concatenate([-gradient, np.zeros(limits.size)])
    in_set = np.zeros(n_limits, dtype=bool)
    in_set[indices[limits]] = True  # the other limit rows' λ are zero (they widen no kink)
    bounds_of = [(None, None)] * k + [(0.0, None) if held else (0.0, 0.0) for held in in_set]
    objective = np.zeros(k + n_limits)
    if extreme is not None:
        objective[k + np.asarray(extreme[0], dtype=int)] = extreme[1]
    A_ub, A_eq = sp.csr_matrix(A_ub), sp.csr_matrix(A_eq)
    if least_violation:  # one slack per inequality, their sum minimised
        rows = A_ub.shape[0]
        A_ub = sp.hstack([A_ub, -sp.identity(rows)], format="csr")
        A_eq = sp.hstack([A_eq, sp.csr_matrix((A_eq.shape[0], rows))], format="csr")
        bounds_of += [(0.0, None)] * rows
        objective = np.concatenate([objective, np.ones(rows)])
    result = linprog(objective, A_ub=A_ub if A_ub.shape[0] else None, b_ub=b_ub if A_ub.shape[0] else None,
                     A_eq=A_eq, b_eq=b_eq, bounds=bounds_of, method="highs")
    if result.status != 0:
        return None, np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    nu = np.bincount(group_of, weights=alphas * result.x[:k], minlength=count)
    if not A_ub.shape[0]:
        return nu, np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    marginals = np.abs(np.asarray(result.ineqlin.marginals))
    binding = np.flatnonzero(marginals > 1e-9 * max(1.0, float(np.max(marginals, initial=0.0))))
    return nu, group_of[owner_rows[binding]], sides[binding].astype(int)
