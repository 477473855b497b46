"""Rebalancing periods (the schedule) and the data one period's solve reads (built by the builder)."""

from __future__ import annotations

from cdshedge_cvx.periods._builder import (
    PeriodBuilder,
)
from cdshedge_cvx.periods._figures import (
    contract_figures,
)
from cdshedge_cvx.periods._period_data import (
    PeriodData,
)
from cdshedge_cvx.periods._schedule import (
    Period,
    make_periods,
    normalise_horizon,
)

__all__ = [
    "Period",
    "PeriodBuilder",
    "PeriodData",
    "contract_figures",
    "make_periods",
    "normalise_horizon",
]
