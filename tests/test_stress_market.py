"""The optional stress regime of the example market: clustered spread jumps (``generate_market(stress=True)``,
``examples.stress_market``), and the default market left exactly as it was."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.datasets._synthetic import (
    _EXPOSURES_MM_PER_BP,
    _JUMP_EXPOSURES_MM_PER_BP,
    SyntheticMarket,
    generate_market,
)

HY_LIKE, IG_LIKE = ["CDX HY", "iTraxx Xover"], ["CDX IG", "iTraxx Main"]


@pytest.fixture(scope="module")
def pair() -> tuple[SyntheticMarket, SyntheticMarket]:
    return generate_market(0), generate_market(0, stress=True)


def test_default_market_is_unchanged() -> None:
    """Numbers of generate_market(0) measured on main before the option existed."""
    market = generate_market(0)
    assert market.jumps is None
    assert float(market.desk_pnl.sum()) == pytest.approx(260.55508458765667, rel=1e-12)
    assert float(market.desk_pnl.iloc[100]) == pytest.approx(1.478832600606876, rel=1e-12)
    np.testing.assert_allclose(market.spreads.iloc[-1].to_numpy(),
                               [60.788585723954675, 370.7856517594217, 55.59852185376924, 277.8050107425181],
                               rtol=1e-12)
    assert "stress regime" not in market.description
    default, _ = ch.examples.market()
    pd.testing.assert_series_equal(default.desk_pnl, market.desk_pnl, check_names=False)


def test_stress_keeps_the_calm_path_until_the_first_jump(pair: tuple[SyntheticMarket, SyntheticMarket]) -> None:
    calm, stress = pair
    jump_days = stress.jumps.index[(stress.jumps > 0).any(axis=1)]
    assert len(jump_days) >= 5
    before = stress.spreads.index < jump_days[0]
    pd.testing.assert_frame_equal(calm.spreads[before], stress.spreads[before])
    pd.testing.assert_series_equal(calm.desk_pnl[before], stress.desk_pnl[before])
    assert not np.allclose(calm.spreads[~before].to_numpy(), stress.spreads[~before].to_numpy())
    assert "stress regime" in stress.description
    assert list(stress.jumps.columns) == list(stress.spreads.columns)


def test_jumps_widen_high_yield_most(pair: tuple[SyntheticMarket, SyntheticMarket]) -> None:
    _, stress = pair
    jumps = stress.jumps[(stress.jumps > 0).any(axis=1)]
    assert (stress.jumps.to_numpy() >= 0).all()
    assert (jumps[HY_LIKE].to_numpy() > 5 * jumps[IG_LIKE].to_numpy()).all()


def test_jumps_are_clustered_in_time() -> None:
    """Jump days are far closer to each other than the same number of days spread at random would be."""
    gaps, random_gaps = [], []
    rng = np.random.default_rng(0)
    for seed in range(6):
        stress = generate_market(seed, stress=True)
        on = np.flatnonzero((stress.jumps > 0).any(axis=1).to_numpy())
        if len(on) < 2:
            continue
        gaps.extend(np.diff(on))
        uniform = np.sort(rng.choice(len(stress.jumps), size=len(on), replace=False))
        random_gaps.extend(np.diff(uniform))
    assert len(gaps) >= 20
    # a jump is usually followed by another within two weeks (a cluster); uniformly placed days rarely are
    assert np.mean(np.asarray(gaps) <= 10) > 0.6
    assert np.mean(np.asarray(random_gaps) <= 10) < 0.3


def test_desk_loses_its_jump_cs01_on_jump_days(pair: tuple[SyntheticMarket, SyntheticMarket]) -> None:
    """The desk's extra loss on a jump day is (jump CS01 − ordinary CS01) × jump: recomputed from the outputs."""
    calm, stress = pair
    day = stress.jumps.index[(stress.jumps > 0).any(axis=1)][0]
    row = stress.spreads.index.get_loc(day)
    # the difference of the two markets on that day: ordinary exposure on the whole spread change difference
    # (diffusion is identical until the first jump) plus the extra jump loss; carry is unchanged on the day
    change_gap = (stress.spread_changes().iloc[row] - calm.spread_changes().iloc[row]).to_numpy()
    expected = -change_gap @ _EXPOSURES_MM_PER_BP - stress.jumps.iloc[row].to_numpy() @ (
        _JUMP_EXPOSURES_MM_PER_BP - _EXPOSURES_MM_PER_BP)
    assert float(stress.desk_pnl.iloc[row] - calm.desk_pnl.iloc[row]) == pytest.approx(expected, rel=1e-9)
    assert stress.desk_pnl.min() < calm.desk_pnl.min()


def test_stress_market_example() -> None:
    data, universe = ch.examples.stress_market()
    default, _ = ch.examples.market()
    assert data.source == "example market with stress regime (synthetic, seed 0)"
    assert universe.names == ["CDX IG", "CDX HY", "iTraxx Main", "iTraxx Xover"]
    pd.testing.assert_index_equal(data.desk_pnl.index, default.desk_pnl.index)
    assert data.desk_pnl.min() < default.desk_pnl.min()
    assert ch.datasets.stress_market is ch.examples.stress_market


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_bad_stress_flag(bad: object) -> None:
    with pytest.raises(ValueError, match="stress must be True or False"):
        generate_market(0, stress=bad)  # type: ignore[arg-type]


def test_cvar_and_variance_hedges_differ_on_the_stress_market() -> None:
    """On the stress market the two risk measures choose different hedges (walk-forward, past data only)."""
    data, universe = ch.examples.stress_market()
    universe = universe.with_limits(upper=[1.5, 0.8, 1.0, 0.5])
    common = {"horizon": "QE", "mode": "walk-forward", "window": 252, "min_history": 200, "cross_check": False,
              "progress": False}
    variance = ch.backtest(data, universe, -ch.VariancePenalty(), **common)
    cvar = ch.backtest(data, universe, -ch.CVaR(alpha=0.95, count=200), solver="HIGHS", **common)
    gap = (variance.allocations - cvar.allocations).abs().to_numpy().max()
    assert gap > 0.05
