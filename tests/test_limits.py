"""Gross, net, jump-to-default and turnover limits: they hold, their shadow prices are the change of
the optimum per unit of limit (checked by bump-and-resolve), impossible combinations are refused
naming the period and the limits, and the scipy cross-check agrees with CVXPY on them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from generated import generated_market, wide_universe
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx.cli import main
from cdshedge_cvx.model import jump_to_default_per_cs01
from cdshedge_cvx.testing import period_data, universes

OBJECTIVE = ch.HedgePnL() - ch.Carry() - ch.Roll() - ch.VariancePenalty()


@pytest.fixture(scope="module")
def period():
    """A hindsight period of a desk long 0.8/0.15/0.5/0.08 $mm/bp of risk, held from zero."""
    market = generated_market(seed=31, days=90)
    result = ch.backtest(market, wide_universe(), OBJECTIVE, horizon="M", mode="walk-forward", window=40,
                         cross_check=False)
    return result.records[0].data


def gross(h, data):
    return float(np.sum(np.abs(h)))


def net(h, data):
    return float(np.sum(h))


def jtd(h, data):
    """The worst single-name default: one index at a time (the indices share no names)."""
    return float(np.max(np.abs(jump_to_default_per_cs01(data) * h)))


def turnover(h, data):
    return float(np.sum(np.abs(h - data["h_prev"])))


def _solve(data, constraints, objective=OBJECTIVE):
    problem = ch.HedgeProblem(wide_universe(), objective, constraints).build()
    problem.update(data)
    return problem.solve()


def _free(period):
    return _solve(period, []).h


# (limit factory from a value, measure, which side binds, limit value as a fraction of the free hedge's measure)
CASES = {
    "gross": (lambda v: ch.GrossLimit(v, allow_mixed_currency=True), gross, 1.0, 0.5),
    "net-upper": (lambda v: ch.NetLimit(upper=v, allow_mixed_currency=True), net, 1.0, 0.5),
    "net-lower": (lambda v: ch.NetLimit(lower=v, allow_mixed_currency=True), net, -1.0, 1.5),
    "jtd": (lambda v: ch.JumpToDefaultLimit(v), jtd, 1.0, 0.4),
    "turnover": (lambda v: ch.TurnoverLimit(v), turnover, 1.0, 0.3),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_limit_holds_binds_and_its_shadow_price_is_a_finite_difference(period, case):
    make, measure, side, fraction = CASES[case]
    free = _free(period)
    value = fraction * abs(measure(free, period))
    solution = _solve(period, [make(value)])
    # the limit holds and binds (the free hedge is well outside it)
    assert abs(measure(solution.h, period) - value) < 1e-6
    assert solution.objective < _solve(period, []).objective - 1e-6
    # shadow price: d optimum / d limit (a lower bound moves the other way: relaxing it lowers it)
    label = type(make(value)).__name__
    shadow = solution.shadow_prices[label]
    step = 1e-4 * max(1.0, abs(value))
    up = _solve(period, [make(value + side * step)]).objective
    down = _solve(period, [make(value - side * step)]).objective
    finite_difference = side * (up - down) / (2 * step)
    assert shadow == pytest.approx(finite_difference, rel=1e-3, abs=1e-7)
    assert side * shadow > 0


def test_net_limit_shadow_price_shifts_both_bounds(period):
    """With both sides given, the shadow price is d optimum / d (shift of the whole band)."""
    free_net = net(_free(period), period)
    lo, hi = 0.2 * free_net, 0.5 * free_net
    solution = _solve(period, [ch.NetLimit(lower=lo, upper=hi, allow_mixed_currency=True)])
    step = 1e-4
    up = _solve(period, [ch.NetLimit(lower=lo + step, upper=hi + step, allow_mixed_currency=True)]).objective
    down = _solve(period, [ch.NetLimit(lower=lo - step, upper=hi - step, allow_mixed_currency=True)]).objective
    assert solution.shadow_prices["NetLimit"] == pytest.approx((up - down) / (2 * step), rel=1e-3)


def test_backtest_reports_shadow_prices_and_scipy_agrees(period):
    market = generated_market(seed=32, days=110)
    limits = [ch.GrossLimit(1.0, allow_mixed_currency=True),
              ch.NetLimit(lower=0.2, upper=0.9, allow_mixed_currency=True), ch.JumpToDefaultLimit(8.0),
              ch.TurnoverLimit(0.6)]
    result = ch.backtest(market, wide_universe(), OBJECTIVE, constraints=limits, horizon="W-FRI",
                         mode="walk-forward", window=30, strict=True)  # strict: a scipy disagreement raises
    assert set(result.shadow_prices.columns) >= {"GrossLimit", "NetLimit", "JumpToDefaultLimit", "TurnoverLimit"}
    assert (result.cross_check["allocation_gap"] < 1e-4).all()
    for record in result.records:
        h = record.solution.h
        assert gross(h, record.data) <= 1.0 + 1e-7
        assert 0.2 - 1e-7 <= net(h, record.data) <= 0.9 + 1e-7
        assert abs(jtd(h, record.data)) <= 8.0 + 1e-6
        assert turnover(h, record.data) <= 0.6 + 1e-7
    binding = (result.shadow_prices[["GrossLimit", "NetLimit", "JumpToDefaultLimit", "TurnoverLimit"]].abs() > 1e-6)
    assert binding.any(axis=0).sum() >= 2, "the test should make some limits bind"


def test_infeasible_limits_name_the_period_and_the_limits(period):
    with pytest.raises(ch.InfeasibleError, match=r"period \d{4}-\d\d-\d\d: .*NetLimit\(lower=50\.0"):
        _solve(period, [ch.NetLimit(lower=50.0, allow_mixed_currency=True)])
    # each limit is feasible alone with the box; together they are not
    with pytest.raises(ch.InfeasibleError, match=r"period \d{4}-\d\d-\d\d: .*combination.*GrossLimit.*NetLimit"):
        _solve(period, [ch.GrossLimit(0.5, allow_mixed_currency=True),
                        ch.NetLimit(lower=1.0, allow_mixed_currency=True)])
    with pytest.raises(ch.SpecificationError, match="NetLimit: lower 2 > upper 1"):
        _solve(period, [ch.NetLimit(lower=2, upper=1)])
    with pytest.raises(ch.SpecificationError, match="GrossLimit: max_gross must be >= 0"):
        _solve(period, [ch.GrossLimit(-1.0)])


LIMITS = {
    "gross": lambda v: ch.GrossLimit(v),
    "net": lambda v: ch.NetLimit(lower=-v, upper=v / 2),
    "jtd": lambda v: ch.JumpToDefaultLimit(5 * v),
    "turnover": lambda v: ch.TurnoverLimit(v),
}


@settings(max_examples=30)
@given(universes(max_size=4), st.lists(st.sampled_from(sorted(LIMITS)), min_size=1, max_size=3, unique=True),
       st.floats(min_value=0.0, max_value=2.0), st.data())
def test_limits_always_hold_and_scipy_never_beats_cvxpy(universe, names, value, draw):
    data = draw.draw(period_data(universe))
    limits = [LIMITS[name](value) for name in names]
    problem = ch.HedgeProblem(universe, ch.HedgePnL() - ch.Carry() - 0.5 * ch.VariancePenalty(), limits).build()
    problem.update(data)
    try:
        solution = problem.solve()
    except ch.InfeasibleError as exc:
        assert f"period {data['period']}" in str(exc)
        return
    for limit in problem.constraints_:
        assert limit.violation(solution.h, data) <= 1e-6 * (1 + value)
    best = problem.twin_objective(solution.h, data)
    h_scipy, scipy_value = ch.scipy_solve(problem.entries_, problem.constraints_, data)
    assume(all(limit.violation(h_scipy, data) <= 1e-8 for limit in problem.constraints_))
    assert scipy_value <= best + 1e-6 * (1 + abs(best))


def test_cli_limit_flags(capsys, tmp_path):
    out = tmp_path / "alloc.csv"
    instruments = tmp_path / "instruments.csv"
    universe = ch.examples.spread_quoted(ch.standard_universe())
    universe.with_limits(lower=[0.0] * 4, upper=[2.0] * 4).to_frame().to_csv(
        instruments, index=False)
    code = main(["run", "--example", "market", "--instruments", str(instruments), "--mode", "walk-forward",
                 "--objective=-variance", "--gross-limit", "1.2", "--net-limit", ",1.0", "--turnover-limit",
                 "0.5", "--jtd-limit", "12", "--out", str(out), "--quiet"])
    assert code == 0
    allocations = pd.read_csv(out, index_col=0, parse_dates=True)
    # gross and net limits are in the reporting currency (USD): iTraxx CS01 (EUR) at EURUSD of the base date,
    # which is the previous period's last date (the first period is left out: its base is not in the file)
    market, _ = ch.examples.market()
    eurusd = market.fx.iloc[:, 0]
    rates = np.array([float(eurusd.asof(day)) for day in allocations.index[:-1]])
    usd = allocations.iloc[1:].copy()
    usd[["iTraxx Main", "iTraxx Xover"]] = usd[["iTraxx Main", "iTraxx Xover"]].mul(rates, axis=0)
    assert (usd.abs().sum(axis=1) <= 1.2 + 1e-6).all()
    assert (usd.sum(axis=1) <= 1.0 + 1e-6).all()
    assert (allocations.diff().abs().sum(axis=1).iloc[1:] <= 0.5 + 1e-6).all()
    printed = capsys.readouterr().out
    assert "mean shadow price of the limits" in printed and "GrossLimit" in printed
    assert main(["run", "--example", "seed", "--net-limit", "x,1", "--quiet"]) == 2
    assert "--net-limit: 'x' is not a number" in capsys.readouterr().err
    assert main(["run", "--example", "seed", "--net-limit", ",", "--quiet"]) == 2
    # CDX (USD) and iTraxx (EUR) CS01 without FX: refused unless said (issue 14)
    assert main(["run", "--example", "seed", "--gross-limit", "0.1", "--net-limit", "0.5,", "--quiet"]) == 2
    assert main(["run", "--example", "seed", "--gross-limit", "0.1", "--net-limit", "0.5,", "--quiet",
                 "--allow-mixed-currency"]) == 3
    assert "cannot all hold" in capsys.readouterr().err


def test_two_limits_of_one_type_keep_both_shadow_prices():
    market, universe = ch.examples.market()
    result = ch.backtest(market, universe, ch.HedgePnL() - ch.Carry() - 0.05 * ch.VariancePenalty(),
                         constraints=[ch.GrossLimit(0.5), ch.GrossLimit(0.4)], mode="walk-forward", horizon="Q",
                         direct_qp=False, cross_check=False)
    prices = result.shadow_prices
    assert {"GrossLimit", "GrossLimit#2"} <= set(prices.columns)
    gross = [float(np.abs(r.data["fx_rate"] * r.solution.h).sum()) for r in result.records]  # in USD (issue 14)
    binding = pd.Series(gross, index=result.allocations.index) > 0.4 - 1e-7  # the tighter cap binds in these periods
    assert binding.any()
    assert (prices.loc[binding, "GrossLimit#2"] > 1e-6).all()     # the 0.4 cap carries the price
    np.testing.assert_allclose(prices["GrossLimit"], 0.0, atol=1e-6)  # the looser 0.5 cap never binds
