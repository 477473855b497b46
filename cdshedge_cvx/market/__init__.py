"""Input data: instruments, universes and validated market data."""

from __future__ import annotations

from cdshedge_cvx.market._currencies import (
    amount_currencies,
)
from cdshedge_cvx.market._instruments import (
    CALENDARS,
    INSTRUMENT_COLUMNS,
    MATURITY_RULES,
    Instrument,
    Universe,
    standard_universe,
)
from cdshedge_cvx.market._market_data import (
    MAX_SPREAD_BP,
    MIN_COLUMN_MAX_BP,
    MISSING_POLICIES,
    MarketData,
)

__all__ = [
    "CALENDARS",
    "INSTRUMENT_COLUMNS",
    "MATURITY_RULES",
    "MAX_SPREAD_BP",
    "MIN_COLUMN_MAX_BP",
    "MISSING_POLICIES",
    "Instrument",
    "MarketData",
    "Universe",
    "amount_currencies",
    "standard_universe",
]
