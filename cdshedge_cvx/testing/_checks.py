"""The machinery the named contract checks share: :class:`ContractViolation`, :class:`CheckReport`
and :class:`CheckRun`, which draws the periods a check looks at.

A term is written twice, as a CVXPY expression and as its numpy twin; a constraint as CVXPY
constraints and a numpy ``violation``. Each named check (:mod:`cdshedge_cvx.testing._named_checks`)
runs both versions, and the solvers, on generated periods and fails with a
:class:`ContractViolation` (an ``AssertionError``) that names the check, the period (with the
data keys the component read) and the hedge ``h``.

A check works as a plain call (it runs its own hypothesis search, which shrinks a failure to a
small example) and inside a ``@given`` test, where hypothesis forbids a nested search: there it
draws its examples from a seeded numpy generator (same generators, same checks). With ``data=``
it checks the given periods only. Every check draws the same examples for the same options, so
the checks of one :func:`~cdshedge_cvx.testing.check_term` call see the same periods.

The checks use the component contract only (``setup``, ``update``, ``expr``/``constraints``,
``value``/``violation``, the optional capabilities, ``clone``, ``shadow_price``) and the public
:class:`~cdshedge_cvx.solve.HedgeProblem` API (``build``, ``update``, ``solve``).
"""

from __future__ import annotations

import contextlib
import inspect
import numbers
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np
from hypothesis import HealthCheck, Phase, currently_in_test_context, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from cdshedge_cvx.credit._conventions import get_conventions
from cdshedge_cvx.errors import DataError, SpecificationError
from cdshedge_cvx.market._instruments import Universe
from cdshedge_cvx.model import Constraint, Term
from cdshedge_cvx.periods import PeriodData
from cdshedge_cvx.solve import limit_constraint_issue, term_expression_issue
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

__all__ = ["ALWAYS_THERE", "CHECK_KEYS", "Built", "CheckReport", "CheckRun", "ContractViolation", "Example",
           "RecordingData", "Refused", "fmt", "hyperparameters", "is_number", "scale", "without"]

#: Keys every period has and the CS01 box itself reads: not removed by the missing-key check.
ALWAYS_THERE = frozenset({"period", "cs01_min", "cs01_max"})
#: Keys the checks add to a constraint's periods (a random direction and anchor for the objective).
CHECK_KEYS = frozenset({"check_direction", "check_anchor"})
#: Options of the term checks and of the constraint checks, with their defaults.
COMMON_OPTIONS: dict[str, Any] = {"universe": None, "max_examples": 20, "conventions": "market", "mode": "hindsight",
                                  "extra": None, "data": None, "seed": 0, "shrink": True}
TERM_OPTIONS: dict[str, Any] = {**COMMON_OPTIONS, "sign": None, "rtol": 1e-6, "atol": 1e-9}
CONSTRAINT_OPTIONS: dict[str, Any] = {**COMMON_OPTIONS, "tol": 1e-7}


class ContractViolation(AssertionError):
    """A term or constraint broke its contract.

    Attributes
    ----------
    subject : str
        The term's or constraint's name.
    check : str
        What failed, as the message says it (``'expr == value'``, ``'missing key'`` …).
    period : str or None
        The period of the data it failed on.
    h : ndarray or None
        The hedge it failed at.
    named_check : str
        The named check that raised it (``check_value_matches_expr`` …).
    """

    def __init__(self, message: str, *, subject: str = "", check: str = "", period: str | None = None,
                 h: np.ndarray | None = None, named_check: str = "") -> None:
        super().__init__(message)
        self.subject = subject
        self.check = check
        self.period = period
        self.h = h
        self.named_check = named_check


class Refused(Exception):
    """The component refused a period with the package's ``DataError`` (the example is skipped)."""


