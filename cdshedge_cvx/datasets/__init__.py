"""Embedded examples and synthetic markets.

* :func:`market` and :func:`seed` (alias :func:`prototype`) -- the embedded examples: the realistic
  market, and the prototype example ("seed" here is the prototype, not an RNG seed).
* :func:`generate_market` -- the realistic four-index market behind :func:`market`.
* :func:`make_market` -- the one simple generator (correlated random walks, any number of
  instruments) that the testing strategies, the tests and the benchmarks call.
"""

from __future__ import annotations

from cdshedge_cvx.datasets._examples import (
    PROTOTYPE_TICKERS,
    market,
    prototype,
    seed,
    seed_frames,
    stress_market,
)
from cdshedge_cvx.datasets._random_walk import (
    make_market,
)
from cdshedge_cvx.datasets._synthetic import (
    INSTRUMENTS,
    SyntheticMarket,
    generate_fx,
    generate_market,
    generate_rates,
)

__all__ = [
    "INSTRUMENTS",
    "PROTOTYPE_TICKERS",
    "SyntheticMarket",
    "generate_fx",
    "generate_market",
    "generate_rates",
    "make_market",
    "market",
    "prototype",
    "seed",
    "seed_frames",
    "stress_market",
]
