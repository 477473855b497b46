"""HedgePnL problem: compile an objective and limits ONCE into a DPP CVXPY problem, then
update Parameters and re-solve period after period.

Three ways to solve a period, all returning the same answer (tests compare them):

* ``closed-form``: linear objectives with only box limits (bang-bang: each h_i sits on the
  bound its coefficient points to);
* ``direct-qp``: linear terms and subtracted quadratic terms (the variance penalty) with
  only box limits: the condensed QP handed to OSQP directly, its workspace kept between periods
  (:mod:`cdshedge_cvx.direct_qp`);
* ``solver``: everything else, through CVXPY (``problem_.solve``) with a recorded fallback.

The fast paths read the linear coefficients from CVXPY's compiled objective (the parameter →
data tensor), not from the numpy twins, so the scipy cross-check stays independent; the reading
is verified once against CVXPY's own evaluation of the expression.
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.errors import CdsHedgeError, DataError, InfeasibleError, SolverError, SpecificationError
from cdshedge_cvx.market._instruments import Universe
from cdshedge_cvx.model._limits import BoxLimits, Constraint
from cdshedge_cvx.model._terms import Objective, Term, as_objective
from cdshedge_cvx.model._values import set_value
from cdshedge_cvx.solve._direct_qp import DirectQP, condense, silenced_stdout

__all__ = ["BOX_PROJECTION_TOLERANCE", "DEFAULT_SOLVER_OPTIONS", "DIRECT_QP_MAX_INSTRUMENTS", "DPP_TENSOR_BYTES",
           "FALLBACK_SOLVERS", "FEASIBILITY_TOLERANCE", "HedgeProblem", "PeriodSolution", "installed_solvers"]

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
#: A solver's answer is accepted only if every limit holds to this relative tolerance
#: (violation ≤ tol · max(1, |limit|)); the box is met exactly by projection (see ``solve``).
FEASIBILITY_TOLERANCE = 1e-9
#: A solver answer at most this far outside the CS01 box (relative to max(1, |bound|)) is within
#: the solver's own tolerance and is projected exactly onto the box; further out it is refused.
BOX_PROJECTION_TOLERANCE = 1e-6
#: Above this many bytes of DPP coefficient tensor (CVXPY densifies it for quadratic
#: objectives), Parameters are folded in per solve instead (``ignore_dpp``): thousands of
#: instruments with a variance penalty stay solvable.
DPP_TENSOR_BYTES = 2e8
#: The direct QP path factorises a dense n × n matrix each period (O(n³)); above this many
#: instruments CVXPY's sparse form of the variance penalty is used instead.
DIRECT_QP_MAX_INSTRUMENTS = 1000
_HIGHS_BANNER_SHOWN = False


@functools.cache
def installed_solvers() -> frozenset[str]:
    """CVXPY's installed solvers (cached: ``cp.installed_solvers()`` tries imports each call)."""
    return frozenset(cp.installed_solvers())


@dataclass
class PeriodSolution:
    """The answer of one period's solve.

    Attributes
    ----------
    period : str
        Label of the period (its last date).
    h : ndarray
        Optimal CS01 per instrument ($mm/bp).
    objective : float
        Optimal objective ($mm), from CVXPY.
    terms : dict
        Signed contribution of each objective entry (weight × term value, $mm).
    shadow_prices : dict
        Per constraint: dual values (d optimum / d limit).
    status, solver, path : str
        Solver status, the solver that produced the answer, and the path: ``closed-form``,
        ``direct-qp`` (OSQP on the condensed QP) or ``solver`` (through CVXPY).
    solve_time : float
        Seconds spent in the solve.
    fallback_from : list of str
        Solvers that failed before ``solver`` answered (empty when none did).
    """

    period: str
    h: np.ndarray
    objective: float
    terms: dict[str, float]
    shadow_prices: dict[str, Any]
    status: str
    solver: str
    path: str
    solve_time: float
    fallback_from: list[str] = field(default_factory=list)


def _parameters_finite(parameters: Sequence[cp.Parameter]) -> str | None:
    for parameter in parameters:
        value = parameter.value
        if value is None:
            return f"Parameter {parameter.name()!r} was not given a value"
        if not np.all(np.isfinite(value)):
            return f"Parameter {parameter.name()!r} has non-finite values"
    return None


