"""Tradeable sizes: whole lots and minimum trades (solve/_mip_path.py), checked against brute force."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.credit._analytics import rpv01
from cdshedge_cvx.crosscheck._lots import enumerate_lots, lot_cross_check
from cdshedge_cvx.datasets import make_market
from cdshedge_cvx.errors import CrossCheckWarning, DataError, InfeasibleError, SpecificationError
from cdshedge_cvx.solve._mip_path import LotSolution, LotSpec

NAMES = ["A", "B", "C"]


def _universe(lot: float | None = 5.0, minimum: float | None = None, upper: float = 0.02,
              names: list[str] = NAMES) -> ch.Universe:
    return ch.Universe([ch.Instrument(name, 100.0, 0.0, upper, maturity_years=5.0, lot_notional=lot,
                                      min_trade_notional=minimum) for name in names])


def _market(n: int = 3, seed: int = 1) -> ch.MarketData:
    return make_market(NAMES[:n], days=130, seed=seed, levels=[80.0, 120.0, 60.0][:n], volatility=2.0,
                       correlation=0.7, exposure=[0.012, 0.008, 0.01][:n], noise=0.005)


def _brute_force(result: ch.HedgeResult, k: int, lots: np.ndarray, minimum: np.ndarray) -> tuple[np.ndarray, float]:
    """The best whole-lot hedge of period k, enumerated here: the lot in CS01 from the notional per CS01 (the ISDA
    figures' notional under the market conventions; the flat-hazard RPV01 written out, N = CS01 / (RPV01 · 1e-4),
    otherwise), every hedge valued by the terms' numpy twins."""
    data = result.records[k].data
    if data["conventions"].contract_model == "isda":
        notional_per_cs01 = np.asarray(data["figures"].notional, dtype=float)
    else:
        notional_per_cs01 = 1.0 / (np.asarray(rpv01(data["spread_start"], data["maturity_years"], data["recovery"]))
                                   * 1e-4)
    step = lots / notional_per_cs01
    h_prev = np.asarray(data["h_prev"], dtype=float)
    ranges = []
    for i in range(len(lots)):
        k_all = np.arange(int(np.ceil((data["cs01_min"][i] - h_prev[i]) / step[i] - 1e-9)),
                          int(np.floor((data["cs01_max"][i] - h_prev[i]) / step[i] + 1e-9)) + 1)
        ranges.append([k for k in k_all if k == 0 or abs(k) * lots[i] >= minimum[i] - 1e-9])
    best, best_h = -np.inf, None
    for combo in itertools.product(*ranges):
        h = h_prev + step * np.asarray(combo, dtype=float)
        value = sum(w * t.value(h, data) for w, t in result.problem.compiled.entries)
        if value > best:
            best, best_h = value, h
    return best_h, float(best)


def test_instrument_fields_are_validated() -> None:
    with pytest.raises(DataError, match=r"instrument 'A'.*lot_notional must be > 0"):
        ch.Instrument("A", 100.0, 0.0, 1.0, lot_notional=0.0)
    with pytest.raises(DataError, match=r"instrument 'A'.*min_trade_notional must be >= 0"):
        ch.Instrument("A", 100.0, 0.0, 1.0, min_trade_notional=-1.0)
    with pytest.raises(DataError, match=r"instrument 'A'.*lot_notional.*finite number"):
        ch.Instrument("A", 100.0, 0.0, 1.0, lot_notional=float("nan"))


def test_csv_columns(tmp_path) -> None:
    path = tmp_path / "instruments.csv"
    path.write_text("instrument,coupon_bp,cs01_min,cs01_max,lot_notional,min_trade_notional\n"
                    "A,100,0,0.25,5,10\nB,100,0,0.25,,\n")
    universe = ch.Universe.from_csv(path)
    assert universe["A"].lot_notional == 5.0 and universe["A"].min_trade_notional == 10.0
    assert universe["B"].lot_notional is None and universe["B"].min_trade_notional is None
    assert ch.Universe.from_frame(universe.to_frame()) == universe
    bad = tmp_path / "bad.csv"
    bad.write_text("instrument,coupon_bp,cs01_min,cs01_max,lot_notional\nA,100,0,0.25,five\n")
    with pytest.raises(DataError, match=r"row 2, column 'lot_notional'"):
        ch.Universe.from_csv(bad)
    bad.write_text("instrument,coupon_bp,cs01_min,cs01_max,lot_notional\nA,100,0,0.25,-5\n")
    with pytest.raises(DataError, match=r"row 2.*lot_notional must be > 0"):
        ch.Universe.from_csv(bad)


def test_off_by_default() -> None:
    universe = ch.standard_universe()
    assert LotSpec.from_universe(universe) is None
    assert "lot_notional" not in universe.to_frame().columns
    problem = ch.HedgeProblem(universe, ch.HedgePnL() - ch.Carry()).build()
    assert all(path.name != "mip" for path in problem.paths_)


