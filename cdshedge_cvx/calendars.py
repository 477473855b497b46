"""Business-day calendars, index roll dates and standard maturities (public module; the code lives
in :mod:`cdshedge_cvx.credit`)."""

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

__all__ = ["CalendarName", "EUTargetHolidayCalendar", "USCreditHolidayCalendar", "combined_business_days",
           "eu_business_days", "index_roll_dates", "on_the_run_maturities",
           "series_maturities", "standard_maturity", "us_business_days", "years_to_maturity"]
