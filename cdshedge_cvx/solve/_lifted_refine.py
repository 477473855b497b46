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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from cdshedge_cvx.model import ScipyForm

__all__ = ["LiftedQP", "refine_at_active_set"]

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
    (P_all upper-triangular) in x = (h, t); ``P``, ``q``, ``lower``, ``upper``: the condensed QP in h and
    its box; ``forms``: the terms' then the limits' forms, whose auxiliary variables are
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
    P_all: sp.csc_matrix
    q_all: np.ndarray
    A_all: sp.csc_matrix
    b_all: np.ndarray
    plus_rows: np.ndarray
    minus_rows: np.ndarray
    g_rows: list[tuple[int, int]]
    term_forms: list[tuple[int, float, ScipyForm]]
    limit_rows: list[tuple[str, int, np.ndarray, Any]]

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


def refine_at_active_set(qp: LiftedQP, x: np.ndarray, s: np.ndarray, z: np.ndarray,
                         h_solver: np.ndarray) -> np.ndarray | None:
    """The exact minimiser at the active set the solver's (x, s, z) shows, corrected by primal–dual active-set
    steps (at most :data:`MAX_CORRECTIONS`), or ``None`` when no KKT point was found (or it is not better than
    ``h_solver``, the solver's hedge). See the module."""
    n = qp.n
    A, b, G_h, G_t, g = qp.stacked()
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
    scale = max(1.0, float(np.max(np.abs(qp.upper), initial=0.0)), float(np.max(np.abs(qp.lower), initial=0.0)),
                float(np.max(np.abs(g), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    primal_tol = PRIMAL_TOLERANCE * scale
    for _ in range(MAX_CORRECTIONS + 1):
        step = _solve_at(qp, A, b, G_h, G_t, g, box, lifted, limit_active, primal_tol)
        if step is None:
            return None
        h, lam, changed = step
        if not changed:
            h = np.clip(h, qp.lower, qp.upper)
            solver = np.clip(h_solver, qp.lower, qp.upper)
            # weak duality: f* ≤ f(h_s) + λᵀ(limit rows' excess at h_s)⁺ for the solver's (box-projected) hedge
            before = qp.objective(solver) + float(lam @ np.maximum(G_h @ solver + G_t @ np.abs(A @ solver - b) - g, 0))
            if qp.objective(h) > before + 1e-12 * max(1.0, abs(before)):
                return None
            return h
    return None


def _solve_at(qp: LiftedQP, A: np.ndarray, b: np.ndarray, G_h: np.ndarray, G_t: np.ndarray, g: np.ndarray,
              box: np.ndarray, lifted: np.ndarray, limit_active: np.ndarray,
              primal_tol: float) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """Solve at the active set (``box`` +1/−1/0 per hedge, ``lifted`` +1/−1 or 0 on the kink per auxiliary
    variable, ``limit_active`` per limit row) and correct the active set in place where the answer breaks a row
    or a multiplier leaves its interval: (h, the limit rows' multipliers, whether anything changed), or ``None``
    when the equality QP has no unique answer."""
    n, cost = qp.n, qp.cost
    relevant = (cost > 0) | (np.abs(G_t[limit_active]).sum(axis=0) > 0)
    kink = relevant & (lifted == 0)
    sigma = np.where(kink, 0.0, lifted.astype(float))
    q_local = qp.q + A.T @ (cost * sigma)
    up, low, limits = np.flatnonzero(box == 1), np.flatnonzero(box == -1), np.flatnonzero(limit_active)
    kinks = np.flatnonzero(kink)
    eye = np.eye(n)
    D0 = np.vstack([eye[up], -eye[low], A[kinks], G_h[limits] + (G_t[limits] * sigma) @ A])
    e0 = np.concatenate([qp.upper[up], -qp.lower[low], b[kinks], g[limits] + (G_t[limits] * sigma) @ b])
    owners = np.concatenate([np.column_stack([np.full(up.size, _UPPER), up]),
                             np.column_stack([np.full(low.size, _LOWER), low]),
                             np.column_stack([np.full(kinks.size, _KINK), kinks]),
                             np.column_stack([np.full(limits.size, _LIMIT), limits])]).astype(int)
    groups = _parallel_groups(D0)
    if groups is None:
        return None
    directions, alphas, members, group_of = groups
    values = e0 / alphas
    first = np.array([group[0] for group in members], dtype=int)
    e = values[first]  # the first row of a group is its bound when it has one (the box holds exactly)
    if np.any(np.abs(values - e[group_of]) > SNAP_TOLERANCE * (1.0 + np.abs(e[group_of]))):
        return None  # parallel rows that cannot both bind: the solver's active set is not the answer's
    changed = False
    solved = _equality_qp(qp.P, q_local, directions, e)
    if solved is None:
        return None
    h, nu, dependent = solved
    if dependent:
        nu = _degenerate_multipliers(directions, qp.P @ h + q_local, alphas, owners, members, cost, G_t, g.size)
        if nu is None:
            return None
    gradient_scale = max(float(np.max(np.abs(qp.P @ h), initial=0.0)), float(np.max(np.abs(q_local), initial=0.0)),
                         float(np.max(cost, initial=0.0)), 1e-12)
    dual_tol = DUAL_TOLERANCE * gradient_scale
    sizes = np.bincount(group_of, minlength=len(members))
    is_limit = owners[:, 0] == _LIMIT
    if np.any(is_limit & (sizes[group_of] > 1)):
        return None  # a limit row parallel to another row: its own multiplier is not determined
    lam = np.zeros(g.size)
    lam[owners[is_limit, 1]] = nu[group_of[is_limit]] / alphas[is_limit]
    width = cost + G_t.T @ np.maximum(lam, 0.0)
    # multipliers out of their intervals: those rows stop binding (a kink's variable leaves it on the pulled side)
    is_kink = owners[:, 0] == _KINK
    kink_width = np.zeros(owners.shape[0])
    kink_width[is_kink] = width[owners[is_kink, 1]]
    lo = np.where(is_kink, -kink_width, 0.0)
    hi = np.where(is_kink, kink_width, np.inf)
    lo, hi = np.where(alphas < 0, hi, lo), np.where(alphas < 0, lo, hi)
    with np.errstate(invalid="ignore"):
        low_sum = np.bincount(group_of, weights=alphas * lo, minlength=len(members))
        high_sum = np.bincount(group_of, weights=alphas * hi, minlength=len(members))
    wrong = ~((low_sum - dual_tol <= nu) & (nu <= high_sum + dual_tol))
    if np.any(wrong):
        direction = np.where(nu > high_sum, 1, -1)
        for i in np.flatnonzero(wrong[group_of]):
            kind, index = owners[i]
            if kind in (_UPPER, _LOWER):
                box[index] = 0
            elif kind == _KINK:
                lifted[index] = int(direction[group_of[i]] * np.sign(alphas[i]))
            else:
                limit_active[index] = False
        changed = True
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
        broken = ~limit_active & (excess > primal_tol)
        if np.any(broken):
            limit_active[broken] = True
            changed = True
        elif not changed and np.any(excess > primal_tol):  # the sides' small misses add up over a limit's row
            lifted[relevant & (lifted != 0) & (lifted * residual < 0)] = 0
            changed = True
    return h, lam, changed


def _parallel_groups(D: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], np.ndarray] | None:
    """Rows of D grouped by direction: (unit direction of each group, each row's signed scale along its group's
    direction, the rows of each group in order, the group of each row)."""
    if D.shape[0] == 0:
        return np.zeros((0, D.shape[1])), np.zeros(0), [], np.zeros(0, dtype=int)
    norms = np.linalg.norm(D, axis=1)
    if np.any(norms == 0):
        return None
    U = D / norms[:, None]
    lead = np.argmax(np.abs(U) > 1e-12 * np.max(np.abs(U), axis=1, keepdims=True), axis=1)
    signs = np.sign(U[np.arange(U.shape[0]), lead])
    U = U * signs[:, None]
    alphas = norms * signs
    leader = np.argmax((U @ U.T) > 1.0 - 1e-12, axis=1)  # the first row parallel to each row
    leaders, group_of = np.unique(leader, return_inverse=True)
    order = np.argsort(group_of, kind="stable")
    members = np.split(order, np.cumsum(np.bincount(group_of))[:-1])
    return U[leaders], alphas, members, group_of


def _equality_qp(P: np.ndarray, q: np.ndarray, D: np.ndarray,
                 e: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """argmin ½hᵀPh + qᵀh s.t. D h = e, multipliers ν of P h + q + Dᵀν = 0 (zero on rows that depend on the
    others) and whether some rows did; ``None`` when the curvature on D's null space is flat (no unique
    minimiser) or the rows cannot all hold."""
    n, k = P.shape[0], D.shape[0]
    rank = 0
    if k:
        Q, R, perm = la.qr(D.T, pivoting=True)
        diagonal = np.abs(np.diag(R[:min(n, k), :min(n, k)]))
        rank = int(np.sum(diagonal > 1e-10 * diagonal[0]))
        R1, Q1, Z = R[:rank, :rank], Q[:, :rank], Q[:, rank:]
        kept = perm[:rank]
        h0 = Q1 @ la.solve_triangular(R1, e[kept], trans="T")
    else:
        Z, h0 = np.eye(n), np.zeros(n)
    if Z.shape[1]:
        H = Z.T @ P @ Z
        try:
            factor = la.cho_factor(H)
        except la.LinAlgError:
            return None
        pivots = np.abs(np.diag(factor[0]))
        if pivots.min() ** 2 <= 1e-12 * pivots.max() ** 2:
            return None
        h = h0 + Z @ la.cho_solve(factor, -Z.T @ (P @ h0 + q))
    else:
        h = h0
    nu = np.zeros(k)
    if k:
        if np.max(np.abs(D @ h - e)) > 1e-12 * (1.0 + float(np.max(np.abs(e)))):
            return None
        nu[kept] = -la.solve_triangular(R1, Q1.T @ (P @ h + q))
    return h, nu, rank < k


def _degenerate_multipliers(D: np.ndarray, gradient: np.ndarray, alphas: np.ndarray, owners: np.ndarray,
                            members: list[np.ndarray], cost: np.ndarray, G_t: np.ndarray,
                            n_limits: int) -> np.ndarray | None:
    """Multipliers ν of dependent active rows (a limit's row binding where bounds and kinks already fix every
    hedge): a point of Dᵀν = −gradient with every group's ν in its interval (a kink's widened by the limits'
    multipliers λ ≥ 0), found by HiGHS; ``None`` when there is none."""
    from scipy.optimize import linprog

    k = D.shape[0]
    # variables: ν (one per group), λ (one per limit row)
    A_eq = [np.hstack([D.T, np.zeros((D.shape[1], n_limits))])]
    b_eq = [-gradient]
    rows, rhs = [], []
    for g, group in enumerate(members):
        low = np.zeros(k + n_limits)  # ν_g ≥ Σ α_i lo_i(λ)  ⇔  Σ α_i lo_i(λ) − ν_g ≤ 0
        high = np.zeros(k + n_limits)  # ν_g ≤ Σ α_i hi_i(λ)  ⇔  ν_g − Σ α_i hi_i(λ) ≤ 0
        low[g], high[g] = -1.0, 1.0
        low_const, high_const, low_finite, high_finite = 0.0, 0.0, True, True
        for i in group:
            kind, index = owners[i]
            alpha = alphas[i]
            if kind == _KINK:  # μ ∈ [−(c + G_tᵀλ), c + G_tᵀλ]; α μ ∈ |α|·[−w, w]
                low_const -= abs(alpha) * cost[index]
                low[k:] -= abs(alpha) * G_t[:, index]
                high_const += abs(alpha) * cost[index]
                high[k:] -= abs(alpha) * G_t[:, index]
            elif kind == _LIMIT:  # ν_g = α λ_r
                equality = np.zeros(k + n_limits)
                equality[g], equality[k + index] = 1.0, -alpha
                A_eq.append(equality[None, :])
                b_eq.append(np.zeros(1))
                low_finite = high_finite = False
            elif alpha > 0:  # a bound: α μ with μ ≥ 0
                high_finite = False
            else:
                low_finite = False
        if low_finite:
            rows.append(low)
            rhs.append(-low_const)
        if high_finite:
            rows.append(high)
            rhs.append(high_const)
    bounds = [(None, None)] * k + [(0.0, None)] * n_limits
    result = linprog(np.zeros(k + n_limits), A_ub=np.array(rows) if rows else None,
                     b_ub=np.array(rhs) if rows else None,
                     A_eq=np.vstack(A_eq), b_eq=np.concatenate(b_eq), bounds=bounds, method="highs")
    return result.x[:k] if result.status == 0 else None