@pytest.mark.parametrize("objective", [
    pytest.param(lambda: ch.HedgePnL() - ch.Carry() - 5.0 * ch.VariancePenalty(), id="variance"),
    pytest.param(lambda: -ch.CVaR(alpha=0.9, count=40), id="cvar"),
    pytest.param(lambda: -ch.VariancePenalty() - ch.TransactionCost(), id="variance+tcost"),
])
@pytest.mark.parametrize(("lot", "minimum", "conventions"), [
    (5.0, None, "market"), (5.0, 15.0, "market"), (10.0, None, "market"),
    (5.0, 15.0, ch.MARKET.replace(name="flat", contract_model="flat-hazard"))])
def test_whole_lot_optimum_equals_brute_force(objective, lot, minimum, conventions) -> None:
    universe = _universe(lot=lot, minimum=minimum)
    result = ch.backtest(_market(), universe, objective(), horizon="ME", mode="walk-forward", min_history=40,
                         progress=False, strict=True, conventions=conventions)
    lots = np.full(3, lot)
    floor = np.zeros(3) if minimum is None else np.full(3, minimum)
    for k, record in enumerate(result.records):
        solution = record.solution
        assert isinstance(solution, LotSolution) and solution.path == "mip"
        best_h, best = _brute_force(result, k, lots, floor)
        data = record.data
        twin = sum(w * t.value(solution.h, data) for w, t in result.problem.compiled.entries)
        assert twin == pytest.approx(best, abs=1e-7, rel=1e-7)
        np.testing.assert_allclose(solution.h, best_h, atol=1e-9)
        # whole lots, zero or at least the minimum
        assert np.allclose(solution.lots, np.round(solution.lots), atol=1e-6)
        traded = np.abs(solution.traded_notional)
        assert np.all((traded < 1e-6) | (traded >= floor - 1e-6))
        # the cross-check enumerated and proved it
        assert record.check.method == "enumeration" and record.check.proven and record.check.ok
        assert solution.mip_gap <= 1e-6
        assert solution.rounding_cost >= -1e-7


def test_reports_continuous_optimum_and_relaxation_prices() -> None:
    market, objective = _market(), lambda: ch.HedgePnL() - ch.Carry() - 5.0 * ch.VariancePenalty()
    common = {"horizon": "ME", "mode": "walk-forward", "min_history": 40, "progress": False}
    lots = ch.backtest(market, _universe(lot=5.0), objective(), **common)
    for record in lots.records:  # the continuous optimum the lots were rounded from, for the same holdings
        problem = ch.HedgeProblem(_universe(lot=None), objective()).build()
        problem.update(record.data)
        continuous = problem.solve()
        np.testing.assert_allclose(record.solution.continuous_h, continuous.h, atol=1e-6)
        assert record.solution.continuous_objective == pytest.approx(continuous.objective, abs=1e-7)
        np.testing.assert_allclose(record.solution.shadow_prices["BoxLimits"], continuous.shadow_prices["BoxLimits"],
                                   atol=1e-5)
        assert record.solution.shadow_prices_of == "continuous relaxation"
    table = lots.lots()
    assert list(table.index) == list(lots.allocations.index)
    assert (table["shadow_prices_of"] == "continuous relaxation").all()
    assert (table["rounding_cost"] >= -1e-7).all() and (table["proven"]).all()
    assert {"lots A", "notional A", "mip_gap", "continuous_objective"} <= set(table.columns)
    assert (lots.solver_info["path"] == "mip").all()
    with pytest.raises(SpecificationError, match="trades continuously"):
        ch.backtest(market, _universe(lot=None), objective(), **common).lots()


def test_lots_cost_something_and_coarser_lots_cost_more() -> None:
    market = _market()
    objective = ch.HedgePnL() - ch.Carry() - 5.0 * ch.VariancePenalty()
    common = {"horizon": "ME", "mode": "walk-forward", "min_history": 40, "progress": False, "cross_check": False}
    fine = ch.backtest(market, _universe(lot=1.0), objective, **common).lots()["rounding_cost"].sum()
    coarse = ch.backtest(market, _universe(lot=10.0), objective, **common).lots()["rounding_cost"].sum()
    assert 0.0 <= fine < coarse


def test_min_trade_without_lot_is_semicontinuous() -> None:
    universe = _universe(lot=None, minimum=30.0)
    result = ch.backtest(_market(), universe, ch.HedgePnL() - ch.Carry() - 5.0 * ch.VariancePenalty(), horizon="ME",
                         mode="walk-forward", min_history=40, progress=False)
    traded = np.abs(result.lots().filter(like="notional ").to_numpy())
    assert np.all((traded < 1e-6) | (traded >= 30.0 - 1e-6))
    assert (traded > 1e-6).any()
    assert (result.cross_check["message"] == "").all()  # the relaxation bound: continuous instruments


