"""The named contract checks of terms and limits, one function each (scikit-learn's
``check_estimator`` style).

Each ``check_*`` function takes the component and the options of
:func:`~cdshedge_cvx.testing.check_term` (or :func:`~cdshedge_cvx.testing.check_constraint`),
runs on its own, returns a :class:`~cdshedge_cvx.testing.CheckReport` and raises a
:class:`~cdshedge_cvx.testing.ContractViolation` on the first breach. A check that does not apply
(a term without ``quadratic_form``, a limit that never binds) raises :class:`unittest.SkipTest`,
which pytest reports as a skip. :func:`~cdshedge_cvx.testing.check_term` runs them all in the
order of :data:`TERM_CHECKS` / :data:`CONSTRAINT_CHECKS`.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from unittest import SkipTest

import cvxpy as cp
import numpy as np
from scipy.optimize import minimize

from cdshedge_cvx.crosscheck._reference import scipy_solve, twin_gradient, twin_value, twin_violation
from cdshedge_cvx.errors import CdsHedgeError, DataError, InfeasibleError, SolverError, SpecificationError
from cdshedge_cvx.model import Constraint, HedgePnL, LinearTerm, Objective, Term, as_objective
from cdshedge_cvx.solve._problem import HedgeProblem
from cdshedge_cvx.testing._checks import (
    ALWAYS_THERE,
    CHECK_KEYS,
    Built,
    CheckReport,
    CheckRun,
    Example,
    RecordingData,
    fmt,
    hyperparameters,
    is_number,
    scale,
    without,
)

__all__ = [
    "CONSTRAINT_CHECKS",
    "TERM_CHECKS",
    "check_clone_and_pickle",
    "check_dcp_dpp",
    "check_gradient",
    "check_hyperparameter_change_after_build",
    "check_optimum_vs_scipy",
    "check_quadratic_form",
    "check_requires_complete",
    "check_scipy_form",
    "check_shadow_price_vs_bumped_resolve",
    "check_sign",
    "check_twin_independent",
    "check_value_matches_expr",
    "check_violation_matches_constraints",
    "run_named",
]

Check = Callable[..., CheckReport]


def _named(*kinds: str) -> Callable[[Callable[[CheckRun], None]], Check]:
    """Turn ``body(run)`` into the public check ``check(component, **options) -> CheckReport``."""
    def decorate(body: Callable[[CheckRun], None]) -> Check:
        def check(component: Term | Constraint, **options: Any) -> CheckReport:
            run = CheckRun(component, options, body.__name__)
            run_named(run, check)
            return run.report

        check.__name__ = check.__qualname__ = body.__name__
        check.__doc__ = body.__doc__
        check.__module__ = body.__module__
        check.body = body
        check.kinds = kinds
        return check
    return decorate


def run_named(run: CheckRun, check: Check) -> None:
    """Run the named ``check`` within ``run`` (its report collects the measurements)."""
    if run.kind not in check.kinds:
        raise SpecificationError(f"{check.__name__} checks {' and '.join(k + 's' for k in check.kinds)}, not "
                                 f"{run.kind}s like {run.name}")
    with run.running(check.__name__):
        check.body(run)


# --------------------------------------------------------------------------------------------
# objectives the constraint checks maximise
# --------------------------------------------------------------------------------------------
class _Direction(LinearTerm):
    """A linear objective d · h with d drawn per example, to push the constraint's boundary."""

    requires = ("check_direction",)

    def coefficients(self, data: Mapping[str, Any]) -> np.ndarray:
        return np.asarray(data["check_direction"], dtype=float)


