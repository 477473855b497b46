"""Issue 14, item 6: the information barrier of walk-forward.

Terms and limits see only data dated on or before the base date: reading a realised key
(``spread_changes``, ``desk_pnl``) raises naming the term and the period; the attribution reads the
realised data on its own. On the main before issue 14 a term could read the period's future
without any error (every test here fails there)."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx.periods import PeriodBuilder

REALISED_KEYS = ("spread_changes", "desk_pnl")  # cdshedge_cvx.periods._period_data.REALISED_KEYS


def _peeking_term(key: str, how: str) -> type:
    """A linear term whose update reads the period's realised ``key`` (the future in walk-forward)."""

    class Peek(ch.Term):
        def setup(self, n):
            self.c_ = cp.Parameter(n)

        def update(self, data):
            value = data[key] if how == "item" else data.get(key)
            self.c_.value = np.full(self.c_.shape, float(np.sum(value)) * 1e-6)

        def expr(self, h):
            return self.c_ @ h

        def value(self, h, data):
            return float(self.c_.value @ h)

    Peek.__name__ = Peek.__qualname__ = f"Peek_{key}"
    return Peek


@pytest.fixture(scope="module")
def example():
    market, universe = ch.examples.market()
    spreads = market.spreads.loc["2020-01-01":"2020-12-31"]
    return ch.MarketData(spreads, market.desk_pnl.loc[spreads.index]), universe


@settings(max_examples=6, deadline=None)
@given(key=st.sampled_from(REALISED_KEYS), how=st.sampled_from(["item", "get"]))
def test_a_term_reading_a_realised_key_in_walk_forward_is_refused_by_name(example, key: str, how: str) -> None:
    market, universe = example
    term = _peeking_term(key, how)()
    with pytest.raises(ch.SpecificationError, match=rf"term Peek_{key}.*period \d{{4}}-\d\d-\d\d.*'{key}' is "
                                                     r"realised after the decision date \d{4}-\d\d-\d\d"):
        ch.backtest(market, universe, ch.HedgePnL() + term, horizon="ME", mode="walk-forward", window=40,
                    min_history=30, cross_check=False)


def test_the_same_term_reads_its_period_in_hindsight(example) -> None:
    market, universe = example
    result = ch.backtest(market, universe, ch.HedgePnL() + _peeking_term("desk_pnl", "item")(), horizon="ME",
                         cross_check=False)
    assert len(result.allocations) == 12


@settings(max_examples=10, deadline=None)
@given(key=st.sampled_from(REALISED_KEYS), period=st.integers(0, 5))
def test_walk_forward_period_data_seals_every_realised_key(example, key: str, period: int) -> None:
    market, universe = example
    builder = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, ch.get_conventions("market"),
                            "ME", "walk-forward", window=40, min_history=30)
    data = builder.build(builder.periods[period])
    assert key in data and key in data.sealed and key not in list(data)
    with pytest.raises(ch.SpecificationError, match="realised after the decision date"):
        data[key]
    opened = data.realised()
    p = builder.periods[period]
    expected = builder.desk[p.first:p.last + 1] if key == "desk_pnl" else builder.period_changes(p)
    np.testing.assert_array_equal(opened[key], expected)
    # what the decision may read is dated on or before the base date
    assert data["risk_changes"].shape[0] <= p.first - 1
    np.testing.assert_array_equal(data["risk_desk_pnl"], builder.desk[max(1, p.first - 40):p.first])


@settings(max_examples=4, deadline=None)
@given(shift=st.floats(-50, 50).filter(lambda x: abs(x) > 1))
def test_walk_forward_decisions_ignore_the_future_and_the_attribution_measures_it(example, shift: float) -> None:
    """Changing the last period's realised spreads leaves every decision as it was; the realised PnL
    (the attribution, reading the realised data on its own) moves by exactly h · Δshift."""
    market, universe = example
    objective = ch.HedgePnL() - ch.Carry() - 0.05 * ch.VariancePenalty()
    options = {"horizon": "ME", "mode": "walk-forward", "window": 40, "min_history": 30, "cross_check": False}
    base = ch.backtest(market, universe, objective, **options)
    spreads = market.spreads.copy()
    spreads.iloc[-1, 0] += shift  # the last day of the last period: CDX IG
    moved = ch.backtest(ch.MarketData(spreads, market.desk_pnl), universe, objective, **options)
    np.testing.assert_allclose(moved.allocations.to_numpy(), base.allocations.to_numpy(), atol=1e-9)
    gap = moved.pnl["hedge_pnl"].iloc[-1] - base.pnl["hedge_pnl"].iloc[-1]
    h = base.allocations.iloc[-1, 0]
    scale = ch.get_conventions("market").pnl_scale
    assert gap == pytest.approx(scale * shift * h, rel=1e-9, abs=1e-12)
