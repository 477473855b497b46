"""Per-group shadow prices of the jump-to-default limit (issue 12, item 8: "with its shadow price").

Each index (or overlap group) has its own bound |Σ_{i∈g} jtd_i h_i| ≤ L; its price d optimum / d L_g is
reported per period in ``result.shadow_prices_long`` (one row per group) on the lifted-QP path and on the
CVXPY path. The reference is independent of every dual: the optimum of the same objective re-solved by
Clarabel with ONE group's bound moved by ±ε (central difference), and the package's whole-limit re-solve
at L ± ε for the sum. On main the long table had one row per limit (the sum) and no ``group`` column.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx as ch

LIMIT = 1.2
OBJECTIVE = ch.HedgePnL() - 1.0 * ch.VariancePenalty()
PATHS = {"lifted-qp": {"direct_qp": True}, "solver": {"direct_qp": False, "solver": "CLARABEL"}}
TIGHT = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12}


@pytest.fixture(scope="module")
def market() -> ch.MarketData:
    """A desk short 0.10 $mm/bp of IG and 0.08 of HY spread risk: the minimum-variance hedge buys both, and its
    jump-to-default (≈ 10.6 and 17.5 $mm per unit CS01) runs into a limit of 1.2 $mm on one index or both."""
    dates = pd.bdate_range("2023-01-02", "2024-06-28")
    rng = np.random.default_rng(7)
    spreads = pd.DataFrame({"CDX IG": 60 + 0.3 * np.cumsum(rng.normal(0, 1.0, len(dates))),
                            "CDX HY": 350 + 0.3 * np.cumsum(rng.normal(0, 5.0, len(dates)))}, index=dates)
    changes = spreads.diff().fillna(0.0)
    desk = -(0.10 * changes["CDX IG"] + 0.08 * changes["CDX HY"]) + rng.normal(0, 0.05, len(dates))
    return ch.MarketData(spreads, desk, rates=ch.RateQuotes.flat(0.045))


@pytest.fixture(scope="module")
def universe() -> ch.Universe:
    standard = ch.standard_universe()
    return ch.Universe([standard["CDX IG"].replace(cs01_min=-1.0, cs01_max=1.0),
                        standard["CDX HY"].replace(cs01_min=-1.0, cs01_max=1.0, quote="spread")])


def _backtest(market, universe, path: str, limit: ch.JumpToDefaultLimit) -> ch.HedgeResult:
    result = ch.backtest(market, universe, OBJECTIVE, constraints=[limit], horizon="Q", cross_check=False,
                         **PATHS[path])
    assert set(result.solver_info["path"]) == {path}
    return result


@pytest.fixture(scope="module", params=list(PATHS))
def solved(request, market, universe):
    return request.param, _backtest(market, universe, request.param, ch.JumpToDefaultLimit(LIMIT))


def _group_prices(result: ch.HedgeResult) -> pd.DataFrame:
    """periods × groups, from the long table's group rows."""
    long = result.shadow_prices_long
    rows = long[long["group"].notna()]
    assert set(rows["constraint"]) == {"JumpToDefaultLimit"} and rows["instrument"].isna().all()
    return rows.pivot(index="period_end", columns="group", values="shadow_price")


def _reference_group_slopes(problem: ch.HedgeProblem, exposure: np.ndarray, epsilon: float) -> tuple[float, np.ndarray]:
    """d optimum / d L_g by central difference: the problem's own objective (its Parameters as written by
    ``update``) and CS01 box, maximised by Clarabel under |exposure_g · h| ≤ L_g with one L_g moved by ±ε;
    also the optimum at L."""
    h = problem.h_
    lower, upper = problem.compiled.box_bounds()
    bounds = cp.Parameter(len(exposure))
    reference = cp.Problem(cp.Maximize(problem.objective_expr_),
                           [h >= lower, h <= upper, cp.abs(exposure @ h) <= bounds])

    def optimum(shift: np.ndarray) -> float:
        bounds.value = LIMIT + shift
        reference.solve(solver="CLARABEL", **TIGHT)
        assert reference.status == cp.OPTIMAL
        return float(reference.value)

    slopes, at_limit = [], optimum(np.zeros(len(exposure)))
    for g in range(len(exposure)):
        step = np.zeros(len(exposure))
        step[g] = epsilon
        low, mid, high = optimum(-step), optimum(0 * step), optimum(step)
        left, right = (mid - low) / epsilon, (high - mid) / epsilon
        assert abs(left - right) <= 1e-3 * max(1.0, abs(left)), "the active set changes within ±ε"
        slopes.append((high - low) / (2 * epsilon))
    return at_limit, np.array(slopes)


