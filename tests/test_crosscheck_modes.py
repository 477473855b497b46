"""The cross-check modes: the warm certificate on every period with seeded cold re-solves (default),
the cold re-solve of every period (``full``), none (``off``)."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
from generated import generated_market, wide_universe

import cdshedge_cvx as ch
from cdshedge_cvx.crosscheck import check_mode, cold_periods
from cdshedge_cvx.solve._path import SolvePath

KWARGS = {"horizon": "W-FRI", "mode": "walk-forward", "window": 60, "min_history": 40, "progress": False}
OBJECTIVES = {
    "variance": lambda: ch.HedgePnL() - ch.Carry() - ch.Roll() - 0.2 * ch.VariancePenalty(),
    "tcost": lambda: ch.HedgePnL() - ch.Carry() - 0.2 * ch.VariancePenalty() - 2.0 * ch.TransactionCost(),
}


def test_modes_are_read_from_true_false_and_names():
    assert [check_mode(x) for x in (True, False, None, "warm", "FULL", "off")] == ["warm", "off", "off", "warm",
                                                                                     "full", "off"]
    with pytest.raises(ch.SpecificationError, match="cross_check"):
        check_mode("sometimes")


def test_the_cold_sample_is_reproducible_and_holds_the_first_and_last_period():
    first, again = cold_periods(200), cold_periods(200)
    np.testing.assert_array_equal(first, again)
    assert first[0] and first[-1]
    assert 2 < first.sum() < 12  # about 1 % of 198 plus the two ends
    assert not np.array_equal(first, cold_periods(200, seed=1))
    assert cold_periods(1).tolist() == [True] and cold_periods(0).size == 0
    assert cold_periods(10, rate=1.0).all()


@pytest.mark.parametrize("kind", sorted(OBJECTIVES))
def test_default_mode_checks_every_period_and_resolves_the_sampled_ones_cold(kind):
    market, universe = generated_market(seed=8, days=200), wide_universe(0.3)
    warm = ch.backtest(market, universe, OBJECTIVES[kind](), **KWARGS)
    again = ch.backtest(market, universe, OBJECTIVES[kind](), cross_check=True, **KWARGS)
    full = ch.backtest(market, universe, OBJECTIVES[kind](), cross_check="full", **KWARGS)
    check = warm.cross_check
    assert len(check) == len(warm.allocations) > 20 and check["ok"].all()
    cold = check["kind"] == "warm+cold"
    np.testing.assert_array_equal(cold.to_numpy(), cold_periods(len(check)))  # the seeded sample, ends included
    assert set(check["kind"][~cold]) == {"warm"}
    assert check.index.equals(again.cross_check.index) and check["kind"].equals(again.cross_check["kind"])
    assert set(full.cross_check["kind"]) == {"cold"} and full.cross_check["ok"].all()
    # on the sampled periods the cold re-solve finds the full check's optimum (from the previous holdings only)
    np.testing.assert_allclose(check.loc[cold, "scipy_objective"], full.cross_check.loc[cold, "scipy_objective"],
                               rtol=1e-6, atol=1e-9)
    off = ch.backtest(market, universe, OBJECTIVES[kind](), cross_check="off", **KWARGS)
    assert off.cross_check.empty


@dataclasses.dataclass
class _Worse(SolvePath):
    """Wraps the first path and moves its answer halfway to zero on chosen periods: feasible, not optimal."""

    inner: SolvePath
    periods: set

    def __post_init__(self):
        self.name = self.inner.name

    def accepts(self, compiled):
        return self.inner.accepts(compiled)

    def reset(self):
        self.inner.reset()

    def solve(self, compiled, data):
        solution = self.inner.solve(compiled, data)
        if str(data.get("period")) in self.periods:
            h = 0.5 * solution.h
            return type(solution).at(compiled, data, h, status=solution.status, solver=solution.solver,
                                     path=solution.path, shadow_prices=solution.shadow_prices)
        return solution


@pytest.mark.parametrize("kind", sorted(OBJECTIVES))
def test_a_wrong_answer_on_an_unsampled_period_is_caught_by_the_warm_check(kind):
    market, universe = generated_market(seed=8, days=200), wide_universe(0.3)
    reference = ch.backtest(market, universe, OBJECTIVES[kind](), cross_check=False, **KWARGS)
    sample = cold_periods(len(reference.allocations))
    k = int(np.flatnonzero(~sample)[3])
    wrong_period = reference.records[k].data["period"]
    problem = ch.HedgeProblem(universe, OBJECTIVES[kind]()).build()
    problem.paths_[0] = _Worse(problem.paths_[0], {str(wrong_period)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = ch.backtest(market, universe, problem=problem, **KWARGS)
    check = result.cross_check
    bad = check.index[~check["ok"].astype(bool)]
    assert list(bad) == [result.records[k].data["period_end"]]
    assert check["kind"].iloc[k] == "warm+cold"  # the failed certificate brought the cold re-solve
    message = check["message"].iloc[k]
    assert "improved the answer" in message and "scipy's objective is better" in message
    assert sum(issubclass(w.category, ch.CrossCheckWarning) for w in caught) == 1
    with pytest.raises(ch.CrossCheckError, match="improved the answer"):
        ch.backtest(market, universe, problem=problem, strict=True, **KWARGS)
