"""The independent scipy cross-check.

Each period is solved again with :func:`scipy.optimize.minimize` from the terms' numpy twins
(:meth:`Term.value`, with analytic gradients where the terms give them) and the constraints'
numpy twins (:meth:`Constraint.violation`). The CVXPY expressions are never evaluated here.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.optimize import minimize

from cdshedge_cvx.errors import CdsHedgeError, CrossCheckError, CrossCheckWarning, SpecificationError, naming
from cdshedge_cvx.model import BoxLimits, Constraint, Term

if TYPE_CHECKING:
    from cdshedge_cvx.solve._problem import HedgeProblem

__all__ = ["DEFAULT_TOLERANCES", "SLSQP_POLISH_MAX_INSTRUMENTS", "CrossCheck", "box_gap", "cross_check", "report",
           "scipy_solve", "twin_gradient", "twin_value", "twin_violation"]

#: objective: |gap| ≤ abs + rel·|objective| ($mm); allocation: max |Δh| ≤ alloc · max(1, limit range)
DEFAULT_TOLERANCES = {"objective_abs": 1e-7, "objective_rel": 1e-6, "allocation": 1e-4}
#: Above this many instruments the box-only cold solve is projected Newton on the twins' Hessian instead of
#: L-BFGS-B polished by SLSQP (O(n³) per iteration: 75 s for 2000 instruments).
SLSQP_POLISH_MAX_INSTRUMENTS = 50
#: Above :data:`SLSQP_POLISH_MAX_INSTRUMENTS`, the iterations of L-BFGS-B when projected Newton alone does not converge.
LBFGS_MAX_ITERATIONS_LARGE = 1000
#: Eigenvalues of the twins' curvature below this times the largest are flat directions.
FLAT_TOLERANCE = 1e-10
#: A minimiser to rounding: the Frank–Wolfe gap within this share of max(1, |objective|).
CONVERGED_GAP = 1e-12
#: Coordinates within this share of the box's widest range of a bound (and pushed out by the gradient)
#: are held there by a projected Newton step (Bertsekas' ε, shrunk with the projected gradient).
HELD_WIDTH = 1e-4
#: The Newton step solves by Cholesky when the factor's smallest diagonal is above this share of its largest
#: (the block's condition number then at most about 1e10); otherwise by ``lstsq``.
CHOLESKY_RANGE = 1e-5


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
    kind : str
        ``cold`` (scipy solved the period from its own starts), ``warm`` (scipy started from the
        package's answer: see :func:`~cdshedge_cvx.crosscheck.warm_check`) or ``warm+cold`` (both).
    """

    scipy_h: np.ndarray
    scipy_objective: float
    cvxpy_objective: float
    objective_gap: float
    twin_gap: float
    allocation_gap: float
    ok: bool
    message: str
    kind: str = "cold"


def _where(kind: str, name: str, data: Mapping[str, Any]) -> str:
    return f"{kind} {name}, period {data.get('period', '?')}"


# The twins run inside scipy's loops: they are called plainly, and only a failure goes through
# errors.naming (a context manager per call would cost more than some twins).
def twin_value(term: Term, h: np.ndarray, data: Mapping[str, Any]) -> float:
    """``term.value(h, data)`` as a float; an exception in it is re-raised naming the term and the period."""
    try:
        return float(term.value(h, data))
    except Exception:
        with naming(_where("term", term.name, data), "value()"):
            raise


