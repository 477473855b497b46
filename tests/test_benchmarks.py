"""Smoke test of the benchmarks (``python -m benchmarks``) at tiny sizes, so they cannot rot.
No timing is asserted; the bare-OSQP floor must solve the same QP as the package."""

from __future__ import annotations

import numpy as np

from benchmarks import suite


def test_the_smallest_cases_run_and_report():
    results = {"machine": suite.machine()}
    results["scale"] = suite.bench_scale(n=6, periods=5, window=30)
    scale = results["scale"]
    assert scale["periods"] == 5 and scale["paths"] == {"box-qp": 5}
    assert scale["max_gap_to_floor"] < 1e-6  # numpy's np.cov QP solved by bare OSQP = the package's answer
    assert set(scale["profile"]) == {label for label, _ in suite._PROFILE_ROWS}
    # every row is matched to its function (a moved or renamed one would show 0 s, as it once did)
    assert all(seconds > 0 for label, seconds in scale["profile"].items() if "rolling" not in label), scale["profile"]
    results["frontier"] = suite.bench_frontier(gammas=3, dask=False)
    results["startup"] = suite.bench_startup(repeats=1)
    results["memory"] = suite.run_child("memory", "--n", "5", "--periods", "4", "--window", "30")
    assert results["memory"]["periods"] == 4 and results["memory"]["memory_peak_mb"] > 0
    prototype = suite.prototype_child(cross_check=False, repeats=1)
    assert prototype["periods"] == 48 and prototype["max_allocation_gap"] < 1e-6
    text = suite.report(results, elapsed=1.0)
    assert "RATIOS" in text and "scale, time per period" in text and "peak memory" in text
    assert np.isfinite(scale["scale_ratio"])


def test_the_calendar_share_is_measured_without_double_counting():
    """The calendar benchmark times only the outermost calendar/figures call, at a tiny size."""
    from benchmarks.calendars import bench_calendars

    result = bench_calendars(n=4, years=2, window=60)
    assert result["periods"] > 50
    assert 0.0 < result["calendar_s"] < result["backtest_s"]
    assert abs(sum(result["calendar_entries"].values()) - result["calendar_s"]) < 1e-6 * max(1.0, result["calendar_s"])
    assert "_builder.PeriodBuilder._period_figures" in result["calendar_entries"]  # the figures of all periods, batched
    text = suite.report({"machine": suite.machine(), "calendars": result}, elapsed=1.0)
    assert "calendars, maturities, RPV01" in text and " %" in text


def test_the_lp_case_runs_at_a_tiny_size():
    from benchmarks.realistic import bench_lp

    result = bench_lp(n=4, periods=4, window=60)
    assert result["solvers"]["default"] == {"HIGHS": result["periods"]}
    assert result["max_objective_gap"] < 1e-6 and result["lp_ratio"] > 0


def test_a_scale500_run_over_its_time_is_reported_not_raised(monkeypatch):
    import subprocess

    from benchmarks import realistic, suite

    def too_long(*args, **kwargs):
        raise subprocess.TimeoutExpired("benchmarks --child scale500", 1.0)

    monkeypatch.setattr(suite, "run_child", too_long)
    result = realistic.bench_scale500(timeout=1.0)
    assert result == {"timed_out": 1.0}
    assert "not finished within 1 s" in suite.report({"machine": suite.machine(), "scale500": result}, 1.0)
