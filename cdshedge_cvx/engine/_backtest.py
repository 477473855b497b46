"""Iterate the periods: build the problem once, update and solve per period, carry holdings,
cross-check with scipy and collect a :class:`~cdshedge_cvx.engine.HedgeResult`."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cdshedge_cvx.credit._conventions import Conventions, get_conventions
from cdshedge_cvx.crosscheck._warm import COLD_SAMPLE_RATE, COLD_SAMPLE_SEED, check_mode, cold_periods, period_check
from cdshedge_cvx.engine._progress import progress_bar
from cdshedge_cvx.engine._result import HedgeResult, PeriodRecord
from cdshedge_cvx.errors import SpecificationError
from cdshedge_cvx.market._instruments import Universe
from cdshedge_cvx.market._market_data import MarketData
from cdshedge_cvx.model._component import Constraint, Term
from cdshedge_cvx.model._objective import Objective, as_objective
from cdshedge_cvx.model.terms import Carry, HedgePnL, Roll  # type: ignore[attr-defined]
from cdshedge_cvx.periods._builder import PeriodBuilder
from cdshedge_cvx.periods._schedule import Mode, normalise_horizon
from cdshedge_cvx.solve._problem import HedgeProblem

__all__ = ["backtest", "default_objective"]


def default_objective() -> Objective:
    """The prototype's objective: ``HedgePnL() - Carry() - Roll()``."""
    return HedgePnL() - Carry() - Roll()


