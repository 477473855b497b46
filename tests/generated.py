"""Generated markets with a known desk exposure, shared by the risk-hedging tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

import cdshedge_cvx as ch
from cdshedge_cvx.datasets import make_market

NAMES = ["CDX IG", "CDX HY", "iTraxx Main", "iTraxx Xover"]
EXPOSURE = np.array([0.8, 0.15, 0.5, 0.08])  # $mm/bp long risk, as the synthetic desk


def wide_universe(limit: float = 10.0) -> ch.Universe:
    """The standard indices with limits that do not bind a minimum-variance hedge."""
    return ch.examples.spread_quoted(ch.standard_universe()).with_limits(lower=[-limit] * 4, upper=[limit] * 4)


def generated_market(seed: int, days: int = 130, noise: float = 1.0, start: str = "2022-01-03") -> ch.MarketData:
    """Random-walk spreads on business days and a desk PnL = −exposure · Δs + noise (first day 0).

    The data end on the last business day of a month, so every month has about 21 observations.
    """
    dates = pd.bdate_range(start, periods=days)
    dates = dates[dates <= (dates[-1] + pd.offsets.BMonthEnd(0) - pd.offsets.BMonthEnd(1))]
    correlation = np.array([[1, .9, .7, .65], [.9, 1, .65, .7], [.7, .65, 1, .9], [.65, .7, .9, 1]])
    return make_market(NAMES, len(dates), seed, levels=[60.0, 350.0, 58.0, 280.0], volatility=[1.2, 6.0, 1.1, 5.0],
                       correlation=correlation, exposure=EXPOSURE, noise=noise, floor=5.0, start=start,
                       source="spreads")


def monthly_blocks(market: ch.MarketData):
    """Independent slicing: daily changes (whole series, first date only a base) grouped by month."""
    changes = market.spreads.diff().iloc[1:]
    desk = market.desk_pnl.iloc[1:]
    for month, block in changes.groupby(changes.index.to_period("M")):
        yield month, block.to_numpy(), desk.loc[block.index].to_numpy()
