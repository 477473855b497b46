"""Solver failures are explicit: infeasible limits name the period and the constraints, a failing
solver falls back (recorded), a bad answer is refused, and when every solver fails the error names
the period -- never a zero hedge. ``--strict`` makes a cross-check disagreement an error."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import cvxpy as cp
import numpy as np
import pytest

import cdshedge_cvx as ch

DATA = Path(__file__).parent / "data" / "valid"
FIRST_PERIOD = "2021-01-08"  # W-FRI periods of the valid files end 2021-01-08 and 2021-01-13
VARIANCE = ch.HedgePnL() - ch.Carry() - 5.0 * ch.VariancePenalty()
CVXPY_PATH = {"direct_qp": False}  # these tests are about CVXPY's solve (the direct QP's: test_fast_paths)


@pytest.fixture(scope="module")
def market() -> ch.MarketData:
    return ch.MarketData.from_csv(DATA / "spreads.csv", DATA / "desk_pnl.csv")


@pytest.fixture(scope="module")
def universe() -> ch.Universe:
    return ch.Universe.from_csv(DATA / "instruments.csv")


FORCED_LOWER = [0.10, 0.05, 0.10, 0.05]  # the box forces a gross CS01 of at least 0.30


@pytest.mark.parametrize("objective", [None, VARIANCE], ids=["linear", "variance"])
def test_gross_limit_below_what_the_box_forces_is_infeasible(market, universe, objective) -> None:
    forced = universe.with_limits(lower=FORCED_LOWER)
    with pytest.raises(ch.InfeasibleError) as info:
        ch.backtest(market, forced, objective, horizon="W-FRI",
                    constraints=[ch.GrossLimit(0.2, allow_mixed_currency=True)])
    message = str(info.value)
    assert f"period {FIRST_PERIOD}" in message
    assert "GrossLimit(max_gross=0.2, allow_mixed_currency=True)" in message and "CS01 box" in message
    assert "CDX IG (cs01_min 0.1)" in message and "iTraxx Xover (cs01_min 0.05)" in message
    assert isinstance(info.value, ch.SolverError)


def test_gross_limit_equal_to_the_forced_gross_leaves_one_point(market, universe) -> None:
    """Σ|h| ≤ Σ lower with h ≥ lower > 0 has the single solution h = lower (by hand)."""
    forced = universe.with_limits(lower=FORCED_LOWER)
    result = ch.backtest(market, forced, VARIANCE, horizon="W-FRI",
                         constraints=[ch.GrossLimit(0.3, allow_mixed_currency=True)],
                         cross_check=False)
    np.testing.assert_allclose(result.allocations.to_numpy(), np.tile(FORCED_LOWER, (2, 1)), rtol=0, atol=1e-7)
    assert (result.allocations.abs().sum(axis=1) <= 0.3 * (1 + 1e-9)).all()


def test_contradictory_box_in_a_period_is_infeasible(market, universe) -> None:
    problem = ch.HedgeProblem(universe, VARIANCE).build()
    data = {"period": "2021-02-26", "cs01_min": np.array([0.0, 0.2, 0.0, 0.0]),
            "cs01_max": np.array([0.25, 0.1, 0.25, 0.1])}
    with pytest.raises(ch.InfeasibleError, match=r"period 2021-02-26: .*'CDX HY'.*cs01_min 0.2 > cs01_max 0.1"):
        problem.update({**_period_data(market, universe), **data})


def _period_data(market, universe):
    from cdshedge_cvx.credit._conventions import get_conventions
    from cdshedge_cvx.periods import PeriodBuilder

    builder = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, get_conventions("market"),
                            "W-FRI")
    return dict(builder.build(builder.periods[0]))


def test_a_failing_solver_falls_back_and_says_so(market, universe) -> None:
    reference = ch.backtest(market, universe, VARIANCE, horizon="W-FRI")
    assert set(reference.solver_info["solver"]) == {"ACTIVE-SET"}  # the exact box-QP path
    # one OSQP iteration cannot converge: the documented fallback (CLARABEL) answers
    result = ch.backtest(market, universe, VARIANCE, horizon="W-FRI", solver_options={"max_iter": 1}, **CVXPY_PATH)
    info = result.solver_info
    assert set(info["solver"]) == {"CLARABEL"}
    assert all(text.startswith("OSQP: status") for text in info["fallback"])
    assert all(r.solution.fallback_from == [info["fallback"].iloc[0]] for r in result.records)
    assert result.summary()["fallbacks"] == 2
    np.testing.assert_allclose(result.allocations, reference.allocations, atol=1e-6)
    assert result.cross_check["ok"].all()  # scipy agrees with the fallback's answer


def _patched_solve(monkeypatch, change):
    """Make ``cp.Problem.solve`` call ``change(problem, solver)`` after the real solve."""
    original = cp.Problem.solve

    def solve(self, *args, **kwargs):
        value = original(self, *args, **kwargs)
        change(self, kwargs.get("solver"))
        return value

    monkeypatch.setattr(cp.Problem, "solve", solve)


@pytest.mark.parametrize(("corruption", "recorded"), [
    (lambda h: h + 1.0, "outside its CS01 limits"),  # every upper limit is ≤ 0.25
    (lambda h: h - 1e-5, "outside its CS01 limits"),  # some sit on cs01_min = 0; beyond BOX_PROJECTION_TOLERANCE
    (lambda h: h * np.nan, "non-finite hedge"),
], ids=["far-outside", "just-outside", "nan"])
def test_an_answer_that_breaks_the_limits_is_refused(market, universe, monkeypatch, corruption, recorded) -> None:
    def corrupt(problem, solver):
        if solver == "OSQP":
            variable = problem.variables()[0]
            variable.save_value(corruption(np.asarray(variable.value)))  # bypasses CVXPY's own checks

    _patched_solve(monkeypatch, corrupt)
    result = ch.backtest(market, universe, VARIANCE, horizon="W-FRI", **CVXPY_PATH)
    assert set(result.solver_info["solver"]) == {"CLARABEL"}
    assert all(recorded in text for text in result.solver_info["fallback"])
    lower, upper = universe.lower, universe.upper
    assert ((result.allocations >= lower) & (result.allocations <= upper)).all().all()


def test_when_every_solver_fails_the_error_names_the_period(market, universe, monkeypatch) -> None:
    def fail(self, *args, **kwargs):
        raise cp.error.SolverError(f"Solver '{kwargs.get('solver')}' failed.")

    monkeypatch.setattr(cp.Problem, "solve", fail)
    with pytest.raises(ch.SolverError) as info:
        ch.backtest(market, universe, VARIANCE, horizon="W-FRI", **CVXPY_PATH)
    message = str(info.value)
    assert f"period {FIRST_PERIOD}: no solver found an optimal hedge" in message
    for solver in ("OSQP", "CLARABEL", "SCS"):
        assert f"{solver}: Solver '{solver}' failed." in message


def test_inaccurate_status_is_a_failure_not_an_answer(market, universe, monkeypatch) -> None:
    def inaccurate(problem, solver):
        problem._status = cp.OPTIMAL_INACCURATE

    _patched_solve(monkeypatch, inaccurate)
    with pytest.raises(ch.SolverError, match=f"period {FIRST_PERIOD}: .*OSQP: status optimal_inaccurate"):
        ch.backtest(market, universe, VARIANCE, horizon="W-FRI", **CVXPY_PATH)


BROKEN_TERM = '''
from cdshedge_cvx.model import HedgePnL


class Liar(HedgePnL):
    """Hedge PnL whose numpy twin has the wrong sign (a deliberately broken term)."""

    def value(self, h, data):
        return -super().value(h, data)

    def gradient(self, h, data):
        return -super().gradient(h, data)
'''


def _run_with_broken_term(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "broken_terms.py").write_text(BROKEN_TERM)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    args = ["run", "--spreads", DATA / "spreads.csv", "--desk-pnl", DATA / "desk_pnl.csv", "--instruments",
            DATA / "instruments.csv", "--horizon", "W-FRI",
            "--term-module", "broken_terms", "--objective", "liar - carry - roll", "--quiet", *extra]
    return subprocess.run([sys.executable, "-m", "cdshedge_cvx", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=120)


def test_strict_turns_a_cross_check_disagreement_into_exit_3(tmp_path: Path) -> None:
    out = tmp_path / "allocations.csv"
    proc = _run_with_broken_term(tmp_path, "--strict", "--out", str(out))
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert f"period {FIRST_PERIOD}: scipy cross-check:" in proc.stderr
    assert not out.exists()


def test_without_strict_the_disagreement_is_reported(tmp_path: Path) -> None:
    proc = _run_with_broken_term(tmp_path)
    assert proc.returncode == 0, proc.stderr
    flagged = re.search(r"(\d+) period\(s\) out of tolerance", proc.stdout)
    assert flagged is not None and int(flagged.group(1)) >= 1, proc.stdout


def test_strict_api_raises_cross_check_error(market, universe) -> None:
    from cdshedge_cvx.model import HedgePnL

    class Liar(HedgePnL):
        def value(self, h, data):
            return -super().value(h, data)

    with pytest.raises(ch.CrossCheckError, match=f"period {FIRST_PERIOD}: scipy cross-check"):
        ch.backtest(market, universe, Liar() - ch.Carry(), horizon="W-FRI", strict=True)


def test_a_twin_that_raises_names_the_term_and_the_period(market, universe) -> None:
    from cdshedge_cvx.model import HedgePnL

    class Crashing(HedgePnL):
        def value(self, h, data):
            raise ZeroDivisionError("division by zero")

    with pytest.raises(ch.SpecificationError, match=f"term Crashing, period {FIRST_PERIOD}: .*ZeroDivisionError"):
        ch.backtest(market, universe, Crashing() - ch.Carry(), horizon="W-FRI")


def test_a_twin_that_returns_nan_is_a_disagreement(market, universe) -> None:
    from cdshedge_cvx.model import HedgePnL

    class NotANumber(HedgePnL):
        def value(self, h, data):
            return float("nan")

    with pytest.raises(ch.CrossCheckError, match="numpy value is not finite"):
        ch.backtest(market, universe, NotANumber() - ch.Carry(), horizon="W-FRI", strict=True)


def test_the_box_may_be_listed_after_other_limits(market, universe) -> None:
    forced = universe.with_limits(lower=FORCED_LOWER)
    with pytest.raises(ch.InfeasibleError,
                       match=r"GrossLimit\(max_gross=0.2, allow_mixed_currency=True\) with the CS01 box.*CDX IG"):
        ch.backtest(market, forced, VARIANCE, horizon="W-FRI",
                    constraints=[ch.GrossLimit(0.2, allow_mixed_currency=True), ch.BoxLimits()])
    result = ch.backtest(market, forced, VARIANCE, horizon="W-FRI",
                         constraints=[ch.GrossLimit(0.3, allow_mixed_currency=True), ch.BoxLimits()],
                         cross_check=False)
    np.testing.assert_allclose(result.allocations.to_numpy(), np.tile(FORCED_LOWER, (2, 1)), rtol=0, atol=1e-7)


def test_an_answer_within_the_solver_tolerance_of_the_box_is_projected_onto_it(market, universe, monkeypatch) -> None:
    """5e-9 outside the box is an iterative solver's tolerance, not a failure: the answer is kept and
    projected exactly onto the limits (the property test of check_term found this on OSQP/Clarabel)."""
    def nudge(problem, solver):
        if solver == "OSQP":
            variable = problem.variables()[0]
            variable.save_value(np.asarray(variable.value) - 5e-9)

    _patched_solve(monkeypatch, nudge)
    result = ch.backtest(market, universe, VARIANCE, horizon="W-FRI", **CVXPY_PATH)
    assert set(result.solver_info["solver"]) == {"OSQP"}
    assert ((result.allocations >= universe.lower) & (result.allocations <= universe.upper)).all().all()


def test_an_unbounded_verdict_is_a_solver_failure_not_an_answer(market, universe, monkeypatch) -> None:
    """HiGHS once called a boxed LP unbounded (found by the docs' check_term example): the CS01 box is
    finite, so the verdict is recorded as a failure and the fallback solver answers."""
    def misfire(problem, solver):
        if solver == "HIGHS":
            problem._status = cp.UNBOUNDED

    _patched_solve(monkeypatch, misfire)
    result = ch.backtest(market, universe, ch.HedgePnL() - ch.Carry(),
                         constraints=[ch.GrossLimit(10.0, allow_mixed_currency=True)],
                         horizon="W-FRI", cross_check=False)  # a linear program: HiGHS first
    assert set(result.solver_info["solver"]) == {"CLARABEL"}
    assert all("HIGHS: status unbounded" in text for text in result.solver_info["fallback"])