class _Proximity(Term):
    """Σ_i (h_i − a_i)², a drawn per example: subtracted, it makes the optimum unique and smooth in the limit."""

    requires = ("check_anchor",)

    def setup(self, n: int) -> None:
        self.anchor_ = cp.Parameter(n, name="check_anchor")

    def update(self, data: Mapping[str, Any]) -> None:
        self.anchor_.value = np.asarray(data["check_anchor"], dtype=float)

    def expr(self, h: cp.Variable) -> cp.Expression:
        return cp.sum_squares(h - self.anchor_)

    def value(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        return float(np.sum((np.asarray(h, dtype=float) - np.asarray(data["check_anchor"], dtype=float)) ** 2))


def _problems(run: CheckRun, n: int) -> list[tuple[Objective, HedgeProblem]]:
    """The problems a check solves, compiled once per n: ``±term`` and ``HedgePnL() ± term`` for a term,
    ``±d·h`` under the limit for a constraint; a refused objective fails 'build'."""
    def make() -> list[tuple[Objective, HedgeProblem]]:
        if run.kind == "term":
            sign = run.sign
            cases = [(as_objective(sign * run.subject), []), (HedgePnL() + sign * run.subject, [])]
        else:
            cases = [(as_objective(_Direction()), [run.subject]), (-_Direction(), [run.subject])]
        built = []
        for objective, constraints in cases:
            try:
                built.append((objective, HedgeProblem(n, objective, constraints).build()))
            except SpecificationError as exc:
                what = f"the objective {objective!r}" if run.kind == "term" else "a problem with this limit"
                raise run.fail("build", f"{what} is refused: {exc}") from exc
        return built
    return run.cached(("problems", n), make)


def _twin(run: CheckRun, component: Term | Constraint, h: np.ndarray, data: Mapping[str, Any]) -> float:
    return run.value(component, h, data) if run.kind == "term" else run.violation(component, h, data)


def _declares(run: CheckRun, method: str) -> bool:
    """Whether the subject's class overrides the base class's optional ``method``."""
    base = Term if run.kind == "term" else Constraint
    return getattr(type(run.subject), method) is not getattr(base, method)


# --------------------------------------------------------------------------------------------
# data-free checks
# --------------------------------------------------------------------------------------------
@_named("term", "constraint")
def check_dcp_dpp(run: CheckRun) -> None:
    """``setup(n)`` and ``expr(h)``/``constraints(h)`` build, the expression is a scalar, and everything
    is DCP and DPP (fails 'build', 'DCP' or 'DPP')."""
    run.curvature(run.n0)


@_named("term")
def check_sign(run: CheckRun) -> None:
    """With ``sign=+1`` (or ``-1``) the term may enter the maximised objective with that sign: a
    concave term is added, a convex one subtracted, an affine one either way (fails 'sign')."""
    curvature = run.curvature(run.n0)
    natural = -1 if curvature == "convex" else 1
    requested = run.options["sign"]
    if requested is not None and curvature != "affine" and requested != natural:
        raise run.fail("sign", f"{run.name} is {curvature}: in the maximised objective it needs a "
                       f"{'+' if natural > 0 else '-'} sign (objective {'+' if natural > 0 else '-'} "
                       f"{run.name}(...)), not {'+' if requested > 0 else '-'}")


# --------------------------------------------------------------------------------------------
# the numpy twin against the CVXPY formula
# --------------------------------------------------------------------------------------------
@_named("term")
def check_value_matches_expr(run: CheckRun) -> None:
    """``update(data)`` and ``value(h, data)`` run and are finite, and ``expr(h).value`` equals
    ``value(h, data)`` at a drawn h, both box corners and ``h_prev`` (fails 'update', 'value' or
    'expr == value'; tolerance atol + rtol · max |value|)."""
    rtol, atol = run.options["rtol"], run.options["atol"]

    def one(example: Example) -> None:
        update_keys: set[str] = set()
        built = run.updated(example, RecordingData(example.data, update_keys))
        run.keys |= update_keys
        twin_keys: set[str] = set()
        recording = RecordingData(example.data, twin_keys)
        values = [run.value(built.component, h, recording) for h in example.points]
        run.keys |= twin_keys
        size = max(abs(v) for v in values)
        for h, value in zip(example.points, values):
            expression = built.expression_at(h)
            gap = abs(expression - value)
            run.report.max_value_gap = max(run.report.max_value_gap, gap)
            tolerance = atol + rtol * max(size, abs(expression))  # relative to the term's own size
            if not gap <= tolerance:
                raise run.fail("expr == value", f"CVXPY expr(h).value = {expression!r} but value(h, data) = "
                               f"{value!r} (gap {gap:.3g} > tolerance {tolerance:.3g})", example.data, h)

    run.for_each_example(one)


def _check_points(run: CheckRun, built: Built, data: Mapping[str, Any], points: Sequence[np.ndarray]) -> None:
    """violation(h) is 0 exactly where the CVXPY constraints hold."""
    tol = run.options["tol"]
    for h in points:
        residual = built.residual(h)
        violation = run.violation(built.component, h, data)
        size = scale(*h)
        if residual <= 1e-10 * size and violation > tol * size:
            raise run.fail("feasible point", f"the CVXPY constraints hold at h (residual {residual:.3g}) but "
                           f"violation(h) = {violation!r} (should be 0)", data, h)
        if residual > 1e-6 * size and violation <= 0.0:
            raise run.fail("rejected point", f"the CVXPY constraints reject h (residual {residual:.3g}) but "
                           "violation(h) = 0", data, h)


@_named("constraint")
def check_violation_matches_constraints(run: CheckRun) -> None:
    """``update`` and ``violation`` run (finite, ≥ 0), and at drawn points, their multiples, the box
    corners and ``h_prev``, violation(h) is 0 exactly where the CVXPY constraints hold (fails
    'update', 'violation', 'feasible point' or 'rejected point')."""
    def one(example: Example) -> None:
        update_keys: set[str] = set()
        built = run.updated(example, RecordingData(example.data, update_keys))
        run.keys |= update_keys - CHECK_KEYS
        twin_keys: set[str] = set()
        recording = RecordingData(example.data, twin_keys)
        for h in example.points:
            run.violation(built.component, h, recording)
        run.keys |= twin_keys - CHECK_KEYS
        _check_points(run, built, example.data, example.points)

    run.for_each_example(one)


@_named("term", "constraint")
def check_requires_complete(run: CheckRun) -> None:
    """A component that declares ``requires`` reads no other key ('requires'), and without any key
    it reads, ``update`` (through :class:`~cdshedge_cvx.solve.HedgeProblem`) and the numpy twin raise
    the package's ``DataError`` naming it ('missing key'): no silent default."""
    declared = tuple(getattr(run.subject, "requires", ()))
    twin_name = "value" if run.kind == "term" else "violation"

    def one(example: Example) -> None:
        update_keys: set[str] = set()
        built = run.updated(example, RecordingData(example.data, update_keys))
        twin_keys: set[str] = set()
        recording = RecordingData(example.data, twin_keys)
        for h in example.points:
            _twin(run, built.component, h, recording)
        update_keys -= CHECK_KEYS
        twin_keys -= CHECK_KEYS
        run.keys |= update_keys | twin_keys
        data, h = example.data, example.points[0]
        read = (update_keys | twin_keys) - {"period"}
        if declared and read - set(declared):
            raise run.fail("requires", f"update()/{twin_name}() read key(s) {sorted(read - set(declared))} not "
                           f"listed in requires = {declared}; add them", data)
        problem = _problems(run, example.n)[0][1]
        for key in sorted((set(declared) | update_keys) - ALWAYS_THERE):
            try:
                problem.update(without(data, key))
            except DataError as exc:
                if run.name not in str(exc) or key not in str(exc):
                    raise run.fail("missing key", f"without key {key!r} the data error does not name "
                                   f"{run.name} and the key: {exc}", data) from exc
                continue
            except Exception as exc:
                raise run.fail("missing key", f"without key {key!r} update() raised {type(exc).__name__}: {exc} "
                               f"instead of the package's DataError; list {key!r} in requires", data) from exc
            raise run.fail("missing key", f"without key {key!r} update() did not raise DataError: the {run.kind} "
                           "falls back silently (e.g. data.get(key, default)); read it with data[key] and list it "
                           "in requires", data)
        twin = twin_value if run.kind == "term" else twin_violation
        for key in sorted(twin_keys - ALWAYS_THERE):
            try:
                twin(built.component, h, without(data, key))
            except DataError as exc:
                if run.name not in str(exc):
                    raise run.fail("missing key", f"without key {key!r} the data error does not name "
                                   f"{run.name}: {exc}", data, h) from exc
                continue
            except Exception as exc:
                raise run.fail("missing key", f"without key {key!r} the numpy twin raised "
                               f"{type(exc).__name__}: {exc} instead of the package's DataError", data, h) from exc
            raise run.fail("missing key", f"without key {key!r} the numpy twin did not raise DataError: it "
                           "falls back silently; read it with data[key]", data, h)

    run.for_each_example(one)


# --------------------------------------------------------------------------------------------
# the optional capabilities: gradient, quadratic form, scipy form
# --------------------------------------------------------------------------------------------
def _gradient_at(run: CheckRun, term: Term, h: np.ndarray, f0: float, data: Mapping[str, Any]) -> None:
    try:
        gradient = term.gradient(np.array(h, dtype=float), data)
    except Exception as exc:
        raise run.fail("gradient", f"gradient(h, data) raised {type(exc).__name__}: {exc}", data, h) from exc
    if gradient is None:
        return
    g = np.asarray(gradient, dtype=float)
    if g.shape != h.shape or not np.all(np.isfinite(g)):
        raise run.fail("gradient", f"gradient(h, data) must be {h.shape[0]} finite numbers, got {g!r}", data, h)
    # For a convex or concave function, any (sub)gradient lies between the backward and the
    # forward difference quotients: exact brackets, robust at kinks such as |h - h_prev|.
    for i in range(h.shape[0]):
        step = 1e-6 * max(1.0, abs(h[i]))
        up, down = h.copy(), h.copy()
        up[i] += step
        down[i] -= step
        f_up, f_down = run.value(term, up, data), run.value(term, down, data)
        forward, backward = (f_up - f0) / step, (f0 - f_down) / step
        low, high = min(forward, backward), max(forward, backward)
        rounding = 16 * np.finfo(float).eps * max(abs(f0), abs(f_up), abs(f_down), 1e-300) / step
        tolerance = rounding + 1e-7 * max(1.0, abs(g[i]), abs(forward), abs(backward))
        error = float(max(low - g[i], g[i] - high, 0.0))
        run.report.max_gradient_error = max(run.report.max_gradient_error, error)
        if error > tolerance:
            raise run.fail("gradient", f"gradient(h, data)[{i}] = {float(g[i])!r} but finite differences of "
                           f"value() give {backward!r} (backward) and {forward!r} (forward)", data, h)


@_named("term")
def check_gradient(run: CheckRun) -> None:
    """``gradient(h, data)`` lies between the backward and forward finite differences of ``value``
    at the example's points (exact for convex or concave terms, kinks included; fails 'gradient').
    Skipped for a term without ``gradient``."""
    if not _declares(run, "gradient"):
        raise SkipTest(f"{run.name} declares no gradient() (scipy uses finite differences)")

    def one(example: Example) -> None:
        built = run.updated(example)
        for h in example.points:
            h = np.asarray(h, dtype=float)
            _gradient_at(run, built.component, h, run.value(built.component, h, example.data), example.data)

    run.for_each_example(one)


@_named("term")
def check_quadratic_form(run: CheckRun) -> None:
    """After ``update``, ``quadratic_form()`` gives (G, g, β) with G symmetric positive semidefinite and
    hᵀGh + 2gᵀh + β equal to ``value(h, data)`` and to ``expr(h).value`` at the example's points
    (fails 'quadratic form'; the direct-QP path solves with it). Skipped for a term without one."""
    if not _declares(run, "quadratic_form"):
        raise SkipTest(f"{run.name} declares no quadratic_form()")
    rtol, atol = run.options["rtol"], run.options["atol"]

    def one(example: Example) -> None:
        built = run.updated(example)
        data, n = example.data, example.n
        try:
            form = built.component.quadratic_form()
        except Exception as exc:
            raise run.fail("quadratic form", f"quadratic_form() raised {type(exc).__name__}: {exc}", data) from exc
        if form is None:
            return
        G, g, beta = np.asarray(form[0], dtype=float), np.asarray(form[1], dtype=float), np.asarray(form[2], float)
        if G.shape != (n, n) or g.shape != (n,) or beta.shape != ():
            raise run.fail("quadratic form", f"quadratic_form() must give G ({n}×{n}), g ({n},) and a scalar β; got "
                           f"shapes {G.shape}, {g.shape}, {beta.shape}", data)
        if not (np.all(np.isfinite(G)) and np.all(np.isfinite(g)) and np.isfinite(beta)):
            raise run.fail("quadratic form", "quadratic_form() has non-finite entries", data)
        size = max(1.0, float(np.max(np.abs(G), initial=0.0)))
        asymmetry = float(np.max(np.abs(G - G.T), initial=0.0))
        if asymmetry > 1e-10 * size:
            raise run.fail("quadratic form", f"G is not symmetric (max |G − Gᵀ| = {asymmetry:.3g})", data)
        lowest = float(np.min(np.linalg.eigvalsh(G), initial=0.0))
        if lowest < -1e-9 * size:
            raise run.fail("quadratic form", f"G is not positive semidefinite (eigenvalue {lowest:.3g}): the term "
                           "must be convex to be subtracted on the direct-QP path", data)
        for h in example.points:
            parts = (float(h @ G @ h), 2.0 * float(g @ h), float(beta))
            quadratic = sum(parts)
            value, expression = run.value(built.component, h, data), built.expression_at(h)
            tolerance = atol + rtol * max(sum(abs(x) for x in parts), abs(value))
            for what, other in (("value(h, data)", value), ("expr(h).value", expression)):
                if not abs(quadratic - other) <= tolerance:
                    raise run.fail("quadratic form", f"hᵀGh + 2gᵀh + β = {quadratic!r} but {what} = {other!r} (gap "
                                   f"{abs(quadratic - other):.3g} > tolerance {tolerance:.3g}); quadratic_form() "
                                   "must describe the same function at the current Parameter values", data, h)

    run.for_each_example(one)


def _lp_minimum(form: Any, h: np.ndarray, cost: np.ndarray) -> float | None:
    """min cost·t over the form's t at h (G_t t ≤ g − G_h h, t ≥ |A h − b|) by linprog (HiGHS); ``None``
    when no t is feasible. Checks a form with its own ``lifting`` (an LP epigraph) independently of it."""
    from scipy.optimize import linprog

    lower = np.abs(form.A @ h - form.b)
    rows = {} if form.g is None else {"A_ub": form.G_t, "b_ub": form.g - form.G_h @ h}
    result = linprog(cost, bounds=[(low, None) for low in lower], method="highs", **rows)
    return float(result.fun) if result.status == 0 else None


def _term_scipy_form(run: CheckRun, built: Built, example: Example, form: Any) -> None:
    data, n = example.data, example.n
    if form.n != n or form.weights is None:
        raise run.fail("scipy form", f"a term's ScipyForm needs weights and n = {n}, got n = {form.n}, weights "
                       f"{form.weights!r}", data)
    if form.lifting is None and np.any(form.weights < 0):
        raise run.fail("scipy form", f"weights must be >= 0 (the lifting t >= |A h - b| is exact only then), got "
                       f"{form.weights!r}", data)
    rtol, atol = run.options["rtol"], run.options["atol"]
    for h in example.points:
        lifted = float(form.weights @ form.lift(h))
        value = run.value(built.component, h, data)
        tolerance = atol + rtol * max(abs(lifted), abs(value))
        if not abs(lifted - value) <= tolerance:
            raise run.fail("scipy form", f"the lifted form at its optimal lifting t(h) gives weights·t = "
                           f"{lifted!r} but value(h, data) = {value!r}: scipy_form() describes another function",
                           data, h)
        if form.lifting is not None or form.g is not None:  # an LP epigraph: its minimum over t is the value
            best = _lp_minimum(form, h, form.weights)
            if best is None or not abs(best - value) <= tolerance:
                raise run.fail("scipy form", f"min over t of weights·t subject to the form's rows is {best!r} "
                               f"(linprog) but value(h, data) = {value!r}: scipy_form() describes another function "
                               "or its lifting is not the minimum", data, h)


def _limit_scipy_form(run: CheckRun, built: Built, example: Example, form: Any) -> None:
    data, n = example.data, example.n
    if form.n != n or form.g is None:
        raise run.fail("scipy form", f"a limit's ScipyForm needs G_h h + G_t t <= g and n = {n}, got n = {form.n}, "
                       f"g {form.g!r}", data)
    if form.lifting is None and np.any(form.G_t < 0):
        raise run.fail("scipy form", "G_t must be >= 0, so that t = |A h - b| is the optimal lifting", data)
    tol = run.options["tol"]
    for h in example.points:
        slack = float(np.max(form.G_h @ h + form.G_t @ form.lift(h) - form.g, initial=0.0))
        violation = run.violation(built.component, h, data)
        size = scale(*h)
        if slack <= 1e-10 * size and violation > tol * size:
            raise run.fail("scipy form", f"the lifted form holds at h (at its lifting t(h)) but violation(h) = "
                           f"{violation!r}: scipy_form() accepts points the limit rejects", data, h)
        if slack > 1e-6 * size and violation <= 0.0:
            raise run.fail("scipy form", f"the lifted form rejects h (by {slack:.3g}, at its lifting t(h)) but "
                           "violation(h) = 0: scipy_form() rejects points the limit accepts", data, h)
        if form.lifting is not None and violation > 1e-6 * size \
                and _lp_minimum(form, h, np.zeros(form.m)) is not None:
            raise run.fail("scipy form", f"some t satisfies the form's rows at h (linprog) but violation(h) = "
                           f"{violation!r}: scipy_form() accepts points the limit rejects", data, h)


@_named("term", "constraint")
def check_scipy_form(run: CheckRun) -> None:
    """The lifted smooth form of :meth:`scipy_form` (t ≥ |A h − b|) at its optimal lifting t = |A h − b|
    equals ``value(h, data)`` (terms; weights ≥ 0), or holds exactly where ``violation(h, data)`` is 0
    (limits; G_t ≥ 0), at the example's points (fails 'scipy form'). A form with its own ``lifting``
    (an LP epigraph such as CVaR's) is also minimised over t by linprog at each point: the minimum
    is the value (terms), and a feasible t exists only where the limit holds (limits). Skipped
    without one."""
    if not _declares(run, "scipy_form"):
        raise SkipTest(f"{run.name} declares no scipy_form()")

    def one(example: Example) -> None:
        built = run.updated(example)
        try:
            form = built.component.scipy_form(example.data)
        except Exception as exc:
            raise run.fail("scipy form", f"scipy_form(data) raised {type(exc).__name__}: {exc}", example.data) from exc
        if form is not None:
            (_term_scipy_form if run.kind == "term" else _limit_scipy_form)(run, built, example, form)

    run.for_each_example(one)


# --------------------------------------------------------------------------------------------
# independence of the twin
# --------------------------------------------------------------------------------------------
def _same(a: float, b: float) -> bool:
    return bool(a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b)))


