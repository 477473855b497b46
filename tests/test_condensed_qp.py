"""The lifted QP handed to Clarabel directly against the plain CVXPY path (compiled once, Clarabel)."""

from __future__ import annotations

import numpy as np
import pytest
from generated import generated_market, wide_universe
from hypothesis import given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx.solve import LiftedQPPath
from cdshedge_cvx.testing import period_data, universes

CASES = {
    "tcost": (lambda: -ch.VariancePenalty() - 2.0 * ch.TransactionCost(), lambda: []),
    "tcost+gross": (lambda: ch.HedgePnL() - ch.Carry() - 0.5 * ch.VariancePenalty() - ch.TransactionCost(),
                    lambda: [ch.GrossLimit(0.3, allow_mixed_currency=True)]),
    "turnover+net": (lambda: ch.HedgePnL() - 0.5 * ch.VariancePenalty(),
                     lambda: [ch.TurnoverLimit(0.2), ch.NetLimit(0.1, allow_mixed_currency=True)]),
    "rollcost+jtd": (lambda: ch.HedgePnL() - ch.Roll() - ch.VariancePenalty() - ch.RollDateCost(),
                     lambda: [ch.JumpToDefaultLimit(5.0)]),
}


def _solve(universe, data, kind, **kwargs):
    objective, limits = CASES[kind]
    problem = ch.HedgeProblem(universe, objective(), limits(), **kwargs).build()
    problem.update(data)
    return problem.solve()


@settings(max_examples=30, deadline=None)
@given(universes(max_size=5), st.data(), st.sampled_from(sorted(CASES)), st.sampled_from(["hindsight", "walk-forward"]))
def test_the_lifted_qp_gives_the_cvxpy_answer(universe, draw, kind, mode):
    data = draw.draw(period_data(universe, mode=mode))
    try:
        plain = _solve(universe, data, kind, direct_qp=False, solver="CLARABEL")
    except ch.InfeasibleError:
        with pytest.raises(ch.InfeasibleError):
            _solve(universe, data, kind)
        return
    fast = _solve(universe, data, kind)
    assert (fast.path, fast.solver, fast.fallback_from) == ("lifted-qp", "CLARABEL", [])
    scale = 1.0 + abs(plain.objective)
    assert fast.objective == pytest.approx(plain.objective, abs=1e-7 * scale)
    assert fast.objective >= plain.objective - 1e-9 * scale  # never beaten by the reference
    for label, value in plain.terms.items():
        assert fast.terms[label] == pytest.approx(value, abs=1e-6 * scale)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_walk_forward_backtest_on_the_lifted_path_equals_cvxpy_clarabel(kind):
    market, universe = generated_market(seed=8, days=200), wide_universe(0.3)
    objective, limits = CASES[kind]
    kwargs = {"horizon": "W-FRI", "mode": "walk-forward", "window": 60, "min_history": 40, "cross_check": False}
    fast = ch.backtest(market, universe, objective(), constraints=limits(), **kwargs)
    plain = ch.backtest(market, universe, problem=ch.HedgeProblem(universe, objective(), limits(), direct_qp=False,
                                                                  solver="CLARABEL"), **kwargs)
    assert set(fast.solver_info["path"]) == {"lifted-qp"} and (fast.solver_info["fallback"] == "").all()
    np.testing.assert_allclose(fast.allocations, plain.allocations, atol=1e-7)
    np.testing.assert_allclose(fast.term_values, plain.term_values, atol=1e-7)
    if "tcost" not in kind:  # on a cost's kink (h = h_prev) the limits' duals are not unique
        limits_only = [c for c in plain.shadow_prices.columns if c not in universe.names]
        np.testing.assert_allclose(fast.shadow_prices[limits_only], plain.shadow_prices[limits_only], atol=1e-5)


def test_the_lifted_path_accepts_only_what_it_can_lift():
    def accepted(objective, limits=(), **kwargs):
        return any(isinstance(p, LiftedQPPath) for p in ch.HedgeProblem(4, objective, limits, **kwargs).build().paths_)

    variance = ch.HedgePnL() - ch.VariancePenalty()
    assert accepted(variance - ch.TransactionCost())
    assert accepted(variance, [ch.GrossLimit(1.0)])
    assert not accepted(variance)  # box only: the box-QP path
    assert not accepted(ch.HedgePnL() - ch.TransactionCost())  # linear: an LP for HiGHS
    assert not accepted(variance - ch.TransactionCost(), direct_qp=False)
    assert not accepted(variance - ch.TransactionCost(), solver="SCS")


def test_a_failing_lifted_solve_goes_to_cvxpy_and_is_recorded(monkeypatch):
    import clarabel

    class Broken:
        def __init__(self, *args):
            pass

        def solve(self):
            raise RuntimeError("broken on purpose")

    monkeypatch.setattr(clarabel, "DefaultSolver", Broken)
    market, universe = generated_market(seed=8, days=120), wide_universe(0.3)
    result = ch.backtest(market, universe, -ch.VariancePenalty() - ch.TransactionCost(), horizon="M",
                         cross_check=False)
    assert set(result.solver_info["path"]) == {"solver"}
    assert result.solver_info["fallback"].str.startswith("CLARABEL (lifted QP): RuntimeError: broken on purpose").all()


def test_the_general_benchmark_runs_and_both_sides_agree():
    """Smoke test of ``python -m benchmarks --only general`` at a tiny size (no timing asserted)."""
    from benchmarks.realistic import bench_general

    out = bench_general(n=6, periods=5, window=30)
    assert out["paths"] == {"lifted-qp": out["periods"]} and out["max_allocation_gap"] < 1e-6
    assert np.isfinite(out["general_ratio"])
