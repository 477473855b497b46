"""The solver is chosen by problem class: a piecewise-linear objective (CVaR, transaction costs) under
polyhedral limits is a linear program and goes to HiGHS (Clarabel as the fallback); quadratic
objectives keep OSQP. On main, CVaR and cost-only LPs went to OSQP, whose ADMM stalled on their kinks
(45 of 53 weekly CVaR periods fell back to Clarabel, 40× slower)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import cdshedge_cvx as ch

DATA = Path(__file__).parent / "data" / "valid"


@pytest.fixture(scope="module")
def universe() -> ch.Universe:
    return ch.Universe.from_csv(DATA / "instruments.csv")


LPS = {
    "cvar": (lambda: ch.HedgePnL() - ch.Carry() - 2.0 * ch.CVaR(count=20, length=1), []),
    "tcost": (lambda: ch.HedgePnL() - ch.Carry() - ch.TransactionCost(), []),
    "tcost+gross": (lambda: ch.HedgePnL() - ch.Carry() - ch.TransactionCost(), [ch.GrossLimit(0.2)]),
    "linear+gross": (lambda: ch.HedgePnL() - ch.Carry(), [ch.GrossLimit(0.2)]),
}


@pytest.mark.parametrize("case", sorted(LPS))
def test_piecewise_linear_objectives_are_solved_by_highs(case, universe) -> None:
    objective, limits = LPS[case]
    problem = ch.HedgeProblem(universe, objective(), limits).build()
    assert problem.solver_ == "HIGHS"
    assert problem.compiled.fallback_solvers[0] == "CLARABEL"


@pytest.mark.parametrize("objective", [ch.HedgePnL() - ch.Carry() - 5.0 * ch.VariancePenalty(),
                                       ch.HedgePnL() - 5.0 * ch.VariancePenalty() - ch.TransactionCost()],
                         ids=["variance", "variance+tcost"])
def test_quadratic_objectives_keep_osqp(objective, universe) -> None:
    assert ch.HedgeProblem(universe, objective, [ch.GrossLimit(0.2)]).build().solver_ == "OSQP"


@pytest.mark.parametrize("case", ["cvar", "tcost+gross"])
def test_highs_answers_equal_clarabels(case) -> None:
    """Independent solvers on the same LP: the optimum agrees to 1e-7 on every period."""
    from benchmarks.realistic import realistic_market

    market, universe = realistic_market(n=12, periods=10, window=60)
    objective, limits = LPS[case]
    kwargs = {"horizon": "W-FRI", "mode": "walk-forward", "window": 60, "min_history": 60, "cross_check": False,
              "progress": False}
    chosen = ch.backtest(market, universe, objective(), constraints=limits, **kwargs)
    clarabel = ch.backtest(market, universe, objective(), constraints=limits, solver="CLARABEL", **kwargs)
    assert set(chosen.solver_info["solver"]) == {"HIGHS"}
    np.testing.assert_allclose(chosen.term_values.sum(axis=1), clarabel.term_values.sum(axis=1), rtol=0, atol=1e-7)