@_named("term", "constraint")
def check_twin_independent(run: CheckRun) -> None:
    """The numpy twin does not depend on the code that fills the Parameters: after ``update``, with the
    component's Parameters overwritten with garbage (and, for a :class:`~cdshedge_cvx.LinearTerm`,
    ``coefficients`` returning NaN), ``value(h, data)``/``violation(h, data)`` and ``gradient`` are
    unchanged (fails 'twin independent'). Otherwise a wrong formula there would reach both the CVXPY
    problem and the scipy cross-check, which could not see it."""
    twin_name = "value" if run.kind == "term" else "violation"

    def one(example: Example) -> None:
        built = run.updated(example)
        component, data = built.component, example.data
        before = [_twin(run, component, h, data) for h in example.points]
        gradients = [component.gradient(np.array(h, dtype=float), data) for h in example.points] \
            if run.kind == "term" else []
        sabotage = ["its Parameters overwritten with garbage"]
        rng = np.random.default_rng(0)
        for parameter in built.parameters():
            try:
                parameter.value = 1e3 * (1.0 + rng.random(parameter.shape))
            except ValueError:  # a Parameter with attributes garbage cannot have: left as it is
                continue
        if isinstance(component, LinearTerm):
            component.coefficients = lambda data: np.full(example.n, np.nan)
            sabotage.append("coefficients() returning NaN")
        done = " and ".join(sabotage)
        rule = (f"the numpy twin must not read the Parameters nor call the code that fills them (update(), "
                f"coefficients()), or a wrong formula there reaches both the CVXPY problem and the scipy "
                f"cross-check unseen; compute {twin_name}() from the data on its own")
        for k, h in enumerate(example.points):
            try:
                after = getattr(component, twin_name)(np.array(h, dtype=float), data)
            except Exception as exc:
                raise run.fail("twin independent", f"with {done}, {twin_name}(h, data) raised "
                               f"{type(exc).__name__}: {exc}; {rule}", data, h) from exc
            if not _same(float(after), before[k]):
                raise run.fail("twin independent", f"{twin_name}(h, data) = {before[k]!r} after update() but "
                               f"{float(after)!r} with {done}; {rule}", data, h)
            if gradients and gradients[k] is not None:
                try:
                    again = np.asarray(component.gradient(np.array(h, dtype=float), data), dtype=float)
                except Exception as exc:
                    raise run.fail("twin independent", f"with {done}, gradient(h, data) raised "
                                   f"{type(exc).__name__}: {exc}; {rule}", data, h) from exc
                if not all(_same(a, b) for a, b in zip(again, np.asarray(gradients[k], dtype=float))):
                    raise run.fail("twin independent", f"gradient(h, data) changed with {done}; {rule}", data, h)

    run.for_each_example(one)


