"""Goal 1 of issue 13: the share of calendar and per-date contract quantities in a long backtest.

:func:`bench_calendars` runs ``pnl - carry - roll - 5*variance`` (market conventions: ISDA contract
figures, on-the-run roll calendars) on 125 instruments × 15 years of daily data, weekly walk-forward,
under :mod:`cProfile`, and adds up the time spent in the calendar, maturity, roll, RPV01 and
contract-figure functions (:func:`is_calendar_function`), counting each call only where it is entered
from outside that set (no double counting of nested calls). The share is of the whole ``ch.backtest`` call,
timed without the profiler by wrapping each of those functions (only the outermost call counts);
a second run under cProfile lists the functions' cumulative times (entered from outside the set). The
share is the median of :data:`RUNS` timed backtests (all of them are in the result's ``shares``).
"""

from __future__ import annotations

import time
from typing import Any

__all__ = ["CALENDAR_BUILDER_FUNCTIONS", "CALENDAR_MODULES", "bench_calendars", "calendar_share",
           "is_calendar_function"]

#: Modules whose every function is a calendar, maturity, roll, RPV01 or contract-figure computation.
CALENDAR_MODULES = ("cdshedge_cvx/credit/", "cdshedge_cvx/periods/_figures.py", "cdshedge_cvx/market/_quotes.py",
                    "cdshedge_cvx/market/_rates.py", "pandas/tseries/holiday.py")
#: The period builder's functions that compute them (maturities, roll counts, contracts, curves per date, the
#: contract figures of all periods in one batch).
CALENDAR_BUILDER_FUNCTIONS = ("_maturities", "_roll_counts", "_contract_maturities", "_curves", "_shared",
                              "maturity", "rolls", "contract_maturity", "_figure_quotes", "_figure_inputs",
                              "_figure_panel", "_period_figures", "_currency_curves")


def is_calendar_function(key: tuple[str, int, str]) -> bool:
    """Whether a cProfile function key ``(file, line, name)`` is one of the calendar/figures functions."""
    filename, _, name = key
    filename = filename.replace("\\", "/")
    if any(module in filename for module in CALENDAR_MODULES):
        return True
    return filename.endswith("cdshedge_cvx/periods/_builder.py") and name in CALENDAR_BUILDER_FUNCTIONS


def calendar_share(stats: Any) -> tuple[float, list[tuple[str, float]]]:
    """(seconds, top entries) spent in the calendar/figures functions, from a :class:`pstats.Stats`.

    A function's time counts only for its calls from functions outside the set (its callers' share
    of its cumulative time), so nested calls inside the set are not counted twice.
    """
    total, entries = 0.0, []
    for key, (_, _, _, _, callers) in stats.stats.items():
        if not is_calendar_function(key):
            continue
        outside = sum(caller_stats[3] for caller, caller_stats in callers.items() if not is_calendar_function(caller))
        if outside > 0:
            total += outside
            entries.append((f"{key[0].rsplit('/', 2)[-1]}:{key[2]}", outside))
    entries.sort(key=lambda item: -item[1])
    return total, entries[:8]