def twin_gradient(term: Term, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray | None:
    """``term.gradient(h, data)`` (``None`` when not given), naming the term and the period on error."""
    try:
        gradient = term.gradient(h, data)
        return None if gradient is None else np.asarray(gradient, dtype=float)
    except Exception:
        with naming(_where("term", term.name, data), "gradient()"):
            raise


def twin_violation(constraint: Constraint, h: np.ndarray, data: Mapping[str, Any]) -> float:
    """``constraint.violation(h, data)`` as a float, naming the constraint and the period on error."""
    try:
        return float(constraint.violation(h, data))
    except Exception:
        with naming(_where("constraint", constraint.name, data), "violation()"):
            raise


def _objective_and_gradient(entries: Sequence[tuple[float, Term]], data: Mapping[str, Any]):
    def f(h: np.ndarray) -> float:
        return -float(sum(w * twin_value(t, h, data) for w, t in entries))

    probe = np.zeros(len(data["cs01_min"])) if "cs01_min" in data else None
    has_gradient = probe is not None and all(twin_gradient(t, probe, data) is not None for _, t in entries)
    if not has_gradient:
        return f, None

    def grad(h: np.ndarray) -> np.ndarray:
        return -np.sum([w * twin_gradient(t, h, data) for w, t in entries], axis=0)

    return f, grad


def _lifted_problem(entries: Sequence[tuple[float, Term]], extra: Sequence[Constraint], data: Mapping[str, Any],
                    n: int):
    """Objective, gradient and linear constraints in x = (h, t) from the terms' and limits' forms."""
    smooth, lifted_terms, forms = [], [], []
    for weight, term in entries:
        form = term.scipy_form(data) if weight < 0 else None  # a lifted term is exact only when subtracted
        if form is None:
            smooth.append((weight, term))
        else:
            lifted_terms.append((weight, form))
            forms.append(form)
    limits, nonsmooth = [], []
    for c in extra:
        form = c.scipy_form(data)
        if form is None:
            nonsmooth.append(c)
        else:
            limits.append(form)
            forms.append(form)
    offsets, m = [], 0
    for form in forms:
        offsets.append(m)
        m += form.m
    position = {id(form): offset for form, offset in zip(forms, offsets)}
    f_h, grad_h = _objective_and_gradient(smooth, data) if smooth else (lambda h: 0.0, lambda h: np.zeros(n))
    cost = np.zeros(m)
    for weight, form in lifted_terms:
        k = position[id(form)]
        cost[k:k + form.m] -= weight * form.weights  # minimised: −w · weights · t with w < 0

    def f(x: np.ndarray) -> float:
        return f_h(x[:n]) + float(cost @ x[n:])

    grad = None
    if grad_h is not None:
        def grad(x: np.ndarray) -> np.ndarray:
            return np.concatenate([grad_h(x[:n]), cost])

    rows_h, rows_t, rhs = [], [], []
    for form in forms:
        k = position[id(form)]
        if form.m:
            lift_t = np.zeros((form.m, m))
            lift_t[:, k:k + form.m] = np.eye(form.m)
            rows_h += [form.A, -form.A]
            rows_t += [-lift_t, -lift_t]
            rhs += [form.b, -form.b]
        if form.g is not None:
            block = np.zeros((form.g.size, m))
            block[:, k:k + form.m] = form.G_t
            rows_h.append(form.G_h)
            rows_t.append(block)
            rhs.append(form.g)
    matrix = np.hstack([np.vstack(rows_h), np.vstack(rows_t)]) if rows_h else np.zeros((0, n + m))
    bound = np.concatenate(rhs) if rhs else np.zeros(0)
    constraints = []
    if bound.size:
        constraints.append({"type": "ineq", "fun": lambda x: bound - matrix @ x, "jac": lambda x: -matrix})
    for c in nonsmooth:
        constraints.append({"type": "ineq", "fun": (lambda x, c=c: -twin_violation(c, x[:n], data))})

    def lift(h: np.ndarray) -> np.ndarray:
        t = [form.lift(h) for form in forms]
        return np.concatenate([h, *t]) if t else h

    return f, grad, constraints, m, lift


def _stationary(h: np.ndarray, grad: Any, lower: np.ndarray, upper: np.ndarray, gtol: float) -> bool:
    """Whether the projected gradient of the minimised objective vanishes at ``h`` (to ``gtol``):
    max_i |clip(h_i − g_i, l_i, u_i) − h_i| ≤ gtol, L-BFGS-B's own stopping test."""
    if grad is None:
        return False
    step = np.clip(h - np.asarray(grad(h), dtype=float), lower, upper) - h
    return bool(np.max(np.abs(step), initial=0.0) <= gtol)


def _probe_steps(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """The forward-difference steps of :func:`twin_hessian`: half the box's width, 1 where unbounded."""
    width = np.asarray(upper, dtype=float) - np.asarray(lower, dtype=float)
    return np.where(np.isfinite(width) & (width > 0), 0.5 * width, 1.0)


def twin_hessian(grad: Any, h: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """The Hessian of the minimised objective at ``h`` from the twins' gradient, by forward differences
    (n + 1 gradient calls): column i = (∇f(h + sᵢeᵢ) − ∇f(h)) / sᵢ, symmetrised.

    Exact up to rounding for a quadratic objective whatever the step, so the step is large (half
    the box's width, 1 where the box is unbounded) to keep the rounding small: eps·|∇f| / sᵢ.
    """
    h = np.asarray(h, dtype=float)
    steps = _probe_steps(lower, upper)
    base = np.asarray(grad(h), dtype=float)
    columns = np.empty((h.size, h.size))
    probe = h.copy()
    for i, step in enumerate(steps):
        probe[i] = h[i] + step
        columns[:, i] = (np.asarray(grad(probe), dtype=float) - base) / step
        probe[i] = h[i]
    return 0.5 * (columns + columns.T)


def _free(h: np.ndarray, g: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """The coordinates not held at a bound by the gradient (the minimised objective's)."""
    width = 1e-13 * np.maximum(1.0, np.maximum(np.abs(lower), np.abs(upper)))
    return ~(((h <= lower + width) & (g > 0)) | ((h >= upper - width) & (g < 0)))


def box_gap(g: np.ndarray, h: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """The Frank–Wolfe gap at ``h`` of a convex f minimised on the box, from its gradient ``g`` there.

    f(x) ≥ f(h) + g·(x − h), so f(h) − min_box f ≤ −Σ_i min(g_i (l_i − h_i), g_i (u_i − h_i)):
    a rigorous bound on what any point of the box can still gain (0 at the minimiser).
    """
    return float(-np.sum(np.minimum(g * (lower - h), g * (upper - h))))


def _converged(value: float, g: np.ndarray, h: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> bool:
    """Whether ``h`` minimises the convex f on the box to rounding: Frank–Wolfe gap ≤ CONVERGED_GAP·max(1, |f|)."""
    return bool(np.isfinite(value) and box_gap(g, h, lower, upper) <= CONVERGED_GAP * max(1.0, abs(value)))


def _newton_step(block: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """d with block · d = rhs: by Cholesky when the block is clearly positive definite (its factor's
    diagonal within :data:`CHOLESKY_RANGE` of its largest), else the minimum-norm least-squares
    solution (scipy's ``lstsq``, singular values below 1e-12 of the largest treated as 0)."""
    from scipy.linalg import LinAlgError, cho_factor, cho_solve, lstsq

    try:
        factor = cho_factor(block, check_finite=False)
        pivots = np.abs(np.diag(factor[0]))
        if pivots.size and float(np.min(pivots)) > CHOLESKY_RANGE * float(np.max(pivots)):
            return cho_solve(factor, rhs, check_finite=False)
    except LinAlgError:
        pass
    cond = 1e-12 if float(np.max(np.abs(np.diag(block)), initial=0.0)) > 0 else None
    return lstsq(block, rhs, cond=cond, lapack_driver="gelsy")[0]


def projected_newton(f: Any, grad: Any, h: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                     hessian: np.ndarray, max_iterations: int = 100) -> np.ndarray:
    """Minimise a smooth convex ``f`` over the box from ``h`` by projected Newton steps (Bertsekas 1982).

    Each step holds the set I of coordinates within ε of a bound with the gradient pushing them
    out (ε = min(:data:`HELD_WIDTH` · widest range, ‖projected scaled gradient‖), Bertsekas'
    ε-active set), moves them onto that bound (Δ_I), and takes the Newton step on the others F
    given that move: H_FF d_F = −(g_F + H_FI Δ_I) (the minimum-norm solution when H_FF is
    singular: scipy's ``lstsq``). It then searches along the projected arc clip(h + α d) with
    Armijo's test. For a quadratic f with its exact Hessian the full step lands on the minimiser
    of the face, so a few steps suffice once the held set settles (2–6 from the previous week's
    hedge at 125 instruments). Stops at a minimiser to rounding (Frank–Wolfe gap, see
    :func:`box_gap`), or when a step changes nothing.
    """
    h = np.clip(np.asarray(h, dtype=float), lower, upper)
    value = f(h)
    curvature = np.diag(hessian)
    top = float(np.max(np.abs(curvature), initial=0.0))
    inverse = 1.0 / np.where(curvature > 1e-12 * top, curvature, top if top > 0 else 1.0)
    width = upper - lower
    widest = float(np.max(width[np.isfinite(width)], initial=1.0))
    for _ in range(max_iterations):
        g = np.asarray(grad(h), dtype=float)
        if _converged(value, g, h, lower, upper):
            break
        scaled = np.clip(h - inverse * g, lower, upper) - h
        epsilon = min(HELD_WIDTH * widest, float(np.linalg.norm(scaled)))
        to_lower = (h <= lower + epsilon) & (g > 0)
        to_upper = (h >= upper - epsilon) & (g < 0)
        held = to_lower | to_upper
        free = ~held
        step = np.zeros(h.size)
        step[to_lower] = lower[to_lower] - h[to_lower]
        step[to_upper] = upper[to_upper] - h[to_upper]
        if free.any():
            rhs = g[free] + hessian[np.ix_(free, held)] @ step[held] if held.any() else g[free]
            step[free] = -_newton_step(hessian[np.ix_(free, free)], rhs)
        predicted = -float(g[free] @ step[free])
        alpha, moved = 1.0, False
        for _ in range(30):
            candidate = np.clip(h + alpha * step, lower, upper)
            if np.array_equal(candidate, h):
                break
            candidate_value = f(candidate)
            if value - candidate_value >= 1e-4 * (alpha * predicted + float(g[held] @ (h - candidate)[held])):
                moved = candidate_value <= value
                break
            alpha *= 0.5
        if not moved:
            break
        h, value = candidate, candidate_value
    return h


def nearest_minimiser(entries: Sequence[tuple[float, Term]], data: Mapping[str, Any], h_scipy: np.ndarray,
                      h_other: np.ndarray, hessian: np.ndarray) -> np.ndarray:
    """scipy's minimiser nearest ``h_other`` when the objective leaves directions flat (box only).

    Where the twins' curvature H is singular on the coordinates F free at scipy's answer h_s
    (more instruments than risk observations), every h_s + N z, N a basis of the null space of
    H_FF, is a minimiser too (the gradient vanishes on F, so f does not change). The answer
    compared is then h_s + N Nᵀ(h_other − h_s), clipped to the box, if that keeps scipy's
    optimum: an optimal ``h_other`` differs from it only by rounding, a wrong one by its error
    in the curved directions. Otherwise h_s.
    """
    lower = np.asarray(data["cs01_min"], dtype=float)
    upper = np.asarray(data["cs01_max"], dtype=float)
    f, grad = _objective_and_gradient(entries, data)
    if grad is None:
        return h_scipy
    free = _free(h_scipy, np.asarray(grad(h_scipy), dtype=float), lower, upper)
    if not free.any():
        return h_scipy
    eigenvalues, vectors = np.linalg.eigh(hessian[np.ix_(free, free)])
    top = float(np.max(np.abs(eigenvalues), initial=0.0))
    null = vectors[:, eigenvalues <= FLAT_TOLERANCE * top] if top > 0 else vectors
    if not null.size:
        return h_scipy
    moved = h_scipy.copy()
    moved[free] += null @ (null.T @ (h_other[free] - h_scipy[free]))
    moved = np.clip(moved, lower, upper)
    value, moved_value = f(h_scipy), f(moved)
    return moved if moved_value <= value + 1e-12 * max(1.0, abs(value)) else h_scipy


def _curved_gradient(entries: Sequence[tuple[float, Term]], data: Mapping[str, Any], h: np.ndarray,
                     lower: np.ndarray, upper: np.ndarray) -> Any:
    """The minimised objective's gradient summed over the terms whose gradient is not constant.

    A term whose twin gradient is the same at ``h`` and at ``h`` moved by the Hessian's probe steps
    (a linear term: ``HedgePnL``, ``Carry``, ``Roll``) adds nothing to :func:`twin_hessian`, which
    then calls only the others n + 1 times. (Were a term's gradient equal there by chance, the
    Hessian would only be less exact: the solve still stops on the full twins' Frank–Wolfe gap.)
    """
    probe = h + _probe_steps(lower, upper)
    curved = [(w, t) for w, t in entries
              if not np.array_equal(twin_gradient(t, h, data), twin_gradient(t, probe, data))]

    def grad(x: np.ndarray) -> np.ndarray:
        total = np.zeros(x.size)
        for w, t in curved:
            total -= w * twin_gradient(t, x, data)
        return total

    return grad


def _newton_solve(f: Any, grad: Any, x0: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                  info: dict[str, Any], curved: Any = None) -> np.ndarray:
    """The box-only cold solve above :data:`SLSQP_POLISH_MAX_INSTRUMENTS` instruments.

    Projected Newton (:func:`projected_newton`) from ``x0`` with the Hessian of the twins at ``x0``
    (:func:`twin_hessian`; reused from ``info["hessian"]`` for further starts). When that does not
    reach a minimiser to rounding (Frank–Wolfe gap; a non-quadratic objective, or flat directions
    along which the gradient does not vanish), L-BFGS-B (at most :data:`LBFGS_MAX_ITERATIONS_LARGE`
    iterations) from there, then projected Newton again, with the Hessian measured again at
    L-BFGS-B's answer unless the twins' gradient there shows the objective quadratic.
    ``info["hessian"]`` receives the Hessian last used. ``curved``: the gradient of the terms that
    are not linear (:func:`_curved_gradient`), enough for the Hessian; default ``grad``.
    """
    hessian = info.get("hessian")
    if hessian is None:
        hessian = info["hessian"] = twin_hessian(grad if curved is None else curved, x0, lower, upper)
    h = projected_newton(f, grad, x0, lower, upper, hessian)
    g = np.asarray(grad(h), dtype=float)
    if _converged(f(h), g, h, lower, upper):
        return h
    result = minimize(f, h, jac=grad, bounds=list(zip(lower, upper)), method="L-BFGS-B",
                      options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": LBFGS_MAX_ITERATIONS_LARGE})
    start = np.clip(result.x, lower, upper)
    predicted = g + hessian @ (start - h)  # the gradient there if f is the quadratic of that Hessian
    actual = np.asarray(grad(start), dtype=float)
    if not np.allclose(actual, predicted, rtol=1e-9, atol=1e-9 * float(np.max(np.abs(actual), initial=1.0))):
        hessian = info["hessian"] = twin_hessian(grad if curved is None else curved, start, lower, upper)
    polished = projected_newton(f, grad, start, lower, upper, hessian)
    return polished if f(polished) <= f(h) else h


def scipy_solve(entries: Sequence[tuple[float, Term]], constraints: Sequence[Constraint],
                data: Mapping[str, Any], starts: Sequence[np.ndarray] | None = None,
                info: dict[str, Any] | None = None) -> tuple[np.ndarray, float]:
    """Maximise Σ w·term.value(h) over the box and the constraints' twins with scipy.

    Box only and smooth terms: up to :data:`SLSQP_POLISH_MAX_INSTRUMENTS` instruments L-BFGS-B
    (projected gradient, lands exactly on bounds) polished by SLSQP; above, projected Newton steps
    (:func:`projected_newton`) from the start with the Hessian from the twins' gradient
    (:func:`twin_hessian`), with L-BFGS-B in between only when they do not reach a minimiser to
    rounding (:func:`_newton_solve`; L-BFGS-B alone stopped 2–6e-4 $mm/bp away at 500 instruments,
    and took 5–20 ms where the Newton steps take 1–3 at 125). ``info``, when given, receives that
    Hessian (``info["hessian"]``).
    Otherwise SLSQP on x = (h, t): terms and limits that give a
    :class:`~cdshedge_cvx.model.ScipyForm` (transaction costs, gross, net, jump-to-default
    and turnover limits) enter as smooth linear pieces in auxiliary variables t ≥ |A h − b|;
    other limits as ``−violation(h) ≥ 0``. Several starting points may be given; the best
    feasible answer is kept.

    Returns
    -------
    h, objective : ndarray, float
        The objective is evaluated with the terms' own :meth:`~Term.value`.
    """
    lower = np.asarray(data["cs01_min"], dtype=float)
    upper = np.asarray(data["cs01_max"], dtype=float)
    n = lower.size
    info = {} if info is None else info
    f_twin, grad_twin = _objective_and_gradient(entries, data)
    extra = [c for c in constraints if not isinstance(c, BoxLimits)]
    lifted = bool(extra) or any(w < 0 and t.scipy_form(data) is not None for w, t in entries)
    if lifted:
        f, grad, cons, m, lift = _lifted_problem(entries, extra, data, n)
        bounds = list(zip(lower, upper)) + [(0.0, None)] * m
    if starts is None:
        starts = [np.clip(0.0, lower, upper)]
    clipped: list[np.ndarray] = []
    for x0 in starts:  # the same start twice gives the same answer twice
        x0 = np.clip(np.asarray(x0, dtype=float), lower, upper)
        if not any(np.array_equal(x0, seen) for seen in clipped):
            clipped.append(x0)
    best_h, best_value, curved = None, np.inf, None
    for x0 in clipped:
        if lifted:
            result = minimize(f, lift(x0), jac=grad, bounds=bounds, constraints=cons, method="SLSQP",
                              options={"ftol": 1e-14, "maxiter": 2000})
            h = np.clip(result.x[:n], lower, upper)
        else:
            large = n > SLSQP_POLISH_MAX_INSTRUMENTS and grad_twin is not None
            if large:
                if "hessian" not in info and curved is None:
                    curved = _curved_gradient(entries, data, x0, lower, upper)
                h = _newton_solve(f_twin, grad_twin, x0, lower, upper, info, curved)
            else:
                result = minimize(f_twin, x0, jac=grad_twin, bounds=list(zip(lower, upper)), method="L-BFGS-B",
                                  options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 15000})
                h = np.clip(result.x, lower, upper)
            # L-BFGS-B can stop early on ill-conditioned quadratics (its relative-reduction test):
            # unless its answer is stationary (projected gradient 0 to L-BFGS-B's own gtol), polish from
            # it and keep the better point — SLSQP (dense, O(n³)) for small problems, L-BFGS-B restarted
            # (fresh curvature memory) for large ones
            if not large and not _stationary(h, grad_twin, lower, upper, gtol=1e-12):
                method, options = (("SLSQP", {"ftol": 1e-15, "maxiter": 1000}) if n <= SLSQP_POLISH_MAX_INSTRUMENTS
                                   else ("L-BFGS-B", {"ftol": 1e-15, "gtol": 1e-12, "maxiter": 15000}))
                polished = minimize(f_twin, h, jac=grad_twin, bounds=list(zip(lower, upper)), method=method,
                                    options=options)
                candidate = np.clip(polished.x, lower, upper)
                if f_twin(candidate) < f_twin(h):
                    h = candidate
        value = f_twin(h)
        if extra and any(twin_violation(c, h, data) > 1e-8 for c in extra):
            continue
        if value < best_value:
            best_h, best_value = h, value
    if best_h is None:
        best_h = np.clip(starts[0], lower, upper)
        best_value = f_twin(best_h)
    return best_h, -best_value


def report(text: str, strict: bool) -> None:
    """A failed cross-check: :class:`CrossCheckError` when ``strict``, else a :class:`CrossCheckWarning`
    (pointing at the caller of the check)."""
    if strict:
        raise CrossCheckError(text)
    warnings.warn(text, CrossCheckWarning, stacklevel=4)


def cross_check(problem: HedgeProblem, data: Mapping[str, Any], h_cvxpy: np.ndarray, cvxpy_objective: float,
                tolerances: Mapping[str, float] | None = None, *, strict: bool = False,
                warn: bool = True, starts: Sequence[np.ndarray] | None = None) -> CrossCheck:
    """Solve the period with scipy from the numpy twins and compare with CVXPY's answer.

    Emits :class:`CrossCheckWarning` (or raises :class:`CrossCheckError` when ``strict``) if
    a gap exceeds its tolerance (neither when ``warn`` is false: the caller reports). scipy
    starts from ``starts`` (default: zero clipped to the box, and the previous holdings).
    """
    from cdshedge_cvx.crosscheck._lots import lot_cross_check, uses_lots

    if uses_lots(problem):  # whole lots: enumeration (small universes) or the continuous bound
        return lot_cross_check(problem, data, h_cvxpy, cvxpy_objective, tolerances, strict=strict)
    tol = {**DEFAULT_TOLERANCES, **(tolerances or {})}
    compiled = problem.compiled
    entries = compiled.entries
    if starts is None:
        starts = [np.clip(0.0, data["cs01_min"], data["cs01_max"])]
        if "h_prev" in data:
            starts.append(np.asarray(data["h_prev"], dtype=float))
    period = data.get("period", "?")
    info: dict[str, Any] = {}
    try:
        h_scipy, scipy_value = scipy_solve(entries, compiled.limits, data, starts, info)
    except CdsHedgeError:
        raise
    except Exception as exc:
        raise SpecificationError(f"period {period}: the scipy cross-check failed ({type(exc).__name__}: {exc}); "
                                 "check the terms' value()/gradient() and the constraints' violation()") from exc
    from cdshedge_cvx.solve._min_norm import is_unidentified, quadratic_matrix, scipy_min_norm

    if is_unidentified(problem, data):  # compare on the answer's definition: the minimum-norm minimiser
        h_scipy = scipy_min_norm(entries, compiled.limits, data, h_scipy, scipy_value, quadratic_matrix(compiled))
    elif "hessian" in info:  # too many instruments for the minimum-norm stage: the package keeps a minimiser
        h_scipy = nearest_minimiser(entries, data, h_scipy, np.asarray(h_cvxpy, dtype=float), info["hessian"])
    twin_at_cvxpy = float(sum(w * twin_value(t, h_cvxpy, data) for w, t in entries))
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
    if problems and warn:
        report(f"period {data.get('period', '?')}: scipy cross-check: {message}", strict)
    return check