@dataclass
class CheckReport:
    """What the passing checks measured.

    Attributes
    ----------
    name : str
        The term or constraint.
    curvature : str
        ``affine``, ``concave`` or ``convex`` (a constraint's feasible set is always ``convex``).
    sign : str
        How a term enters the maximised objective: ``+`` (concave), ``-`` (convex) or ``+ or -``.
    examples : int
        Periods checked (by the check that checked the most).
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
    skipped : tuple of str
        Checks that did not apply, each as ``"check_name: reason"``.
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
    skipped: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------------------------
# data helpers
# --------------------------------------------------------------------------------------------
class RecordingData(PeriodData):
    """A PeriodData that remembers which keys were read (``[]``, ``get``, ``in``)."""

    def __init__(self, data: Mapping[str, Any], log: set[str]) -> None:
        super().__init__({key: data[key] for key in data}, _sealed=getattr(data, "_sealed", None))
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


def without(data: Mapping[str, Any], key: str) -> PeriodData:
    """The period without ``key``."""
    return PeriodData({k: data[k] for k in data if k != key},
                      _sealed={k: v for k, v in getattr(data, "_sealed", {}).items() if k != key})


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


def fmt(h: np.ndarray | None) -> str:
    """A hedge as the messages print it."""
    return "None" if h is None else np.array2string(np.asarray(h, dtype=float), precision=8, max_line_width=10_000)


def scale(*values: float) -> float:
    """max(1, |v| for the finite values): the size tolerances are relative to."""
    return max([1.0, *[abs(float(v)) for v in values if np.isfinite(v)]])


def hyperparameters(component: Term | Constraint) -> dict[str, Any]:
    """The hyperparameters (scikit-learn's ``get_params``): the ``__init__`` arguments, read back as attributes."""
    signature = inspect.signature(type(component).__init__)
    return {name: getattr(component, name) for name, p in signature.parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and hasattr(component, name)}


def is_number(value: Any) -> bool:
    """A finite real hyperparameter (not a bool, not None)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and bool(np.isfinite(float(value)))


# --------------------------------------------------------------------------------------------
# one example
# --------------------------------------------------------------------------------------------
@dataclass
class Example:
    """One generated (or given) period and the hedges a check looks at.

    Attributes
    ----------
    data : PeriodData
        The period (for constraints with ``check_direction`` and ``check_anchor`` added).
    n : int
        Instruments.
    lower, upper, h_prev : ndarray
        The CS01 box and the previous hedge.
    drawn : ndarray
        A CS01 vector drawn inside the box.
    points : list of ndarray
        Where the formulas are compared: ``drawn``, the box corners and ``h_prev`` (constraints
        also ``2·drawn``, ``−drawn`` and ``drawn/2``, outside the box or the limit).
    """

    data: PeriodData
    n: int
    lower: np.ndarray
    upper: np.ndarray
    h_prev: np.ndarray
    drawn: np.ndarray
    points: list[np.ndarray]


@dataclass
class Built:
    """A set-up clone of the subject: its CVXPY variable and expression (term) or constraints."""

    component: Any
    h: cp.Variable
    expression: cp.Expression | None
    constraints: list[Any]

    def parameters(self) -> list[cp.Parameter]:
        """The CVXPY Parameters the expression or the constraints use."""
        found: dict[int, cp.Parameter] = {}
        for item in ([self.expression] if self.expression is not None else self.constraints):
            for parameter in item.parameters():
                found[parameter.id] = parameter
        return list(found.values())

    def expression_at(self, h: np.ndarray) -> float:
        """``expr(h).value`` at ``h``."""
        self.h.value = np.asarray(h, dtype=float)
        return float(self.expression.value)

    def residual(self, h: np.ndarray) -> float:
        """How far the CVXPY constraints are violated at ``h`` (0 when they hold)."""
        self.h.value = np.asarray(h, dtype=float)
        return max([float(np.max(c.violation(), initial=0.0)) for c in self.constraints] + [0.0])


# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------
class CheckRun:
    """One run of named checks on one component: its options, report and examples.

    Parameters
    ----------
    subject : Term or Constraint
    options : mapping
        The options of :func:`~cdshedge_cvx.testing.check_term` (terms) or
        :func:`~cdshedge_cvx.testing.check_constraint` (constraints); unknown ones are refused.
    function : str
        Who asks (for the messages).
    """

    def __init__(self, subject: Term | Constraint, options: Mapping[str, Any], function: str) -> None:
        if isinstance(subject, Term):
            self.kind, allowed = "term", TERM_OPTIONS
        elif isinstance(subject, Constraint):
            self.kind, allowed = "constraint", CONSTRAINT_OPTIONS
        else:
            raise SpecificationError(f"{function} needs a Term or a Constraint, got {subject!r}")
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise SpecificationError(f"{function}: unknown option(s) {unknown} for a {self.kind}; known: "
                                     f"{', '.join(sorted(allowed))}")
        self.options = {**allowed, **options}
        if self.kind == "term" and self.options["sign"] not in (None, 1, -1):
            raise SpecificationError(f"check_term: sign must be +1, -1 or None (decide from the curvature), got "
                                     f"{self.options['sign']!r}")
        if self.options["data"] is None and self.options["max_examples"] < 1:
            raise SpecificationError(f"max_examples must be at least 1, got {self.options['max_examples']}")
        self.subject = subject
        self.name = subject.name
        self.keys: set[str] = set(getattr(subject, "requires", ()))
        self.report = CheckReport(name=self.name, curvature="convex" if self.kind == "constraint" else "?",
                                  sign="" if self.kind == "constraint" else "?")
        self.current = ""
        self.last_refusal = ""
        self.cache: dict[Any, Any] = {}
        self._curvatures: dict[int, str] = {}

    # failures ------------------------------------------------------------------------------
    def fail(self, check: str, detail: str, data: Mapping[str, Any] | None = None,
             h: np.ndarray | None = None) -> ContractViolation:
        """The :class:`ContractViolation` to raise: ``<kind> <name>: check '<check>' failed: <detail>``."""
        message = f"{self.kind} {self.name}: check {check!r} failed: {detail}"
        if data is not None:
            message += "\n  data: " + _describe(data, sorted(self.keys - CHECK_KEYS))
        if h is not None:
            message += "\n  h = " + fmt(h)
        period = None if data is None else str(data.get("period", "?"))
        return ContractViolation(message, subject=self.name, check=check, period=period,
                                 h=None if h is None else np.asarray(h, dtype=float).copy(), named_check=self.current)

    @contextlib.contextmanager
    def running(self, name: str) -> Iterable[None]:
        """Run the named check ``name``: one BLAS thread, CVXPY's accuracy warnings left to the checks."""
        self.current = name
        single_thread = threadpool_limits(1) if threadpool_limits is not None else contextlib.nullcontext()
        with warnings.catch_warnings(), single_thread:
            # an inaccurate solve is retried by the fallback solvers and judged by the checks themselves
            warnings.filterwarnings("ignore", message="Solution may be inaccurate", category=UserWarning)
            yield

    # building --------------------------------------------------------------------------------
    @property
    def n0(self) -> int:
        """Instruments of the data-free checks: the universe's, the given period's, or 3."""
        universe, data = self.options["universe"], self.options["data"]
        if universe is not None:
            return len(universe)
        if data is not None and isinstance(data, Mapping) and "cs01_min" in data:
            return len(data["cs01_min"])
        return 3

    def build(self, n: int, component: Term | Constraint | None = None) -> Built:
        """A set-up clone of ``component`` (default: the subject) for ``n`` instruments; a failure is 'build'."""
        clone = (self.subject if component is None else component).clone()
        h = cp.Variable(n, name="h")
        what = "expr(h)" if self.kind == "term" else "constraints(h)"
        try:
            clone.setup(n)
            built = clone.expr(h) if self.kind == "term" else list(clone.constraints(h))
        except Exception as exc:
            raise self.fail("build", f"setup({n})/{what} raised {type(exc).__name__}: {exc}") from exc
        if self.kind == "constraint":
            for item in built:
                if not isinstance(item, cp.constraints.constraint.Constraint):
                    raise self.fail("build", f"constraints(h) must return CVXPY constraints, got {item!r}")
            return Built(clone, h, None, built)
        if isinstance(built, (int, float, np.number)):
            built = cp.Constant(float(built))
        if not isinstance(built, cp.Expression):
            raise self.fail("build", f"expr(h) must return a CVXPY expression, got {type(built).__name__}")
        if not built.is_scalar():
            raise self.fail("build", f"expr(h) must be a scalar, got shape {built.shape}")
        return Built(clone, h, built, [])

    def curvature(self, n: int) -> str:
        """The term's curvature for ``n`` instruments (DCP and DPP checked, and the same for every n)."""
        if n in self._curvatures:
            return self._curvatures[n]
        built = self.build(n)
        if self.kind == "constraint":
            for item in built.constraints:
                issue = limit_constraint_issue(item)
                if issue is not None:
                    raise self.fail(*issue)
            curvature = "convex"
        else:
            expression = built.expression
            issue = term_expression_issue(self.name, expression)
            if issue is not None:
                raise self.fail(*issue)
            curvature = ("affine" if expression.is_affine() else
                         "concave" if expression.is_concave() else "convex")
        known = set(self._curvatures.values())
        if known and curvature not in known:
            raise self.fail("DCP", f"expr(h) is {curvature} for {n} instruments but {known.pop()} for others")
        self._curvatures[n] = curvature
        if self.kind == "term":
            self.report.curvature = curvature
            self.report.sign = "+ or -" if curvature == "affine" else ("+" if curvature == "concave" else "-")
        return curvature

    @property
    def sign(self) -> int:
        """The sign the term enters the maximised objective with (requested, or from the curvature)."""
        natural = -1 if self.curvature(self.n0) == "convex" else 1
        return self.options["sign"] if self.options["sign"] is not None else natural

    def updated(self, example: Example, data: Mapping[str, Any] | None = None,
                component: Term | Constraint | None = None) -> Built:
        """A clone built for the example and updated with its period (or ``data``).

        A ``DataError`` raised by ``update`` is the component refusing the period (:class:`Refused`);
        any other exception, or a Parameter left without a finite value, fails 'update'.
        """
        self.curvature(example.n)
        built = self.build(example.n, component)
        data = example.data if data is None else data
        try:
            built.component.update(data)
        except DataError as exc:
            raise Refused(f"{self.name}: {exc}") from exc
        except Exception as exc:
            raise self.fail("update", f"update() raised {type(exc).__name__}: {exc}", example.data) from exc
        for parameter in built.parameters():
            value = parameter.value
            if value is None or not np.all(np.isfinite(value)):
                state = "was not given a value" if value is None else "has non-finite values"
                raise self.fail("update", f"Parameter {parameter.name()!r} {state} after update(); check its data",
                                example.data)
        return built

    def value(self, component: Term, h: np.ndarray, data: Mapping[str, Any]) -> float:
        """``value(h, data)`` as a finite float; anything else fails 'value'."""
        try:
            raw = component.value(np.array(h, dtype=float), data)
        except Exception as exc:
            raise self.fail("value", f"value(h, data) raised {type(exc).__name__}: {exc}", data, h) from exc
        if np.ndim(raw) != 0:
            raise self.fail("value", f"value(h, data) must return a scalar, got shape {np.shape(raw)}", data, h)
        value = float(raw)
        if not np.isfinite(value):
            raise self.fail("value", f"value(h, data) is {value}", data, h)
        return value

    def violation(self, component: Constraint, h: np.ndarray, data: Mapping[str, Any]) -> float:
        """``violation(h, data)`` as a finite float ≥ 0; anything else fails 'violation'."""
        try:
            raw = component.violation(np.array(h, dtype=float), data)
        except Exception as exc:
            raise self.fail("violation", f"violation(h, data) raised {type(exc).__name__}: {exc}", data, h) from exc
        if np.ndim(raw) != 0 or not np.isfinite(float(raw)) or float(raw) < 0:
            raise self.fail("violation", f"violation(h, data) must be a finite number >= 0, got {raw!r}", data, h)
        return float(raw)

    def cached(self, key: Any, make: Callable[[], Any]) -> Any:
        """``make()`` once per key (problems compiled once per number of instruments)."""
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    # the examples ---------------------------------------------------------------------------
    def _example(self, source: Source, data: PeriodData) -> Example:
        missing = [k for k in getattr(self.subject, "requires", ()) if k not in data]
        if missing:
            function = f"check_{self.kind}"
            raise SpecificationError(
                f"{function}({self.name}): the period data has no key(s) {missing} that {self.name} requires; "
                f"pass extra={{{missing[0]!r}: <constant, f(data) or strategy>}}")
        n = len(data["cs01_min"])
        lower, upper = np.asarray(data["cs01_min"], float), np.asarray(data["cs01_max"], float)
        h_prev = np.asarray(data["h_prev"], float)
        if self.kind == "term":
            drawn = make_cs01_vector(source, lower, upper)
            return Example(data, n, lower, upper, h_prev, drawn, [drawn, lower, upper, h_prev])
        direction = np.array([source.real(-1.0, 1.0) for _ in range(n)])
        drawn = make_cs01_vector(source, lower, upper)
        anchor = make_cs01_vector(source, lower, upper)
        data = data.replace(check_direction=direction, check_anchor=anchor)
        # multiples a factor 2 apart: whatever the limit's size, some land between it and twice it
        points = [drawn, 2.0 * drawn, -drawn, 0.5 * drawn, 0.25 * drawn, 0.125 * drawn, lower, upper, h_prev]
        return Example(data, n, lower, upper, h_prev, drawn, points)

    def for_each_example(self, check: Callable[[Example], None], *, cap: int | None = None) -> int:
        """Run ``check`` on each example; return how many it checked (periods refused are counted apart).

        ``cap`` bounds the generated examples of an expensive check (given periods are all checked).
        A run in which the component refused every period fails 'data'.
        """
        used, refused = 0, 0

        def one(source: Source, data: PeriodData) -> None:
            nonlocal used, refused
            example = self._example(source, data)
            try:
                check(example)
            except Refused as exc:
                refused += 1
                self.last_refusal = str(exc)
                return
            used += 1

        options = self.options
        count = options["max_examples"] if cap is None else min(cap, options["max_examples"])
        if options["data"] is not None:  # the user's periods
            source = RandomSource(options["seed"])
            given_data = options["data"]
            datasets = [given_data] if isinstance(given_data, Mapping) else list(given_data)
            if not datasets:
                raise SpecificationError("data= is empty; give a PeriodData or a sequence of them")
            for item in datasets:
                one(source, apply_extra(source, _as_period_data(item), options["extra"]))
        else:
            self._generated(one, count)
        self.report.examples = max(self.report.examples, used)
        self.report.refused_examples = max(self.report.refused_examples, refused)
        self.report.keys_read = tuple(sorted(set(self.report.keys_read) | (self.keys - {"period"} - CHECK_KEYS)))
        if used == 0 and refused:
            raise self.fail("data", f"{self.name} refused every one of the {refused} periods with a DataError, e.g. "
                            f"{self.last_refusal}; pass extra= for the keys it reads, or a universe=/conventions=/"
                            "mode= whose periods it can use")
        return used

    def _generated(self, one: Callable[[Source, PeriodData], None], count: int) -> None:
        options = self.options
        conventions = get_conventions(options["conventions"])
        universe: Universe | None = options["universe"]

        def one_example(source: Source) -> None:
            chosen = universe if universe is not None else _make_universe(source)
            one(source, make_period_data(source, chosen, conventions, options["mode"], options["extra"]))

        if currently_in_test_context():  # inside @given: no nested search, a seeded generator instead
            rng = np.random.default_rng(options["seed"])
            for _ in range(count):
                one_example(RandomSource(rng))
            return

        @settings(max_examples=count, deadline=None, database=None, derandomize=False, print_blob=False,
                  report_multiple_bugs=False,
                  phases=(Phase.generate, Phase.shrink) if options["shrink"] else (Phase.generate,),
                  suppress_health_check=list(HealthCheck))
        @hypothesis_seed(options["seed"])
        @given(st.data())
        def search(draws: st.DataObject) -> None:
            one_example(HypothesisSource(draws.draw))

        search()
