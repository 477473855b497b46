"""Contract checks for users' own terms and constraints: :func:`check_term`, :func:`check_constraint`.

A term is written twice, as a CVXPY expression and as its numpy twin; a constraint as CVXPY
constraints and a numpy ``violation``. These checks run both versions, and the solvers, on
generated periods and fail with a :class:`ContractViolation` (an ``AssertionError``) that names
the check, the period (with the data keys the term read) and the hedge ``h``.

Each check works as a plain call (it runs its own hypothesis search, which shrinks a failure to
a small example) and inside a ``@given`` test, where hypothesis forbids a nested search: there
it draws its examples from a seeded numpy generator (same generators, same checks). Pass
``data=`` to check given periods only.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np
from hypothesis import HealthCheck, Phase, currently_in_test_context, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from cdshedge_cvx.credit._conventions import Conventions, get_conventions
from cdshedge_cvx.crosscheck._reference import scipy_solve, twin_gradient, twin_value, twin_violation
from cdshedge_cvx.errors import CdsHedgeError, DataError, InfeasibleError, SolverError, SpecificationError
from cdshedge_cvx.market._instruments import Universe
from cdshedge_cvx.model._limits import Constraint
from cdshedge_cvx.model._terms import HedgePnL, LinearTerm, Objective, Term
from cdshedge_cvx.periods._periods import PeriodData
from cdshedge_cvx.solve._problem import HedgeProblem
from cdshedge_cvx.testing._generation import (
    HypothesisSource,
    RandomSource,
    Source,
    apply_extra,
    make_cs01_vector,
    make_period_data,
)
from cdshedge_cvx.testing._generation import make_universe as _make_universe

try:  # optional: multi-threaded BLAS only slows down the many tiny scipy solves of a check
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - the testing extra installs it
    threadpool_limits = None

__all__ = ["CheckReport", "ContractViolation", "check_constraint", "check_term"]

#: Checks, by the name a failure reports.
TERM_CHECKS = ("DCP", "DPP", "sign", "build", "update", "value", "expr == value", "gradient", "optimum",
               "missing key", "requires", "data")
CONSTRAINT_CHECKS = ("DCP", "DPP", "build", "update", "violation", "feasible point", "rejected point",
                     "solver answer", "optimum", "infeasible", "feasible examples", "missing key", "requires", "data")


class ContractViolation(AssertionError):
    """A term or constraint broke its contract.

    Attributes
    ----------
    subject : str
        The term's or constraint's name.
    check : str
        Which check failed (one of ``TERM_CHECKS`` / ``CONSTRAINT_CHECKS``).
    period : str or None
        The period of the data it failed on.
    h : ndarray or None
        The hedge it failed at.
    """

    def __init__(self, message: str, *, subject: str = "", check: str = "", period: str | None = None,
                 h: np.ndarray | None = None) -> None:
        super().__init__(message)
        self.subject = subject
        self.check = check
        self.period = period
        self.h = h


@dataclass
class CheckReport:
    """What a passing check measured.

    Attributes
    ----------
    name : str
        The term or constraint.
    curvature : str
        ``affine``, ``concave`` or ``convex`` (a constraint's feasible set is always ``convex``).
    sign : str
        How a term enters the maximised objective: ``+`` (concave), ``-`` (convex) or ``+ or -``.
    examples : int
        Periods checked.
    max_value_gap : float
        Terms: max |expr(h).value − value(h, data)| ($mm). Constraints: max violation() at the
        solver's answers.
    max_gradient_error : float
        Terms: max distance of gradient() outside the finite-difference bracket.
    max_objective_gap : float
        Largest amount by which scipy, on the numpy twins, beat CVXPY's optimum ($mm); at most the
        tolerance 1e-7 + 1e-6·|optimum| when the check passes.
    infeasible_examples : int
        Constraints: examples where the limit could not hold inside the CS01 box.
    refused_examples : int
        Periods the term or constraint refused with the package's ``DataError`` (e.g. a variance
        from a one-day period); they are not counted in ``examples``.
    keys_read : tuple of str
        Data keys the term or constraint read.
    """

    name: str
    curvature: str
    sign: str
    examples: int = 0
    max_value_gap: float = 0.0
    max_gradient_error: float = 0.0
    max_objective_gap: float = 0.0
    infeasible_examples: int = 0
    refused_examples: int = 0
    keys_read: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------------------------
# data helpers
# --------------------------------------------------------------------------------------------
class _RecordingData(PeriodData):
    """A PeriodData that remembers which keys were read (``[]``, ``get``, ``in``)."""

    def __init__(self, data: Mapping[str, Any], log: set[str]) -> None:
        super().__init__({key: data[key] for key in data})
        self._log = log

    def __getitem__(self, key: str) -> Any:
        self._log.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._log.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self._log.add(str(key))
        return super().__contains__(key)


#: Keys every period has and the CS01 box itself reads: not removed by the missing-key check.
_ALWAYS_THERE = frozenset({"period", "cs01_min", "cs01_max"})


def _without(data: Mapping[str, Any], key: str) -> PeriodData:
    return PeriodData({k: data[k] for k in data if k != key})


def _as_period_data(data: Mapping[str, Any]) -> PeriodData:
    if isinstance(data, PeriodData):
        return data
    if not isinstance(data, Mapping):
        raise SpecificationError(f"data= must be a PeriodData (or a mapping), or a sequence of them; got "
                                 f"{type(data).__name__}")
    return PeriodData(data)


def _format_value(value: Any) -> str:
    if isinstance(value, np.ndarray) or (isinstance(value, (list, tuple)) and value and not isinstance(value[0], str)):
        array = np.asarray(value)
        if array.dtype.kind in "fiub":
            if array.ndim >= 2:
                return (f"<{array.shape[0]}×{array.shape[1]} array, min {np.min(array):.4g}, "
                        f"max {np.max(array):.4g}>") if array.size else f"<empty {array.shape} array>"
            return np.array2string(array, precision=6, threshold=10, max_line_width=10_000)
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _describe(data: Mapping[str, Any], keys: Iterable[str]) -> str:
    head = (f"period {data.get('period', '?')} ({data.get('conventions', '?')} conventions, "
            f"{data.get('mode', '?')}, {len(data.get('cs01_min', ()))} instrument(s))")
    shown = [k for k in dict.fromkeys(["cs01_min", "cs01_max", *keys]) if k in data]
    return head + "".join(f"\n    {k} = {_format_value(data[k])}" for k in shown)


def _fmt(h: np.ndarray | None) -> str:
    return "None" if h is None else np.array2string(np.asarray(h, dtype=float), precision=8, max_line_width=10_000)


class _Subject:
    """Shared machinery: raising ContractViolation with the data and the h."""

    kind = "term"

    def __init__(self, subject: Term | Constraint) -> None:
        self.subject = subject
        self.name = subject.name
        self.keys: set[str] = set(getattr(subject, "requires", ()))

    def fail(self, check: str, detail: str, data: Mapping[str, Any] | None = None,
             h: np.ndarray | None = None) -> ContractViolation:
        message = f"{self.kind} {self.name}: check {check!r} failed: {detail}"
        if data is not None:
            message += "\n  data: " + _describe(data, sorted(self.keys))
        if h is not None:
            message += "\n  h = " + _fmt(h)
        period = None if data is None else str(data.get("period", "?"))
        return ContractViolation(message, subject=self.name, check=check, period=period,
                                 h=None if h is None else np.asarray(h, dtype=float).copy())

    def probe(self, n: int, what: str, build: Any) -> Any:
        """``build(clone, h)`` on a freshly set-up clone of the subject; a failure is the 'build' check."""
        clone = self.subject.clone()
        try:
            clone.setup(n)
            return build(clone, cp.Variable(n, name="h"))
        except Exception as exc:
            raise self.fail("build", f"setup({n})/{what} raised {type(exc).__name__}: {exc}") from exc

    def refuses(self, problem: HedgeProblem, data: PeriodData) -> bool:
        """Write the period into ``problem``; True when the subject refuses it with a DataError of its own.

        A DataError raised inside ``update`` (a period it cannot use) skips the example; a non-finite
        Parameter after ``update`` is a failure.
        """
        try:
            problem.update(data)
        except DataError as exc:
            if isinstance(exc.__cause__, DataError):
                self.report.refused_examples += 1
                self.last_refusal = str(exc)
                return True
            raise self.fail("update", str(exc), data) from exc
        except CdsHedgeError as exc:
            raise self.fail("update", str(exc), data) from exc
        return False

    def needs(self, data: Mapping[str, Any], function: str) -> None:
        """A key the subject requires is absent from the generated data: a usage error, not a contract failure."""
        missing = [k for k in getattr(self.subject, "requires", ()) if k not in data]
        if missing:
            raise SpecificationError(
                f"{function}({self.name}): the period data has no key(s) {missing} that {self.name} requires; "
                f"pass extra={{{missing[0]!r}: <constant, f(data) or strategy>}}")

    def check_requires(self, problem: HedgeProblem, data: PeriodData, update_keys: set[str],
                       twin_keys: set[str], twin: Callable[[PeriodData], Any], h: np.ndarray) -> None:
        """Every key read is declared (when ``requires`` is) and its absence raises DataError naming the subject."""
        declared = tuple(getattr(self.subject, "requires", ()))
        read = (update_keys | twin_keys) - {"period"}
        if declared and read - set(declared):
            undeclared = sorted(read - set(declared))
            raise self.fail("requires", f"update()/{'value' if self.kind == 'term' else 'violation'}() read "
                            f"key(s) {undeclared} not listed in requires = {declared}; add them", data)
        for key in sorted((set(declared) | update_keys) - _ALWAYS_THERE):
            try:
                problem.update(_without(data, key))
            except DataError as exc:
                if self.name not in str(exc) or key not in str(exc):
                    raise self.fail("missing key", f"without key {key!r} the data error does not name "
                                    f"{self.name} and the key: {exc}", data) from exc
                continue
            except Exception as exc:
                raise self.fail("missing key", f"without key {key!r} update() raised {type(exc).__name__}: {exc} "
                                f"instead of the package's DataError; list {key!r} in requires", data) from exc
            raise self.fail("missing key", f"without key {key!r} update() did not raise DataError: the "
                            f"{self.kind} falls back silently (e.g. data.get(key, default)); read it with "
                            "data[key] and list it in requires", data)
        for key in sorted(twin_keys - _ALWAYS_THERE):
            try:
                twin(_without(data, key))
            except DataError as exc:
                if self.name not in str(exc):
                    raise self.fail("missing key", f"without key {key!r} the data error does not name "
                                    f"{self.name}: {exc}", data, h) from exc
                continue
            except Exception as exc:
                raise self.fail("missing key", f"without key {key!r} the numpy twin raised "
                                f"{type(exc).__name__}: {exc} instead of the package's DataError", data, h) from exc
            raise self.fail("missing key", f"without key {key!r} the numpy twin did not raise DataError: it "
                            "falls back silently; read it with data[key]", data, h)


def _scale(*values: float) -> float:
    return max([1.0, *[abs(float(v)) for v in values if np.isfinite(v)]])


# --------------------------------------------------------------------------------------------
# terms
# --------------------------------------------------------------------------------------------
class _TermChecker(_Subject):
    kind = "term"

    def __init__(self, term: Term, sign: int | None, rtol: float, atol: float) -> None:
        super().__init__(term)
        if sign not in (None, 1, -1):
            raise SpecificationError(f"check_term: sign must be +1, -1 or None (decide from the curvature), got "
                                     f"{sign!r}")
        self.requested_sign = sign
        self.rtol, self.atol = rtol, atol
        self.curvature: str | None = None
        self.sign = 1
        self.problems: dict[int, tuple[HedgeProblem, HedgeProblem]] = {}
        self.report = CheckReport(name=self.name, curvature="?", sign="?")
        self.last_refusal = ""

    # static: DCP, DPP, sign, build ---------------------------------------------------------
    def _curvature(self, n: int) -> str:
        expression = self.probe(n, "expr(h)", lambda term, h: term.expr(h))
        if isinstance(expression, (int, float, np.number)):
            expression = cp.Constant(float(expression))
        if not isinstance(expression, cp.Expression):
            raise self.fail("build", f"expr(h) must return a CVXPY expression, got {type(expression).__name__}")
        if not expression.is_scalar():
            raise self.fail("build", f"expr(h) must be a scalar, got shape {expression.shape}")
        if not expression.is_dcp():
            raise self.fail("DCP", f"expr(h) is neither convex nor concave by CVXPY's DCP rules: {expression}")
        if not expression.is_dcp(dpp=True):
            raise self.fail("DPP", "expr(h) is not DPP: a Parameter multiplies another Parameter-dependent "
                            "expression (e.g. quad_form(h, P) or p * (q @ h)); keep a factor F as the Parameter "
                            f"and write sum_squares(F @ h), or fold constants into one Parameter: {expression}")
        if expression.is_affine():
            return "affine"
        return "concave" if expression.is_concave() else "convex"

    def prepare(self, n: int) -> None:
        """The data-free checks (DCP, DPP, sign), once, before any example: they fix the sign."""
        curvature = self._curvature(n)
        sign = {"affine": 1, "concave": 1, "convex": -1}[curvature]
        requested = self.requested_sign
        if requested is not None and curvature != "affine" and requested != sign:
            raise self.fail("sign", f"{self.name} is {curvature}: in the maximised objective it needs a "
                            f"{'+' if sign > 0 else '-'} sign (objective {'+' if sign > 0 else '-'} "
                            f"{self.name}(...)), not {'+' if requested > 0 else '-'}")
        self.curvature = curvature
        self.sign = requested if requested is not None else sign
        self.report.curvature = curvature
        self.report.sign = "+ or -" if curvature == "affine" else ("+" if sign > 0 else "-")
        self._problems(n)

    def _problems(self, n: int) -> tuple[HedgeProblem, HedgeProblem]:
        if n in self.problems:
            return self.problems[n]
        curvature = self._curvature(n)
        if curvature != self.curvature:
            raise self.fail("DCP", f"expr(h) is {curvature} for {n} instruments but {self.curvature} for others")
        built = []
        for objective in (self.sign * self.subject, HedgePnL() + self.sign * self.subject):
            try:
                built.append(HedgeProblem(n, objective).build())
            except SpecificationError as exc:
                raise self.fail("build", f"the objective {objective!r} is refused: {exc}") from exc
        self.problems[n] = (built[0], built[1])
        return self.problems[n]

    # per example ---------------------------------------------------------------------------
    def check(self, source: Source, data: PeriodData) -> None:
        self.needs(data, "check_term")
        n = len(data["cs01_min"])
        alone, with_pnl = self._problems(n)
        term = alone.entries_[-1][1]
        lower, upper = np.asarray(data["cs01_min"], float), np.asarray(data["cs01_max"], float)
        points = [make_cs01_vector(source, lower, upper), lower, upper, np.asarray(data["h_prev"], float)]
        if self.refuses(alone, data) or self.refuses(with_pnl, data):
            return

        update_keys: set[str] = set()
        probe = self.subject.clone()
        probe.setup(n)
        try:
            probe.update(_RecordingData(data, update_keys))
        except Exception as exc:
            raise self.fail("update", f"update() raised {type(exc).__name__}: {exc}", data) from exc
        self.keys |= update_keys

        twin_keys: set[str] = set()
        recording = _RecordingData(data, twin_keys)
        values = [self._value(term, h, recording) for h in points]
        self.keys |= twin_keys
        scale = max(abs(v) for v in values)
        for h, value in zip(points, values):
            alone.h_.value = h
            expression = float(alone.term_exprs_[-1].value)
            gap = abs(expression - value)
            self.report.max_value_gap = max(self.report.max_value_gap, gap)
            tolerance = self.atol + self.rtol * max(scale, abs(expression))  # relative to the term's own size
            if not gap <= tolerance:
                raise self.fail("expr == value", f"CVXPY expr(h).value = {expression!r} but value(h, data) = "
                                f"{value!r} (gap {gap:.3g} > tolerance {tolerance:.3g})", data, h)
            self._check_gradient(term, h, value, data)

        for problem in (alone, with_pnl):
            self._check_optimum(problem, data, points)
        self.check_requires(alone, data, update_keys, twin_keys, lambda d: twin_value(term, points[0], d), points[0])
        self.report.examples += 1
        self.report.keys_read = tuple(sorted(self.keys - {"period"}))

    def _value(self, term: Term, h: np.ndarray, data: Mapping[str, Any]) -> float:
        try:
            raw = term.value(np.array(h, dtype=float), data)
        except Exception as exc:
            raise self.fail("value", f"value(h, data) raised {type(exc).__name__}: {exc}", data, h) from exc
        if np.ndim(raw) != 0:
            raise self.fail("value", f"value(h, data) must return a scalar, got shape {np.shape(raw)}", data, h)
        value = float(raw)
        if not np.isfinite(value):
            raise self.fail("value", f"value(h, data) is {value}", data, h)
        return value

    def _check_gradient(self, term: Term, h: np.ndarray, f0: float, data: PeriodData) -> None:
        try:
            gradient = term.gradient(np.array(h, dtype=float), data)
        except Exception as exc:
            raise self.fail("gradient", f"gradient(h, data) raised {type(exc).__name__}: {exc}", data, h) from exc
        if gradient is None:
            return
        g = np.asarray(gradient, dtype=float)
        if g.shape != h.shape or not np.all(np.isfinite(g)):
            raise self.fail("gradient", f"gradient(h, data) must be {h.shape[0]} finite numbers, got {g!r}", data, h)
        # For a convex or concave function, any (sub)gradient lies between the backward and the
        # forward difference quotients: exact brackets, robust at kinks such as |h - h_prev|.
        for i in range(h.shape[0]):
            step = 1e-6 * max(1.0, abs(h[i]))
            up, down = h.copy(), h.copy()
            up[i] += step
            down[i] -= step
            f_up, f_down = self._value(term, up, data), self._value(term, down, data)
            forward, backward = (f_up - f0) / step, (f0 - f_down) / step
            low, high = min(forward, backward), max(forward, backward)
            rounding = 16 * np.finfo(float).eps * max(abs(f0), abs(f_up), abs(f_down), 1e-300) / step
            tolerance = rounding + 1e-7 * max(1.0, abs(g[i]), abs(forward), abs(backward))
            error = float(max(low - g[i], g[i] - high, 0.0))
            self.report.max_gradient_error = max(self.report.max_gradient_error, error)
            if error > tolerance:
                raise self.fail("gradient", f"gradient(h, data)[{i}] = {float(g[i])!r} but finite differences of "
                                f"value() give {backward!r} (backward) and {forward!r} (forward)", data, h)

    def _check_optimum(self, problem: HedgeProblem, data: PeriodData, starts: Sequence[np.ndarray]) -> None:
        objective = Objective(problem.entries_)
        try:
            solution = problem.solve()
        except SolverError as exc:
            raise self.fail("optimum", f"CVXPY found no optimum of {objective!r}: {exc}", data) from exc
        cvxpy_value = problem.twin_objective(solution.h, data)
        scale = _scale(cvxpy_value, solution.objective)
        tolerance = 1e-7 + 1e-6 * scale
        if abs(solution.objective - cvxpy_value) > tolerance:
            raise self.fail("expr == value", f"at CVXPY's optimum of {objective!r} the CVXPY objective is "
                            f"{solution.objective!r} but the numpy twins give {cvxpy_value!r}", data, solution.h)
        # scipy starts from its own points and from CVXPY's answer: with the same function, a convex
        # problem's optimum cannot be improved; with a twin that differs, scipy walks away from it.
        h_scipy, scipy_value = scipy_solve(problem.entries_, problem.constraints_, data, [*starts, solution.h])
        gap = scipy_value - cvxpy_value
        self.report.max_objective_gap = max(self.report.max_objective_gap, gap)
        if gap > tolerance:
            raise self.fail("optimum", f"scipy, maximising the numpy twins of {objective!r}, reaches {scipy_value!r} "
                            f"at h_scipy = {_fmt(h_scipy)}, better than CVXPY's optimum {cvxpy_value!r} (at h): "
                            "value() and expr() describe different functions", data, solution.h)


# --------------------------------------------------------------------------------------------
# constraints
# --------------------------------------------------------------------------------------------
class _Direction(LinearTerm):
    """A linear objective d · h with d drawn per example, to push the constraint's boundary."""

    requires = ("check_direction",)

    def coefficients(self, data: Mapping[str, Any]) -> np.ndarray:
        return np.asarray(data["check_direction"], dtype=float)


