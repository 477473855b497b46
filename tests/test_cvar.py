"""CVaR term and limit: contract checks, an independent LP (scipy.optimize.linprog) on the same scenarios,
the empirical tail mean of the realised hedge, user scenario files and infeasible limits."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

import cdshedge_cvx as ch
from cdshedge_cvx.testing import check_constraint, check_term


def test_cvar_keeps_its_contract():
    # length 2: the hyperparameter check halves every number (length 1 would become 0.5, not a row count)
    report = check_term(ch.CVaR(alpha=0.8, count=2, length=2), max_examples=8)
    assert report.sign == "-"
    assert "check_hyperparameter_change_after_build" not in " ".join(report.skipped)


def test_cvar_limit_keeps_its_contract():
    report = check_constraint(ch.CVaRLimit(5.0, alpha=0.5, count=2, length=2), max_examples=8)
    assert "check_hyperparameter_change_after_build" not in " ".join(report.skipped)


def _period(rows=40, n=3, seed=0):
    rng = np.random.default_rng(seed)
    changes = rng.standard_t(3, size=(rows, n)) * 5.0
    desk = changes @ np.array([-0.4, 0.2, -0.1])[:n] + rng.normal(size=rows)
    return ch.PeriodData({"risk_changes": changes, "risk_desk_pnl": desk, "pnl_scale": 1.0,
                          "fx_rate": np.ones(n), "instruments": [f"i{k}" for k in range(n)], "period": "2024-01-31",
                          "cs01_min": -np.ones(n), "cs01_max": np.ones(n)})


def _ru_linprog(desk, hedge, alpha, lower, upper, linear=None):
    """min_h,z,u  z + 1/((1−α)S) Σu − c·h  s.t. u ≥ −(d + R h) − z, u ≥ 0 (Rockafellar–Uryasev), by linprog."""
    S, n = hedge.shape
    c = np.concatenate([-(linear if linear is not None else np.zeros(n)), [1.0], np.full(S, 1.0 / ((1 - alpha) * S))])
    A = np.hstack([-hedge, -np.ones((S, 1)), -np.eye(S)])
    bounds = list(zip(lower, upper)) + [(None, None)] + [(0, None)] * S
    res = linprog(c, A_ub=A, b_ub=desk, bounds=bounds, method="highs")
    assert res.status == 0
    return res.x[:n], res.fun


@pytest.mark.parametrize("alpha,count,length", [(0.95, 30, 1), (0.9, 21, 5), (0.75, 36, 3)])
def test_cvar_optimum_equals_a_direct_linprog(alpha, count, length):
    data = _period()
    term = ch.CVaR(alpha=alpha, count=count, length=length)
    # the scenarios written independently: sums of `length` consecutive rows, the last `count` windows
    desk, changes = data["risk_desk_pnl"], data["risk_changes"]
    rows = desk.size
    windows = [slice(end - length, end) for end in range(rows - count + 1, rows + 1)]
    d = np.array([desk[w].sum() for w in windows])
    R = np.array([changes[w].sum(axis=0) for w in windows])
    _, cvar_lp = _ru_linprog(d, R, alpha, data["cs01_min"], data["cs01_max"])
    problem = ch.HedgeProblem(3, -term).build()
    problem.update(data)
    solution = problem.solve()
    assert -solution.objective == pytest.approx(cvar_lp, rel=1e-6, abs=1e-8)
    assert term.value(solution.h, data) == pytest.approx(cvar_lp, rel=1e-6, abs=1e-8)
    # the empirical tail mean of the realised hedged PnL (when (1−α)·S is whole)
    losses = -(d + R @ solution.h)
    k = (1 - alpha) * count
    if abs(k - round(k)) < 1e-9:
        assert np.mean(np.sort(losses)[::-1][:round(k)]) == pytest.approx(cvar_lp, rel=1e-6, abs=1e-8)


def test_cvar_limit_holds_and_matches_linprog():
    data = _period(seed=3)
    limit = ch.CVaRLimit(4.0, alpha=0.9, count=30)
    direction = np.array([1.0, -0.5, 0.3])
    problem = ch.HedgeProblem(3, ch.HedgePnL(), [limit]).build()
    problem.update(data.replace(expected_change=direction))
    solution = problem.solve()
    d, R = data["risk_desk_pnl"][-30:], data["risk_changes"][-30:]
    losses = -(d + R @ solution.h)
    assert np.mean(np.sort(losses)[::-1][:3]) <= 4.0 + 1e-6
    # linprog: max c·h s.t. z + Σu/(0.1·30) ≤ 4, u ≥ L − z, u ≥ 0
    n, S = 3, 30
    c = np.concatenate([-direction, [0.0], np.zeros(S)])
    A = np.vstack([np.hstack([-R, -np.ones((S, 1)), -np.eye(S)]),
                   np.concatenate([np.zeros(n), [1.0], np.full(S, 1 / 3)])[None, :]])
    b = np.concatenate([d, [4.0]])
    res = linprog(c, A_ub=A, b_ub=b, bounds=[(-1, 1)] * n + [(None, None)] + [(0, None)] * S, method="highs")
    assert -res.fun == pytest.approx(direction @ solution.h, rel=1e-6, abs=1e-8)
    assert solution.shadow_prices["CVaRLimit"] is not None


def test_infeasible_cvar_limit_names_the_period():
    data = _period().replace(expected_change=np.ones(3))
    problem = ch.HedgeProblem(3, ch.HedgePnL(), [ch.CVaRLimit(-1e6, alpha=0.9, count=30)]).build()
    problem.update(data)
    with pytest.raises(ch.InfeasibleError, match="period 2024-01-31") as info:
        problem.solve()
    assert "\n" not in str(info.value)


def _windows(data, count, length):
    desk, changes = data["risk_desk_pnl"], data["risk_changes"]
    ends = range(desk.size - count + 1, desk.size + 1)
    return (np.array([desk[end - length:end].sum() for end in ends]),
            np.array([changes[end - length:end].sum(axis=0) for end in ends]))


def test_alpha_and_count_change_on_a_compiled_problem_take_effect():
    """alpha, count (down to fewer rows) and length are Parameters: changed on a compiled problem, the next
    solve is the Rockafellar–Uryasev LP of the new values (linprog), without recompiling."""
    data = _period()
    problem = ch.HedgeProblem(3, -ch.CVaR(alpha=0.9, count=30)).build()
    problem.update(data)
    problem.solve()
    compiled_problem = problem.compiled.problem
    for alpha, count, length in [(0.5, 30, 1), (0.95, 20, 1), (0.8, 12, 3)]:
        for _, compiled_term in problem.compiled.entries:
            compiled_term.alpha, compiled_term.count, compiled_term.length = alpha, count, length
        problem.update(data)
        solution = problem.solve()
        assert problem.compiled.problem is compiled_problem
        d, R = _windows(data, count, length)
        _, cvar_lp = _ru_linprog(d, R, alpha, data["cs01_min"], data["cs01_max"])
        assert -solution.objective == pytest.approx(cvar_lp, rel=1e-6, abs=1e-8)


def test_more_scenarios_than_compiled_are_refused():
    data = _period()
    problem = ch.HedgeProblem(3, -ch.CVaR(alpha=0.9, count=20)).build()
    for _, compiled_term in problem.compiled.entries:
        compiled_term.count = 30
    with pytest.raises(ch.SpecificationError, match="compiled for 20 scenarios and now has 30") as info:
        problem.update(data)
    assert "\n" not in str(info.value)


def test_user_scenarios_from_a_csv(tmp_path):
    path = tmp_path / "stress.csv"
    pd.DataFrame({"name": ["march2020", "calm", "gfc"], "desk_pnl": [-30.0, 1.0, -20.0],
                  "i0": [100.0, -2.0, 80.0], "i1": [300.0, 5.0, 250.0], "i2": [50.0, 0.0, 40.0]}
                 ).to_csv(path, index=False)
    data = _period()
    term = ch.CVaR(alpha=0.5, scenarios=str(path))
    problem = ch.HedgeProblem(3, -term).build()
    problem.update(data)
    solution = problem.solve()
    d = np.array([-30.0, 1.0, -20.0])
    R = np.array([[100.0, 300.0, 50.0], [-2.0, 5.0, 0.0], [80.0, 250.0, 40.0]])
    _, cvar_lp = _ru_linprog(d, R, 0.5, -np.ones(3), np.ones(3))
    assert -solution.objective == pytest.approx(cvar_lp, rel=1e-6, abs=1e-8)


def test_bad_scenario_file_is_one_line_naming_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("name,desk_pnl,i0,i1,i2\nmarch,-30,100,abc,50\n")
    with pytest.raises(ch.DataError, match=r"line 2, column 'i1'") as info:
        ch.HedgeProblem(3, -ch.CVaR(scenarios=str(path))).build()
    assert "\n" not in str(info.value)
    path.write_text("name,i0,i1,i2\nmarch,100,1,50\n")
    with pytest.raises(ch.DataError, match="desk_pnl"):
        ch.HedgeProblem(3, -ch.CVaR(scenarios=str(path))).build()


def test_cvar_objective_on_the_command_line_words():
    objective = ch.model.parse_objective("pnl - carry - 2*cvar")
    names = [type(term).__name__ for _, term in objective.entries] if hasattr(objective, "entries") else []
    assert "CVaR" in names or "CVaR" in repr(objective)


def test_cvar_backtest_walk_forward_uses_past_rows_only():
    market, universe = ch.examples.market()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ch.CrossCheckWarning)
        result = ch.backtest(market, universe, ch.HedgePnL() - ch.Carry() - 2 * ch.CVaR(count=60, length=5),
                             horizon="Q", mode="walk-forward", min_history=64)
    assert np.isfinite(result.allocations.to_numpy()).all()


def test_cvar_limit_shadow_price_is_the_derivative():
    data = _period(seed=3).replace(expected_change=np.array([1.0, -0.5, 0.3]))

    def solve(limit):
        problem = ch.HedgeProblem(3, ch.HedgePnL() - 0.5 * ch.RidgePenalty(), [ch.CVaRLimit(limit, alpha=0.9,
                                                                                          count=30)]).build()
        problem.update(data)
        return problem.solve()

    eps = 1e-4
    price = float(np.sum(solve(4.0).shadow_prices["CVaRLimit"]))
    central = (solve(4.0 + eps).objective - solve(4.0 - eps).objective) / (2 * eps)
    assert price > 1e-6
    assert price == pytest.approx(central, rel=1e-3, abs=1e-6)


@pytest.mark.parametrize("limit", [False, True])
def test_scipy_cross_check_resolves_cvar_cold_through_its_lp_form(limit):
    """The cold cross-check re-solves a CVaR problem with SLSQP on the Rockafellar–Uryasev LP of scipy_form()
    (no CVXPY expression read) and lands on the package's answer; the form's minimum over t is the twin's value."""
    from cdshedge_cvx.crosscheck import cross_check

    data = _period(seed=5).replace(expected_change=np.array([1.0, -0.5, 0.3]))
    term, constraints = ch.CVaR(alpha=0.9, count=30, gamma=2.0), []
    if limit:
        term, constraints = ch.RidgePenalty(), [ch.CVaRLimit(6.0, alpha=0.9, count=30)]
    problem = ch.HedgePnL() - term
    compiled = ch.HedgeProblem(3, problem, constraints).build()
    compiled.update(data)
    solution = compiled.solve()
    check = cross_check(compiled, data, solution.h, solution.objective, strict=True)
    assert check.ok and check.allocation_gap < 1e-5
    part = constraints[0] if limit else term
    form = part.scipy_form(data)
    assert form.lifting is not None and form.m == 32
    h = solution.h
    if not limit:
        assert form.weights @ form.lift(h) == pytest.approx(term.value(h, data), rel=1e-12)
    res = linprog(form.weights if not limit else np.zeros(form.m), A_ub=form.G_t, b_ub=form.g - form.G_h @ h,
                  bounds=[(0, None)] * form.m, method="highs")
    assert res.status == 0
    if not limit:
        assert res.fun == pytest.approx(term.value(h, data), rel=1e-9)
