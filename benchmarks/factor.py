"""Factor risk at scale: VariancePenalty with the full sample covariance vs FactorCovariance(k), 500 instruments.

``run()`` returns the lines to print. Both problems are compiled once and do the same work per repeat
(``update`` with the period, then ``solve``), Clarabel through CVXPY on both sides; one warm-up solve each,
then ``repeats`` rounds that alternate the two (so a busy machine slows both alike), timed by the median. It
prints each median (and Clarabel's own time), the full / factor ratio of the medians, the size of what each
hands the solver (the factor model: n + k + n variables and a diagonal P, no n × n block), and the
out-of-sample variance reduction of each hedge on the next window.
"""

from __future__ import annotations

import time

import numpy as np

import cdshedge_cvx as ch


def _window(rng: np.random.Generator, rows: int, n: int, loadings: np.ndarray, beta: np.ndarray):
    factors = rng.normal(size=(rows, loadings.shape[1]))
    changes = factors @ loadings.T + 0.5 * rng.normal(size=(rows, n))
    desk = changes @ beta + rng.normal(size=rows)
    return changes, desk


def _solver_size(problem: ch.HedgeProblem) -> str:
    """Variables, nonzeros of P and of the constraint matrix CVXPY hands Clarabel."""
    data, _, _ = problem.compiled.problem.get_problem_data("CLARABEL")
    return f"{data['P'].shape[0]} variables, P nnz {data['P'].nnz}, A nnz {data['A'].nnz}"


def run(n: int = 500, k: int = 10, rows: int = 252, repeats: int = 7) -> list[str]:
    import warnings

    rng = np.random.default_rng(0)
    loadings = rng.normal(size=(n, k))
    beta = -0.05 * rng.normal(size=n)
    past, past_desk = _window(rng, rows, n, loadings, beta)
    future, future_desk = _window(rng, rows, n, loadings, beta)
    data = ch.PeriodData({"risk_changes": past, "risk_desk_pnl": past_desk, "pnl_scale": 1.0, "fx_rate": np.ones(n),
                          "horizon_rows": 21, "cs01_min": -np.ones(n), "cs01_max": np.ones(n), "period": "bench"})
    cases = {"full": "sample", f"factor k={k}": ch.FactorCovariance(k=k)}
    problems = {label: ch.HedgeProblem(n, -ch.VariancePenalty(estimator=estimator), solver="CLARABEL").build()
                for label, estimator in cases.items()}
    times: dict[str, list[float]] = {label: [] for label in cases}
    solver_times: dict[str, list[float]] = {label: [] for label in cases}
    hedges = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ch.UnidentifiedHedgeWarning)  # 252 rows, 500 instruments: said once below
        for problem in problems.values():  # warm-up: first solve (solver set-up, caches)
            problem.update(data)
            problem.solve()
        for _ in range(repeats):
            for label, problem in problems.items():
                start = time.perf_counter()
                problem.update(data)
                solution = problem.solve()
                times[label].append(time.perf_counter() - start)
                stats = problem.compiled.problem.solver_stats  # Clarabel's own time for this solve
                solver_times[label].append(float(stats.solve_time) if stats and stats.solve_time else np.nan)
                hedges[label] = solution.h
    lines = []
    for label, problem in problems.items():
        h = hedges[label]
        effectiveness = 1.0 - np.var(future_desk + future @ h, ddof=1) / np.var(future_desk, ddof=1)
        median, low = np.median(times[label]) * 1e3, np.min(times[label]) * 1e3
        lines.append(f"factor risk, {n} instruments, {label}: update+solve median {median:.0f} ms (min {low:.0f}; "
                     f"Clarabel {np.nanmedian(solver_times[label]) * 1e3:.0f} ms on {_solver_size(problem)}), "
                     f"out-of-sample effectiveness {effectiveness:.3f}")
    full, factor = (np.median(times[label]) for label in cases)
    full_solver, factor_solver = (np.nanmedian(solver_times[label]) for label in cases)
    lines.append(f"factor risk: full / factor time ratio {full / factor:.1f}x (medians of {repeats} alternating "
                 f"repeats after a warm-up; Clarabel alone {full_solver / factor_solver:.1f}x)")
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
