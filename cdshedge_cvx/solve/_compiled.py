"""Compiling an objective and its limits ONCE into a DPP CVXPY problem: :class:`CompiledProblem`
holds what compiling produced, and every solve path reads it.

Every term and limit is set up for the number of instruments, its CVXPY expression or
constraints built over one variable h and refused, naming it, unless it is DCP and DPP (so the
problem is canonicalised once and each period only refreshes Parameter values). The CS01 box is
always among the limits. The solver is chosen by problem class: HiGHS for linear programs (an affine
or piecewise-linear objective — CVaR, transaction costs — under polyhedral limits; OSQP's ADMM
stalls on their kinks), OSQP for quadratic ones, Clarabel otherwise (and as every LP's fallback).

DPP compiles a parameter → data tensor whose size grows as (n + 1) × (number of Parameter
entries); CVXPY densifies it for quadratic objectives, so above :data:`DPP_TENSOR_BYTES` the
Parameters are folded in per solve instead (``ignore_dpp``): thousands of instruments with a
variance penalty stay solvable.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np
from cvxpy.atoms.atom import Atom

from cdshedge_cvx.errors import SpecificationError, naming
from cdshedge_cvx.market._instruments import Universe
from cdshedge_cvx.model import BoxLimits, Constraint, Objective, Term, as_objective
from cdshedge_cvx.model._values import set_value
from cdshedge_cvx.solve._validation import validate_limit_constraints, validate_term_expression

__all__ = ["DEFAULT_SOLVER_OPTIONS", "DPP_TENSOR_BYTES", "FALLBACK_SOLVERS", "CompiledProblem", "compile_problem",
           "installed_solvers", "numeric_evaluator"]

#: Options giving answers on the bounds to ~1e-9 (OSQP polishes the active set).
DEFAULT_SOLVER_OPTIONS: dict[str, dict[str, Any]] = {
    "HIGHS": {},
    # warm_start=False: with it, cvxpy updates only the changed bound vector of the cached OSQP workspace,
    # which OSQP can refuse ("osqp_update_data_vec: Problem data validation") and then solve the stale
    # problem: an answer outside the new CS01 box reported as optimal (cvxpy issue 2235).
    "OSQP": {"eps_abs": 1e-10, "eps_rel": 1e-10, "max_iter": 200_000, "polishing": True, "warm_start": False},
    "CLARABEL": {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10},
    "SCS": {"eps": 1e-9, "max_iters": 200_000},
}
#: Tried in order, and recorded, when the primary solver fails numerically.
FALLBACK_SOLVERS = ("CLARABEL", "SCS")
#: Above this many bytes of DPP coefficient tensor (CVXPY densifies it for quadratic
#: objectives), Parameters are folded in per solve instead (``ignore_dpp``): thousands of
#: instruments with a variance penalty stay solvable.
DPP_TENSOR_BYTES = 2e8


@functools.cache
def installed_solvers() -> frozenset[str]:
    """CVXPY's installed solvers (cached: ``cp.installed_solvers()`` tries imports each call)."""
    return frozenset(cp.installed_solvers())