class _ConstraintChecker(_Subject):
    kind = "constraint"

    def __init__(self, constraint: Constraint, tol: float) -> None:
        super().__init__(constraint)
        self.tol = tol
        self.problems: dict[int, tuple[HedgeProblem, HedgeProblem]] = {}
        self.report = CheckReport(name=self.name, curvature="convex", sign="")
        self.last_refusal = ""

    def _static(self, n: int) -> None:
        built = self.probe(n, "constraints(h)", lambda constraint, h: list(constraint.constraints(h)))
        for item in built:
            if not isinstance(item, cp.constraints.constraint.Constraint):
                raise self.fail("build", f"constraints(h) must return CVXPY constraints, got {item!r}")
            if not item.is_dcp():
                raise self.fail("DCP", f"{item} is not DCP: the feasible set must be convex (affine == affine, "
                                "convex <= concave)")
            if not item.is_dcp(dpp=True):
                raise self.fail("DPP", f"{item} is not DPP: a Parameter multiplies another Parameter-dependent "
                                "expression; fold constants into one Parameter")

    def prepare(self, n: int) -> None:
        """The data-free checks (DCP, DPP, build), once, before any example."""
        self._problems(n)

    def _problems(self, n: int) -> tuple[HedgeProblem, HedgeProblem]:
        if n not in self.problems:
            self._static(n)
            built = []
            for objective in (_Direction(), -_Direction()):
                try:
                    built.append(HedgeProblem(n, objective, [self.subject]).build())
                except SpecificationError as exc:
                    raise self.fail("build", f"a problem with this limit is refused: {exc}") from exc
            self.problems[n] = (built[0], built[1])
        return self.problems[n]

    @staticmethod
    def _own(problem: HedgeProblem) -> Constraint:
        return problem.constraints_[-1]

    def _violation(self, constraint: Constraint, h: np.ndarray, data: Mapping[str, Any]) -> float:
        try:
            raw = constraint.violation(np.array(h, dtype=float), data)
        except Exception as exc:
            raise self.fail("violation", f"violation(h, data) raised {type(exc).__name__}: {exc}", data, h) from exc
        if np.ndim(raw) != 0 or not np.isfinite(float(raw)) or float(raw) < 0:
            raise self.fail("violation", f"violation(h, data) must be a finite number >= 0, got {raw!r}", data, h)
        return float(raw)

    def _residual(self, problem: HedgeProblem, h: np.ndarray) -> float:
        problem.h_.value = np.asarray(h, dtype=float)
        return max([float(np.max(c.violation(), initial=0.0)) for c in self._own(problem)._built] + [0.0])

    def check(self, source: Source, data: PeriodData) -> None:
        self.needs(data, "check_constraint")
        n = len(data["cs01_min"])
        problems = self._problems(n)
        lower, upper = np.asarray(data["cs01_min"], float), np.asarray(data["cs01_max"], float)
        direction = np.array([source.real(-1.0, 1.0) for _ in range(n)])
        data = data.replace(check_direction=direction)
        drawn = make_cs01_vector(source, lower, upper)
        points = [drawn, 2.0 * drawn, -drawn, 0.5 * drawn, lower, upper, np.asarray(data["h_prev"], float)]
        if any(self.refuses(problem, data) for problem in problems):
            return

        update_keys: set[str] = set()
        probe = self.subject.clone()
        probe.setup(n)
        try:
            probe.update(_RecordingData(data, update_keys))
        except Exception as exc:
            raise self.fail("update", f"update() raised {type(exc).__name__}: {exc}", data) from exc
        self.keys |= update_keys - {"check_direction"}
        twin_keys: set[str] = set()
        constraint = self._own(problems[0])
        for h in points:
            self._violation(constraint, h, _RecordingData(data, twin_keys))
        self.keys |= twin_keys

        for problem in problems:
            try:
                solution = problem.solve()
            except InfeasibleError:
                self._check_infeasible(constraint, data, points)
                self.report.infeasible_examples += 1
                break
            except SolverError as exc:
                raise self.fail("optimum", f"CVXPY found no answer: {exc}", data) from exc
            h = solution.h
            violation = self._violation(constraint, h, data)
            self.report.max_value_gap = max(self.report.max_value_gap, violation)
            if violation > self.tol * _scale(*h):
                raise self.fail("solver answer", f"CVXPY's answer violates the numpy twin: violation(h) = "
                                f"{violation!r}", data, h)
            h_scipy, scipy_value = self._scipy_optimum(problem, constraint, data, [data["h_prev"], h])
            gap = scipy_value - solution.objective  # -inf when scipy found no point the twin accepts
            self.report.max_objective_gap = max(self.report.max_objective_gap, gap)
            if gap > 1e-7 + 1e-6 * _scale(scipy_value, solution.objective):
                residual = self._residual(problem, h_scipy)
                raise self.fail("optimum", f"scipy, bound only by violation(), beats CVXPY by {gap:.3g} at h "
                                f"(CVXPY's constraints there are violated by {residual:.3g}): violation() "
                                "accepts points the CVXPY constraints reject", data, h_scipy)
            points.append(h)

        self._check_points(problems[0], constraint, data, points)
        self.check_requires(problems[0], data, update_keys - {"check_direction"}, twin_keys - {"check_direction"},
                            lambda d: twin_violation(constraint, points[0], d), points[0])
        self.report.examples += 1
        self.report.keys_read = tuple(sorted(self.keys - {"period"}))

    @staticmethod
    def _scipy_optimum(problem: HedgeProblem, constraint: Constraint, data: PeriodData,
                       starts: Sequence[np.ndarray]) -> tuple[np.ndarray, float]:
        """Best SLSQP answer on the twins, bound by the box and ``violation(h) <= 0``, from ``starts`` (a
        short search: it only has to find a better point when the twin accepts points CVXPY rejects)."""
        from scipy.optimize import minimize

        lower, upper = np.asarray(data["cs01_min"], float), np.asarray(data["cs01_max"], float)
        entries = problem.entries_

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

    def _check_points(self, problem: HedgeProblem, constraint: Constraint, data: PeriodData,
                      points: Sequence[np.ndarray]) -> None:
        for h in points:
            residual = self._residual(problem, h)
            violation = self._violation(constraint, h, data)
            scale = _scale(*h)
            if residual <= 1e-10 * scale and violation > self.tol * scale:
                raise self.fail("feasible point", f"the CVXPY constraints hold at h (residual {residual:.3g}) but "
                                f"violation(h) = {violation!r} (should be 0)", data, h)
            if residual > 1e-6 * scale and violation <= 0.0:
                raise self.fail("rejected point", f"the CVXPY constraints reject h (residual {residual:.3g}) but "
                                "violation(h) = 0", data, h)

    def _check_infeasible(self, constraint: Constraint, data: PeriodData, points: Sequence[np.ndarray]) -> None:
        """CVXPY says the limit cannot hold inside the box: the twin must not find a point where it does."""
        from scipy.optimize import minimize

        lower, upper = np.asarray(data["cs01_min"], float), np.asarray(data["cs01_max"], float)
        best_h, best = None, np.inf
        for start in (points[0], np.clip(0.0, lower, upper), 0.5 * (lower + upper)):
            x0 = np.clip(start, lower, upper)
            result = minimize(lambda h: twin_violation(constraint, h, data), x0, method="Powell",
                              bounds=list(zip(lower, upper)), options={"xtol": 1e-10, "ftol": 1e-12})
            h = np.clip(result.x, lower, upper)
            value = twin_violation(constraint, h, data)
            if value < best:
                best_h, best = h, value
        if best <= 0.0:
            raise self.fail("infeasible", "CVXPY finds the limit infeasible inside the CS01 box, but violation(h) = 0 "
                            "at h inside the box", data, best_h)


