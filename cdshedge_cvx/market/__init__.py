"""Input data: instruments, universes and validated market data."""

from __future__ import annotations

from cdshedge_cvx.market._currencies import (
    amount_currencies,
)
from cdshedge_cvx.market._instruments import (
    CALENDARS,
    INSTRUMENT_COLUMNS,
    MATURITY_RULES,
    QUOTE_TYPES,
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
from cdshedge_cvx.market._quotes import (
    contract_maturities,
    prices_to_spreads,
)
from cdshedge_cvx.market._rates import (
    MAX_DECIMAL_RATE,
    RATE_COLUMNS,
    RATE_UNITS,
    RateQuotes,
)

__all__ = [
    "CALENDARS",
    "INSTRUMENT_COLUMNS",
    "MATURITY_RULES",
    "MAX_DECIMAL_RATE",
    "MAX_SPREAD_BP",
    "MIN_COLUMN_MAX_BP",
    "MISSING_POLICIES",
    "QUOTE_TYPES",
    "RATE_COLUMNS",
    "RATE_UNITS",
    "Instrument",
    "MarketData",
    "RateQuotes",
    "Universe",
    "amount_currencies",
    "contract_maturities",
    "prices_to_spreads",
    "standard_universe",
]