@dataclass(frozen=True, eq=False)
class CompiledProblem:
    """What compiling an objective and its limits produced (read by the solve paths).

    The terms and limits are the problem's own set-up copies: their Parameters are the ones the
    compiled ``problem`` reads, refreshed by their ``update(data)``.

    Attributes
    ----------
    h : cvxpy.Variable
        The hedge: CS01 per instrument ($mm/bp).
    names : tuple of str or None
        Instrument names (``None`` when only their number was given).
    labels : tuple of str
        Label of each objective entry, in order.
    entries : tuple of (float, Term)
        Weight and set-up term of each entry.
    expressions : tuple of cvxpy.Expression
        Each term's expression ``expr(h)``.
    term_parameters : tuple of list of cvxpy.Parameter
        The Parameters of each term's expression.
    objective : cvxpy.Expression
        Σ_k w_k · expr_k(h), maximised.
    problem : cvxpy.Problem
        The compiled problem: maximise ``objective`` subject to ``constraints``.
    limits : tuple of Constraint
        The set-up limits, the CS01 box among them.
    limit_labels : tuple of str
        Label of each limit in results: its name, with ``#2``, ``#3`` … for a second, third
        limit of one name (two GrossLimits keep both shadow prices).
    constraints : tuple of cvxpy.Constraint
        The limits' CVXPY constraints, in order.
    is_linear : bool
        The objective is affine in h.
    box_only : bool
        The limits are the CS01 box only.
    dpp : bool
        Solved through DPP (Parameters refreshed); ``False`` folds them in per solve.
    solver : str
        The CVXPY solver chosen (or given).
    solver_options : mapping
        The user's options for ``solver`` (on top of :data:`DEFAULT_SOLVER_OPTIONS`).
    fallback_solvers : tuple of str
        Tried in order when ``solver`` fails.
    """

    h: cp.Variable
    names: tuple[str, ...] | None
    labels: tuple[str, ...]
    entries: tuple[tuple[float, Term], ...]
    expressions: tuple[cp.Expression, ...]
    term_parameters: tuple[list[cp.Parameter], ...]
    objective: cp.Expression
    problem: cp.Problem
    limits: tuple[Constraint, ...]
    limit_labels: tuple[str, ...]
    constraints: tuple[cp.Constraint, ...]
    is_linear: bool
    box_only: bool
    dpp: bool
    solver: str
    solver_options: Mapping[str, Any]
    fallback_solvers: tuple[str, ...]

    @property
    def n(self) -> int:
        """Number of instruments."""
        return int(self.h.size)

    @functools.cached_property
    def box(self) -> BoxLimits:
        """The CS01 box (the first :class:`BoxLimits` among the limits)."""
        return next(c for c in self.limits if isinstance(c, BoxLimits))

    @functools.cached_property
    def box_label(self) -> str:
        """The label of the CS01 box among :attr:`limit_labels`."""
        return next(label for c, label in zip(self.limits, self.limit_labels) if isinstance(c, BoxLimits))

    @functools.cached_property
    def split(self) -> tuple[cp.Expression | None, tuple[int, ...]] | None:
        """The objective as (its affine part Σ w_k expr_k over the affine entries, the indices of the entries
        that are subtracted quadratic forms), or ``None`` when some entry is neither.

        Decided from the structure alone, so worked out once (building the affine sum makes CVXPY
        expressions: a fraction of a millisecond that the solve paths would otherwise pay every period).
        """
        affine, squares = [], []
        for k, ((weight, term), expression) in enumerate(zip(self.entries, self.expressions)):
            if expression.is_affine():
                affine.append(weight * expression)
            elif type(term).quadratic_form is not Term.quadratic_form and weight < 0:
                squares.append(k)
            else:
                return None
        return (sum(affine) if affine else None), tuple(squares)

    def box_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The current CS01 box: (cs01_min, cs01_max), as last written by ``update``."""
        box = self.box
        return box.lower_.value, box.upper_.value

    def instrument(self, i: int) -> str:
        """Name of instrument ``i`` (``#i`` when only the number of instruments was given)."""
        return self.names[i] if self.names is not None else f"#{i}"

    @functools.cached_property
    def _evaluators(self) -> tuple[Callable[[], Any], ...]:
        return tuple(numeric_evaluator(e) for e in self.expressions)

    def term_values(self, h: np.ndarray) -> dict[str, float]:
        """Signed contribution w_k · expr_k(h) of each entry ($mm), evaluated by CVXPY (h is stored in :attr:`h`).

        Each expression's value is CVXPY's own (its atoms' ``numeric``, :func:`numeric_evaluator`);
        where that gives nothing (a Parameter without a value) the expression's ``value`` decides, as before.
        """
        set_value(self.h, h)
        values = {}
        for label, (w, _), e, evaluate in zip(self.labels, self.entries, self.expressions, self._evaluators):
            try:
                value = evaluate()
            except Exception:  # whatever CVXPY's own evaluation says about it (an error, or None)
                value = None
            values[label] = float(w * (e.value if value is None else value))
        return values

    def parameter_issue(self, k: int) -> str | None:
        """Why the Parameters of entry ``k`` are not usable (no value, or not finite), or ``None``."""
        for parameter in self.term_parameters[k]:
            value = parameter.value
            if value is None:
                return f"Parameter {parameter.name()!r} was not given a value"
            if not np.isfinite(value).all():
                return f"Parameter {parameter.name()!r} has non-finite values"
        return None

    def options_for(self, solver: str) -> dict[str, Any]:
        """Options for ``solver``: :data:`DEFAULT_SOLVER_OPTIONS`, then the user's if it is the chosen solver."""
        options = dict(DEFAULT_SOLVER_OPTIONS.get(solver, {}))
        if solver == self.solver and self.solver_options:
            options.update(self.solver_options)
        return options


def numeric_evaluator(expression: cp.Expression) -> Callable[[], Any]:
    """A function giving ``expression.value``, computed as CVXPY computes it (``Atom._value_impl``:
    each atom's ``numeric`` on its arguments' values, the same numbers) with the expression tree
    walked once here rather than at every evaluation (``Atom.value`` first collects every Parameter
    of the tree, most of the cost for small expressions).

    Returns ``None`` where an argument has no value (``Atom.value`` gives ``None`` then); an atom
    whose class defines its own ``value`` (input checks) is left to it, one with its own
    ``_value_impl`` is evaluated by it, leaves read their ``value``.
    """
    if isinstance(expression, Atom) and type(expression).value is not Atom.value:
        return lambda: expression.value
    return _value_impl(expression)


def _value_impl(expression: cp.Expression) -> Callable[[], Any]:
    """``expression._value_impl`` with the tree walked once (see :func:`numeric_evaluator`)."""
    if not isinstance(expression, Atom):
        return lambda: expression.value
    if type(expression)._value_impl is not Atom._value_impl or 0 in expression.shape:
        return expression._value_impl
    children = tuple(_value_impl(arg) for arg in expression.args)
    numeric, constant = expression.numeric, expression.is_constant()

    def evaluate() -> Any:
        values = []
        for child in children:
            value = child()
            if value is None and not constant:
                return None
            values.append(value)
        return numeric(values)

    return evaluate


def _labels(limits: Sequence[Constraint]) -> tuple[str, ...]:
    labels: list[str] = []
    for constraint in limits:
        label, k = constraint.name, 2
        while label in labels:
            label, k = f"{constraint.name}#{k}", k + 1
        labels.append(label)
    return tuple(labels)


def _choose_solver(given: str | None, problem: cp.Problem, is_linear: bool) -> str:
    installed = installed_solvers()
    if given is not None:
        solver = str(given).upper()
        if solver not in installed:
            raise SpecificationError(f"solver {given!r} is not installed; installed: {', '.join(sorted(installed))}")
        return solver
    if problem.is_lp():  # a linear or piecewise-linear objective (CVaR, |·| costs) under polyhedral limits
        return "HIGHS" if "HIGHS" in installed else "CLARABEL"
    return "OSQP" if problem.is_qp() else "CLARABEL"


def compile_problem(universe: Universe | int, objective: Term | Objective, constraints: Sequence[Constraint] = (),
                    *, solver: str | None = None, solver_options: Mapping[str, Any] | None = None,
                    fallback_solvers: Sequence[str] = FALLBACK_SOLVERS) -> CompiledProblem:
    """Set up copies of the terms and limits and compile them into one DPP CVXPY problem.

    Parameters
    ----------
    universe : Universe or int
        The instruments (or just their number).
    objective : Term or Objective
        The objective to maximise.
    constraints : sequence of Constraint
        Limits besides the CS01 box (added first when not given).
    solver, solver_options, fallback_solvers
        See :class:`~cdshedge_cvx.solve.HedgeProblem`.

    Raises
    ------
    SpecificationError
        Naming the term or limit that could not be built, is not DCP/DPP, or enters with the
        wrong sign; or an unknown solver.
    """
    n = universe if isinstance(universe, int) else len(universe)
    objective = as_objective(objective)
    if len(objective) == 0:
        raise SpecificationError("the objective has no terms")
    h = cp.Variable(n, name="h")
    labels = tuple(objective.labels())
    entries = tuple((w, t.clone()) for w, t in objective)
    expressions = []
    for label, (weight, term) in zip(labels, entries):
        with naming(f"term {label}", "setup()/expr(h)"):
            term.setup(n)
            built = term.expr(h)
        expressions.append(validate_term_expression(label, built, weight))
    total = sum(w * e for (w, _), e in zip(entries, expressions))
    limits = [c.clone() for c in constraints]
    for c in limits:
        if not isinstance(c, Constraint):
            raise SpecificationError(f"constraints must be Constraint objects, got {c!r}")
    if not any(isinstance(c, BoxLimits) for c in limits):
        limits.insert(0, BoxLimits())
    cvx_constraints = []
    for c in limits:
        with naming(f"constraint {c.name}", "setup()/constraints(h)"):
            c.setup(n)
            built = c.build(h)
        cvx_constraints.extend(validate_limit_constraints(c.name, built))
    problem = cp.Problem(cp.Maximize(total), cvx_constraints)
    if not problem.is_dcp(dpp=True):
        raise SpecificationError("the problem is not DCP/DPP although every term and constraint is")
    is_linear = bool(total.is_affine())
    parameter_size = sum(int(p.size) for p in problem.parameters())
    return CompiledProblem(
        h=h, names=tuple(universe.names) if isinstance(universe, Universe) else None, labels=labels, entries=entries,
        expressions=tuple(expressions), term_parameters=tuple(e.parameters() for e in expressions), objective=total,
        problem=problem, limits=tuple(limits), limit_labels=_labels(limits), constraints=tuple(cvx_constraints),
        is_linear=is_linear, box_only=all(type(c) is BoxLimits for c in limits),
        dpp=is_linear or (n + 1) * (parameter_size + 1) * 8 <= DPP_TENSOR_BYTES,
        solver=_choose_solver(solver, problem, is_linear), solver_options=dict(solver_options or {}),
        fallback_solvers=tuple(fallback_solvers))
