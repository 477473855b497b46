"""The benchmark cases and the report (see :mod:`benchmarks`).

Each ``bench_*`` function returns a dict of measured seconds (and counts); :func:`report` prints
the ratios first, then the details. Cases that must start from a fresh interpreter (the first
call, start-up, peak memory) run in a child process (``python -m benchmarks --child NAME``),
which prints its dict as one JSON line.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["GOALS", "bench_frontier", "bench_memory", "bench_prototype", "bench_scale", "bench_startup", "machine",
           "main", "report", "run_child"]

MARK = "BENCH_JSON "
#: (key, text, goal, kind): ``min`` ratio ≥ goal, ``max`` ratio ≤ goal, ``None`` reported only.
GOALS = [
    ("prototype_ratio", "1a prototype problem, first call, no cross-check: prototype loop / package", 20.0, "min"),
    ("prototype_cc_ratio", "1b prototype problem, first call, scipy cross-check on: prototype loop / package", 10.0,
     "min"),
    ("scale_ratio", "2  scale, time per period: package / bare OSQP on the same QP", 3.0, "max"),
    ("frontier_speedup", "3  frontier sweep, serial / Dask LocalCluster of 2 worker processes", None, None),
    ("startup_ratio", "4  start-up: cdshedge --help / python -c pass", None, None),
    ("memory_peak_mb", "5  peak memory (RSS) of the scale case, MB", None, None),
    ("realistic_ratio", "6a realistic (roll calendars, 5*variance), per run: package / bare OSQP at DEFAULT settings",
     1.5, "max"),
    ("box_qp_ratio", "6b the exact box-QP solver alone / bare OSQP at DEFAULT settings, same QPs", 1.0, "max"),
    ("crosscheck_ratio", "6c realistic, default (warm) cross-check on / off", 1.5, "max"),
    ("crosscheck_full_ratio", "6d realistic, cross_check='full' / off", None, None),
    ("general_ratio", "7  tcost + gross limit, solve time: lifted-QP path / compiled-once CVXPY+Clarabel", 0.2,
     "max"),
    ("calendar_share", "9  calendars, maturities, RPV01, contract figures: share of a 125 x 15-year backtest", 0.05,
     "max"),
    ("lp_ratio", "10 CVaR LP (pnl - carry - 2*cvar): default solver (HiGHS) / OSQP, the default before", None, None),
    ("scale500_memory_mb", "8  500 instruments x 15 years daily, cross-checked: peak memory (RSS), MB", None, None),
]


# machine ------------------------------------------------------------------------------------------
def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return "not installed"


def machine() -> dict[str, Any]:
    """CPU, cores, load, OS and the versions that matter."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    blas = {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS") if k in os.environ}
    return {"cpu": _cpu_model(), "cores": os.cpu_count(), "usable_cores": usable, "load_average": load,
            "os": f"{platform.system()} {platform.release()} {platform.machine()}",
            "python": platform.python_version(),
            "versions": {name: _version(name) for name in ("numpy", "scipy", "pandas", "cvxpy", "osqp", "dask",
                                                           "distributed", "tqdm")},
            "blas_threads": blas or "library default"}


# children -----------------------------------------------------------------------------------------
def run_child(name: str, *args: str, timeout: float = 600.0) -> dict[str, Any]:
    """Run ``python -m benchmarks --child name args`` and return the dict it prints."""
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--child", name, *args], capture_output=True,
                          text=True, timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"benchmark child {name} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len(MARK):])


def emit(values: dict[str, Any]) -> None:
    """Print a child's result for :func:`run_child`."""
    print(MARK + json.dumps(values), flush=True)


