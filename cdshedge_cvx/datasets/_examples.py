"""Embedded examples: the prototype's exact random data, and a realistic synthetic market.

"Seed" names three things in this package; here ``seed()``, ``seed_frames()`` and
``seed_reference()`` are the *prototype example* (the notebook the package was seeded from, whose
table ``conventions="seed"`` reproduces), while the ``seed`` argument of :func:`market` is an
RNG seed. :func:`prototype` is :func:`seed` under an unambiguous name.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

from cdshedge_cvx.market._instruments import Universe, standard_universe
from cdshedge_cvx.market._market_data import MarketData

__all__ = ["PROTOTYPE_TICKERS", "market", "prototype", "seed", "seed_frames", "seed_reference", "spread_quoted",
           "stress_market"]

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


def spread_quoted(universe: Universe) -> Universe:
    """``universe`` with every instrument quoted in spread: the embedded examples' series are all spreads
    (bp), CDX HY's included, while the standard universe marks CDX HY as quoted in price."""
    return Universe([i.replace(quote="spread") for i in universe])


def market(seed: int = 0) -> tuple[MarketData, Universe]:
    """A realistic example: the synthetic CDS-index market and the four standard indices.

    Generic on-the-run 5Y spreads of CDX IG, CDX HY, iTraxx Main and iTraxx Xover on the US-or-EU
    business days of 2019-01-02 … 2024-12-31 (with the March 2020 stress), the generic-series
    roll jumps (removed from hedge PnL by a backtest), EURUSD to convert iTraxx amounts into USD,
    the daily PnL ($mm) of a desk that is long credit risk in the four indices plus
    idiosyncratic noise, and USD and EUR ISDA rate-curve quotes on every date
    (:func:`~cdshedge_cvx.datasets.generate_rates`; see ``docs/example_market.md`` for the calibration).
    The universe is the standard one with CDX HY quoted in spread, as its series is.

    Units: CS01 in $mm/bp for CDX and €mm/bp for iTraxx; every amount in $mm.

    Parameters
    ----------
    seed : int, default 0
        RNG seed of :func:`~cdshedge_cvx.datasets.generate_market`,
        :func:`~cdshedge_cvx.datasets.generate_fx` and :func:`~cdshedge_cvx.datasets.generate_rates`
        (not the prototype example: see :func:`seed`).

    Returns
    -------
    (MarketData, Universe)

    Examples
    --------
    >>> import cdshedge_cvx as ch
    >>> market, universe = ch.examples.market()
    >>> result = ch.backtest(market, universe, horizon="M")                 # doctest: +SKIP
    """
    return _example_market(seed, stress=False)


def stress_market(seed: int = 0) -> tuple[MarketData, Universe]:
    """:func:`market` with the stress regime: spread jumps clustered in time, to which the desk is
    more exposed than on ordinary days (``generate_market(seed, stress=True)``).

    Same dates, instruments, FX, rates and calm-day draws as :func:`market`; on top, about one
    cluster a year of jumps that widen HY and Xover spreads (IG and Main barely) and cost the desk
    more than its ordinary CS01 says. CVaR and variance hedges differ on it (see
    ``docs/tail_risk.md``).

    Parameters
    ----------
    seed : int, default 0
        RNG seed, as in :func:`market`.

    Returns
    -------
    (MarketData, Universe)

    Examples
    --------
    >>> import cdshedge_cvx as ch
    >>> market, universe = ch.examples.stress_market()
    >>> market.source
    'example market with stress regime (synthetic, seed 0)'
    """
    return _example_market(seed, stress=True)


def _example_market(seed: int, stress: bool) -> tuple[MarketData, Universe]:
    from cdshedge_cvx.datasets._synthetic import generate_fx, generate_market, generate_rates

    synthetic = generate_market(seed, stress=stress)
    fx = generate_fx(synthetic.spreads.index, seed)
    rates = generate_rates(synthetic.spreads.index, seed)
    label = "example market with stress regime" if stress else "example market"
    data = MarketData(synthetic.spreads, synthetic.desk_pnl, roll_jumps=synthetic.roll_jumps, fx=fx,
                      reporting_currency="USD", source=f"{label} (synthetic, seed {seed})", rates=rates)
    return data, spread_quoted(standard_universe())


def seed() -> tuple[MarketData, Universe]:
    """The prototype example: its random market and its four indices, limits and coupons.

    "Seed" is the prototype the package started from (run it with ``conventions="seed"`` to
    reproduce its table), not an RNG seed; :func:`prototype` is the same function.

    Examples
    --------
    >>> import cdshedge_cvx as ch
    >>> market, universe = ch.examples.seed()
    >>> result = ch.backtest(market, universe, horizon="M", conventions="seed")  # doctest: +SKIP
    """
    spreads, desk = seed_frames()
    return MarketData(spreads, desk, source="prototype example"), spread_quoted(standard_universe())


#: :func:`seed` under a name that cannot be mistaken for an RNG seed.
prototype = seed


def seed_reference() -> pd.DataFrame:
    """The prototype's measured monthly output (48 month ends, 2021-01-31 … 2024-12-31), as
    printed by the original notebook cell with ``HORIZON = 'ME'``: the table the package's
    ``conventions="seed"`` run must reproduce."""
    with resources.files("cdshedge_cvx.datasets").joinpath("seed_reference_monthly.csv").open("r") as handle:
        frame = pd.read_csv(handle, index_col=0, parse_dates=True)
    frame.index.name = "period_end"
    frame.columns.name = "instrument"
    return frame