# --------------------------------------------------------------------------------------------
# solves: the optimum, the shadow prices
# --------------------------------------------------------------------------------------------
def _solve(run: CheckRun, problem: HedgeProblem, data: Mapping[str, Any], what: str) -> Any:
    problem.update(data)
    try:
        return problem.solve()
    except InfeasibleError:
        raise
    except CdsHedgeError as exc:
        raise run.fail("optimum", f"CVXPY found no optimum of {what}: {type(exc).__name__}: {exc}", data) from exc


def _term_optimum(run: CheckRun, example: Example) -> None:
    run.updated(example)  # refusals and update failures, as every check sees them
    data = example.data
    for objective, problem in _problems(run, example.n):
        solution = _solve(run, problem, data, repr(objective))
        cvxpy_value = float(sum(w * twin_value(t, solution.h, data) for w, t in objective))
        tolerance = 1e-7 + 1e-6 * scale(cvxpy_value, solution.objective)
        if abs(solution.objective - cvxpy_value) > tolerance:
            raise run.fail("expr == value", f"at CVXPY's optimum of {objective!r} the CVXPY objective is "
                           f"{solution.objective!r} but the numpy twins give {cvxpy_value!r}", data, solution.h)
        # scipy starts from its own points and from CVXPY's answer: with the same function, a convex
        # problem's optimum cannot be improved; with a twin that differs, scipy walks away from it.
        h_scipy, scipy_value = scipy_solve(list(objective), [], data, [*example.points, solution.h])
        gap = scipy_value - cvxpy_value
        run.report.max_objective_gap = max(run.report.max_objective_gap, gap)
        if gap > tolerance:
            raise run.fail("optimum", f"scipy, maximising the numpy twins of {objective!r}, reaches {scipy_value!r} "
                           f"at h_scipy = {fmt(h_scipy)}, better than CVXPY's optimum {cvxpy_value!r} (at h): "
                           "value() and expr() describe different functions", data, solution.h)