def test_no_whole_lot_fits_is_infeasible_naming_the_period() -> None:
    # the box [0.0101, 0.0109] CS01 is narrower than one 25mm lot (~0.012 CS01): no whole-lot hedge from 0
    universe = ch.Universe([ch.Instrument(n, 100.0, 0.0101, 0.0109, maturity_years=5.0, lot_notional=25.0)
                            for n in NAMES])
    with pytest.raises(InfeasibleError, match=r"period \d{4}-\d{2}-\d{2}: no whole-lot trade meets the limits"):
        ch.backtest(_market(), universe, ch.HedgePnL(), horizon="ME", progress=False)


def test_cross_check_catches_a_suboptimal_whole_lot_answer() -> None:
    universe = _universe(lot=5.0)
    result = ch.backtest(_market(), universe, ch.HedgePnL() - ch.Carry() - 5.0 * ch.VariancePenalty(), horizon="ME",
                         mode="walk-forward", min_history=40, progress=False)
    record = result.records[0]
    h_best, _, count = enumerate_lots(result.problem, record.data)
    assert count > 10
    np.testing.assert_allclose(record.solution.h, h_best, atol=1e-9)
    worse = np.asarray(record.data["h_prev"], dtype=float)  # trading nothing is whole lots, and worse here
    assert not np.allclose(worse, h_best)
    twin = sum(w * t.value(worse, record.data) for w, t in result.problem.compiled.entries)
    with pytest.warns(CrossCheckWarning, match="enumerating .* lot vectors found a hedge better"):
        check = lot_cross_check(result.problem, record.data, worse, twin)
    assert not check.ok and not check.proven
    off_lattice = worse + 1e-4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CrossCheckWarning)
        check = lot_cross_check(result.problem, record.data, off_lattice, twin)
    assert "not a whole number" in check.message


def test_non_piecewise_linear_limit_is_refused() -> None:
    from cdshedge_cvx.model import Constraint

    class QuadraticLimit(Constraint):
        def constraints(self, h):
            import cvxpy as cp

            return [cp.sum_squares(h) <= 1.0]

        def violation(self, h, data):
            return max(0.0, float(np.sum(np.square(h))) - 1.0)

    with pytest.raises(SpecificationError, match=r"mixed-integer LP; constraint QuadraticLimit"):
        ch.backtest(_market(), _universe(lot=5.0), ch.HedgePnL(), constraints=[QuadraticLimit()], horizon="ME",
                    progress=False)


def test_default_example_unchanged_by_the_option() -> None:
    market, universe = ch.examples.market()
    a = ch.backtest(market, universe, horizon="QE", progress=False, cross_check=False)
    assert all(not isinstance(r.solution, LotSolution) for r in a.records)
    assert isinstance(a.allocations, pd.DataFrame)


def test_any_holdings_and_box_match_enumeration() -> None:
    """Off-lattice holdings, boxes with negative lower limits, and a minimum trade: the MIP equals the enumeration."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    base = ch.backtest(_market(), _universe(lot=None), -ch.VariancePenalty(), horizon="ME", mode="walk-forward",
                       min_history=40, progress=False, cross_check=False).records[0].data

    @settings(max_examples=8, deadline=None)
    @given(h_prev=st.lists(st.floats(-0.02, 0.02), min_size=3, max_size=3),
           lower=st.floats(-0.02, 0.0), width=st.floats(0.005, 0.03), lot=st.sampled_from([4.0, 7.5, 10.0]),
           minimum=st.sampled_from([None, 12.0]), gamma=st.floats(0.5, 20.0))
    def check(h_prev, lower, width, lot, minimum, gamma):
        universe = ch.Universe([ch.Instrument(n, 100.0, lower, lower + width, maturity_years=5.0, lot_notional=lot,
                                              min_trade_notional=minimum) for n in NAMES])
        problem = ch.HedgeProblem(universe, ch.HedgePnL() - ch.Carry() - gamma * ch.VariancePenalty()).build()
        data = base.replace(h_prev=np.asarray(h_prev), cs01_min=np.full(3, lower), cs01_max=np.full(3, lower + width))
        problem.update(data)
        enumerated = enumerate_lots(problem, data, max_candidates=50_000)
        assert enumerated is not None
        _, best, _ = enumerated
        if not np.isfinite(best):  # no lot vector in the box: the MIP must say infeasible, naming the period
            with pytest.raises(InfeasibleError, match="no whole-lot trade"):
                problem.solve()
            return
        solution = problem.solve()
        twin = sum(w * t.value(solution.h, data) for w, t in problem.compiled.entries)
        assert twin == pytest.approx(best, abs=1e-7, rel=1e-7)
        assert np.all(solution.h >= lower - 1e-9) and np.all(solution.h <= lower + width + 1e-9)
        outcomes.append(solution.mip_gap)

    outcomes: list[float] = []
    check()
    assert outcomes  # at least one feasible example was solved and compared
