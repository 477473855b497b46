"""The CVXPY path: any compiled problem, solved by CVXPY's solver and then each fallback solver.

An answer is accepted only if the solver says ``optimal``, the hedge is finite and it meets every
limit (:func:`~cdshedge_cvx.solve._diagnostics.feasibility_issue`); it is then projected exactly
onto the CS01 box. Anything else (an exception, ``optimal_inaccurate``, ``user_limit``, an
``unbounded`` verdict on a finite box, an ``infeasible`` verdict that a feasibility solve
contradicts) is a failure of that solver, recorded, and the next one is tried. An infeasibility
that stands stops at once with :class:`~cdshedge_cvx.errors.InfeasibleError` naming the limits
(another solver will not change the data). Solver options come from
:data:`~cdshedge_cvx.solve.DEFAULT_SOLVER_OPTIONS` (tolerances that put answers on the bounds
to ~1e-9; OSQP's CVXPY warm start is off because of cvxpy issue 2235) and the user's.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.errors import InfeasibleError
from cdshedge_cvx.solve._compiled import CompiledProblem, installed_solvers
from cdshedge_cvx.solve._diagnostics import (
    feasibility_issue,
    infeasibility_culprits,
    limits_can_hold,
    polish_onto_limits,
    project_onto_box,
)
from cdshedge_cvx.solve._direct_qp import silenced_stdout
from cdshedge_cvx.solve._group_prices import GroupShadowPrice
from cdshedge_cvx.solve._path import PathFailed, PeriodSolution, SolvePath, period_label

__all__ = ["CvxpySolverPath"]


class CvxpySolverPath(SolvePath):
    """``problem.solve`` with the chosen solver, then :attr:`CompiledProblem.fallback_solvers`; accepts any problem.

    HiGHS prints a banner on C-level standard output the first time it runs; the path silences
    its first HiGHS solve.
    """

    name = "solver"

    def __init__(self) -> None:
        self._highs_ran = False

    def accepts(self, compiled: CompiledProblem) -> bool:
        return True

    def _run(self, compiled: CompiledProblem, solver: str, options: dict[str, Any]) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # CVXPY's "may be inaccurate": status decides
            if solver == "HIGHS" and not self._highs_ran:
                with silenced_stdout():
                    compiled.problem.solve(solver=solver, **options)
                self._highs_ran = True
            else:
                compiled.problem.solve(solver=solver, **options)

    def solve(self, compiled: CompiledProblem, data: Mapping[str, Any]) -> PeriodSolution:
        """Try the solver, then each installed fallback; accept only an optimal, finite, feasible answer.

        Raises
        ------
        InfeasibleError
            The limits cannot all hold (confirmed by a feasibility solve), naming them.
        PathFailed
            Every solver failed; one reason per solver.
        """
        failures: list[str] = []
        installed = installed_solvers()
        solvers = [compiled.solver] + [s for s in compiled.fallback_solvers if s != compiled.solver and s in installed]
        for solver in solvers:
            options = compiled.options_for(solver)
            if not compiled.dpp:
                options["ignore_dpp"] = True
            try:
                self._run(compiled, solver, options)
            except cp.error.SolverError as exc:
                failures.append(f"{solver}: {str(exc).splitlines()[0] if str(exc) else 'failed'}")
                continue
            except (ValueError, TypeError, ArithmeticError) as exc:
                failures.append(f"{solver}: {type(exc).__name__}: {' '.join(str(exc).split())[:120]}")
                continue
            status = compiled.problem.status
            if status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
                if limits_can_hold(compiled):
                    failures.append(f"{solver}: status {status} although the limits can hold")
                    continue
                raise InfeasibleError(f"period {period_label(data)}: the limits cannot all hold "
                                      f"({infeasibility_culprits(compiled)})")
            if status in (cp.UNBOUNDED, cp.UNBOUNDED_INACCURATE):
                # h always sits in a finite CS01 box, so a concave objective is bounded above: an
                # "unbounded" verdict is a numerical misfire of this solver, not a property of the data
                failures.append(f"{solver}: status {status} although the CS01 box is finite")
                continue
            if status != cp.OPTIMAL or compiled.h.value is None:
                failures.append(f"{solver}: status {status}")
                continue
            h = polish_onto_limits(compiled, np.asarray(compiled.h.value, dtype=float), data)
            issue = feasibility_issue(compiled, h, data)
            if issue:
                failures.append(f"{solver}: {issue}")
                continue
            prices = {label: _limit_price(limit) for label, limit in zip(compiled.limit_labels, compiled.limits)}
            return PeriodSolution.at(compiled, data, project_onto_box(compiled, h), status=status, solver=solver,
                                     path=self.name, shadow_prices=prices, fallback_from=failures)
        raise PathFailed(failures)


def _limit_price(limit: Any) -> Any:
    """The limit's ``shadow_price()``; for a limit priced per group (``group_shadow_prices``, the jump-to-default
    limit) that number with each group's price from the constraint's dual
    (:class:`~cdshedge_cvx.solve._group_prices.GroupShadowPrice`), given only when the groups sum to it (a
    subclass that reports another number keeps its number alone)."""
    total = limit.shadow_price()
    groups = getattr(limit, "group_shadow_prices", None)
    prices = groups() if groups is not None else None
    if not prices or np.ndim(total) != 0 or not np.isfinite(total):
        return total
    if not abs(sum(prices.values()) - float(total)) <= 1e-9 * max(1.0, abs(float(total))):
        return total
    return GroupShadowPrice(float(total), prices)