def _scipy_optimum(constraint: Constraint, objective: Objective, data: Mapping[str, Any],
                   starts: Sequence[np.ndarray]) -> tuple[np.ndarray, float]:
    """Best SLSQP answer on the twins, bound by the box and ``violation(h) <= 0``, from ``starts`` (a
    short search: it only has to find a better point when the twin accepts points CVXPY rejects)."""
    lower, upper = np.asarray(data["cs01_min"], float), np.asarray(data["cs01_max"], float)
    entries = list(objective)

    def negative(h: np.ndarray) -> float:
        return -sum(w * twin_value(t, h, data) for w, t in entries)

    def negative_gradient(h: np.ndarray) -> np.ndarray:
        return -np.sum([w * twin_gradient(t, h, data) for w, t in entries], axis=0)

    best_h, best = np.clip(np.asarray(starts[0], float), lower, upper), -np.inf
    for start in starts:
        result = minimize(negative, np.clip(np.asarray(start, float), lower, upper), jac=negative_gradient,
                          bounds=list(zip(lower, upper)), method="SLSQP", options={"ftol": 1e-12, "maxiter": 100},
                          constraints=[{"type": "ineq", "fun": lambda h: -twin_violation(constraint, h, data)}])
        h = np.clip(result.x, lower, upper)
        if twin_violation(constraint, h, data) <= 1e-8 and -negative(h) > best:
            best_h, best = h, -negative(h)
    return best_h, best


