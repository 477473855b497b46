"""Hypothesis strategies and contract checks for users' own terms and constraints.

Import it from your own test suite::

    from hypothesis import given
    from cdshedge_cvx.testing import universes, period_data

Strategies generate valid objects only (lower ≤ upper, positive spreads, finite PnL) and
shrink towards small, simple examples.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from .conventions import MARKET, Conventions
from .instruments import Instrument, Universe
from .market import MarketData
from .periods import PeriodBuilder, PeriodData

__all__ = ["cs01_vectors", "limits", "markets", "period_data", "universes"]

_FLOAT = {"allow_nan": False, "allow_infinity": False}


@st.composite
def limits(draw: st.DrawFn, allow_short: bool = True) -> tuple[float, float]:
    """A CS01 box (lower, upper) in $mm/bp with lower ≤ upper."""
    upper = draw(st.floats(min_value=0.0, max_value=2.0, **_FLOAT))
    if allow_short and draw(st.booleans()):
        lower = -draw(st.floats(min_value=0.0, max_value=2.0, **_FLOAT))
    else:
        lower = draw(st.floats(min_value=0.0, max_value=1.0, **_FLOAT)) * upper
    return float(lower), float(upper)


@st.composite
def universes(draw: st.DrawFn, min_size: int = 1, max_size: int = 6, allow_short: bool = True) -> Universe:
    """Universes of ``min_size`` … ``max_size`` instruments with valid fields and limits."""
    n = draw(st.integers(min_value=min_size, max_value=max_size))
    instruments = []
    for i in range(n):
        lower, upper = draw(limits(allow_short=allow_short))
        instruments.append(Instrument(
            name=f"IDX{i}",
            coupon_bp=draw(st.sampled_from([100.0, 500.0, 25.0, 0.0])),
            cs01_min=lower, cs01_max=upper,
            recovery=draw(st.sampled_from([0.4, 0.3, 0.25])),
            n_names=draw(st.sampled_from([125, 100, 75])),
            maturity_years=draw(st.floats(min_value=1.0, max_value=10.0, **_FLOAT)),
            roll_fraction=draw(st.floats(min_value=0.0, max_value=0.5, **_FLOAT)),
            bid_ask_bp=draw(st.floats(min_value=0.0, max_value=5.0, **_FLOAT)),
        ))
    return Universe(instruments)


@st.composite
def markets(draw: st.DrawFn, universe: Universe | None = None, min_days: int = 25, max_days: int = 90,
            start: str = "2022-01-03") -> MarketData:
    """Business-day markets: log-normal random-walk spreads (5–1500 bp) and a desk PnL that
    loads on the spread changes plus noise."""
    if universe is None:
        universe = draw(universes())
    n = len(universe)
    days = draw(st.integers(min_value=min_days, max_value=max_days))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    rng = np.random.default_rng(seed)
    levels = np.array([draw(st.floats(min_value=5.0, max_value=1500.0, **_FLOAT)) for _ in range(n)])
    vol = draw(st.floats(min_value=0.001, max_value=0.05, **_FLOAT))
    log_paths = np.log(levels) + np.vstack([np.zeros(n), np.cumsum(rng.normal(0, vol, (days - 1, n)), axis=0)])
    spreads = np.exp(log_paths)
    dates = pd.bdate_range(start, periods=days)
    exposure = rng.normal(0, 0.5, n)
    changes = np.vstack([np.zeros(n), np.diff(spreads, axis=0)])
    desk = -changes @ exposure + rng.normal(0, draw(st.floats(min_value=0.0, max_value=2.0, **_FLOAT)), days)
    desk[0] = 0.0
    frame = pd.DataFrame(spreads, index=dates, columns=universe.names)
    return MarketData(frame, pd.Series(desk, index=dates), source="generated market")


@st.composite
def period_data(draw: st.DrawFn, universe: Universe | None = None, conventions: Conventions = MARKET,
                mode: str = "hindsight") -> PeriodData:
    """One period's :class:`PeriodData` built by the package's own builder on a generated market
    (so every key a built-in term reads is there), with a random ``h_prev`` inside the box. The
    period has at least two observations (a variance can be estimated on it)."""
    if universe is None:
        universe = draw(universes())
    market = draw(markets(universe=universe, min_days=45 if mode == "walk-forward" else 25))
    builder = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, conventions,
                            horizon="ME", mode=mode)  # type: ignore[arg-type]
    # a one-day period has no variance to estimate: keep periods with at least two observations
    period = draw(st.sampled_from([p for p in builder.periods if p.rows >= 2]))
    data = builder.build(period)
    return data.replace(h_prev=draw(cs01_vectors(universe)))


@st.composite
def cs01_vectors(draw: st.DrawFn, universe: Universe) -> np.ndarray:
    """CS01 vectors inside the universe's box, corners included."""
    values = []
    for instrument in universe:
        lo, hi = instrument.cs01_min, instrument.cs01_max
        values.append(draw(st.one_of(st.just(lo), st.just(hi), st.floats(min_value=lo, max_value=hi, **_FLOAT))))
    return np.array(values, dtype=float)