# --------------------------------------------------------------------------------------------
# the runner
# --------------------------------------------------------------------------------------------
def _run(checker: _TermChecker | _ConstraintChecker, *, universe: Universe | None, conventions: str | Conventions,
         mode: str, data: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None, extra: Mapping[str, Any] | None,
         max_examples: int, seed: int) -> None:
    if universe is not None:
        checker.prepare(len(universe))
    elif data is not None and isinstance(data, Mapping) and "cs01_min" in data:
        checker.prepare(len(data["cs01_min"]))
    else:
        checker.prepare(3)
    single_thread = threadpool_limits(1) if threadpool_limits is not None else contextlib.nullcontext()
    with warnings.catch_warnings(), single_thread:
        # an inaccurate solve is retried by the fallback solvers and judged by the checks themselves
        warnings.filterwarnings("ignore", message="Solution may be inaccurate", category=UserWarning)
        _examples(checker, universe=universe, conventions=conventions, mode=mode, data=data, extra=extra,
                  max_examples=max_examples, seed=seed)
    report = checker.report
    if report.examples == 0 and report.refused_examples:
        raise checker.fail("data", f"{checker.name} refused every one of the {report.refused_examples} periods "
                           f"with a DataError, e.g. {checker.last_refusal}; pass extra= for the keys it reads, or "
                           "a universe=/conventions=/mode= whose periods it can use")


