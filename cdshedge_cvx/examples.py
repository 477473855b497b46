"""Embedded examples (public module; the data and generators live in :mod:`cdshedge_cvx.datasets`)."""

from cdshedge_cvx.datasets._examples import (
    PROTOTYPE_TICKERS,
    market,
    prototype,
    seed,
    seed_frames,
    seed_reference,
    spread_quoted,
    stress_market,
)

__all__ = ["PROTOTYPE_TICKERS", "market", "prototype", "seed", "seed_frames", "seed_reference", "spread_quoted",
           "stress_market"]
