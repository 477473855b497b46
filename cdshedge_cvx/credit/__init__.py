"""CDS analytics and market conventions: RPV01, CS01 ↔ notional, calendars, roll dates, conventions."""

from __future__ import annotations

from cdshedge_cvx.credit._analytics import (
    ACCRUAL_DAYS_PER_YEAR,
    MAX_MATURITY_YEARS,
    cs01_to_notional,
    jump_to_default,
    notional_to_cs01,
    premium_accrued,
    rpv01,
)
from cdshedge_cvx.credit._calendars import (
    CalendarName,
    EUTargetHolidayCalendar,
    USCreditHolidayCalendar,
    combined_business_days,
    eu_business_days,
    index_roll_dates,
    on_the_run_maturities,
    series_maturities,
    standard_maturity,
    us_business_days,
    years_to_maturity,
)
from cdshedge_cvx.credit._contract import (
    ContractFigures,
    per_cs01_figures,
)
from cdshedge_cvx.credit._conventions import (
    MARKET,
    SEED,
    Conventions,
    get_conventions,
    year_fraction,
)
from cdshedge_cvx.credit._isda import (
    CdsQuote,
    cds_accrued,
    cds_maturity,
    cds_quote,
    spreads_from_prices,
)
from cdshedge_cvx.credit._roll_down import curve_roll_slope
from cdshedge_cvx.credit._rolls import (
    DAYS_PER_YEAR,
    remaining_maturity,
    roll_counts,
    roll_dates,
)
from cdshedge_cvx.credit._yield_curve import (
    ISDA_CURVE_CONVENTIONS,
    IsdaCurveConvention,
    YieldCurve,
)

__all__ = [
    "ACCRUAL_DAYS_PER_YEAR",
    "DAYS_PER_YEAR",
    "ISDA_CURVE_CONVENTIONS",
    "MARKET",
    "MAX_MATURITY_YEARS",
    "SEED",
    "CalendarName",
    "CdsQuote",
    "ContractFigures",
    "Conventions",
    "EUTargetHolidayCalendar",
    "IsdaCurveConvention",
    "USCreditHolidayCalendar",
    "YieldCurve",
    "cds_accrued",
    "cds_maturity",
    "cds_quote",
    "combined_business_days",
    "cs01_to_notional",
    "curve_roll_slope",
    "eu_business_days",
    "get_conventions",
    "index_roll_dates",
    "jump_to_default",
    "notional_to_cs01",
    "on_the_run_maturities",
    "per_cs01_figures",
    "premium_accrued",
    "remaining_maturity",
    "roll_counts",
    "roll_dates",
    "rpv01",
    "series_maturities",
    "spreads_from_prices",
    "standard_maturity",
    "us_business_days",
    "year_fraction",
    "years_to_maturity",
]