def _check_infeasible(run: CheckRun, constraint: Constraint, example: Example) -> None:
    """CVXPY says the limit cannot hold inside the box: the twin must not find a point where it does."""
    data, lower, upper = example.data, example.lower, example.upper
    best_h, best = None, np.inf
    for start in (example.points[0], np.clip(0.0, lower, upper), 0.5 * (lower + upper)):
        result = minimize(lambda h: twin_violation(constraint, h, data), np.clip(start, lower, upper),
                          method="Powell", bounds=list(zip(lower, upper)), options={"xtol": 1e-10, "ftol": 1e-12})
        h = np.clip(result.x, lower, upper)
        value = twin_violation(constraint, h, data)
        if value < best:
            best_h, best = h, value
    if best <= 0.0:
        raise run.fail("infeasible", "CVXPY finds the limit infeasible inside the CS01 box, but violation(h) = 0 "
                       "at h inside the box", data, best_h)


def _limit_optimum(run: CheckRun, example: Example, infeasible: list[int]) -> None:
    built = run.updated(example)
    constraint, data = built.component, example.data
    tol = run.options["tol"]
    answers = []
    for objective, problem in _problems(run, example.n):
        try:
            solution = _solve(run, problem, data, repr(objective))
        except InfeasibleError:
            _check_infeasible(run, constraint, example)
            infeasible[0] += 1
            break
        h = solution.h
        violation = run.violation(constraint, h, data)
        run.report.max_value_gap = max(run.report.max_value_gap, violation)
        if violation > tol * scale(*h):
            raise run.fail("solver answer", f"CVXPY's answer violates the numpy twin: violation(h) = {violation!r}",
                           data, h)
        h_scipy, scipy_value = _scipy_optimum(constraint, objective, data, [example.h_prev, h])
        gap = scipy_value - solution.objective  # -inf when scipy found no point the twin accepts
        run.report.max_objective_gap = max(run.report.max_objective_gap, gap)
        if gap > 1e-7 + 1e-6 * scale(scipy_value, solution.objective):
            raise run.fail("optimum", f"scipy, bound only by violation(), beats CVXPY by {gap:.3g} at h (CVXPY's "
                           f"constraints there are violated by {built.residual(h_scipy):.3g}): violation() accepts "
                           "points the CVXPY constraints reject", data, h_scipy)
        answers.append(h)
    _check_points(run, built, data, answers)


@_named("term", "constraint")
def check_optimum_vs_scipy(run: CheckRun) -> None:
    """CVXPY's optimum, through :class:`~cdshedge_cvx.solve.HedgeProblem`, against scipy on the numpy twins.

    Terms: ``±term`` and ``HedgePnL() ± term`` compile ('build'); at CVXPY's optimum the CVXPY
    objective equals the twins ('expr == value'); scipy, started from its own points and from
    CVXPY's answer, finds nothing better than 1e-7 + 1e-6·|optimum| ('optimum').
    Constraints: CVXPY's optimum of a random ±d·h under the limit has zero violation ('solver
    answer') and scipy bound only by ``violation`` does not beat it ('optimum'); when CVXPY finds the
    limit impossible inside the box, no box point has zero violation ('infeasible'); at least one
    example is feasible ('feasible examples').
    """
    if run.kind == "term":
        run.for_each_example(lambda example: _term_optimum(run, example))
        return
    infeasible = [0]
    used = run.for_each_example(lambda example: _limit_optimum(run, example, infeasible))
    run.report.infeasible_examples = max(run.report.infeasible_examples, infeasible[0])
    if used and infeasible[0] == used:
        raise run.fail("feasible examples", f"the limit could not hold inside the CS01 box in any of the {used} "
                       "examples, so nothing was checked at a solution; pass a universe= or hyperparameters under "
                       "which it can hold")