# 1. the prototype problem ---------------------------------------------------------------------------
def prototype_child(cross_check: bool, repeats: int = 3) -> dict[str, Any]:
    """In a fresh interpreter: the package's FIRST backtest of the prototype problem (CVXPY compile
    included), then the prototype's own loop ``repeats`` times (median), in the same process."""
    start = time.perf_counter()
    import importlib

    import numpy as np

    import cdshedge_cvx as ch
    from benchmarks.prototype import run_prototype

    # imports are timed apart: the prototype's baseline has its own (pandas, scipy) done too
    importlib.import_module("cdshedge_cvx.engine._backtest")  # CVXPY, scipy.optimize
    imports = time.perf_counter() - start
    market, universe = ch.examples.seed()
    start = time.perf_counter()
    result = ch.backtest(market, universe, horizon="M", conventions="seed", cross_check=cross_check, progress=False)
    first = time.perf_counter() - start
    warm = []
    for _ in range(3):
        start = time.perf_counter()
        ch.backtest(market, universe, horizon="M", conventions="seed", cross_check=cross_check, progress=False)
        warm.append(time.perf_counter() - start)
    baseline = []
    for _ in range(repeats):
        start = time.perf_counter()
        reference = run_prototype("ME")
        baseline.append(time.perf_counter() - start)
    gap = float(np.max(np.abs(result.allocations.to_numpy() - reference.to_numpy())))
    return {"first_s": first, "warm_s": min(warm), "prototype_s": statistics.median(baseline),
            "periods": len(result.allocations), "imports_s": imports, "max_allocation_gap": gap,
            "path": str(result.solver_info["path"].iloc[0])}


def bench_prototype(repeats: int = 3) -> dict[str, Any]:
    """Goal 1: both variants, each in its own fresh process."""
    plain = run_child("prototype", "--repeats", str(repeats))
    checked = run_child("prototype", "--repeats", str(repeats), "--cross-check")
    return {"plain": plain, "cross_check": checked,
            "prototype_ratio": plain["prototype_s"] / plain["first_s"],
            "prototype_cc_ratio": checked["prototype_s"] / checked["first_s"]}


# 2. scale ------------------------------------------------------------------------------------------
def _floor_data(market: Any, universe: Any, window: int, gamma: float) -> list[tuple[Any, Any]]:
    """P and q of every period's QP, from numpy alone (np.cov on the same trailing windows)."""
    import numpy as np

    import cdshedge_cvx as ch
    from cdshedge_cvx.credit._conventions import get_conventions
    from cdshedge_cvx.periods import PeriodBuilder

    builder = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, get_conventions("market"),
                            "W-FRI", "walk-forward", window=window, min_history=window)
    linear = ch.HedgePnL() - ch.Carry() - ch.Roll()
    data = []
    for period in builder:
        scale = period["pnl_scale"] * period["fx_rate"]
        sigma = np.cov(np.column_stack([period["risk_desk_pnl"], scale * period["risk_changes"]]), rowvar=False)
        c = sum(weight * term.coefficients(period) for weight, term in linear)
        weight = 2.0 * gamma * period["horizon_rows"]
        data.append((weight * sigma[1:, 1:], weight * sigma[1:, 0] - c))
    return data


def osqp_floor(data: Sequence[tuple[Any, Any]], lower: Any, upper: Any) -> tuple[float, Any]:
    """The solver's floor: OSQP set up once on min ½hᵀPh + qᵀh, l ≤ h ≤ u, then P and q updated
    (``update(Px=…, q=…)``) and solved per period, with the package's OSQP settings."""
    import numpy as np
    import osqp
    import scipy.sparse as sp

    from cdshedge_cvx.solve._direct_qp import silenced_stdout
    from cdshedge_cvx.solve._problem import DEFAULT_SOLVER_OPTIONS

    n = len(lower)
    columns, rows = np.tril_indices(n)
    indptr = np.concatenate([[0], np.cumsum(np.arange(1, n + 1))])
    solutions = []
    with silenced_stdout():  # OSQP 1.x prints when polishing finds no active bound
        start = time.perf_counter()
        solver = osqp.OSQP()
        P, q = data[0]
        settings = {k: v for k, v in DEFAULT_SOLVER_OPTIONS["OSQP"].items() if k != "warm_start"}  # CVXPY's option
        solver.setup(sp.csc_matrix((P[rows, columns], rows, indptr), shape=(n, n)), q, sp.identity(n, format="csc"),
                     lower, upper, verbose=False, **settings)
        for k, (P, q) in enumerate(data):
            if k:
                solver.update(Px=P[rows, columns], q=q)
            solutions.append(solver.solve(raise_error=False).x.copy())
        elapsed = time.perf_counter() - start
    return elapsed, np.array(solutions)


