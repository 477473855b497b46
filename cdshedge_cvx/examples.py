"""Embedded examples: the prototype's exact random data, and a realistic market."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

from .instruments import Universe, standard_universe
from .market import MarketData

__all__ = ["PROTOTYPE_TICKERS", "seed", "seed_frames"]

PROTOTYPE_TICKERS = ["CDX IG", "CDX HY", "iTraxx Main", "iTraxx Xover"]


def seed_frames() -> tuple[pd.DataFrame, pd.Series]:
    """The prototype's data, draw for draw: ``np.random.seed(42)``, daily 2021-01-01 … 2025-01-01,
    desk PnL ~ N(0, 0.01) then spreads ~ N(100, 10) per index in ticker order."""
    rng = np.random.RandomState(42)  # the same stream as np.random.seed(42) + np.random.normal
    dates = pd.date_range("2021-01-01", "2025-01-01", freq="D")
    desk = pd.Series(rng.normal(0, 0.01, len(dates)), index=dates, name="desk_pnl")
    spreads = pd.DataFrame({t: rng.normal(100, 10, len(dates)) for t in PROTOTYPE_TICKERS}, index=dates)
    spreads.index.name = "date"
    desk.index.name = "date"
    return spreads, desk


def seed() -> tuple[MarketData, Universe]:
    """The prototype's example: its random market and its four indices, limits and coupons.

    Examples
    --------
    >>> import cdshedge_cvx as ch
    >>> market, universe = ch.examples.seed()
    >>> result = ch.backtest(market, universe, horizon="M", conventions="seed")  # doctest: +SKIP
    """
    spreads, desk = seed_frames()
    return MarketData(spreads, desk, source="prototype example"), standard_universe()


def seed_reference() -> pd.DataFrame:
    """The prototype's measured monthly output (48 month ends, 2021-01-31 … 2024-12-31), as
    printed by the original notebook cell with ``HORIZON = 'ME'``: the table the package's
    ``conventions="seed"`` run must reproduce."""
    with resources.files("cdshedge_cvx.data").joinpath("seed_reference_monthly.csv").open("r") as handle:
        frame = pd.read_csv(handle, index_col=0, parse_dates=True)
    frame.index.name = "period_end"
    frame.columns.name = "instrument"
    return frame