class _Outermost:
    """Wall-clock time inside the calendar/figures functions, counting only the outermost call (a
    call made while another is running is part of it): each target function is wrapped by a timer."""

    def __init__(self) -> None:
        self.depth, self.seconds, self.restore = 0, 0.0, []
        self.by_function: dict[str, float] = {}

    def wrap(self, function: Any) -> Any:
        import functools

        name = f"{function.__module__.rsplit('.', 1)[-1]}.{function.__qualname__}"

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.depth:
                return function(*args, **kwargs)
            self.depth += 1
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                self.seconds += elapsed
                self.by_function[name] = self.by_function.get(name, 0.0) + elapsed
                self.depth -= 1

        return timed

    def __enter__(self) -> _Outermost:
        import functools
        import inspect
        import sys

        from cdshedge_cvx.periods._builder import PeriodBuilder

        wrapped: dict[int, Any] = {}

        def replacement(value: Any) -> Any:
            if id(value) not in wrapped:
                wrapped[id(value)] = self.wrap(value)
            return wrapped[id(value)]

        def target(value: Any) -> bool:
            if not inspect.isfunction(value):
                return False
            code = value.__code__
            return is_calendar_function((code.co_filename, code.co_firstlineno, code.co_name))

        for module in [m for name, m in sys.modules.items() if name.startswith("cdshedge_cvx")]:
            for name, value in list(vars(module).items()):
                if target(value):
                    self.restore.append((module, name, value))
                    setattr(module, name, replacement(value))
                elif inspect.isclass(value) and target_class(value):
                    for attribute, member in list(vars(value).items()):
                        if target(member):
                            self.restore.append((value, attribute, member))
                            setattr(value, attribute, replacement(member))
        for name in CALENDAR_BUILDER_FUNCTIONS:
            member = PeriodBuilder.__dict__.get(name)
            if isinstance(member, functools.cached_property):
                self.restore.append((member, "func", member.func))
                member.func = replacement(member.func)
            elif inspect.isfunction(member):
                self.restore.append((PeriodBuilder, name, member))
                setattr(PeriodBuilder, name, replacement(member))
        return self

    def __exit__(self, *exc: Any) -> None:
        for owner, name, value in reversed(self.restore):
            setattr(owner, name, value)


def target_class(cls: type) -> bool:
    """Classes defined in the calendar modules (their methods are wrapped too)."""
    import inspect

    try:
        filename = inspect.getsourcefile(cls) or ""
    except TypeError:
        return False
    return any(module in filename.replace("\\", "/") for module in CALENDAR_MODULES)


#: Timed backtests; the share reported is the median run's (one run's 20-30 ms of figures is at the mercy of the
#: machine's other jobs and of where a garbage collection lands).
RUNS = 3


def bench_calendars(n: int = 125, years: int = 15, window: int = 252, horizon: str = "W-FRI") -> dict[str, Any]:
    """The calendar/figures share of a ``years`` × daily, ``n``-instrument weekly walk-forward backtest."""
    import cProfile
    import gc
    import pstats
    import warnings

    import cdshedge_cvx as ch
    from benchmarks.realistic import _objective, realistic_market

    days_per_period = 5
    market, universe = realistic_market(n, periods=(252 * years - window) // days_per_period, window=window,
                                        days_per_period=days_per_period)
    kwargs = {"horizon": horizon, "mode": "walk-forward", "window": window, "min_history": window,
              "cross_check": False, "progress": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ch.backtest(market, universe, _objective(), **kwargs)  # warm-up: imports, caches of the market
        runs = []
        for _ in range(RUNS):
            gc.collect()  # each run starts with the last one's garbage collected (a full collection is ~75 ms)
            with _Outermost() as timer:
                start = time.perf_counter()
                result = ch.backtest(market, universe, _objective(), **kwargs)
                runs.append((timer.seconds / (time.perf_counter() - start), time.perf_counter() - start, timer))
        runs.sort(key=lambda run: run[0])
        _, plain_s, timer = runs[len(runs) // 2]  # the run of the median share
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.enable()
        ch.backtest(market, universe, _objective(), **kwargs)
        profile.disable()
        profiled_s = time.perf_counter() - start
    stats = pstats.Stats(profile)
    profiled_calendar_s, top = calendar_share(stats)
    return {"n": n, "years": years, "periods": len(result.allocations), "backtest_s": plain_s,
            "calendar_s": timer.seconds, "calendar_share": timer.seconds / plain_s,
            "shares": [share for share, _, _ in runs],
            "calendar_entries": dict(sorted(timer.by_function.items(), key=lambda item: -item[1])),
            "profiled_s": profiled_s,
            "profiled_calendar_s": profiled_calendar_s, "calendar_top": top}