def _examples(checker: _TermChecker | _ConstraintChecker, *, universe: Universe | None,
              conventions: str | Conventions, mode: str, data: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
              extra: Mapping[str, Any] | None, max_examples: int, seed: int) -> None:
    if data is not None:  # the user's periods
        source = RandomSource(seed)
        datasets = [data] if isinstance(data, Mapping) else list(data)
        if not datasets:
            raise SpecificationError("data= is empty; give a PeriodData or a sequence of them")
        for item in datasets:
            checker.check(source, apply_extra(source, _as_period_data(item), extra))
        return
    if max_examples < 1:
        raise SpecificationError(f"max_examples must be at least 1, got {max_examples}")
    conv = get_conventions(conventions)

    def one_example(source: Source) -> None:
        chosen = universe if universe is not None else _make_universe(source)
        checker.check(source, make_period_data(source, chosen, conv, mode, extra))

    if currently_in_test_context():  # inside @given: no nested search, a seeded generator instead
        rng = np.random.default_rng(seed)
        for _ in range(max_examples):
            one_example(RandomSource(rng))
        return

    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=False, print_blob=False,
              report_multiple_bugs=False, phases=(Phase.generate, Phase.shrink),
              suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed)
    @given(st.data())
    def search(draws: st.DataObject) -> None:
        one_example(HypothesisSource(draws.draw))

    search()