def _update_part(what: str, part: Any, data: Mapping[str, Any], period: object) -> None:
    """``part.update(data)`` for a term or constraint; every failure names ``what`` and the period."""
    missing = [key for key in part.requires if key not in data]
    if missing:
        raise DataError(f"{what}, period {period}: needs data key(s) {missing} that the period data does not "
                        "have; pass them with extra= or check its 'requires'")
    try:
        part.update(data)
    except CdsHedgeError as exc:
        raise type(exc)(f"{what}, period {period}: {exc}") from exc
    except Exception as exc:
        raise SpecificationError(f"{what}, period {period}: update() failed: {type(exc).__name__}: {exc}") from exc


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
        the limits are the box only and the solver is OSQP.
    """

    def __init__(self, universe: Universe | int, objective: Term | Objective,
                 constraints: Sequence[Constraint] = (), *, solver: str | None = None,
                 solver_options: Mapping[str, Any] | None = None,
                 fallback_solvers: Sequence[str] = FALLBACK_SOLVERS, closed_form: bool = True,
                 direct_qp: bool = True) -> None:
        self.universe = universe
        self.objective = objective
        self.constraints = constraints
        self.solver = solver
        self.solver_options = solver_options
        self.fallback_solvers = fallback_solvers
        self.closed_form = closed_form
        self.direct_qp = direct_qp
        self._built = False

    # build --------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of instruments."""
        return self.universe if isinstance(self.universe, int) else len(self.universe)

    def build(self) -> HedgeProblem:
        """Compile the problem; refuse, naming the term, anything not concave or not DPP."""
        if self._built:
            return self
        n = self.n
        objective = as_objective(self.objective)
        if len(objective) == 0:
            raise SpecificationError("the objective has no terms")
        self.h_ = cp.Variable(n, name="h")
        self.labels_ = objective.labels()
        self.entries_: list[tuple[float, Term]] = [(w, t.clone()) for w, t in objective]
        self.term_exprs_: list[cp.Expression] = []
        self.term_parameters_: list[list[cp.Parameter]] = []
        for label, (weight, term) in zip(self.labels_, self.entries_):
            expression = self._build_term(label, weight, term)
            self.term_exprs_.append(expression)
            self.term_parameters_.append(expression.parameters())
        total = sum(w * e for (w, _), e in zip(self.entries_, self.term_exprs_))
        constraints = [c.clone() for c in self.constraints]
        for c in constraints:
            if not isinstance(c, Constraint):
                raise SpecificationError(f"constraints must be Constraint objects, got {c!r}")
        if not any(isinstance(c, BoxLimits) for c in constraints):
            constraints.insert(0, BoxLimits())
        self.constraints_ = constraints
        cvx_constraints = []
        for c in constraints:
            try:
                c.setup(n)
                built = c.build(self.h_)
            except CdsHedgeError:
                raise
            except Exception as exc:
                raise SpecificationError(
                    f"constraint {c.name}: could not be built: {type(exc).__name__}: {exc}") from exc
            for item in built:
                if not item.is_dcp(dpp=True):
                    why = "not DPP" if item.is_dcp() else "not DCP (not convex)"
                    raise SpecificationError(f"constraint {c.name}: {why}: {item}")
            cvx_constraints.extend(built)
        self.objective_expr_ = total
        self.problem_ = cp.Problem(cp.Maximize(total), cvx_constraints)
        if not self.problem_.is_dcp(dpp=True):
            raise SpecificationError("the problem is not DCP/DPP although every term and constraint is")
        self.is_linear_ = bool(total.is_affine())
        self.box_only_ = all(type(c) is BoxLimits for c in constraints)
        self.closed_form_ = self.closed_form and self.is_linear_ and self.box_only_
        self._coefficient_reader = None
        installed = installed_solvers()
        parameter_size = sum(int(p.size) for p in self.problem_.parameters())
        self.dpp_ = self.is_linear_ or (n + 1) * (parameter_size + 1) * 8 <= DPP_TENSOR_BYTES
        if self.solver is not None:
            self.solver_ = str(self.solver).upper()
            if self.solver_ not in installed:
                raise SpecificationError(f"solver {self.solver!r} is not installed; installed: "
                                         f"{', '.join(sorted(installed))}")
        elif self.is_linear_ and self.problem_.is_qp():
            self.solver_ = "HIGHS" if "HIGHS" in installed else "CLARABEL"
        elif self.problem_.is_qp():
            self.solver_ = "OSQP"
        else:
            self.solver_ = "CLARABEL"
        self._plan_direct_qp()
        self._built = True
        return self

    def _plan_direct_qp(self) -> None:
        """Split the objective into its affine part and quadratic terms, if it has that form."""
        self.direct_qp_ = False
        self.affine_expr_: cp.Expression | None = None
        self.square_entries_: list[int] = []
        self._direct: DirectQP | None = None
        if not (self.direct_qp and self.box_only_ and not self.is_linear_ and self.solver_ == "OSQP"
                and self.n <= DIRECT_QP_MAX_INSTRUMENTS):
            return
        affine, squares = [], []
        for k, ((weight, term), expression) in enumerate(zip(self.entries_, self.term_exprs_)):
            if expression.is_affine():
                affine.append(weight * expression)
            elif type(term).quadratic_form is not Term.quadratic_form and weight < 0:
                squares.append(k)
            else:
                return
        self.affine_expr_ = sum(affine) if affine else None
        self.square_entries_ = squares
        self.direct_qp_ = True

    def _build_term(self, label: str, weight: float, term: Term) -> cp.Expression:
        try:
            term.setup(self.n)
            expression = term.expr(self.h_)
        except CdsHedgeError:
            raise
        except Exception as exc:
            raise SpecificationError(f"term {label}: could not build its expression: "
                                     f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(expression, cp.Expression):
            if isinstance(expression, (int, float, np.number)):
                expression = cp.Constant(float(expression))
            else:
                raise SpecificationError(f"term {label}: expr() must return a CVXPY expression, got "
                                         f"{type(expression).__name__}")
        if not expression.is_scalar():
            raise SpecificationError(f"term {label}: expr() must be a scalar, got shape {expression.shape}")
        if not expression.is_dcp(dpp=True):
            if expression.is_dcp():
                raise SpecificationError(
                    f"term {label}: expression is not DPP (a Parameter multiplies another Parameter-dependent "
                    "expression, e.g. quad_form(h, P) or p * (q @ h)); keep a factor F as the Parameter and write "
                    "sum_squares(F @ h), or fold constants into one Parameter")
            raise SpecificationError(f"term {label}: expression is not DCP (neither convex nor concave): {expression}")
        if weight > 0 and not expression.is_concave():
            raise SpecificationError(f"term {label} is convex, not concave, and enters the maximised objective with "
                                     f"a + sign (weight {weight:g}); subtract it instead (e.g. '- {label}')")
        if weight < 0 and not expression.is_convex():
            raise SpecificationError(f"term {label} is concave, not convex, and enters the maximised objective with "
                                     f"a - sign (weight {weight:g}); add it instead")
        return expression

    def reset(self) -> None:
        """Forget what earlier solves left behind: the terms' and limits' carried state (the
        rolling covariance sums) and OSQP's warm start. A backtest starts with it, so its answers
        depend on its own periods only, also when the problem is reused."""
        self.build()
        for _, term in self.entries_:
            term.reset()
        for constraint in self.constraints_:
            reset = getattr(constraint, "reset", None)
            if callable(reset):
                reset()
        self._direct = None

    # update -------------------------------------------------------------------------------
    def update(self, data: Mapping[str, Any]) -> None:
        """Write one period's data into every Parameter (no recompilation)."""
        self.build()
        period = data.get("period", "?")
        self.data_ = data
        for label, (_, term), parameters in zip(self.labels_, self.entries_, self.term_parameters_):
            _update_part(f"term {label}", term, data, period)
            problem = _parameters_finite(parameters)
            if problem:
                raise DataError(f"term {label}, period {period}: {problem} after update(); check its data")
        for constraint in self.constraints_:
            _update_part(f"constraint {constraint.name}", constraint, data, period)
        box = self._box()
        lower, upper = box.lower_.value, box.upper_.value
        bad = np.flatnonzero(lower > upper)
        if bad.size:
            i = int(bad[0])
            raise InfeasibleError(f"period {period}: CS01 limits of instrument {self._instrument(i)!r} are "
                                  f"contradictory (cs01_min {lower[i]} > cs01_max {upper[i]})")

    def _instrument(self, i: int) -> str:
        return self.universe.names[i] if isinstance(self.universe, Universe) else f"#{i}"

    # solve --------------------------------------------------------------------------------
    def linear_coefficients(self) -> np.ndarray:
        """Coefficient c of a linear objective c·h + const at the current Parameter values.

        Read from CVXPY's canonicalised objective (the parameter → data tensor compiled once),
        which costs one sparse product per period; the reading is verified once against CVXPY's
        evaluation of the objective, and CVXPY's symbolic gradient is the fallback if the fast
        reading is unavailable.
        """
        if not self.is_linear_:
            raise SpecificationError("linear_coefficients() needs a linear objective")
        if self._coefficient_reader is None:
            self._coefficient_reader = self._compile_coefficient_reader(self.objective_expr_, self.problem_)
        return self._coefficient_reader()

    def _symbolic_coefficients(self, expression: cp.Expression) -> np.ndarray:
        if self.h_.value is None:
            set_value(self.h_, np.zeros(self.n))
        grad = expression.grad[self.h_]
        if grad is None:
            return np.zeros(self.n)
        dense = grad.toarray() if hasattr(grad, "toarray") else np.asarray(grad)
        return np.asarray(dense, dtype=float).reshape(-1)

    def _evaluates_as(self, expression: cp.Expression, c: np.ndarray) -> bool:
        """Whether the affine ``expression`` changes by c·x from h = 0 to two points x (CVXPY evaluates it)."""
        rng = np.random.default_rng(20240611)
        saved = self.h_.value
        try:
            set_value(self.h_, np.zeros(self.n))
            base = float(expression.value)
            for _ in range(2):
                x = rng.uniform(-1.0, 1.0, self.n)
                set_value(self.h_, x)
                change = float(expression.value) - base
                scale = abs(base) + float(np.abs(c) @ np.abs(x)) + abs(change)
                if not abs(change - float(c @ x)) <= 1e-10 * scale + 1e-300:
                    return False
            return True
        finally:
            self.h_.value = saved

    def _compile_coefficient_reader(self, expression: cp.Expression, problem: cp.Problem):
        """A function returning the h-coefficients of the affine ``expression``, the objective of
        the compiled ``problem`` (its parameter → data tensor, read for the rows of h)."""
        try:
            data, _, _ = problem.get_problem_data(solver=cp.CLARABEL)
            program = data[cp.settings.PARAM_PROB]
            start = program.var_id_to_col[self.h_.id]
            n = self.n
            # rows of the objective tensor that belong to h; columns: parameter entries, then the constant
            tensor = program.q.tocsr()[start:start + n]
            slots = [(program.id_to_param[key], col, program.param_id_to_size[key])
                     for key, col in program.param_id_to_col.items() if key in program.id_to_param]
            vector = np.zeros(program.total_param_size + 1)
            vector[-1] = 1.0

            def read() -> np.ndarray:
                for parameter, col, size in slots:
                    vector[col:col + size] = np.asarray(parameter.value, dtype=float).reshape(-1, order="F")
                return -(tensor @ vector)  # CVXPY minimises −f

            fast = read()
        except Exception:  # internal API unavailable: keep the symbolic gradient
            return functools.partial(self._symbolic_coefficients, expression)
        if fast.shape != (self.n,) or not self._evaluates_as(expression, fast):
            return functools.partial(self._symbolic_coefficients, expression)
        return read

    def solve(self) -> PeriodSolution:
        """Solve for the Parameters last written by :meth:`update`."""
        period = str(self.data_.get("period", "?")) if hasattr(self, "data_") else "?"
        start = time.perf_counter()
        if self.closed_form_:
            solution = self._solve_closed_form(period)
        elif self.direct_qp_:
            solution = self._solve_direct_qp(period)
        else:
            solution = self._solve_with_solver(period)
        solution.solve_time = time.perf_counter() - start
        return solution

    def _solve_closed_form(self, period: str) -> PeriodSolution:
        box = self._box()
        lower, upper = box.lower_.value, box.upper_.value
        c = self.linear_coefficients()
        h = np.where(c > 0, upper, np.where(c < 0, lower, np.clip(0.0, lower, upper)))
        duals = {box.name: c.copy()}  # the binding side's dual equals the coefficient
        return self._solution(period, h, "optimal", "closed-form", "closed-form", [], duals)

    def _solver_options(self, solver: str) -> dict[str, Any]:
        options = dict(DEFAULT_SOLVER_OPTIONS.get(solver, {}))
        if solver == self.solver_ and self.solver_options:
            options.update(self.solver_options)
        return options

    def _solve_direct_qp(self, period: str) -> PeriodSolution:
        """OSQP on the condensed QP; an answer that fails a check goes to the CVXPY path (recorded).

        The linear part c is read from the compiled linear part of the objective (a small
        problem: its Parameters only); the answer must be optimal for the current data (KKT:
        P h + q + y = 0 with the duals y only on binding limits), inside the box, and each
        quadratic form must equal its term's CVXPY expression at it.
        """
        box = self._box()
        lower, upper = box.lower_.value, box.upper_.value
        if self.affine_expr_ is None:
            c = np.zeros(self.n)
        else:
            if self._coefficient_reader is None:
                self.affine_problem_ = cp.Problem(cp.Maximize(self.affine_expr_))
                self._coefficient_reader = self._compile_coefficient_reader(self.affine_expr_, self.affine_problem_)
            c = self._coefficient_reader()
        quadratics = []
        for k in self.square_entries_:
            weight, term = self.entries_[k]
            G, g, beta = term.quadratic_form()
            quadratics.append((weight, np.asarray(G, dtype=float), np.asarray(g, dtype=float), float(beta)))
        P, q = condense(c, [(weight, G, g) for weight, G, g, _ in quadratics])
        if self._direct is None:
            given = dict(self.solver_options or {}) if self.solver_ == "OSQP" else {}
            settings = {**DEFAULT_SOLVER_OPTIONS["OSQP"], **given}
            warm_start = bool(given.get("warm_start", True))  # the workspace is ours: no stale CVXPY cache
            for key in ("warm_start", "ignore_dpp"):
                settings.pop(key, None)
            self._direct = DirectQP(self.n, settings, warm_start=warm_start)
        try:
            result = self._direct.solve(P, q, lower, upper)
            failure = None if result.solved else f"status {result.status}"
            if failure is None:
                failure = self._feasibility_problem(result.x) or self._kkt_problem(P, q, result, lower, upper)
        except Exception as exc:  # an OSQP error: the CVXPY path decides (and records it)
            failure = f"{type(exc).__name__}: {exc}"
        if failure is not None:
            self._direct = None  # set up afresh next time
            return self._solve_with_solver(period, [f"OSQP (direct QP): {failure}"])
        h = np.clip(result.x, lower, upper)
        solution = self._solution(period, h, cp.OPTIMAL, "OSQP", "direct-qp", [], {box.name: result.y.copy()})
        for k, (weight, G, g, beta) in zip(self.square_entries_, quadratics):
            label = self.labels_[k]
            parts = (float(h @ G @ h), 2.0 * float(g @ h), beta)
            direct = weight * sum(parts)
            tolerance = 1e-7 * abs(weight) * (sum(abs(x) for x in parts) + 1e-12)
            if not abs(direct - solution.terms[label]) <= tolerance:
                raise SpecificationError(f"term {label}: quadratic_form() gives {direct!r} at the optimum but its "
                                         f"CVXPY expression {solution.terms[label]!r}; they must be the same function")
        return solution

    def _kkt_problem(self, P: np.ndarray, q: np.ndarray, result: Any, lower: np.ndarray,
                     upper: np.ndarray) -> str | None:
        """Why OSQP's answer is not optimal for (P, q, l, u), or ``None``: stationarity
        P h + q + y = 0 and duals y > 0 only where h = u, y < 0 only where h = l, to 1000 times
        OSQP's tolerance (at least 1e-6), relative to the size of the terms."""
        settings = self._direct.settings if self._direct is not None else {}
        tol = max(1e-6, 1e3 * max(float(settings.get("eps_abs", 1e-3)), float(settings.get("eps_rel", 1e-3))))
        h, y = np.clip(result.x, lower, upper), result.y
        gradient = P @ h + q
        scale = max(float(np.max(np.abs(gradient), initial=0.0)), float(np.max(np.abs(q), initial=0.0)),
                    float(np.max(np.abs(y), initial=0.0)), 1e-12)
        residual = float(np.max(np.abs(gradient + y), initial=0.0))
        if residual > tol * scale:
            return f"not optimal for this period's data (stationarity residual {residual:.3g})"
        width = tol * np.maximum(1.0, np.maximum(np.abs(lower), np.abs(upper)))
        loose = ((y > tol * scale) & (h < upper - width)) | ((y < -tol * scale) & (h > lower + width))
        if np.any(loose):
            return f"a dual on the limit of {self._instrument(int(np.argmax(loose)))!r}, which does not bind"
        return None

    def _solve_with_solver(self, period: str, failures: list[str] | None = None) -> PeriodSolution:
        """Try the solver, then each fallback; accept only an optimal, finite, feasible answer.

        A solver that raises, returns a non-optimal status (``optimal_inaccurate``,
        ``user_limit`` …), a non-finite hedge, or a hedge that breaks a limit by more than
        :data:`FEASIBILITY_TOLERANCE` counts as a failure and the next solver is tried; the
        failures are recorded in :attr:`PeriodSolution.fallback_from`. Infeasible and unbounded
        problems stop at once (another solver will not change the data). If every solver fails,
        :class:`SolverError` names the period and each failure: never a zero hedge.
        """
        global _HIGHS_BANNER_SHOWN
        failures = list(failures or [])
        installed = installed_solvers()
        solvers = [self.solver_] + [s for s in self.fallback_solvers if s != self.solver_ and s in installed]
        for solver in solvers:
            options = self._solver_options(solver)
            if not self.dpp_:
                options["ignore_dpp"] = True
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)  # CVXPY's "may be inaccurate": status decides
                    if solver == "HIGHS" and not _HIGHS_BANNER_SHOWN:
                        with silenced_stdout():
                            self.problem_.solve(solver=solver, **options)
                        _HIGHS_BANNER_SHOWN = True
                    else:
                        self.problem_.solve(solver=solver, **options)
            except cp.error.SolverError as exc:
                failures.append(f"{solver}: {str(exc).splitlines()[0] if str(exc) else 'failed'}")
                continue
            except (ValueError, TypeError, ArithmeticError) as exc:
                failures.append(f"{solver}: {type(exc).__name__}: {' '.join(str(exc).split())[:120]}")
                continue
            status = self.problem_.status
            if status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE) and self._limits_can_hold():
                failures.append(f"{solver}: status {status} although the limits can hold")
                continue
            if status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
                raise InfeasibleError(f"period {period}: the limits cannot all hold ({self._infeasibility_culprits()})")
            if status in (cp.UNBOUNDED, cp.UNBOUNDED_INACCURATE):
                # h always sits in a finite CS01 box, so a concave objective is bounded above: an
                # "unbounded" verdict is a numerical misfire of this solver, not a property of the data
                failures.append(f"{solver}: status {status} although the CS01 box is finite")
                continue
            if status != cp.OPTIMAL or self.h_.value is None:
                failures.append(f"{solver}: status {status}")
                continue
            h = np.asarray(self.h_.value, dtype=float)
            problem = self._feasibility_problem(h)
            if problem:
                failures.append(f"{solver}: {problem}")
                continue
            box = self._box()
            h = np.clip(h, box.lower_.value, box.upper_.value)
            duals: dict[str, Any] = {}
            for constraint in self.constraints_:  # two limits of one type keep both prices (GrossLimit#2)
                label, k = constraint.name, 2
                while label in duals:
                    label, k = f"{constraint.name}#{k}", k + 1
                duals[label] = constraint.shadow_price()
            return self._solution(period, h, status, solver, "solver", failures, duals)
        raise SolverError(f"period {period}: no solver found an optimal hedge ({'; '.join(failures)}); "
                          "check the data of the period, or try another --solver")

    def _box(self) -> BoxLimits:
        return next(c for c in self.constraints_ if isinstance(c, BoxLimits))

    def _feasibility_problem(self, h: np.ndarray) -> str | None:
        """Why ``h`` is not an acceptable answer (non-finite, or a limit broken beyond tolerance), or ``None``.

        The box is checked before projection: a solver answer further than
        ``BOX_PROJECTION_TOLERANCE · max(1, |bound|)`` outside it is refused, a closer one is
        projected onto it. The other limits are checked with their numpy twins after projection.
        """
        if h.shape != (self.n,) or not np.all(np.isfinite(h)):
            return "returned a non-finite hedge"
        box = self._box()
        lower, upper = box.lower_.value, box.upper_.value
        slack = BOX_PROJECTION_TOLERANCE * np.maximum(1.0, np.maximum(np.abs(lower), np.abs(upper)))
        outside = np.maximum(lower - h, h - upper) - slack
        if np.any(outside > 0):
            i = int(np.argmax(outside))
            return (f"hedge of {self._instrument(i)!r} ({h[i]:.12g}) is outside its CS01 limits "
                    f"[{lower[i]:g}, {upper[i]:g}] beyond tolerance")
        projected = np.clip(h, lower, upper)
        data = getattr(self, "data_", {})
        for constraint in self.constraints_:
            if constraint is box:
                continue
            try:
                violation = float(constraint.violation(projected, data))
            except NotImplementedError:
                continue
            limit = max((abs(float(v)) for k, v in vars(constraint).items()
                         if not k.startswith("_") and not k.endswith("_") and isinstance(v, (int, float))
                         and not isinstance(v, bool)), default=1.0)
            if violation > FEASIBILITY_TOLERANCE * max(1.0, limit):
                return f"hedge breaks {constraint!r} by {violation:.3g} (beyond tolerance)"
        return None

    def _limits_can_hold(self) -> bool:
        """Second opinion on a solver's infeasibility verdict (OSQP's detection misfires on badly scaled QPs):
        a box alone always holds (``update`` checked it); otherwise Clarabel solves the feasibility problem."""
        if self.box_only_:
            return True
        trial = cp.Problem(cp.Minimize(0), self.problem_.constraints)
        try:
            trial.solve(solver="CLARABEL")
        except cp.error.SolverError:
            return False
        return trial.status == cp.OPTIMAL

    def _infeasibility_culprits(self) -> str:
        """Name the limits that contradict the CS01 box, the instruments the box forces away from 0, and a fix."""
        box = self._box()
        lower, upper = box.lower_.value, box.upper_.value
        forced = [f"{self._instrument(i)} (cs01_min {lower[i]:g})" if lower[i] > 0 else
                  f"{self._instrument(i)} (cs01_max {upper[i]:g})" for i in np.flatnonzero((lower > 0) | (upper < 0))]
        forced_text = (f"; the box forces {', '.join(forced[:5])}{' …' if len(forced) > 5 else ''} away from zero"
                       if forced else "")
        extra = [c for c in self.constraints_ if not isinstance(c, BoxLimits)]
        if not extra:
            return "CS01 box limits" + forced_text
        culprits = []
        for c in extra:
            trial = cp.Problem(cp.Minimize(0), box._built + c._built)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    trial.solve(solver="CLARABEL")
            except cp.error.SolverError:
                continue
            if trial.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
                culprits.append(f"{c!r} with the CS01 box limits")
        if culprits:
            return "; ".join(culprits) + forced_text + "; relax that limit or the instruments' cs01_min/cs01_max"
        return ("the combination of " + ", ".join(repr(c) for c in self.constraints_) + forced_text
                + "; relax one of them")

    def _solution(self, period: str, h: np.ndarray, status: str, solver: str, path: str,
                  failures: list[str], duals: dict[str, Any]) -> PeriodSolution:
        set_value(self.h_, h)
        terms = {label: float(w * e.value) for label, (w, _), e in zip(self.labels_, self.entries_, self.term_exprs_)}
        return PeriodSolution(period=period, h=h.copy(), objective=float(sum(terms.values())), terms=terms,
                              shadow_prices=duals, status=status, solver=solver, path=path, solve_time=0.0,
                              fallback_from=failures)

    def current_objective(self) -> Objective:
        """The objective as compiled, with the terms' current hyperparameters (independent copies)."""
        self.build()
        return Objective([(weight, term.clone()) for weight, term in self.entries_])

    # numpy twin -----------------------------------------------------------------------------
    def twin_objective(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        """The objective from the terms' numpy twins (no CVXPY involved); errors name the term and period."""
        from cdshedge_cvx.crosscheck._reference import twin_value

        return float(sum(w * twin_value(t, h, data) for w, t in self.entries_))
