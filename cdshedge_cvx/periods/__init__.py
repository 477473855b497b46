"""Rebalancing periods and the data one period's solve reads."""

from __future__ import annotations

from cdshedge_cvx.periods._periods import (
    Period,
    PeriodBuilder,
    PeriodData,
    make_periods,
    normalise_horizon,
)

__all__ = [
    "Period",
    "PeriodBuilder",
    "PeriodData",
    "make_periods",
    "normalise_horizon",
]
