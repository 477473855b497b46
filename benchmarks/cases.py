"""Generated inputs of the benchmarks."""

from __future__ import annotations

import numpy as np

import cdshedge_cvx as ch
from cdshedge_cvx.datasets import make_market

__all__ = ["frontier_gammas", "scale_market", "scale_objective"]


def scale_objective() -> ch.Objective:
    """The scale case's objective: expected PnL minus carry and roll-down minus a variance penalty."""
    return ch.HedgePnL() - ch.Carry() - ch.Roll() - 1.0 * ch.VariancePenalty()


def scale_market(n: int = 125, periods: int = 260, window: int = 252, seed: int = 0,
                 limit: float = 0.04) -> tuple[ch.MarketData, ch.Universe]:
    """``n`` CDS indices on business days: ``window`` days of history, then ``periods`` weeks.

    Log-normal spreads (40–400 bp) driven by 3 common factors plus idiosyncratic noise (daily
    log-changes of about 1-2 %), drawn by :func:`cdshedge_cvx.datasets.make_market`; the desk
    is long credit in every index (exposure 0–0.05 $mm/bp) plus $0.3mm of daily noise; CS01
    limits ±``limit`` $mm/bp (about 40 % of the minimum-variance hedges bind), fixed 5-year
    maturities.
    """
    rng = np.random.default_rng(seed)
    days = window + 5 * periods + 5
    loadings = rng.uniform(0.3, 1.0, (n, 3)) * 0.01
    levels, exposure = rng.uniform(40.0, 400.0, n), rng.uniform(0.0, 0.05, n)
    names = [f"IDX{i:03d}" for i in range(n)]
    market = make_market(names, days, rng, levels=levels, covariance=loadings @ loadings.T + 0.01**2 * np.eye(n),
                         log=True, exposure=exposure, noise=0.3, start="2015-01-05", source="benchmark scale market")
    universe = ch.Universe([ch.Instrument(name, coupon_bp=100.0, cs01_min=-limit, cs01_max=limit, maturity_years=5.0)
                            for name in names])
    return market, universe


def frontier_gammas(count: int = 50) -> list[float]:
    """``count`` variance weights, log-spaced from 1e-3 to 1e2."""
    return [float(g) for g in np.logspace(-3, 2, count)]