def check_term(term: Term, *, universe: Universe | None = None, max_examples: int = 20,
               conventions: str | Conventions = "market", mode: str = "hindsight", sign: int | None = None,
               extra: Mapping[str, Any] | None = None,
               data: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None, seed: int = 0,
               rtol: float = 1e-6, atol: float = 1e-9) -> CheckReport:
    """Check a term's contract on generated periods; raise :class:`ContractViolation` on the first breach.

    Checks, by the name a failure reports:

    * ``DCP``, ``DPP``, ``build`` -- ``expr(h)`` is a scalar DCP and DPP expression and both
      ``±term`` and ``HedgePnL() ± term`` compile (``+`` if concave, ``-`` if convex);
    * ``sign`` -- with ``sign=+1`` (or ``-1``), the term may enter the maximised objective with it;
    * ``update``, ``value`` -- ``update(data)`` and ``value(h, data)`` run and give finite scalars;
    * ``expr == value`` -- ``expr(h).value`` equals ``value(h, data)`` at a drawn h, both box
      corners and ``h_prev``, and at CVXPY's optimum;
    * ``gradient`` -- when given, ``gradient(h, data)`` lies between the backward and forward
      finite differences of ``value`` (exact for convex or concave terms, kinks included);
    * ``optimum`` -- maximising ``±term`` and ``HedgePnL() ± term`` in the box, scipy on the numpy
      twins, started from its own points and from CVXPY's answer, finds nothing better than
      CVXPY's optimum (by more than 1e-7 + 1e-6·|optimum|): the two formulas have the same optimum;
    * ``missing key`` -- without any key the term reads, the package's ``DataError`` is raised
      and names the term; ``requires`` -- a term that declares ``requires`` reads no other key;
    * ``data`` -- at least one period was usable (a term may refuse a period it cannot use by
      raising ``DataError`` in ``update``; such periods are counted, not checked).

    As a plain call the examples come from a seeded hypothesis search that shrinks a failure to a
    small example. Inside a running hypothesis test (``@given``), where searches cannot nest,
    ``max_examples`` periods are drawn from a seeded numpy generator by the same generators;
    with ``data=`` exactly those periods are checked.

    Parameters
    ----------
    term : Term
        The term, with its hyperparameters.
    universe : Universe, optional
        Check on this universe only (markets and periods are still generated).
    max_examples : int
        Periods generated (each solves four small problems).
    conventions : str or Conventions
        ``"market"`` (default), ``"seed"`` or ``"market-cash"``.
    mode : {"hindsight", "walk-forward"}
        How the generated periods are built.
    sign : {None, +1, -1}
        The sign the term is meant to enter the maximised objective with; ``None`` takes it from
        the curvature.
    extra : mapping, optional
        Keys your term reads that the package does not build: a constant, a callable
        ``f(data) -> value`` or a hypothesis strategy (plain calls only) per key.
    data : PeriodData or sequence of PeriodData, optional
        Check on these periods instead of generated ones (e.g. inside ``@given(period_data())``).
    seed : int
        Seed of the search (the check is deterministic).
    rtol, atol : float
        Tolerance of ``expr == value``: atol + rtol · max |value| over the points of the example.

    Returns
    -------
    CheckReport

    Raises
    ------
    ContractViolation
        An ``AssertionError`` naming the check, the period (and the data keys the term read) and h.

    Examples
    --------
    >>> import cdshedge_cvx as ch
    >>> from cdshedge_cvx.testing import check_term
    >>> check_term(ch.TransactionCost()).sign                          # doctest: +SKIP
    '-'
    """
    if not isinstance(term, Term):
        raise SpecificationError(f"check_term needs a Term, got {term!r}")
    checker = _TermChecker(term, sign, rtol, atol)
    _run(checker, universe=universe, conventions=conventions, mode=mode, data=data, extra=extra,
         max_examples=max_examples, seed=seed)
    return checker.report