def test_each_group_price_is_the_change_of_the_optimum_per_unit_of_that_groups_bound(solved, universe):
    path, result = solved
    prices = _group_prices(result)[universe.names]  # default grouping: each index its own group
    problem = ch.HedgeProblem(universe, OBJECTIVE, [ch.JumpToDefaultLimit(LIMIT)]).build()
    problem.reset()
    checked = 0
    for record in result.records:
        problem.update(record.data)  # in order: the variance term's rolling window as in the backtest
        exposure = np.diag(ch.model.jump_to_default_per_cs01(record.data))
        at_limit, slopes = _reference_group_slopes(problem, exposure, epsilon=1e-3)
        assert at_limit == pytest.approx(record.solution.objective, rel=1e-8, abs=1e-10)  # the same problem
        reported = prices.loc[record.data["period_end"]].to_numpy()
        np.testing.assert_allclose(reported, slopes, rtol=1e-5, atol=1e-8, err_msg=f"{path}, {record.solution.period}")
        checked += int(np.any(np.abs(slopes) > 1e-6))
    assert checked >= 3  # the limit binds in most periods


def test_the_groups_sum_to_the_limits_column_and_to_the_whole_limit_bump(solved, market, universe):
    path, result = solved
    prices = _group_prices(result)
    np.testing.assert_allclose(prices.sum(axis=1), result.shadow_prices["JumpToDefaultLimit"], rtol=1e-12, atol=1e-15)
    epsilon = 1e-3
    up = _backtest(market, universe, path, ch.JumpToDefaultLimit(LIMIT + epsilon))
    down = _backtest(market, universe, path, ch.JumpToDefaultLimit(LIMIT - epsilon))
    objective = np.array([[r.solution.objective for r in x.records] for x in (down, up)])
    np.testing.assert_allclose(prices.sum(axis=1), (objective[1] - objective[0]) / (2 * epsilon), rtol=1e-5,
                               atol=1e-8)


def test_of_two_groups_only_the_binding_one_has_a_price(solved, universe):
    _, result = solved
    record = result.records[-1]  # IG's default exposure is at the limit, HY's inside it
    exposure = ch.model.jump_to_default_per_cs01(record.data) * record.solution.h
    assert abs(exposure[0]) == pytest.approx(LIMIT, rel=1e-7) and abs(exposure[1]) < LIMIT - 0.1
    prices = _group_prices(result).loc[record.data["period_end"]]
    assert prices["CDX IG"] > 1e-3
    assert prices["CDX HY"] == pytest.approx(0.0, abs=1e-8)


@pytest.mark.parametrize("path", list(PATHS))
def test_an_overlap_group_has_one_price_under_its_label(path, market, universe):
    limit = ch.JumpToDefaultLimit(LIMIT, groups=[["CDX IG", "CDX HY"]])
    result = _backtest(market, universe, path, limit)
    prices = _group_prices(result)
    assert list(prices.columns) == ["CDX IG + CDX HY"]
    np.testing.assert_allclose(prices["CDX IG + CDX HY"], result.shadow_prices["JumpToDefaultLimit"], rtol=1e-12)
    epsilon = 1e-3
    up = _backtest(market, universe, path, ch.JumpToDefaultLimit(LIMIT + epsilon, groups=[["CDX IG", "CDX HY"]]))
    down = _backtest(market, universe, path, ch.JumpToDefaultLimit(LIMIT - epsilon, groups=[["CDX IG", "CDX HY"]]))
    change = np.array([(u.solution.objective - d.solution.objective) / (2 * epsilon)
                       for u, d in zip(up.records, down.records)])
    np.testing.assert_allclose(prices["CDX IG + CDX HY"], change, rtol=1e-5, atol=1e-8)


def test_other_limits_keep_one_row_without_a_group(market, universe):
    result = ch.backtest(market, universe, OBJECTIVE, constraints=[ch.JumpToDefaultLimit(LIMIT), ch.GrossLimit(0.2)],
                         horizon="Q", cross_check=False)
    long = result.shadow_prices_long
    assert list(long.columns) == ["period_end", "constraint", "instrument", "group", "shadow_price"]
    gross = long[long["constraint"] == "GrossLimit"]
    assert len(gross) == len(result.records) and gross["group"].isna().all() and gross["instrument"].isna().all()
    box = long[long["constraint"] == "BoxLimits"]
    assert box["group"].isna().all() and list(box["instrument"][:2]) == universe.names


def test_the_solutions_price_stays_a_number_carrying_its_groups(solved):
    """``solution.shadow_prices["JumpToDefaultLimit"]`` is still d optimum / dL (a float), the groups ride along
    and survive a pickle (results cross processes in parallel backtests)."""
    import pickle

    _, result = solved
    price = result.records[-2].solution.shadow_prices["JumpToDefaultLimit"]
    assert isinstance(price, float) and price == pytest.approx(sum(price.groups.values()), rel=1e-12)
    assert list(price.groups) == ["CDX IG", "CDX HY"]
    copy = pickle.loads(pickle.dumps(price))
    assert float(copy) == float(price) and copy.groups == price.groups
