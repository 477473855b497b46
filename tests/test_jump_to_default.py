"""Jump-to-default limit: the worst single-name default, no netting across indices that share no names
(issue 12: +0.25 CDX IG and -0.155 CDX HY protection netted to 0 and passed a limit of 0)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx as ch

DATES = pd.bdate_range("2024-04-01", "2024-05-31")


def _market() -> ch.MarketData:
    """IG widens and HY tightens: the hindsight hedge wants IG protection bought and HY protection sold."""
    steps = np.arange(len(DATES))
    spreads = pd.DataFrame({"CDX IG": 55.0 + 0.2 * steps, "CDX HY": 340.0 - 1.0 * steps}, index=DATES)
    return ch.MarketData(spreads, pd.Series(0.0, index=DATES), rates=ch.RateQuotes.flat(0.045))


def _universe() -> ch.Universe:
    standard = ch.standard_universe()
    return ch.Universe([standard["CDX IG"].replace(cs01_min=0.0, cs01_max=0.25),
                        standard["CDX HY"].replace(cs01_min=-0.155, cs01_max=0.0, quote="spread")])


def test_ig_long_hy_short_do_not_net_under_a_zero_jump_to_default_limit():
    result = ch.backtest(_market(), _universe(), ch.HedgePnL(), constraints=[ch.JumpToDefaultLimit(0.0)],
                         cross_check=True)
    np.testing.assert_allclose(result.allocations.to_numpy(), 0.0, atol=1e-7)
    free = ch.backtest(_market(), _universe(), ch.HedgePnL(), cross_check=False)
    np.testing.assert_allclose(free.allocations.iloc[0].to_numpy(), [0.25, -0.155])


def test_the_issues_position_breaks_a_zero_limit_by_the_loss_on_one_hy_default():
    result = ch.backtest(_market(), _universe(), ch.HedgePnL(), cross_check=False)
    data = result.records[0].data
    limit = ch.JumpToDefaultLimit(0.0)
    h = np.array([0.25, -0.155])
    per_index = ch.model.jump_to_default_per_cs01(data) * h
    assert per_index[0] > 2.0 and per_index[1] < -2.0  # about $2.5mm each way at 4.5 % rates
    assert limit.violation(h, data) == pytest.approx(np.max(np.abs(per_index)), rel=1e-9)


def _built(result: ch.HedgeResult) -> ch.JumpToDefaultLimit:
    """The problem's own copy of the limit (the one solved, with its duals)."""
    return next(c for c in result.problem.constraints_ if isinstance(c, ch.JumpToDefaultLimit))


def test_an_overlap_group_nets_its_indices():
    """Declared as sharing names, IG and HY net inside their group: positions held, group JTD 0."""
    limit = ch.JumpToDefaultLimit(0.0, groups=[["CDX IG", "CDX HY"]])
    result = ch.backtest(_market(), _universe(), ch.HedgePnL(), constraints=[limit], cross_check=True)
    h = result.allocations.iloc[0].to_numpy()
    data = result.records[0].data
    assert np.abs(h).sum() > 0.1
    assert abs(float(ch.model.jump_to_default_per_cs01(data) @ h)) < 1e-6
    assert list(_built(result).group_shadow_prices()) == ["CDX IG + CDX HY"]


def test_the_limit_is_a_parameter_and_prices_each_group():
    result = ch.backtest(_market(), _universe(), ch.HedgePnL(), constraints=[ch.JumpToDefaultLimit(1.0)],
                         cross_check=True)
    limit = _built(result)
    prices = limit.group_shadow_prices()
    assert list(prices) == ["CDX IG", "CDX HY"] and all(v >= 0 for v in prices.values())
    assert result.shadow_prices["JumpToDefaultLimit"].iloc[-1] == pytest.approx(sum(prices.values()))
    limit.max_jtd = 0.5  # swept without recompiling
    smaller = ch.backtest(_market(), _universe(), problem=result.problem, cross_check=True)
    data = smaller.records[0].data
    h = smaller.allocations.iloc[0].to_numpy()
    assert np.max(np.abs(ch.model.jump_to_default_per_cs01(data) * h)) == pytest.approx(0.5, abs=1e-6)


def test_groups_must_name_instruments_once():
    with pytest.raises(ch.SpecificationError, match="not an instrument"):
        ch.backtest(_market(), _universe(), ch.HedgePnL(), constraints=[ch.JumpToDefaultLimit(1.0, groups=[["X"]])])
    with pytest.raises(ch.SpecificationError, match="two groups"):
        ch.backtest(_market(), _universe(), ch.HedgePnL(),
                    constraints=[ch.JumpToDefaultLimit(1.0, groups=[["CDX IG"], ["CDX IG", "CDX HY"]])])
