"""The efficient frontier: the same backtest re-solved for several variance weights γ.

The problem is compiled ONCE; each γ only changes the value of the
:class:`~cdshedge_cvx.model.VariancePenalty` weight, which enters the problem through the
Parameter values (A = √(γT)·R), so no γ triggers a recompilation. A sweep can run serially or
on a Dask cluster (:func:`run_on_dask`); every solve is made independent of the solve history
(no solver warm start), so the distributed table equals the serial one exactly.

Columns of :attr:`Frontier.table` (one row per γ, in the order given)
---------------------------------------------------------------------

===========================  =================================================================
column                       meaning
===========================  =================================================================
gamma                        the variance weight γ ($mm of objective per $mm² of variance)
model_variance_mm2           mean over periods of the ex-ante variance of the hedged book over
                             the period, T · [1, hᵀ] Σ [1, hᵀ]ᵀ with the penalty's estimator
                             (what the optimiser trades against cost)
realised_variance_mm2        variance across periods of the realised hedged PnL
                             (desk + net hedge, out of sample in walk-forward), ddof = 1
expected_cost_<term>_mm      for every other term: minus its contribution to the optimum,
                             summed over periods (carry and roll positive; an expected hedge
                             gain counts negative)
expected_cost_mm             the sum of those
realised_cost_mm             realised carry + transaction and roll-date costs, summed (the
                             realised roll-down is inside the realised hedge PnL)
hedge_effectiveness          1 − Var(realised hedged) / Var(desk), per period
mean_gross_cs01              mean over periods of Σ_i |h_i| ($mm/bp)
mean_turnover                mean over periods of Σ_i |h_i − h_prev,i| ($mm/bp)
===========================  =================================================================

For each period (without transaction costs or turnover limits coupling the periods) a larger γ
never raises the model variance and never lowers the expected cost; the sums over periods
inherit that. The realised variance need not be monotone: it is measured out of sample.
Timings are kept apart, in :attr:`Frontier.timings`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cdshedge_cvx.errors import SpecificationError

__all__ = ["Frontier", "frontier", "run_on_dask"]

#: Keyword arguments of :func:`~cdshedge_cvx.engine.backtest` that a frontier sets itself.
_RESERVED = ("problem", "objective")


@dataclass(frozen=True)
class Frontier:
    """Result of :func:`frontier`.

    Attributes
    ----------
    table : DataFrame
        One row per γ with deterministic columns (see the module docstring).
    timings : DataFrame
        Per γ: ``build_time_s`` (0 when the compiled problem was reused) and ``solve_time_s``.
    problem : HedgeProblem or None
        The problem compiled once and re-solved for every γ (serial runs; ``None`` when the
        sweep ran on Dask, where each worker compiles its own).
    reporting_currency : str
        Currency of the amounts in ``table`` (the market's reporting currency).
    """

    table: pd.DataFrame
    timings: pd.DataFrame
    problem: Any = None
    reporting_currency: str = "USD"

    def plot(self, *, realised: bool = True, title: str | None = None) -> Any:
        """Variance against cost, one point per γ labelled with its γ (matplotlib Figure).

        The model panel plots ``model_variance_mm2`` against ``expected_cost_mm``; with
        ``realised`` a second panel plots ``realised_variance_mm2`` against
        ``realised_cost_mm``. See :func:`cdshedge_cvx.reporting.plot_frontier`.
        """
        from cdshedge_cvx.reporting._format import money_unit
        from cdshedge_cvx.reporting._plots import plot_frontier

        return plot_frontier(self.table, realised=("realised_cost_mm", "realised_variance_mm2") if realised else None,
                             money=money_unit(self.reporting_currency), title=title)


def _variance_entry(problem: Any) -> int:
    from cdshedge_cvx.model._terms import VariancePenalty

    found = [k for k, (_, term) in enumerate(problem.entries_) if isinstance(term, VariancePenalty)]
    if len(found) != 1:
        raise SpecificationError(f"a frontier needs exactly one VariancePenalty term in the objective, found "
                                 f"{len(found)}: {problem.objective!r}")
    weight = problem.entries_[found[0]][0]
    if weight >= 0:
        raise SpecificationError("the frontier's VariancePenalty must be subtracted (e.g. 'pnl - carry - variance')")
    return found[0]


def _check_gammas(gammas: Sequence[float]) -> list[float]:
    values = []
    for gamma in gammas:
        try:
            value = float(gamma)
        except (TypeError, ValueError):
            raise SpecificationError(f"gamma {gamma!r} is not a number") from None
        if not np.isfinite(value) or value < 0:
            raise SpecificationError(f"gamma must be finite and >= 0, got {gamma!r}")
        values.append(value)
    if not values:
        raise SpecificationError("a frontier needs at least one gamma")
    return values


def _row(gamma: float, result: Any, variance_index: int) -> dict[str, Any]:
    from cdshedge_cvx.model._terms import VariancePenalty

    problem = result.problem
    term = problem.entries_[variance_index][1]
    unit = VariancePenalty(gamma=1.0, estimator=term.estimator)
    model = [unit.value(r.solution.h, r.data) for r in result.records]
    row: dict[str, Any] = {"gamma": gamma, "model_variance_mm2": float(np.mean(model))}
    pnl = result.pnl
    row["realised_variance_mm2"] = float(np.var(pnl["hedged_pnl"], ddof=1)) if len(pnl) > 1 else float("nan")
    costs = {}
    for k, label in enumerate(problem.labels_):
        if k != variance_index:
            costs[f"expected_cost_{label}_mm"] = 0.0 - float(result.term_values[label].sum())  # no "-0"
    row.update(costs)
    row["expected_cost_mm"] = float(sum(costs.values()))
    row["realised_cost_mm"] = float(pnl[["carry", "tcost", "rollcost"]].to_numpy().sum())
    row["hedge_effectiveness"] = result.hedge_effectiveness()
    row["mean_gross_cs01"] = float(result.allocations.abs().sum(axis=1).mean())
    row["mean_turnover"] = float(result.turnover().mean())
    return row


def _sweep(market: Any, universe: Any, objective: Any, gammas: Sequence[float],
          backtest_kwargs: Mapping[str, Any], progress: bool | None = False,
          ) -> tuple[list[dict[str, Any]], list[dict[str, float]], Any]:
    """Build the problem once and back-test it for each γ in turn (one worker's share).

    Returns the frontier rows, the timings and the compiled :class:`~cdshedge_cvx.solve.HedgeProblem`.
    """
    from cdshedge_cvx.engine._backtest import backtest, default_objective
    from cdshedge_cvx.engine._progress import progress_bar
    from cdshedge_cvx.solve._problem import HedgeProblem

    kwargs = dict(backtest_kwargs)
    options = {"warm_start": False, **dict(kwargs.pop("solver_options", None) or {})}
    start = time.perf_counter()
    problem = HedgeProblem(universe, default_objective() if objective is None else objective,
                           kwargs.pop("constraints", ()), solver=kwargs.pop("solver", None), solver_options=options,
                           closed_form=kwargs.pop("closed_form", True),
                           direct_qp=kwargs.pop("direct_qp", True)).build()
    build_time = time.perf_counter() - start
    index = _variance_entry(problem)
    term = problem.entries_[index][1]
    rows, timings = [], []
    for gamma in progress_bar(gammas, desc="gammas", unit="gamma", enabled=progress):
        term.gamma = gamma  # enters through the Parameter values at the next update: no recompilation
        result = backtest(market, universe, problem=problem, progress=False, **kwargs)
        rows.append(_row(gamma, result, index))
        timings.append({"gamma": gamma, "build_time_s": build_time,
                        "solve_time_s": float(result.solver_info["solve_time"].sum())})
        build_time = 0.0
    return rows, timings, problem


def _sweep_job(market: Any, universe: Any, objective: Any, gammas: Sequence[float],
               backtest_kwargs: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, float]]]:
    rows, timings, _ = _sweep(market, universe, objective, gammas, backtest_kwargs)
    return rows, timings


def run_on_dask(function: Callable[..., Any], jobs: Sequence[Mapping[str, Any]], *, workers: int | None = None,
                scheduler: str | None = None, progress: bool | None = None) -> list[Any]:
    """Run ``function(**job)`` for every job on Dask and return the results in job order.

    ``scheduler`` connects to an existing cluster (``dask.distributed.Client(address)``);
    otherwise a local cluster of ``workers`` processes (one thread each) is started and closed.
    ``function`` must be importable by the workers. The jobs go through
    :func:`~cdshedge_cvx.engine.run_many`.
    """
    from cdshedge_cvx.engine._parallel import local_dask_client, run_many

    if not scheduler and (workers is None or workers < 1):
        raise SpecificationError(f"workers must be >= 1, got {workers!r}")
    client = local_dask_client(workers=workers, scheduler=scheduler)
    try:
        return run_many(jobs, client, function=function, progress=progress)
    finally:
        cluster = None if scheduler else client.cluster
        client.close()
        if cluster is not None:
            cluster.close()


def _chunks(values: list[float], parts: int) -> list[list[float]]:
    parts = max(1, min(parts, len(values)))
    bounds = np.linspace(0, len(values), parts + 1).round().astype(int)
    return [values[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def frontier(market: Any, universe: Any, objective: Any, gammas: Sequence[float], *, workers: int | None = None,
             scheduler: str | None = None, progress: bool | None = None, **backtest_kwargs: Any) -> Frontier:
    """Back-test ``objective`` for every variance weight γ and tabulate risk against cost.

    Parameters
    ----------
    market : MarketData
    universe : Universe
    objective : Term, Objective or str
        Must contain exactly one subtracted :class:`~cdshedge_cvx.model.VariancePenalty`
        (e.g. ``HedgePnL() - Carry() - Roll() - VariancePenalty()`` or
        ``"pnl - carry - roll - variance"``); its γ is replaced by each value of ``gammas``.
    gammas : sequence of float
        Variance weights (≥ 0), one table row each, in this order.
    workers : int, optional
        Run the sweep on a local Dask cluster of this many processes.
    scheduler : str, optional
        Address of an existing Dask scheduler to run the sweep on.
    progress : bool, optional
        Progress bar over the γ values (serial) or the Dask tasks: ``None`` on a terminal or in
        a notebook once the sweep has taken half a second, ``True`` always, ``False`` never.
    **backtest_kwargs
        Passed to :func:`~cdshedge_cvx.engine.backtest` (``horizon``, ``conventions``,
        ``mode``, ``constraints``, ``window``, ``roll_jumps``, ``cross_check`` …).

    Returns
    -------
    Frontier
        ``table`` (deterministic, one row per γ), ``timings`` and the reused ``problem``.

    Notes
    -----
    The solver is never warm-started from a previous solve, so each answer depends on its own
    period only and the serial and distributed tables are identical.
    """
    values = _check_gammas(gammas)
    if isinstance(objective, str):
        from cdshedge_cvx.model._parser import parse_objective

        objective = parse_objective(objective)
    bad = [k for k in _RESERVED if k in backtest_kwargs]
    if bad:
        raise SpecificationError(f"frontier() does not take {', '.join(bad)}")
    if workers is not None and scheduler is not None:
        raise SpecificationError("give either workers or scheduler, not both")
    if workers is None and scheduler is None:
        rows, timings, problem = _sweep(market, universe, objective, values, backtest_kwargs, progress)
    else:
        if scheduler is not None:
            parts = len(values)
        else:
            parts = int(workers) if workers else 1
        jobs = [{"market": market, "universe": universe, "objective": objective, "gammas": chunk,
                 "backtest_kwargs": dict(backtest_kwargs)} for chunk in _chunks(values, parts)]
        pieces = run_on_dask(_sweep_job, jobs, workers=workers, scheduler=scheduler, progress=progress)
        rows = [row for piece_rows, _ in pieces for row in piece_rows]
        timings = [t for _, piece_timings in pieces for t in piece_timings]
        problem = None
    table = pd.DataFrame(rows)
    leading = ["gamma", "model_variance_mm2", "realised_variance_mm2"]
    trailing = ["expected_cost_mm", "realised_cost_mm", "hedge_effectiveness", "mean_gross_cs01", "mean_turnover"]
    middle = [c for c in table.columns if c not in leading + trailing]
    table = table[leading + middle + trailing]
    return Frontier(table=table, timings=pd.DataFrame(timings).set_index("gamma"), problem=problem,
                    reporting_currency=str(getattr(market, "reporting_currency", "USD")))

