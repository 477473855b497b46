"""HedgeProblem: an objective and its limits compiled ONCE into a DPP CVXPY problem, then updated
and re-solved period after period.

A thin facade over the solve layer: :func:`~cdshedge_cvx.solve.compile_problem` builds the
:class:`~cdshedge_cvx.solve.CompiledProblem`; each period :meth:`HedgeProblem.update` writes the
data into the terms' and limits' Parameters and :meth:`HedgeProblem.solve` hands the compiled
problem to the first solve path that accepts it, in order:

* :class:`~cdshedge_cvx.solve.ClosedFormPath` (``closed-form``): linear objectives with only box
  limits (bang-bang: each h_i sits on the bound its coefficient points to);
* :class:`~cdshedge_cvx.solve.BoxQPPath` (``box-qp``): the same QPs as the next path, solved
  exactly by an active-set method warm-started from the last period's active set;
* :class:`~cdshedge_cvx.solve.DirectQPPath` (``direct-qp``): linear terms and subtracted
  quadratic terms (the variance penalty) with only box limits: the condensed QP handed to OSQP
  directly, its workspace kept between periods;
* :class:`~cdshedge_cvx.solve.LiftedQPPath` (``lifted-qp``): quadratic objectives with transaction
  costs or polyhedral limits (gross, net, turnover, JTD), lifted and handed to Clarabel directly;
* :class:`~cdshedge_cvx.solve.CvxpySolverPath` (``solver``): everything else, through CVXPY with a
  recorded fallback over solvers.

A path that cannot answer a period passes it to the next accepting path (the CVXPY path accepts
every problem); what failed is recorded in :attr:`PeriodSolution.fallback_from`. All paths give
the same answer (tests compare them). The fast paths read the linear coefficients from CVXPY's
compiled objective, not from the numpy twins, so the scipy cross-check stays independent.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.errors import DataError, Hint, InfeasibleError, SolverError, SpecificationError, naming
from cdshedge_cvx.market._instruments import Universe
from cdshedge_cvx.model import Constraint, Objective, Term
from cdshedge_cvx.solve._box_qp import BoxQPPath
from cdshedge_cvx.solve._closed_form import ClosedFormPath
from cdshedge_cvx.solve._compiled import (
    DEFAULT_SOLVER_OPTIONS,  # noqa: F401  (defined here before; still importable)
    FALLBACK_SOLVERS,
    CompiledProblem,
    compile_problem,
)
from cdshedge_cvx.solve._cvxpy_path import CvxpySolverPath
from cdshedge_cvx.solve._direct_qp import DirectQPPath
from cdshedge_cvx.solve._lifted_qp import LiftedQPPath
from cdshedge_cvx.solve._min_norm import forget, identified
from cdshedge_cvx.solve._mip_path import MipPath
from cdshedge_cvx.solve._path import PathFailed, PeriodSolution, SolvePath, period_label

__all__ = ["HedgeProblem"]


def _update_part(what: str, part: Any, data: Mapping[str, Any], period: object) -> None:
    """``part.update(data)`` for a term or constraint; every failure names ``what`` and the period."""
    missing = [key for key in part.requires if key not in data]
    if missing:
        raise DataError(f"{what}, period {period}: needs data key(s) {missing} that the period data does not "
                        "have; pass them with extra= or check its 'requires'")
    try:
        part.update(data)
    except Exception:  # named only on failure: a context manager per part and period costs more than some updates
        with naming(f"{what}, period {period}", "update()"):
            raise


class HedgeProblem:
    """A hedge objective and its limits compiled once, solved per period.

    Parameters
    ----------
    universe : Universe or int
        The instruments (or just their number).
    objective : Term or Objective
        The objective to maximise.
    constraints : sequence of Constraint, optional
        Limits besides the CS01 box (which is always there).
    solver : str, optional
        CVXPY solver name. Default: HIGHS for linear programs, OSQP for quadratic ones,
        CLARABEL otherwise.
    solver_options : dict, optional
        Passed to the solver (defaults in :data:`DEFAULT_SOLVER_OPTIONS`).
    fallback_solvers : sequence of str
        Tried, and recorded, when the solver fails numerically.
    closed_form : bool
        Use the exact bang-bang answer for linear objectives with box limits only.
    direct_qp : bool
        Hand OSQP the condensed QP directly (keeping its workspace between periods) when the
        objective is linear terms minus quadratic terms (:meth:`Term.quadratic_form`),
        the limits are the box only and the solver is OSQP; and Clarabel the lifted QP when
        there are also cost terms or limits with a ``scipy_form``
        (:class:`~cdshedge_cvx.solve.LiftedQPPath`). ``False``: every period through CVXPY.
    box_qp : bool
        With ``direct_qp``: solve those QPs exactly with the active-set method first
        (:class:`~cdshedge_cvx.solve.BoxQPPath`), OSQP's direct path as its recorded fallback.

    Attributes
    ----------
    compiled_ : CompiledProblem
        What :meth:`build` compiled (also :attr:`compiled`, which builds on first use).
    paths_ : list of SolvePath
        The paths that accept the compiled problem, in the order they are tried.
    linear_path_ : ClosedFormPath
        Reads the coefficients of a linear objective (:meth:`linear_coefficients`); the first
        path when ``closed_form`` is on and it accepts the problem.
    data_ : mapping
        The period data last written by :meth:`update`.
    """

    def __init__(self, universe: Universe | int, objective: Term | Objective,
                 constraints: Sequence[Constraint] = (), *, solver: str | None = None,
                 solver_options: Mapping[str, Any] | None = None,
                 fallback_solvers: Sequence[str] = FALLBACK_SOLVERS, closed_form: bool = True,
                 direct_qp: bool = True, box_qp: bool = True) -> None:
        self.universe = universe
        self.objective = objective
        self.constraints = constraints
        self.solver = solver
        self.solver_options = solver_options
        self.fallback_solvers = fallback_solvers
        self.closed_form = closed_form
        self.direct_qp = direct_qp
        self.box_qp = box_qp

    # build --------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of instruments."""
        return self.universe if isinstance(self.universe, int) else len(self.universe)

    def build(self) -> HedgeProblem:
        """Compile the problem (once); refuse, naming the term, anything not concave or not DPP."""
        if "compiled_" in vars(self):
            return self
        compiled = compile_problem(self.universe, self.objective, self.constraints, solver=self.solver,
                                   solver_options=self.solver_options, fallback_solvers=self.fallback_solvers)
        self.linear_path_ = ClosedFormPath()
        candidates: list[SolvePath] = [self.linear_path_] if self.closed_form else []
        if self.direct_qp:
            candidates += [BoxQPPath(), DirectQPPath()] if self.box_qp else [DirectQPPath()]
            candidates.append(LiftedQPPath())
        candidates.append(CvxpySolverPath())
        self.paths_ = [path for path in candidates if path.accepts(compiled)]
        lots = MipPath.for_universe(self.universe)  # whole lots: the only path (no fallback to a continuous answer)
        if lots.accepts(compiled):
            self.paths_ = [lots]
        self.compiled_ = compiled
        return self

    @property
    def compiled(self) -> CompiledProblem:
        """The compiled problem (built on first use)."""
        return self.build().compiled_

    def reset(self) -> None:
        """Forget what earlier solves left behind: the terms' and limits' carried state (the
        rolling covariance sums) and OSQP's warm start. A backtest starts with it, so its answers
        depend on its own periods only, also when the problem is reused."""
        compiled = self.compiled
        for _, term in compiled.entries:
            term.reset()
        for constraint in compiled.limits:
            reset = getattr(constraint, "reset", None)
            if callable(reset):
                reset()
        for path in self.paths_:
            path.reset()
        forget(self)

    # update -------------------------------------------------------------------------------
    def update(self, data: Mapping[str, Any]) -> None:
        """Write one period's data into every Parameter (no recompilation)."""
        compiled = self.compiled
        period = data.get("period", "?")
        self.data_ = data
        for k, (label, (_, term)) in enumerate(zip(compiled.labels, compiled.entries)):
            _update_part(f"term {label}", term, data, period)
            issue = compiled.parameter_issue(k)
            if issue:
                raise DataError(f"term {label}, period {period}: {issue} after update(); check its data")
        for constraint in compiled.limits:
            _update_part(f"constraint {constraint.name}", constraint, data, period)
        lower, upper = compiled.box_bounds()
        bad = np.flatnonzero(lower > upper)
        if bad.size:
            i = int(bad[0])
            raise InfeasibleError(f"period {period}: CS01 limits of instrument {compiled.instrument(i)!r} are "
                                  f"contradictory (cs01_min {lower[i]} > cs01_max {upper[i]})")

    # solve --------------------------------------------------------------------------------
    def linear_coefficients(self) -> np.ndarray:
        """Coefficient c of a linear objective c·h + const at the current Parameter values.

        Read from CVXPY's canonicalised objective (:mod:`cdshedge_cvx.solve._coefficients`).
        """
        compiled = self.compiled
        if not compiled.is_linear:
            raise SpecificationError("linear_coefficients() needs a linear objective")
        return self.linear_path_.coefficients(compiled)

    def solve(self) -> PeriodSolution:
        """Solve for the Parameters last written by :meth:`update`: the first accepting path answers,
        a path that fails hands the period to the next (recorded in ``fallback_from``).

        Raises
        ------
        InfeasibleError
            The limits cannot all hold.
        SolverError
            No path found an optimal hedge; the message names the period and each failure.
        """
        compiled = self.compiled
        data = getattr(self, "data_", {})
        start = time.perf_counter()
        failures: list[str] = []
        for path in self.paths_:
            try:
                solution = path.solve(compiled, data)
            except PathFailed as exc:
                failures.extend(exc.failures)
                continue
            solution.fallback_from = failures + solution.fallback_from
            curvature, solution.curvature = solution.curvature, None  # the path's P, for this check only
            solution = identified(self, compiled, data, solution, curvature)  # issue 14: the minimum-norm minimiser
            solution.solve_time = time.perf_counter() - start
            return solution
        raise SolverError(f"period {period_label(data)}: no solver found an optimal hedge ({'; '.join(failures)}); "
                          "check the data of the period", hints=[Hint("solver")])

    def current_objective(self) -> Objective:
        """The objective as compiled, with the terms' current hyperparameters (independent copies)."""
        return Objective([(weight, term.clone()) for weight, term in self.compiled.entries])

    # numpy twin -----------------------------------------------------------------------------
    def twin_objective(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        """The objective from the terms' numpy twins (no CVXPY involved); errors name the term and period."""
        from cdshedge_cvx.crosscheck._reference import twin_value

        return float(sum(w * twin_value(t, h, data) for w, t in self.compiled.entries))

    # the attributes of earlier versions (read-only; prefer :attr:`compiled`) ---------------------
    @property
    def h_(self) -> cp.Variable:
        """:attr:`CompiledProblem.h`."""
        return self.compiled.h

    @property
    def labels_(self) -> tuple[str, ...]:
        """:attr:`CompiledProblem.labels`."""
        return self.compiled.labels

    @property
    def entries_(self) -> tuple[tuple[float, Term], ...]:
        """:attr:`CompiledProblem.entries`."""
        return self.compiled.entries

    @property
    def term_exprs_(self) -> tuple[cp.Expression, ...]:
        """:attr:`CompiledProblem.expressions`."""
        return self.compiled.expressions

    @property
    def term_parameters_(self) -> tuple[list[cp.Parameter], ...]:
        """:attr:`CompiledProblem.term_parameters`."""
        return self.compiled.term_parameters

    @property
    def objective_expr_(self) -> cp.Expression:
        """:attr:`CompiledProblem.objective`."""
        return self.compiled.objective

    @property
    def problem_(self) -> cp.Problem:
        """:attr:`CompiledProblem.problem`."""
        return self.compiled.problem

    @property
    def constraints_(self) -> tuple[Constraint, ...]:
        """:attr:`CompiledProblem.limits`."""
        return self.compiled.limits

    @property
    def is_linear_(self) -> bool:
        """:attr:`CompiledProblem.is_linear`."""
        return self.compiled.is_linear

    @property
    def box_only_(self) -> bool:
        """:attr:`CompiledProblem.box_only`."""
        return self.compiled.box_only

    @property
    def dpp_(self) -> bool:
        """:attr:`CompiledProblem.dpp`."""
        return self.compiled.dpp

    @property
    def solver_(self) -> str:
        """:attr:`CompiledProblem.solver`."""
        return self.compiled.solver

    @property
    def closed_form_(self) -> bool:
        """Whether the closed-form path answers."""
        return isinstance(self.build().paths_[0], ClosedFormPath)

    @property
    def direct_qp_(self) -> bool:
        """Whether the direct-QP path answers (the CVXPY path being its fallback)."""
        return isinstance(self.build().paths_[0], DirectQPPath)

    @property
    def affine_problem_(self) -> cp.Problem:
        """The direct-QP path's problem of the objective's linear part, whose coefficients it reads."""
        path = self.build().paths_[0]
        affine = path.plan(self.compiled_).affine_problem if isinstance(path, DirectQPPath) else None
        if affine is None:
            raise AttributeError("affine_problem_: only the direct-QP path of an objective with linear terms has one")
        return affine
