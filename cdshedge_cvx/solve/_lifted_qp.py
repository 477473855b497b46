"""The general path: the condensed QP with lifted |·| terms and polyhedral limits handed to Clarabel directly.

For objectives of affine terms, subtracted quadratic forms (the variance penalty) and subtracted
piecewise-linear terms with a :class:`~cdshedge_cvx.model.ScipyForm` (transaction and roll-date
costs), under the CS01 box and limits with a ``ScipyForm`` (gross, net, turnover, jump-to-default),
the period's problem in x = (h, t) is

    minimise    ½ hᵀP h + qᵀh + cᵀt
    subject to  l ≤ h ≤ u,   −t ≤ A h − b ≤ t,   G_h h + G_t t ≤ g

with P, q from :func:`~cdshedge_cvx.solve.condense` (the linear coefficients read from CVXPY's
compiled objective, the quadratic forms from the terms), c = |w| · weights of each lifted term,
and A, b, G, g stacked from the forms. :class:`LiftedQPPath` builds it as sparse matrices and
hands it to Clarabel's own interface (no CVXPY canonicalisation per period) at its default gaps
(:data:`ACTIVE_SET_SETTINGS`, 1e-8), whose active set :func:`~cdshedge_cvx.solve._lifted_refine.refine_at_active_set`
then solves exactly (an equality-constrained QP in h, corrected by primal–dual active-set steps, accepted
only as a KKT point to rounding): hedges exact to ~1e-12 $mm/bp, where an interior-point answer alone is
O(√gap) off on the cost's kinks (4e-7 at gaps of 1e-10 on 125 instruments). When that is refused,
Clarabel re-solves at :data:`LIFTED_QP_SETTINGS` (gaps of 1e-10) and that answer stands. The answer is
accepted only if Clarabel says solved, it meets every limit's numpy twin and every lifted form gives its
term's CVXPY value at it; a period it cannot answer goes
to the CVXPY path (recorded).

**The warm route.** From the second period on, the path first tries without Clarabel: the same exact
solve and corrections (:func:`~cdshedge_cvx.solve._lifted_refine.solve_at_active_set`, at most
:data:`WARM_CORRECTIONS`) started from the active set of the last exact answer (box signs, the lifted
variables' signs and kinks, the binding limit rows), whose rows the new period's data may have made
inconsistent (a kink at the new previous holdings parallel to a bound: repaired). Its answer is taken only
when :func:`~cdshedge_cvx.solve._lifted_refine.kkt_certificate` certifies it from the hedge and the
multipliers alone (every row holding to rounding, every multiplier in its interval, stationarity to
rounding: for a convex QP the minimiser) and it meets every limit's numpy twin; otherwise (no convergence,
rows without unique multipliers, a flat reduced curvature, a changed shape) Clarabel answers as above.
Such a period is recorded with solver :data:`WARM_SOLVER` (``ACTIVE-SET``), one Clarabel answered with
``CLARABEL``; a guess Clarabel had to answer is no failure (nothing in ``fallback_from``). Its shadow prices
are the exact multipliers: the box's μ_upper − μ_lower, each limit's from its rows' λ. Where they are not
unique (a hedge on its bound and on a kink, e.g. held at its limit from the last period; limits whose rows
the bounds and kinks already fix) they are one valid choice (a supergradient of the optimum in the limit),
for the box the smallest its kinks leave to the bound, where Clarabel's interior point reports another.
On the benchmark (125 instruments) a warm period takes about 4 ms, Clarabel's route 10–15 ms. The guess is forgotten by
:meth:`LiftedQPPath.reset`, when the compiled problem or the QP's shape changes and when a period fails.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from cdshedge_cvx.errors import SpecificationError, naming
from cdshedge_cvx.model import (
    BoxLimits,
    GrossLimit,
    JumpToDefaultLimit,
    NetLimit,
    ScipyForm,
    Term,
    TurnoverLimit,
)
from cdshedge_cvx.solve._coefficients import coefficient_reader
from cdshedge_cvx.solve._compiled import CompiledProblem
from cdshedge_cvx.solve._diagnostics import feasibility_issue, polish_onto_limits
from cdshedge_cvx.solve._direct_qp import DIRECT_QP_MAX_INSTRUMENTS, condense
from cdshedge_cvx.solve._group_prices import GroupShadowPrice
from cdshedge_cvx.solve._lifted_refine import (
    ActiveSet,
    LiftedQP,
    kkt_certificate,
    refine_at_active_set,
    solve_at_active_set,
)
from cdshedge_cvx.solve._path import PathFailed, PeriodSolution, SolvePath, period_label

__all__ = ["LIFTABLE_LIMITS", "LIFTED_QP_SETTINGS", "WARM_CORRECTIONS", "WARM_SOLVER", "LiftedQPPath",
           "assemble_lifted_qp"]

#: Clarabel's settings on the lifted QP: duality gap to 1e-10 (hedges within 1e-7 of CVXPY's answer at 1e-10),
#: feasibility to 1e-11 (the limits' twins must hold to 1e-9 · max(1, limit), :data:`FEASIBILITY_TOLERANCE`).
LIFTED_QP_SETTINGS: dict[str, Any] = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-11,
                                      "tol_ktratio": 1e-8}


#: Clarabel's settings of the first solve, whose active set :func:`refine_at_active_set` solves exactly: its
#: default gaps (1e-8); when the exact solve at its active set is refused, Clarabel re-solves at
#: :data:`LIFTED_QP_SETTINGS` and that answer (refined when it can be) is the period's.
ACTIVE_SET_SETTINGS: dict[str, Any] = {"tol_gap_abs": 1e-8, "tol_gap_rel": 1e-8, "tol_feas": 1e-8, "tol_ktratio": 1e-6}


#: The most active-set corrections of the warm route (from the last period's active set, before Clarabel is asked).
WARM_CORRECTIONS = 12

#: :attr:`PeriodSolution.solver` of a period the warm route answered (no Clarabel solve).
WARM_SOLVER = "ACTIVE-SET"


#: The limits whose lifted rows this path knows how to turn into the limit's shadow price (d optimum / d limit).
LIFTABLE_LIMITS = (GrossLimit, NetLimit, TurnoverLimit, JumpToDefaultLimit)


def _dual_signs(limit: Any, form: ScipyForm) -> np.ndarray:
    """∂g_r/∂(limit) of each row of the limit's form: +1, except a net limit's lower row (−1ᵀh ≤ −lower)."""
    if isinstance(limit, NetLimit):
        return np.sign(form.G_h[:, 0])
    return np.ones(form.g.size)


def _overrides(component: Any, method: str, base: type) -> bool:
    return getattr(type(component), method) is not getattr(base, method)


def _classify(compiled: CompiledProblem) -> tuple[list[int], list[int], list[int]] | None:
    """Indices of the affine, quadratic and lifted entries, or ``None`` when an entry is none of them."""
    affine, squares, lifted = [], [], []
    for k, ((weight, term), expression) in enumerate(zip(compiled.entries, compiled.expressions)):
        if expression.is_affine():
            affine.append(k)
        elif weight < 0 and _overrides(term, "quadratic_form", Term):
            squares.append(k)
        elif weight < 0 and _overrides(term, "scipy_form", Term) and not getattr(term, "scipy_form_is_lp", False):
            lifted.append(k)
        else:
            return None
    return affine, squares, lifted


class LiftedQPPath(SolvePath):
    """The lifted QP solved exactly: from the last period's active set (the warm route, solver ``ACTIVE-SET``) or
    at Clarabel's (solver ``CLARABEL``); see the module. Accepts quadratic objectives with lifted terms or
    polyhedral limits.

    Accepts: an objective with at least one quadratic form, every other entry affine or a
    subtracted term with a ``scipy_form``; every limit the CS01 box or one of
    :data:`LIFTABLE_LIMITS` (whose shadow prices it reads from the lifted rows' multipliers);
    something besides the box-only quadratic case (which the box-QP path answers); OSQP or
    Clarabel as the chosen solver; at most
    :data:`~cdshedge_cvx.solve.DIRECT_QP_MAX_INSTRUMENTS` instruments.
    """

    name = "lifted-qp"
    solver_name = "CLARABEL"

    def __init__(self) -> None:
        self._compiled: CompiledProblem | None = None
        self._read_linear: Any = None
        self._workspace: tuple[bytes, Any] | None = None  # (sparsity and settings, Clarabel solver) of the last QP
        self._warm: ActiveSet | None = None  # the active set of the last exact answer: the next period's first guess

    def reset(self) -> None:
        self._workspace = None
        self._warm = None

    def _solver(self, qp: LiftedQP, settings: Any, key: bytes, reuse: bool) -> Any:
        """A Clarabel solver holding ``qp``: the last one with its data updated when the sparsity and settings
        are the same (Clarabel's data update skips the setup, 1 of about 8 ms per period at 125 instruments),
        else a new one."""
        import clarabel

        if reuse and self._workspace is not None and self._workspace[0] == key:
            solver = self._workspace[1]
            solver.update(P=qp.P_all, q=qp.q_all, A=qp.A_all, b=qp.b_all)
            return solver
        solver = clarabel.DefaultSolver(qp.P_all, qp.q_all, qp.A_all, qp.b_all,
                                        [clarabel.NonnegativeConeT(qp.A_all.shape[0])], settings)
        if reuse:  # Clarabel releases before data updates have no is_data_update_allowed
            allowed = getattr(solver, "is_data_update_allowed", None)
            self._workspace = (key, solver) if callable(allowed) and allowed() else None
        return solver

    def accepts(self, compiled: CompiledProblem) -> bool:
        parts = _classify(compiled)
        if parts is None or compiled.is_linear or compiled.solver not in ("OSQP", "CLARABEL"):
            return False
        _, squares, lifted = parts
        limits_ok = all(type(c) is BoxLimits or type(c) in LIFTABLE_LIMITS for c in compiled.limits)
        return (limits_ok and bool(squares) and (bool(lifted) or not compiled.box_only)
                and compiled.n <= DIRECT_QP_MAX_INSTRUMENTS)

    def _reader(self, compiled: CompiledProblem, affine: list[int]) -> Any:
        if self._compiled is not compiled:
            self._compiled = compiled
            self._warm = None
            self._read_linear = _new_reader(compiled, affine)
        return self._read_linear

    def solve(self, compiled: CompiledProblem, data: Mapping[str, Any]) -> PeriodSolution:
        qp = assemble_lifted_qp(compiled, data, self._reader)
        start = time.perf_counter()
        stacked = qp.stacked()
        warm = self._warm_route(compiled, data, qp, stacked)
        if warm is not None:
            h, prices = warm
            solver = WARM_SOLVER
        else:
            try:
                h, prices = self._clarabel_route(compiled, data, qp, stacked)
            except PathFailed:
                self._warm = None
                raise
            solver = self.solver_name
        solution = PeriodSolution.at(compiled, data, h, status=cp.OPTIMAL, solver=solver, path=self.name,
                                     shadow_prices=prices)
        solution.solve_time = time.perf_counter() - start
        for k, weight, form in qp.term_forms:
            label = compiled.labels[k]
            value = -weight * float(form.weights @ np.abs(form.A @ h - form.b))
            expected = -solution.terms[label]
            size = -weight * float(form.weights @ (np.abs(form.A @ h) + np.abs(form.b)))  # rounding of |A h − b|
            if not abs(value - expected) <= 1e-7 * (abs(value) + abs(expected)) + 1e-12 * size + 1e-12:
                self._warm = None
                raise SpecificationError(f"term {label}: scipy_form() gives {-value!r} at the optimum but its CVXPY "
                                         f"expression {-expected!r}; they must be the same function")
        return solution

    def _warm_route(self, compiled: CompiledProblem, data: Mapping[str, Any], qp: LiftedQP,
                    stacked: tuple[np.ndarray, ...]) -> tuple[np.ndarray, dict[str, Any]] | None:
        """(h, shadow prices) solved exactly from the last accepted answer's active set without Clarabel, when that
        ends at a certified KKT point meeting every limit's numpy twin; else ``None`` (Clarabel answers)."""
        guess = self._warm
        if guess is None or not guess.fits(qp):
            self._warm = None
            return None
        try:
            answer = solve_at_active_set(qp, guess.copy(), stacked, WARM_CORRECTIONS, repair=True)
        except (np.linalg.LinAlgError, ValueError):
            answer = None
        if answer is None or kkt_certificate(qp, answer, stacked) is not None \
                or feasibility_issue(compiled, answer.h, data):
            return None
        self._warm = answer.active.copy()
        prices: dict[str, Any] = {compiled.box_label: answer.box_prices.copy()}
        stacked_rows = _stacked_rows(qp)
        for label, first, signs, limit in qp.limit_rows:
            row = stacked_rows[first]
            prices[label] = _limit_price(limit, signs, answer.limit_multipliers[row:row + signs.size])
        return answer.h, prices

    def _clarabel_route(self, compiled: CompiledProblem, data: Mapping[str, Any], qp: LiftedQP,
                        stacked: tuple[np.ndarray, ...]) -> tuple[np.ndarray, dict[str, Any]]:
        """(h, shadow prices) from Clarabel's answer at :data:`ACTIVE_SET_SETTINGS`, solved exactly at its active
        set (else at :data:`LIFTED_QP_SETTINGS`, refined when it can be); the exact answer's active set is kept
        for the next period's warm route."""
        import clarabel

        n = compiled.n
        lower, upper = qp.lower, qp.upper
        h, z = None, None
        self._warm = None
        for tolerances in (ACTIVE_SET_SETTINGS, LIFTED_QP_SETTINGS):
            settings = clarabel.DefaultSettings()
            settings.verbose = False
            for key, value in {**tolerances, **_user_settings(compiled)}.items():
                setattr(settings, key, value)
            first = tolerances is ACTIVE_SET_SETTINGS  # the stage that runs every period keeps its workspace
            key = b"|".join([qp.P_all.indptr.tobytes(), qp.P_all.indices.tobytes(), qp.A_all.indptr.tobytes(),
                             qp.A_all.indices.tobytes(), repr(qp.A_all.shape).encode(),
                             repr(sorted(_user_settings(compiled).items())).encode()]) if first else b""
            try:
                solver = self._solver(qp, settings, key, first)
                result = solver.solve()
            except Exception as exc:  # the CVXPY path decides (and records it)
                self._workspace = None
                raise PathFailed([f"CLARABEL (lifted QP): {type(exc).__name__}: {exc}"]) from exc
            status = str(result.status)
            if status != "Solved":
                if tolerances is ACTIVE_SET_SETTINGS:
                    continue
                raise PathFailed([f"CLARABEL (lifted QP): status {status}"])
            x = np.asarray(result.x, dtype=float)
            z = np.asarray(result.z, dtype=float)
            exact = refine_at_active_set(qp, x, np.asarray(result.s, dtype=float), z, x[:n])
            if exact is not None:  # the duals of rows that do not bind at the exact answer are zero
                h = exact.h
                slack = qp.b_all - qp.A_all @ qp.lift(h)
                z = np.where(slack > 1e-10 * max(1.0, float(np.max(np.abs(qp.b_all), initial=0.0))), 0.0, z)
                self._warm = exact.active.copy()
                break
            h = polish_onto_limits(compiled, x[:n], data)
        issue = feasibility_issue(compiled, h, data)
        if issue:
            raise PathFailed([f"CLARABEL (lifted QP): {issue}"])
        h = np.clip(h, lower, upper)
        prices: dict[str, Any] = {compiled.box_label: z[:n] - z[n:2 * n]}
        for label, first, signs, limit in qp.limit_rows:
            prices[label] = _limit_price(limit, signs, z[first:first + signs.size])
        return h, prices


def assemble_lifted_qp(compiled: CompiledProblem, data: Mapping[str, Any], reader: Any = None) -> LiftedQP:
    """The period's lifted QP (see the module) from the compiled problem, whose Parameters hold ``data``.

    ``reader(compiled, affine)`` gives the reader of the affine entries' coefficients (a
    :class:`LiftedQPPath` keeps one per compiled problem); by default a new one is built.
    """
    parts = _classify(compiled)
    if parts is None:
        raise SpecificationError("the lifted QP path needs affine, quadratic-form and scipy_form terms")
    affine, squares, lifted = parts
    n = compiled.n
    if reader is None:
        read = _new_reader(compiled, affine)
    else:
        read = reader(compiled, affine)
    c = np.zeros(n) if read is None else read()
    quadratics = []
    for k in squares:
        weight, term = compiled.entries[k]
        with naming(f"term {compiled.labels[k]}, period {period_label(data)}", "quadratic_form()"):
            G, g, _ = term.quadratic_form()
        quadratics.append((weight, np.asarray(G, dtype=float), np.asarray(g, dtype=float)))
    P, q = condense(c, quadratics)
    term_forms: list[tuple[int, float, ScipyForm]] = []
    for k in lifted:
        weight, term = compiled.entries[k]
        form = _form(term, data, f"term {compiled.labels[k]}")
        term_forms.append((k, weight, form))
    limit_forms: list[tuple[str, ScipyForm, np.ndarray, Any]] = []
    for label, limit in zip(compiled.limit_labels, compiled.limits):
        if type(limit) is BoxLimits:
            continue
        form = _form(limit, data, f"limit {label}")
        limit_forms.append((label, form, _dual_signs(limit, form), limit))
    lower, upper = compiled.box_bounds()
    lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    forms = [form for _, _, form in term_forms] + [form for _, form, _, _ in limit_forms]
    offsets = np.concatenate([[0], np.cumsum([form.m for form in forms])]).astype(int)
    m = int(offsets[-1])
    cost = np.zeros(m)
    for (_, weight, form), offset in zip(term_forms, offsets):
        cost[offset:offset + form.m] = -weight * form.weights
    rows = 2 * n + sum(2 * form.m + (0 if form.g is None else form.g.size) for form in forms)
    b_all = np.empty(rows)
    b_all[:n], b_all[n:2 * n] = upper, -lower
    limit_rows: list[tuple[str, int, np.ndarray, Any]] = []
    plus_rows, minus_rows, g_rows = np.empty(m, dtype=int), np.empty(m, dtype=int), []
    row = 2 * n
    for index, form in enumerate(forms):
        offset = n + int(offsets[index])
        if form.m:
            lift = np.arange(form.m)
            for sign, where in ((1.0, plus_rows), (-1.0, minus_rows)):
                b_all[row:row + form.m] = sign * form.b
                where[offset - n:offset - n + form.m] = row + lift
                row += form.m
        if form.g is not None:
            size = form.g.size
            b_all[row:row + size] = form.g
            g_rows.append((index, row))
            if index >= len(term_forms):
                label, _, signs, limit = limit_forms[index - len(term_forms)]
                limit_rows.append((label, row, signs, limit))
            row += size
    return LiftedQP(n=n, P=P, q=q, lower=lower, upper=upper, forms=forms, offsets=offsets, cost=cost,
                    q_all=np.concatenate([q, cost]), b_all=b_all, plus_rows=plus_rows, minus_rows=minus_rows,
                    g_rows=g_rows, term_forms=term_forms, limit_rows=limit_rows,
                    matrices=lambda: _sparse_matrices(P, forms, offsets, rows))


def _sparse_matrices(P: np.ndarray, forms: list[ScipyForm], offsets: np.ndarray,
                     rows: int) -> tuple[sp.csc_matrix, sp.csc_matrix]:
    """Clarabel's (P_all, A_all) of the lifted QP, in :func:`assemble_lifted_qp`'s row order (built when Clarabel
    is asked: the warm route needs neither)."""
    n, m = P.shape[0], int(offsets[-1])
    eye = np.arange(n)
    entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [(eye, eye, np.ones(n)), (n + eye, eye, -np.ones(n))]
    row = 2 * n
    for index, form in enumerate(forms):
        offset = n + int(offsets[index])
        if form.m:
            lift = np.arange(form.m)
            for sign in (1.0, -1.0):
                entries.append(_dense_block(sign * form.A, row, 0))
                entries.append((row + lift, offset + lift, -np.ones(form.m)))
                row += form.m
        if form.g is not None:
            entries.append(_dense_block(form.G_h, row, 0))
            if form.m:
                entries.append(_dense_block(form.G_t, row, offset))
            row += form.g.size
    A_all = sp.csc_matrix((np.concatenate([e[2] for e in entries]),
                           (np.concatenate([e[0] for e in entries]), np.concatenate([e[1] for e in entries]))),
                          shape=(rows, n + m))
    upper_rows, upper_columns = np.triu_indices(n)
    P_all = sp.csc_matrix((P[upper_rows, upper_columns], (upper_rows, upper_columns)), shape=(n + m, n + m))
    return P_all, A_all


def _new_reader(compiled: CompiledProblem, affine: list[int]) -> Any:
    if not affine:
        return None
    expression = sum(compiled.entries[k][0] * compiled.expressions[k] for k in affine)
    return coefficient_reader(compiled.h, expression, cp.Problem(cp.Maximize(expression)))


def _limit_price(limit: Any, signs: np.ndarray, duals: np.ndarray) -> float:
    """d optimum / d limit from the duals of the limit's rows: Σ_r (∂g_r/∂limit) z_r; for a limit priced per group
    (``group_shadow_prices_from_rows``, the jump-to-default limit) that number with each group's price
    (:class:`~cdshedge_cvx.solve._group_prices.GroupShadowPrice`)."""
    total = float(signs @ duals)
    fold = getattr(limit, "group_shadow_prices_from_rows", None)
    return total if fold is None else GroupShadowPrice(total, fold(duals))


def _stacked_rows(qp: LiftedQP) -> dict[int, int]:
    """The first row of each form's limit rows in Clarabel's rows (``A_all``) → its row in :meth:`LiftedQP.stacked`."""
    out, row = {}, 0
    for k, first in qp.g_rows:
        out[first] = row
        row += qp.forms[k].g.size
    return out


def _form(part: Any, data: Mapping[str, Any], what: str) -> ScipyForm:
    """``part.scipy_form(data)``; a form the period's data cannot give (a missing key, ``None``) hands the period
    to the CVXPY path (recorded), which needs only the part's CVXPY form."""
    try:
        form = part.scipy_form(data)
    except Exception as exc:
        raise PathFailed([f"CLARABEL (lifted QP): {what}: scipy_form() failed ({type(exc).__name__}: {exc})"]) from exc
    if form is None:
        raise PathFailed([f"CLARABEL (lifted QP): {what} gave no scipy_form"])
    return form


def _dense_block(block: np.ndarray, row: int, column: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, columns, values) of the non-zero entries of ``block`` placed at (row, column)."""
    i, j = np.nonzero(block)
    return row + i, column + j, block[i, j]


def _user_settings(compiled: CompiledProblem) -> dict[str, Any]:
    """The user's Clarabel options when Clarabel is the chosen solver (its tolerances win)."""
    if compiled.solver != "CLARABEL":
        return {}
    return {k: v for k, v in compiled.solver_options.items() if k.startswith(("tol_", "max_"))}
