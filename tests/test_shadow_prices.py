"""Shadow prices: the box's stay the box's whatever other limits have one dual per instrument, every
dual is in the long table under its limit's name, and a per-name cap's duals are the change of the
optimum per unit of cap (bump and re-solve)."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

import cdshedge_cvx as ch

OBJECTIVE = ch.HedgePnL() - ch.Carry()


class NameCap(ch.Constraint):
    """h_i ≤ cap_i for each instrument: one dual per instrument, like the box."""

    def __init__(self, caps) -> None:
        self.caps = caps

    def setup(self, n: int) -> None:
        self.cap_ = cp.Parameter(n, name="name_cap")

    def update(self, data) -> None:
        self.cap_.value = np.asarray(self.caps, dtype=float)

    def constraints(self, h):
        return [h <= self.cap_]

    def violation(self, h, data) -> float:
        return float(max(0.0, np.max(np.asarray(h) - np.asarray(self.caps))))

    def shadow_price(self) -> np.ndarray:
        return np.asarray(self._built[0].dual_value, dtype=float)


@pytest.fixture(scope="module")
def capped():
    market, universe = ch.examples.seed()
    caps = universe.upper / 2
    result = ch.backtest(market, universe, OBJECTIVE, constraints=[NameCap(caps)], conventions="seed", horizon="Q",
                         cross_check=False)
    return universe, caps, result


def test_a_per_name_cap_does_not_overwrite_the_box_prices(capped):
    universe, caps, result = capped
    names = universe.names
    prices = result.shadow_prices
    at_cap = np.isclose(result.allocations.to_numpy(), caps)  # h = cap < cs01_max: the box does not bind there
    assert at_cap.any() and (~at_cap).any()
    np.testing.assert_allclose(prices[names].to_numpy()[at_cap], 0.0, atol=1e-7)
    box = np.array([r.solution.shadow_prices["BoxLimits"] for r in result.records])
    np.testing.assert_allclose(prices[names].to_numpy(), box)
    assert list(prices.columns) == [*names, "NameCap"]  # the cap keeps its name
    cap = np.array([r.solution.shadow_prices["NameCap"] for r in result.records])
    assert (cap[at_cap] > 1e-6).all()  # the binding caps carry the price the box no longer does
    np.testing.assert_allclose(prices["NameCap"], cap.sum(axis=1))


def test_the_long_table_keeps_every_dual_under_its_limit(capped):
    universe, _, result = capped
    long = result.shadow_prices_long
    assert list(long.columns) == ["period_end", "constraint", "instrument", "group", "shadow_price"]
    assert len(long) == 2 * len(universe) * len(result.records)
    for label in ("BoxLimits", "NameCap"):
        table = long[long["constraint"] == label].pivot(index="period_end", columns="instrument",
                                                          values="shadow_price")[universe.names]
        expected = np.array([r.solution.shadow_prices[label] for r in result.records])
        np.testing.assert_allclose(table.to_numpy(), expected)
    np.testing.assert_allclose(long[long["constraint"] == "BoxLimits"]["shadow_price"],
                               result.shadow_prices[universe.names].to_numpy().ravel())


def test_a_cap_price_is_the_change_of_the_optimum_per_unit_of_cap(capped):
    universe, caps, result = capped
    long = result.shadow_prices_long.set_index(["period_end", "constraint", "instrument"])["shadow_price"]
    record = result.records[0]
    step = 1e-4
    for i, name in enumerate(universe.names):
        bumped = caps.copy()
        bumped[i] += step
        problem = ch.HedgeProblem(universe, OBJECTIVE, [NameCap(bumped)]).build()
        problem.update(record.data)
        change = (problem.solve().objective - record.solution.objective) / step
        assert long[(record.data["period_end"], "NameCap", name)] == pytest.approx(change, rel=1e-6, abs=1e-8)


def test_built_in_limits_in_the_long_table_and_the_wide_view():
    market, universe = ch.examples.seed()
    result = ch.backtest(market, universe, OBJECTIVE - 0.05 * ch.VariancePenalty(),
                         constraints=[ch.GrossLimit(0.3, allow_mixed_currency=True),
                                      ch.NetLimit(-0.2, 0.2, allow_mixed_currency=True)],
                         conventions="seed", horizon="Q", cross_check=False)
    wide = result.shadow_prices
    assert list(wide.columns) == [*universe.names, "GrossLimit", "NetLimit"]
    long = result.shadow_prices_long
    scalar = long[long["instrument"].isna()]
    assert set(scalar["constraint"]) == {"GrossLimit", "NetLimit"}
    for label in ("GrossLimit", "NetLimit"):
        np.testing.assert_allclose(scalar[scalar["constraint"] == label]["shadow_price"], wide[label])
    box = long[long["constraint"] == "BoxLimits"]
    np.testing.assert_allclose(box["shadow_price"], wide[universe.names].to_numpy().ravel())
    assert list(box["instrument"][: len(universe)]) == universe.names