#: (label, "module:qualified.name") of the scale profile's rows; each is matched by its code object, so a
#: function that moves or is renamed fails loudly instead of showing 0 ms
_PROFILE_ROWS = [
    ("period data (PeriodBuilder.build)", "cdshedge_cvx.periods._builder:PeriodBuilder.build"),
    ("parameter updates (all terms and limits)", "cdshedge_cvx.solve._problem:HedgeProblem.update"),
    ("  covariance, rolling update", "cdshedge_cvx.risk._estimators:RollingCovariance.covariance"),
    ("  factor (Cholesky)", "cdshedge_cvx.model.terms._variance:covariance_root"),
    ("solve", "cdshedge_cvx.solve._problem:HedgeProblem.solve"),
    ("  condense P, q", "cdshedge_cvx.solve._direct_qp:condense"),
    ("  active-set box QP (solve)", "cdshedge_cvx.solve._box_qp:BoxQP.solve"),
    ("  term values through CVXPY", "cdshedge_cvx.solve._compiled:CompiledProblem.term_values"),
]


def _code_key(target: str) -> tuple[str, int, str]:
    """The (file, first line, name) key pstats uses for the function named ``module:qualified.name``."""
    import importlib

    module_name, _, qualified = target.partition(":")
    value: Any = importlib.import_module(module_name)
    for part in qualified.split("."):
        value = getattr(value, part)
    code = value.__code__
    return code.co_filename, code.co_firstlineno, code.co_name


def _profile(function: Callable[[], Any]) -> tuple[float, dict[str, float]]:
    import cProfile
    import pstats

    keys = {label: _code_key(target) for label, target in _PROFILE_ROWS}
    profiler = cProfile.Profile()
    profiler.enable()
    function()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = max(entry[3] for entry in stats.values())
    return total, {label: stats[key][3] if key in stats else 0.0 for label, key in keys.items()}


def bench_scale(n: int = 125, periods: int = 260, window: int = 252, gamma: float = 1.0,
                profile: bool = True) -> dict[str, Any]:
    """Goal 2: the package's walk-forward backtest (everything from the call to the result:
    period data, covariance estimation, CVXPY compile, solves) against the OSQP floor."""
    import numpy as np

    import cdshedge_cvx as ch
    from benchmarks.cases import scale_market

    market, universe = scale_market(n, periods, window)
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll() - gamma * ch.VariancePenalty()
    kwargs = {"horizon": "W-FRI", "mode": "walk-forward", "window": window, "min_history": window,
              "cross_check": False, "progress": False}
    start = time.perf_counter()
    result = ch.backtest(market, universe, objective, **kwargs)
    package = time.perf_counter() - start
    start = time.perf_counter()
    ch.backtest(market, universe, problem=result.problem, **kwargs)
    repeat = time.perf_counter() - start
    data = _floor_data(market, universe, window, gamma)
    floor, floor_h = osqp_floor(data, universe.lower, universe.upper)
    count = len(result.allocations)
    h = result.allocations.to_numpy()
    out = {"n": n, "periods": count, "package_s": package, "package_repeat_s": repeat, "floor_s": floor,
           "package_ms_per_period": 1e3 * package / count, "floor_ms_per_period": 1e3 * floor / count,
           "scale_ratio": package / floor, "repeat_ratio": repeat / floor,
           "paths": result.solver_info["path"].value_counts().to_dict(),
           "max_gap_to_floor": float(np.max(np.abs(h - floor_h))),
           "share_on_a_bound": float(np.mean(np.isclose(np.abs(h), universe.upper[0], rtol=0, atol=1e-9)))}
    if profile:
        total, rows = _profile(lambda: ch.backtest(market, universe, problem=result.problem, **kwargs))
        out["profile_total_s"] = total
        out["profile"] = rows
    return out


