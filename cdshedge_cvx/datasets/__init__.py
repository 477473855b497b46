"""Embedded examples and the synthetic market generator (one generator for examples, tests and benchmarks)."""

from __future__ import annotations

from cdshedge_cvx.datasets._examples import (
    PROTOTYPE_TICKERS,
    market,
    seed,
    seed_frames,
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
    "market",
    "seed",
    "seed_frames",
]