def _limits(run: CheckRun) -> dict[str, float]:
    return {k: float(v) for k, v in hyperparameters(run.subject).items() if is_number(v)}


def _with(component: Term | Constraint, changes: Mapping[str, Any]) -> Term | Constraint:
    copy = component.clone()
    for key, value in changes.items():
        setattr(copy, key, value)
    return copy


@_named("constraint")
def check_shadow_price_vs_bumped_resolve(run: CheckRun) -> None:
    """The shadow price is d(optimum)/d(limit), sign included: with the objective d·h − ‖h − a‖² (d, a
    drawn per period; strictly concave, so the optimum is unique and smooth in the limit) solved by
    Clarabel through :class:`~cdshedge_cvx.solve.HedgeProblem`, the sum of the reported shadow prices
    equals (optimum(L + ε) − optimum(L − ε)) / 2ε within 1e-3 relative (fails 'shadow price').

    L is every numeric hyperparameter shifted together by ε = 1e-4·max(1, |L|) (``max_gross``; both
    bounds of a two-sided ``NetLimit``, a shift of the band), or those the limit names in
    ``limit_params`` (``CVaRLimit``: ``max_loss``, not its confidence level or scenario count).
    Conditions, else the period or the check is skipped: the limit has a numeric hyperparameter
    (``BoxLimits`` has none); the three problems are feasible; the optimum is smooth at L (the left
    and right difference quotients agree within 1 %, no change of active set within ±ε); the limit
    binds (|price| > 1e-6) in at least one period.
    """
    limits = _limits(run)
    declared = getattr(run.subject, "limit_params", None)
    if declared is not None:  # the bound(s) the shadow price is the derivative for, not e.g. a confidence level
        limits = {k: v for k, v in limits.items() if k in declared}
    if not limits:
        raise SkipTest(f"{run.name} has no numeric hyperparameter to bump")
    epsilon = 1e-4 * max(1.0, *(abs(v) for v in limits.values()))
    binding = [0]

    def problems(n: int) -> list[HedgeProblem]:
        def make() -> list[HedgeProblem]:
            out = []
            for shift in (-epsilon, 0.0, epsilon):
                bumped = _with(run.subject, {k: v + shift for k, v in limits.items()})
                try:
                    out.append(HedgeProblem(n, _Direction() - _Proximity(), [bumped], solver="CLARABEL").build())
                except SpecificationError as exc:
                    raise run.fail("build", f"a problem with this limit is refused: {exc}") from exc
            return out
        return run.cached(("bumped", n), make)

    def one(example: Example) -> None:
        run.updated(example)
        optima, price = [], 0.0
        for shift, problem in zip((-epsilon, 0.0, epsilon), problems(example.n)):
            try:
                problem.update(example.data)
                solution = problem.solve()
            except (InfeasibleError, SolverError):
                return  # not feasible at L ± ε: not checked
            optima.append(solution.objective)
            if shift == 0.0:
                price = float(np.sum(solution.shadow_prices[run.name]))
        if not np.isfinite(price):
            raise run.fail("shadow price", f"shadow_price() is {price} after an optimal solve", example.data)
        left, right = (optima[1] - optima[0]) / epsilon, (optima[2] - optima[1]) / epsilon
        central = (optima[2] - optima[0]) / (2.0 * epsilon)
        if abs(right - left) > 1e-2 * max(1.0, abs(central)):
            return  # a change of active set within ±ε: the optimum is not smooth at L
        if abs(price) > 1e-6:
            binding[0] += 1
        tolerance = 1e-3 * max(abs(central), abs(price)) + 1e-5
        if abs(price - central) > tolerance:
            raise run.fail("shadow price", f"the shadow price is {price!r} but moving {', '.join(limits)} by "
                           f"±{epsilon:g} changes the optimum by {central!r} per unit (left {left!r}, right "
                           f"{right!r}): shadow_price() must be d(optimum)/d(limit), the sign included", example.data)

    run.for_each_example(one, cap=10)
    if not binding[0]:
        raise SkipTest(f"{run.name} bound in none of the periods (no smooth binding optimum to bump)")