# 3. frontier ---------------------------------------------------------------------------------------
def bench_frontier(gammas: int = 50, workers: int = 2, dask: bool = True) -> dict[str, Any]:
    """Goal 3: 50 γ × 48 monthly periods of the prototype data (variance penalty on the period's
    own changes, seed conventions), serially and on a Dask LocalCluster of ``workers`` processes."""
    import logging

    import pandas as pd

    import cdshedge_cvx as ch
    from benchmarks.cases import frontier_gammas

    market, universe = ch.examples.seed()
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll() - ch.VariancePenalty()
    values = frontier_gammas(gammas)
    kwargs = {"horizon": "M", "conventions": "seed", "cross_check": False, "progress": False}
    start, cpu = time.perf_counter(), time.process_time()
    serial = ch.frontier(market, universe, objective, values, **kwargs)
    out: dict[str, Any] = {"gammas": gammas, "periods": 48, "serial_s": time.perf_counter() - start,
                           "serial_cpu_s": time.process_time() - cpu,
                           "paths": "direct-qp" if serial.problem.direct_qp_ else "solver"}
    if not dask:
        return out
    from dask.distributed import Client, LocalCluster

    start = time.perf_counter()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    client = Client(cluster)
    out["cluster_start_s"] = time.perf_counter() - start
    try:
        start = time.perf_counter()
        client.run(_warm_worker)  # the imports a worker pays once (cvxpy, pandas, the package)
        out["worker_imports_s"] = time.perf_counter() - start
        start, cpu = time.perf_counter(), _worker_cpu(client)
        on_dask = ch.frontier(market, universe, objective, values, scheduler=cluster.scheduler_address, **kwargs)
        out["dask_s"] = time.perf_counter() - start
        out["dask_worker_cpu_s"] = _worker_cpu(client) - cpu
        out["tasks"] = len(values)
        try:
            pd.testing.assert_frame_equal(on_dask.table, serial.table, check_exact=True)
            out["identical"] = True
        except AssertionError:
            out["identical"] = False
    finally:
        client.close()
        cluster.close()
    start = time.perf_counter()
    ch.frontier(market, universe, objective, values, workers=workers, **kwargs)
    out["dask_end_to_end_s"] = time.perf_counter() - start
    out["workers"] = workers
    out.update(_coarse_jobs(workers))
    out["frontier_speedup"] = out["serial_s"] / out["dask_s"]
    out["overhead_per_task_s"] = (workers * out["dask_s"] - out["serial_s"]) / out["tasks"]
    return out


def _coarse_jobs(workers: int, jobs: int = 4) -> dict[str, Any]:
    """run_many on longer jobs: ``jobs`` walk-forward backtests of 125 instruments over 104 weeks
    (one per market seed), serially and on a fresh LocalCluster (started beforehand)."""
    import logging

    import cdshedge_cvx as ch
    from benchmarks.cases import scale_market, scale_objective

    grid = []
    for seed in range(jobs):
        market, universe = scale_market(125, 104, 252, seed=seed)
        grid.append({"market": market, "universe": universe, "objective": scale_objective(), "horizon": "W-FRI",
                     "mode": "walk-forward", "window": 252, "min_history": 252, "cross_check": False,
                     "progress": False})
    start = time.perf_counter()
    serial = ch.run_many(grid, progress=False)
    serial_s = time.perf_counter() - start
    from dask.distributed import Client, LocalCluster

    sleeps = [{"seconds": SLEEP_TASK_S}] * 50
    start = time.perf_counter()
    ch.run_many(sleeps, function=_sleep, progress=False)
    sleep_serial_s = time.perf_counter() - start
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        client.run(_warm_worker)
        start = time.perf_counter()
        distributed = ch.run_many(grid, client, progress=False)
        dask_s = time.perf_counter() - start
        start = time.perf_counter()
        ch.run_many(sleeps, client, function=_sleep, progress=False)
        sleep_dask_s = time.perf_counter() - start
    same = all((a.allocations.to_numpy() == b.allocations.to_numpy()).all() for a, b in zip(serial, distributed))
    return {"coarse_jobs": jobs, "coarse_serial_s": serial_s, "coarse_dask_s": dask_s,
            "coarse_speedup": serial_s / dask_s, "coarse_identical": same,
            "coarse_overhead_per_task_s": (workers * dask_s - serial_s) / jobs,
            "sleep_tasks": len(sleeps), "sleep_serial_s": sleep_serial_s, "sleep_dask_s": sleep_dask_s,
            "sleep_speedup": sleep_serial_s / sleep_dask_s,
            "sleep_overhead_per_task_s": (workers * sleep_dask_s - sleep_serial_s) / len(sleeps)}