def check_constraint(constraint: Constraint, *, universe: Universe | None = None, max_examples: int = 20,
                     conventions: str | Conventions = "market", mode: str = "hindsight",
                     extra: Mapping[str, Any] | None = None,
                     data: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None, seed: int = 0,
                     tol: float = 1e-7) -> CheckReport:
    """Check a constraint's contract on generated periods; raise :class:`ContractViolation` on the first breach.

    Checks: ``DCP``/``DPP``/``build`` (the CVXPY constraints are convex and DPP and compile with
    the CS01 box); ``update`` and ``violation`` (run, finite, ≥ 0); ``solver answer`` (CVXPY's
    optimum of a random linear objective ±d·h satisfies the numpy twin: violation ≤ tol);
    ``optimum`` (scipy bound only by ``violation`` does not beat CVXPY); ``feasible point``
    (where the CVXPY constraints hold, violation is 0) and ``rejected point`` (where they fail,
    violation > 0) on drawn points, their multiples and the answers; ``infeasible`` (when CVXPY
    finds the limit impossible inside the box, no box point has zero violation);
    ``feasible examples`` (at least one example was feasible); ``missing key`` and ``requires``
    as in :func:`check_term`.

    Parameters are those of :func:`check_term`; ``tol`` is the violation counted as zero
    (times max(1, |h|)).

    Returns
    -------
    CheckReport
    """
    if not isinstance(constraint, Constraint):
        raise SpecificationError(f"check_constraint needs a Constraint, got {constraint!r}")
    checker = _ConstraintChecker(constraint, tol)
    _run(checker, universe=universe, conventions=conventions, mode=mode, data=data, extra=extra,
         max_examples=max_examples, seed=seed)
    if checker.report.examples and checker.report.infeasible_examples == checker.report.examples:
        raise checker.fail("feasible examples", f"the limit could not hold inside the CS01 box in any of the "
                           f"{checker.report.examples} examples, so nothing was checked at a solution; pass a "
                           "universe= or hyperparameters under which it can hold")
    return checker.report