# --------------------------------------------------------------------------------------------
# the component as an estimator: clone, pickle, hyperparameters
# --------------------------------------------------------------------------------------------
def _same_parameters(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    if set(a) != set(b):
        return False
    for key in a:
        try:
            equal = bool(a[key] == b[key])
        except Exception:
            equal = False
        if not (equal or repr(a[key]) == repr(b[key])):
            return False
    return True


def _formulas(run: CheckRun, built: Built, example: Example) -> list[float]:
    """Twin and CVXPY values at the example's points (residuals of the CVXPY constraints for a limit)."""
    out = []
    for h in example.points:
        out.append(_twin(run, built.component, h, example.data))
        out.append(built.expression_at(h) if run.kind == "term" else built.residual(h))
    return out


@_named("term", "constraint")
def check_clone_and_pickle(run: CheckRun) -> None:
    """``clone()`` (of the component and of a built one) and a pickle round trip keep the class and the
    hyperparameters (the ``__init__`` arguments) and, set up and updated, give the same values and
    CVXPY formulas at the example's points (fails 'clone' or 'pickle'). The pickle round trip is
    left out for a class defined inside a function, which pickle cannot find by name."""
    params = hyperparameters(run.subject)
    copies = {"clone()": run.subject.clone()}
    if "<locals>" not in type(run.subject).__qualname__:  # a class defined in a function cannot be pickled
        try:
            copies["the pickle round trip"] = pickle.loads(pickle.dumps(run.subject))
        except Exception as exc:
            raise run.fail("pickle", f"a pickle round trip failed: {type(exc).__name__}: {exc}") from exc
    for label, copy in copies.items():
        if type(copy) is not type(run.subject) or not _same_parameters(hyperparameters(copy), params):
            raise run.fail("pickle" if "pickle" in label else "clone", f"{label} gives {copy!r}, not {run.subject!r}")

    def one(example: Example) -> None:
        original = run.updated(example)
        expected = _formulas(run, original, example)
        sources = {**copies, "clone() of a built and updated one": original.component}
        for label, source in sources.items():
            copy = run.updated(example, component=source)
            if not _same_parameters(hyperparameters(copy.component), params):
                raise run.fail("clone", f"{label} has hyperparameters {hyperparameters(copy.component)}, not {params}",
                               example.data)
            got = _formulas(run, copy, example)
            if not all(_same(a, b) for a, b in zip(got, expected)):
                raise run.fail("pickle" if "pickle" in label else "clone", f"{label}, set up and updated, gives "
                               f"{got} at the example's points where the original gives {expected}", example.data)

    run.for_each_example(one, cap=5)


def _limit_problem(built: Built, example: Example) -> cp.Problem:
    """max d·h over the box and the built limit (compiled once, like the package's problem)."""
    direction = np.asarray(example.data["check_direction"], dtype=float)
    return cp.Problem(cp.Maximize(direction @ built.h),
                      [built.h >= example.lower, built.h <= example.upper, *built.constraints])


def _optimum(problem: cp.Problem) -> tuple[str, float]:
    """Status and optimum of ``problem`` solved (again) by Clarabel."""
    problem.solve(solver="CLARABEL")
    return problem.status, float(problem.value) if problem.value is not None else np.nan


@_named("term", "constraint")
def check_hyperparameter_change_after_build(run: CheckRun) -> None:
    """Changing a numeric hyperparameter (halved) on a built and updated component, then ``update``,
    takes effect without recompiling: at the example's points and far outside the box (±10 per
    instrument, where any limit binds) a term's ``expr(h).value`` and a limit's constraint residuals
    equal a freshly built component's, and the limit's problem (max d·h in the
    box, set up before the change), solved, has the fresh problem's optimum (fails 'hyperparameter change').
    Every hyperparameter must be read at ``update`` (a CVXPY Parameter), never baked into the
    expression at build. Skipped without a non-zero numeric hyperparameter."""
    changes = {k: 0.5 * v for k, v in _limits(run).items() if v != 0}
    if not changes:
        raise SkipTest(f"{run.name} has no non-zero numeric hyperparameter to change")
    formula = "expr(h).value" if run.kind == "term" else "the CVXPY constraints' residual"

    def one(example: Example) -> None:
        data = example.data
        for key, new in changes.items():
            built = run.updated(example)
            problem = _limit_problem(built, example) if run.kind == "constraint" else None  # compiled before
            old = getattr(built.component, key)
            setattr(built.component, key, new)
            try:
                built.component.update(data)
            except Exception as exc:
                raise run.fail("hyperparameter change", f"update() after setting {key} from {old!r} to {new!r} "
                               f"raised {type(exc).__name__}: {exc}", data) from exc
            fresh = run.updated(example, component=_with(run.subject, {key: new}))
            baked = (f"{key} is baked into the {run.kind} at build; make it a Parameter filled by update()")
            far = [8.0 * example.drawn, np.full(example.n, 10.0), np.full(example.n, -10.0)]  # where any limit binds
            for h in [*example.points, *far]:
                if run.kind == "term":
                    changed, expected = built.expression_at(h), fresh.expression_at(h)
                else:
                    changed, expected = built.residual(h), fresh.residual(h)
                if not abs(changed - expected) <= 1e-9 * scale(changed, expected):
                    raise run.fail("hyperparameter change", f"after {key} = {old!r} → {new!r} on a built {run.kind} "
                                   f"and update(), {formula} is {changed!r} but a freshly built one gives "
                                   f"{expected!r}: {baked}", data, h)
            if problem is not None:
                changed, expected = _optimum(problem), _optimum(_limit_problem(fresh, example))
                if changed[0] != expected[0] or (changed[0] == cp.OPTIMAL and not abs(
                        changed[1] - expected[1]) <= 1e-6 * scale(changed[1], expected[1])):
                    raise run.fail("hyperparameter change", f"after {key} = {old!r} → {new!r} on a built limit and "
                                   f"update(), the re-solved problem gives {changed[0]} {changed[1]!r} but a freshly "
                                   f"built one {expected[0]} {expected[1]!r}: {baked}", data)

    run.for_each_example(one, cap=5)


#: The checks of a term, in the order :func:`~cdshedge_cvx.testing.check_term` runs them.
TERM_CHECKS: tuple[Check, ...] = (
    check_dcp_dpp, check_sign, check_clone_and_pickle, check_value_matches_expr, check_requires_complete,
    check_gradient, check_quadratic_form, check_scipy_form, check_twin_independent, check_optimum_vs_scipy,
    check_hyperparameter_change_after_build,
)
#: The checks of a constraint, in the order :func:`~cdshedge_cvx.testing.check_constraint` runs them.
CONSTRAINT_CHECKS: tuple[Check, ...] = (
    check_dcp_dpp, check_clone_and_pickle, check_violation_matches_constraints, check_requires_complete,
    check_optimum_vs_scipy, check_scipy_form, check_twin_independent, check_shadow_price_vs_bumped_resolve,
    check_hyperparameter_change_after_build,
)