def backtest(market: MarketData, universe: Universe, objective: Term | Objective | str | None = None, *,
             horizon: str = "M", conventions: str | Conventions = "market", mode: Mode = "hindsight",
             cross_check: bool | str = True, solver: str | None = None,
             constraints: Sequence[Constraint] = (), initial_holdings: Sequence[float] | None = None,
             window: int = 252, min_history: int = 20, forecast: pd.DataFrame | None = None,
             roll_jumps: pd.DataFrame | None = None, extra_data: Mapping[str, Any] | None = None,
             solver_options: Mapping[str, Any] | None = None, tolerances: Mapping[str, float] | None = None,
             strict: bool = False, closed_form: bool = True, direct_qp: bool = True,
             progress: bool | None = None, problem: HedgeProblem | None = None,
             cross_check_rate: float = COLD_SAMPLE_RATE, cross_check_seed: int = COLD_SAMPLE_SEED) -> HedgeResult:
    """Choose the CS01 hedge of every period and report it.

    Parameters
    ----------
    market : MarketData
        Spreads (bp) and desk PnL ($mm).
    universe : Universe
        Instruments with their limits; spreads columns must match names or tickers.
    objective : Term, Objective or str, optional
        What to maximise; ``None`` is the prototype's ``HedgePnL() - Carry() - Roll()``. A string
        such as ``"pnl - carry - roll - 5*variance"`` is parsed with the built-in and installed
        terms' names (as :func:`~cdshedge_cvx.engine.frontier` does).
    horizon : str
        ``M``, ``Q``, ``A`` or any pandas offset alias (``ME``, ``W-FRI``, ``2W`` …).
    conventions : {"market", "seed", "market-cash"} or Conventions
        Arithmetic (see :mod:`cdshedge_cvx.conventions`).
    mode : {"hindsight", "walk-forward"}
        Decide with the period's own data (the prototype) or with data strictly before it.
    cross_check : bool or {"warm", "full", "off"}
        The scipy cross-check of every period (gaps recorded in ``HedgeResult.cross_check``).
        ``True`` / ``"warm"`` (default): scipy started from the package's answer must find no
        feasible improvement beyond tolerance (a certificate of optimality for the convex
        problem) and the numpy twins must give the CVXPY objective, on every period; scipy also
        re-solves from its own starts (cold) the first and last period, a seeded
        ``cross_check_rate`` share of the others and every period whose certificate fails.
        ``"full"``: the cold re-solve of every period. ``False`` / ``"off"``: no check.
    solver : str, optional
        CVXPY solver; default chosen by problem class.
    constraints : sequence of Constraint
        Limits besides the CS01 box.
    initial_holdings : sequence of float, optional
        Holdings before the first period (default 0).
    window, min_history : int
        Walk-forward trailing window and warm-up length (observations).
    forecast : DataFrame, optional
        Walk-forward expected spread change per period (index: period end).
    roll_jumps : DataFrame, optional
        Generic-series roll jumps removed from daily changes (bp), indexed by date, one column
        per instrument (name or ticker). Default: the market's own ``roll_jumps`` (none if it
        has none).
    extra_data : mapping, optional
        More keys for users' own terms: per key a value or a callable ``f(data) -> value``,
        called with the period's :class:`~cdshedge_cvx.periods.PeriodData` (as in
        :func:`~cdshedge_cvx.testing.check_term`).
    solver_options, tolerances : mapping, optional
        Solver options; cross-check tolerances (see :data:`~cdshedge_cvx.crosscheck.DEFAULT_TOLERANCES`).
    strict : bool
        A cross-check disagreement raises :class:`~cdshedge_cvx.errors.CrossCheckError`.
    closed_form : bool
        Allow the exact bang-bang path for linear objectives with box limits.
    direct_qp : bool
        Allow OSQP on the condensed QP for linear terms minus variance penalties with box limits
        (see :class:`~cdshedge_cvx.solve.HedgeProblem`).
    progress : bool, optional
        Progress bar over the periods (tqdm): ``None`` shows it on a terminal or in a notebook
        once the run has taken half a second, ``True`` always, ``False`` never.
    problem : HedgeProblem, optional
        A problem already built for ``universe`` (e.g. ``previous_result.problem``, with a term's
        hyperparameter such as ``gamma`` changed) to re-solve without recompiling. Its
        objective, limits and solver are used: leave ``objective``, ``constraints``, ``solver``
        and ``solver_options`` unset.

    cross_check_rate, cross_check_seed : float, int
        Share of periods re-solved cold in the ``warm`` mode, and the seed choosing them (the
        same periods for the same number of periods, run after run).

    Returns
    -------
    HedgeResult
    """
    if not isinstance(market, MarketData):
        raise SpecificationError(f"market must be a MarketData, got {type(market).__name__}")
    if not isinstance(universe, Universe):
        raise SpecificationError(f"universe must be a Universe, got {type(universe).__name__}")
    conv = get_conventions(conventions)
    alias = normalise_horizon(horizon)
    check = check_mode(cross_check)
    build_start = time.perf_counter()
    spreads = market.for_universe(universe)
    if roll_jumps is None:
        roll_jumps = market.roll_jumps_for_universe(universe)
    else:
        aliases = universe.aliases()
        roll_jumps = roll_jumps.rename(columns=lambda c: aliases.get(str(c), str(c)))
        unknown = [c for c in roll_jumps.columns if c not in universe.names]
        if unknown:
            raise SpecificationError(f"roll_jumps: column {unknown[0]!r} matches no instrument of the universe "
                                     f"({', '.join(universe.names)})")
    builder = PeriodBuilder(spreads, market.desk_pnl, universe, conv, alias, mode, window=window,
                            min_history=min_history, forecast=forecast, roll_jumps=roll_jumps, fx=market.fx,
                            reporting_currency=market.reporting_currency, extra=extra_data, rates=market.rates,
                            calendar=getattr(market, "calendar", None),
                            tenor_spreads=market.tenor_spreads_for_universe(universe),
                            tenor_spreads_source=market.tenor_spreads_source)
    if isinstance(objective, str):  # "pnl - carry - roll - 5*variance", as ch.frontier takes it
        from cdshedge_cvx.model._parser import parse_objective

        objective = parse_objective(objective)
    if problem is None:
        objective = as_objective(default_objective() if objective is None else objective)
        problem = HedgeProblem(universe, objective, constraints, solver=solver, solver_options=solver_options,
                               closed_form=closed_form, direct_qp=direct_qp).build()
    else:
        if not isinstance(problem, HedgeProblem):
            raise SpecificationError(f"problem must be a HedgeProblem, got {type(problem).__name__}")
        given = [name for name, value in (("objective", objective), ("constraints", constraints or None),
                                          ("solver", solver), ("solver_options", solver_options))
                 if value is not None]
        if given:
            raise SpecificationError(f"backtest(problem=...) re-solves that problem's objective and limits; do not "
                                     f"also pass {', '.join(given)}")
        problem.build()
        if problem.n != len(universe):
            raise SpecificationError(f"the problem was built for {problem.n} instruments, the universe has "
                                     f"{len(universe)}")
        objective = problem.current_objective()
    build_time = time.perf_counter() - build_start
    holdings = np.zeros(len(universe)) if initial_holdings is None else np.asarray(initial_holdings, dtype=float)
    if holdings.shape != (len(universe),) or not np.all(np.isfinite(holdings)):
        raise SpecificationError(f"initial_holdings needs {len(universe)} finite values, one per instrument")
    records: list[PeriodRecord] = []
    problem.reset()  # nothing left over from an earlier backtest of the same problem
    periods = list(builder.periods)
    sampled = cold_periods(len(periods), cross_check_rate, cross_check_seed)
    for k, period in enumerate(progress_bar(periods, desc="periods", unit="period", enabled=progress)):
        data = builder.build(period, h_prev=holdings)
        problem.update(data)
        solution = problem.solve()
        record_check = None
        if check != "off":
            record_check = period_check(problem, data, solution.h, solution.objective, check, bool(sampled[k]),
                                        tolerances, strict=strict)
        records.append(PeriodRecord(data=data, solution=solution, check=record_check))
        holdings = solution.h
    return HedgeResult(records=records, universe=universe, objective=objective, conventions=conv,
                       horizon=alias, mode=mode, problem=problem, build_time=build_time,
                       missing=dict(market.missing_report))