#: Seconds of each task of the Dask-overhead probe (sleeping: it needs no CPU, so a busy machine
#: does not hide the scheduling cost).
SLEEP_TASK_S = 0.05


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _worker_cpu(client: Any) -> float:
    """CPU seconds used so far by all the workers' processes."""
    return float(sum(client.run(time.process_time).values()))


def _warm_worker() -> bool:
    import importlib

    importlib.import_module("cdshedge_cvx.engine._backtest")
    importlib.import_module("cdshedge_cvx.engine._frontier")
    return True


# 4. start-up ---------------------------------------------------------------------------------------
def _median_run(command: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, timeout=120)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_startup(repeats: int = 10) -> dict[str, Any]:
    """Goal 4: ``cdshedge --help`` (as ``python -m cdshedge_cvx --help``) against ``python -c pass``;
    ``import cvxpy`` for scale (the test suite asserts ``--help`` does not import it)."""
    python = sys.executable
    empty = _median_run([python, "-c", "pass"], repeats)
    helped = _median_run([python, "-m", "cdshedge_cvx", "--help"], repeats)
    cvxpy = _median_run([python, "-c", "import cvxpy"], max(1, repeats // 3))
    return {"python_s": empty, "help_s": helped, "import_cvxpy_s": cvxpy, "startup_ratio": helped / empty}


# 5. memory ----------------------------------------------------------------------------------------
def _rss_mb(field: str) -> float | None:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process in MB, from /proc (Linux)."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset the peak RSS to the current RSS (Linux ≥ 4.0: write 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def memory_child(n: int, periods: int, window: int) -> dict[str, Any]:
    """In a fresh interpreter: the RSS before the scale backtest and its peak during the backtest
    (peak reset first where Linux allows it, else the process's lifetime peak), then the peak of
    the Python allocations traced during a second run."""
    import importlib
    import resource
    import tracemalloc

    import cdshedge_cvx as ch
    from benchmarks.cases import scale_market, scale_objective

    importlib.import_module("cdshedge_cvx.engine._backtest")
    market, universe = scale_market(n, periods, window)
    kwargs = {"horizon": "W-FRI", "mode": "walk-forward", "window": window, "min_history": window,
              "cross_check": False, "progress": False}
    before = _rss_mb("VmRSS")
    reset = _reset_peak()
    result = ch.backtest(market, universe, scale_objective(), **kwargs)
    peak = _rss_mb("VmHWM") if reset else None
    if peak is None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    tracemalloc.start()
    ch.backtest(market, universe, scale_objective(), **kwargs)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"rss_before_mb": before, "memory_peak_mb": peak, "peak_is_backtest_only": reset,
            "traced_peak_mb": traced / 2**20, "periods": len(result.allocations)}


def bench_memory(n: int = 125, periods: int = 260, window: int = 252) -> dict[str, Any]:
    """Goal 5, in a child process."""
    return run_child("memory", "--n", str(n), "--periods", str(periods), "--window", str(window))


# report ---------------------------------------------------------------------------------------------
def _verdict(value: float, goal: float | None, kind: str | None, share: bool = False) -> str:
    if goal is None:
        return "reported"
    met = value >= goal if kind == "min" else value <= goal
    sign = "≥" if kind == "min" else "≤"
    shown = f"{100 * goal:g} %" if share else f"{goal:g}×"
    return f"goal {sign} {shown}: {'MET' if met else 'NOT MET'}"


def bench_isda() -> dict[str, Any]:
    """ISDA CDS pricing of 10,000 contracts vs a loop of QuantLib objects (see :mod:`benchmarks.isda`)."""
    from benchmarks import isda

    return {"lines": isda.run()}


def bench_factor() -> dict[str, Any]:
    """Factor covariance vs the full covariance at 500 instruments (see :mod:`benchmarks.factor`)."""
    from benchmarks import factor

    return {"lines": factor.run()}


def report(results: dict[str, Any], elapsed: float) -> str:
    """The text report: machine, ratios first, then the details."""
    m = results["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    lines = [f"cdshedge_cvx benchmarks ({elapsed:.0f} s)",
             f"machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), load average "
             f"{' '.join(map(str, m['load_average']))}, {m['os']}",
             f"python {m['python']}, {versions}", f"BLAS threads: {m['blas_threads']}", "", "RATIOS"]
    flat: dict[str, float] = {}
    for section in ("prototype", "scale", "frontier", "startup", "memory", "realistic", "general", "calendars",
                    "lp", "scale500"):
        for key, value in results.get(section, {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                flat[key] = float(value)
    if "memory_peak_mb" in results.get("scale500", {}):
        flat["scale500_memory_mb"] = float(results["scale500"]["memory_peak_mb"])
        if "memory" not in results:
            flat.pop("memory_peak_mb", None)
    for key, text, goal, kind in GOALS:
        if key not in flat:
            continue
        value = flat[key]
        shown = (f"{value:8.0f} MB" if key.endswith("_mb") else f"{100 * value:7.1f} %" if key.endswith("_share")
                 else f"{value:8.2f}×")
        lines.append(f"  {text:<82} {shown}   {_verdict(value, goal, kind, key.endswith('_share'))}")
    lines += ["", "DETAILS"]
    if "prototype" in results:
        p, c = results["prototype"]["plain"], results["prototype"]["cross_check"]
        lines.append(f"  1  prototype loop {p['prototype_s']:.3f} s (median of its runs); package first call "
                     f"{1e3 * p['first_s']:.1f} ms (warm {1e3 * p['warm_s']:.1f} ms, path {p['path']}), with "
                     f"cross-check {1e3 * c['first_s']:.1f} ms (warm {1e3 * c['warm_s']:.1f} ms); {p['periods']} "
                     f"periods; imports before the first call (not timed): {p['imports_s']:.2f} s; max |h - "
                     f"prototype h| {p['max_allocation_gap']:.1e} $mm/bp")
    if "scale" in results:
        s = results["scale"]
        lines.append(f"  2  {s['n']} instruments x {s['periods']} weekly walk-forward periods (252-day window): "
                     f"package {s['package_ms_per_period']:.2f} ms/period (first call, compile included; "
                     f"repeat {1e3 * s['package_repeat_s'] / s['periods']:.2f} ms, ratio {s['repeat_ratio']:.2f}x), "
                     f"bare OSQP {s['floor_ms_per_period']:.2f} ms/period; paths {s['paths']}; max |h - h_OSQP| "
                     f"{s['max_gap_to_floor']:.1e}; {100 * s['share_on_a_bound']:.0f}% of positions on a limit")
        if "profile" in s:
            total = s["profile_total_s"]
            lines.append(f"     where the time goes (cProfile of a repeat run, {1e3 * total / s['periods']:.2f} "
                         f"ms/period under the profiler):")
            for label, seconds in s["profile"].items():
                lines.append(f"       {label:<44} {1e3 * seconds / s['periods']:7.3f} ms/period "
                             f"{100 * seconds / total:5.1f}%")
    if "frontier" in results:
        f = results["frontier"]
        if "dask_s" in f:
            lines.append(f"  3  {f['gammas']} gammas x {f['periods']} periods (path {f['paths']}): serial "
                         f"{f['serial_s']:.2f} s; Dask {f['workers']} worker processes, {f['tasks']} tasks "
                         f"{f['dask_s']:.2f} s (speed-up {f['frontier_speedup']:.2f}x, overhead per task "
                         f"{1e3 * f['overhead_per_task_s']:.1f} ms, same table: {f['identical']}; CPU: serial "
                         f"{f['serial_cpu_s']:.2f} s, workers {f['dask_worker_cpu_s']:.2f} s); cluster start "
                         f"{f['cluster_start_s']:.2f} s, worker imports {f['worker_imports_s']:.2f} s; "
                         f"frontier(workers={f['workers']}) end to end (own cluster) {f['dask_end_to_end_s']:.2f} s")
            lines.append(f"     longer tasks, run_many of {f['coarse_jobs']} walk-forward backtests (125 instruments x "
                         f"104 weeks): serial {f['coarse_serial_s']:.2f} s, Dask {f['coarse_dask_s']:.2f} s (speed-up "
                         f"{f['coarse_speedup']:.2f}x, overhead per task {1e3 * f['coarse_overhead_per_task_s']:.0f} "
                         f"ms, same allocations: {f['coarse_identical']})")
            lines.append(f"     Dask's own cost, run_many of {f['sleep_tasks']} tasks sleeping "
                         f"{1e3 * SLEEP_TASK_S:.0f} ms (no CPU needed): serial {f['sleep_serial_s']:.2f} s, "
                         f"Dask {f['sleep_dask_s']:.2f} s (speed-up {f['sleep_speedup']:.2f}x, overhead per task "
                         f"{1e3 * f['sleep_overhead_per_task_s']:.1f} ms)")
        else:
            lines.append(f"  3  {f['gammas']} gammas x {f['periods']} periods serial {f['serial_s']:.2f} s")
    if "startup" in results:
        u = results["startup"]
        lines.append(f"  4  python -c pass {1e3 * u['python_s']:.0f} ms, cdshedge --help {1e3 * u['help_s']:.0f} ms "
                     f"(+{1e3 * (u['help_s'] - u['python_s']):.0f} ms), python -c 'import cvxpy' "
                     f"{1e3 * u['import_cvxpy_s']:.0f} ms (medians)")
    if "memory" in results:
        r = results["memory"]
        during = "during the backtest" if r["peak_is_backtest_only"] else "over the process's life"
        before = f"{r['rss_before_mb']:.0f} MB" if r["rss_before_mb"] is not None else "unknown"
        lines.append(f"  5  peak RSS {during} {r['memory_peak_mb']:.0f} MB (RSS after imports and data, before the "
                     f"backtest: {before}); Python allocations traced during the backtest peak at "
                     f"{r['traced_peak_mb']:.1f} MB")
    if "realistic" in results:
        r = results["realistic"]
        full = (f", cross_check='full' {r['full_s']:.2f} s ({r['crosscheck_full_ratio']:.1f}x)" if "full_s" in r
                else "")
        lines.append(f"  6  {r['n']} instruments on roll calendars x {r['periods']} weekly walk-forward periods, "
                     f"pnl - carry - roll - 5*variance: package {r['unchecked_s']:.2f} s unchecked "
                     f"({1e3 * r['unchecked_s'] / r['periods']:.2f} ms/period; first call, compile included, "
                     f"{r['first_s']:.2f} s), default cross-check {r['warm_s']:.2f} s ({r['cold_periods']} periods "
                     f"re-solved cold, all ok: {r['checks_ok']}){full}; bare OSQP at default settings "
                     f"{r['floor_default_s']:.2f} s ({1e3 * r['floor_default_s'] / r['periods']:.2f} ms/period), "
                     f"box-QP solver alone {r['box_qp_alone_s']:.2f} s; paths {r['paths']}; max |h - h_box-QP| "
                     f"{r['max_gap_box_qp_vs_package']:.1e}, max |h - h_OSQP default| "
                     f"{r['max_gap_osqp_default_vs_package']:.1e} (OSQP's default tolerance)")
    if "general" in results:
        g = results["general"]
        lines.append(f"  7  {g['n']} instruments x {g['periods']} weekly periods, pnl - carry - 5*variance - tcost, "
                     f"gross limit: lifted-QP path solves {g['lifted_solve_s']:.2f} s (whole run "
                     f"{g['lifted_total_s']:.2f} s), compiled-once CVXPY + Clarabel {g['cvxpy_solve_s']:.2f} s "
                     f"({g['cvxpy_total_s']:.2f} s; whole-run ratio {g['general_total_ratio']:.2f}x); paths "
                     f"{g['paths']}; max |Δh| {g['max_allocation_gap']:.1e}, max |Δ objective| "
                     f"{g['max_objective_gap']:.1e}")
    if "calendars" in results:
        c = results["calendars"]
        entries = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in c["calendar_entries"].items())
        lines.append(f"  9  {c['n']} instruments x {c['years']} years of daily data, {c['periods']} weekly "
                     f"walk-forward periods, pnl - carry - roll - 5*variance (market conventions): backtest "
                     f"{c['backtest_s']:.2f} s, "
                     f"of which calendar and contract functions {c['calendar_s']:.2f} s "
                     f"({100 * c['calendar_share']:.1f} %, the median of "
                     f"{', '.join(f'{100 * share:.1f}' for share in c.get('shares', [c['calendar_share']]))} %; "
                     f"outermost calls: {entries}); under cProfile "
                     f"{c['profiled_calendar_s']:.2f} of {c['profiled_s']:.2f} s")
    if "lp" in results:
        lp = results["lp"]
        lines.append(f"  10 {lp['n']} instruments x {lp['periods']} weekly walk-forward periods, pnl - carry - 2*cvar: "
                     f"default solver {lp['default_s']:.2f} s, OSQP {lp['osqp_s']:.2f} s; solvers that answered "
                     f"{lp['solvers']}; max |Δ objective| {lp['max_objective_gap']:.1e}")
    if "scale500" in results and "timed_out" in results["scale500"]:
        limit = results["scale500"]["timed_out"]
        lines.append(f"  8  500 instruments x 15 years daily: not finished within {limit:.0f} s "
                     "(the child was stopped; see docs/performance.md)")
    elif "scale500" in results:
        s = results["scale500"]
        lines.append(f"  8  {s['n']} instruments x {s['periods']} daily walk-forward periods, default cross-check: "
                     f"{s['seconds']:.1f} s ({s['ms_per_period']:.1f} ms/period, solves {s['solve_s']:.1f} s), "
                     f"paths {s['paths']}, peak RSS {s['memory_peak_mb']:.0f} MB, all checks ok: {s['checks_ok']}")
    if "isda" in results:
        lines += ["", "ISDA PRICING"] + [f"  {line}" for line in results["isda"]["lines"]]
    if "factor" in results:
        lines += ["", "FACTOR RISK"] + [f"  {line}" for line in results["factor"]["lines"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every benchmark and print the report (see ``python -m benchmarks --help``)."""
    import argparse

    from benchmarks import realistic
    from benchmarks.calendars import bench_calendars

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time cdshedge_cvx against baselines measured in the same run (the prototype's scipy loop, "
                    "a bare OSQP solve, serial runs, python -c pass) and print the ratios, then the details.")
    parser.add_argument("--only", nargs="+", choices=["prototype", "scale", "frontier", "startup", "memory", "isda",
                                                      "factor", "realistic", "general", "calendars", "lp",
                                                      "scale500"],
                        help="run these benchmarks only (scale500, 500 instruments x 15 years daily, runs only when "
                             "named)")
    parser.add_argument("--no-profile", action="store_true", help="skip the profile of the scale case")
    parser.add_argument("--json", metavar="FILE", help="also write the raw results as JSON")
    parser.add_argument("--blas-threads", metavar="N", help="BLAS threads: a number or 'default' (the library's); "
                        "default 1 unless OPENBLAS/OMP/MKL_NUM_THREADS is set (applied before numpy loads)")
    args = parser.parse_args(argv)
    chosen = args.only or ["prototype", "scale", "realistic", "general", "calendars", "lp", "frontier", "startup",
                           "memory", "isda", "factor"]
    start = time.perf_counter()
    results: dict[str, Any] = {"machine": machine()}
    steps: dict[str, Callable[[], dict[str, Any]]] = {
        "prototype": bench_prototype, "scale": lambda: bench_scale(profile=not args.no_profile),
        "frontier": bench_frontier, "startup": bench_startup, "memory": bench_memory, "isda": bench_isda,
        "factor": bench_factor, "realistic": realistic.bench_realistic, "general": realistic.bench_general,
        "calendars": bench_calendars, "lp": realistic.bench_lp, "scale500": realistic.bench_scale500}
    for name in chosen:
        print(f"[{time.perf_counter() - start:5.0f} s] {name} ...", file=sys.stderr, flush=True)
        results[name] = steps[name]()
    text = report(results, time.perf_counter() - start)
    print(text)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2, default=str)
    return 0
