"""Business-day calendars and CDS-index roll dates.

The calendars are built on :mod:`pandas.tseries.holiday` and are meant to be
*good enough* for synthetic markets, examples and tests, not to replace an
official holiday service.

US credit calendar (SIFMA-like recommended full closes)
    New Year's Day (Sunday -> Monday; a Saturday New Year is not observed),
    Martin Luther King Jr. Day, Presidents' Day, Good Friday (always treated as
    a full close, although SIFMA has sometimes recommended an early close
    instead), Memorial Day, Juneteenth (from 2022, the first year SIFMA
    recommended a close), Independence Day (nearest weekday), Labor Day,
    Columbus Day, Veterans Day (Sunday -> Monday; a Saturday Veterans Day is
    not observed), Thanksgiving Day and Christmas Day (nearest weekday).
    Early closes and one-off closes (e.g. national days of mourning) are not
    modelled.

EU calendar (TARGET2-like)
    New Year's Day, Good Friday, Easter Monday, Labour Day (1 May), Christmas
    Day and St Stephen's Day (25 and 26 December).  Holidays falling on a
    weekend are not moved.

Index roll dates
    Standard CDS indices roll semi-annually on 20 March and 20 September; a
    series launched on 20 March matures on 20 June ``tenor`` years later and a
    series launched on 20 September matures on 20 December ``tenor`` years
    later.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from functools import lru_cache
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pandas.tseries.holiday import (
    AbstractHolidayCalendar,
    EasterMonday,
    GoodFriday,
    Holiday,
    USColumbusDay,
    USLaborDay,
    USMartinLutherKingJr,
    USMemorialDay,
    USPresidentsDay,
    USThanksgivingDay,
    nearest_workday,
    sunday_to_monday,
)

__all__ = [
    "CalendarName",
    "EUTargetHolidayCalendar",
    "USCreditHolidayCalendar",
    "combined_business_days",
    "eu_business_days",
    "index_roll_dates",
    "standard_maturity",
    "us_business_days",
    "years_to_maturity",
]

DateLike = str | _dt.date | _dt.datetime | np.datetime64 | pd.Timestamp
"""Anything :class:`pandas.Timestamp` can parse into a date."""

CalendarName = Literal["weekday", "us", "eu", "combined"]
"""Name of a business-day calendar: weekends only, US, EU or US-or-EU open."""

_DAYS_PER_YEAR = 365.25
_ROLL_DAY = 20
_MATURITY_MONTH = {3: 6, 9: 12}


class USCreditHolidayCalendar(AbstractHolidayCalendar):
    """SIFMA-like US credit-market holiday calendar (full closes only)."""

    rules: ClassVar[list[Holiday]] = [
        Holiday("New Year's Day", month=1, day=1, observance=sunday_to_monday),
        USMartinLutherKingJr,
        USPresidentsDay,
        GoodFriday,
        USMemorialDay,
        Holiday(
            "Juneteenth National Independence Day",
            month=6,
            day=19,
            start_date=pd.Timestamp("2022-01-01"),
            observance=nearest_workday,
        ),
        Holiday("Independence Day", month=7, day=4, observance=nearest_workday),
        USLaborDay,
        USColumbusDay,
        Holiday("Veterans Day", month=11, day=11, observance=sunday_to_monday),
        USThanksgivingDay,
        Holiday("Christmas Day", month=12, day=25, observance=nearest_workday),
    ]


class EUTargetHolidayCalendar(AbstractHolidayCalendar):
    """TARGET2-like euro-area holiday calendar."""

    rules: ClassVar[list[Holiday]] = [
        Holiday("New Year's Day", month=1, day=1),
        GoodFriday,
        EasterMonday,
        Holiday("Labour Day", month=5, day=1),
        Holiday("Christmas Day", month=12, day=25),
        Holiday("St Stephen's Day", month=12, day=26),
    ]


def _to_day(value: DateLike, name: str) -> pd.Timestamp:
    """Parse ``value`` into a tz-naive, midnight-normalised timestamp."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}={value!r} is not a valid date") from exc
    if ts is pd.NaT:
        raise ValueError(f"{name} must not be NaT")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def _check_range(start: DateLike, end: DateLike) -> tuple[pd.Timestamp, pd.Timestamp]:
    start_ts = _to_day(start, "start")
    end_ts = _to_day(end, "end")
    if end_ts < start_ts:
        raise ValueError(f"end ({end_ts.date()}) is before start ({start_ts.date()})")
    return start_ts, end_ts


@lru_cache(maxsize=64)
def _holidays(kind: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Holidays of calendar ``kind`` in ``[start, end]`` (cached).

    The calendar is queried with a one-year margin on both sides so that
    observance rules moving a holiday across the range boundary are honoured.
    """
    cal: AbstractHolidayCalendar
    cal = USCreditHolidayCalendar() if kind == "us" else EUTargetHolidayCalendar()
    margin = pd.DateOffset(years=1)
    hols = cal.holidays(start=start - margin, end=end + margin)
    hols = pd.DatetimeIndex(hols).normalize()
    return hols[(hols >= start) & (hols <= end)]


@lru_cache(maxsize=64)
def _business_days_cached(kind: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    weekdays = pd.bdate_range(start, end)
    if kind == "weekday":
        out = weekdays
    elif kind in ("us", "eu"):
        out = weekdays[~weekdays.isin(_holidays(kind, start, end))]
    elif kind == "combined":
        closed_both = _holidays("us", start, end).intersection(_holidays("eu", start, end))
        out = weekdays[~weekdays.isin(closed_both)]
    else:  # pragma: no cover - guarded by _business_days
        raise ValueError(f"unknown calendar {kind!r}")
    return pd.DatetimeIndex(out, name="date")


def _business_days(calendar: CalendarName, start: DateLike, end: DateLike) -> pd.DatetimeIndex:
    if calendar not in ("weekday", "us", "eu", "combined"):
        raise ValueError(f"calendar must be 'weekday', 'us', 'eu' or 'combined', got {calendar!r}")
    start_ts, end_ts = _check_range(start, end)
    return _business_days_cached(calendar, start_ts, end_ts)


def us_business_days(start: DateLike, end: DateLike) -> pd.DatetimeIndex:
    """US credit-market business days between two dates (inclusive).

    Parameters
    ----------
    start, end : date-like
        First and last calendar day of the range; ``end >= start``.

    Returns
    -------
    pandas.DatetimeIndex
        Weekdays that are not holidays of :class:`USCreditHolidayCalendar`,
        named ``"date"``.

    Raises
    ------
    ValueError
        If a date cannot be parsed or ``end < start``.

    Examples
    --------
    >>> days = us_business_days("2024-07-01", "2024-07-08")
    >>> pd.Timestamp("2024-07-04") in days
    False
    """
    return _business_days("us", start, end)


def eu_business_days(start: DateLike, end: DateLike) -> pd.DatetimeIndex:
    """Euro-area (TARGET-like) business days between two dates (inclusive).

    Parameters
    ----------
    start, end : date-like
        First and last calendar day of the range; ``end >= start``.

    Returns
    -------
    pandas.DatetimeIndex
        Weekdays that are not holidays of :class:`EUTargetHolidayCalendar`,
        named ``"date"``.

    Raises
    ------
    ValueError
        If a date cannot be parsed or ``end < start``.

    Examples
    --------
    >>> days = eu_business_days("2024-04-01", "2024-04-02")
    >>> [d.strftime("%Y-%m-%d") for d in days]
    ['2024-04-02']
    """
    return _business_days("eu", start, end)


def combined_business_days(start: DateLike, end: DateLike) -> pd.DatetimeIndex:
    """Days on which the US or the euro-area credit market is open.

    These are the weekdays that are not a holiday in *both* calendars (e.g.
    25 December, 1 January and Good Friday are excluded, the 4th of July and
    Easter Monday are kept).

    Parameters
    ----------
    start, end : date-like
        First and last calendar day of the range; ``end >= start``.

    Returns
    -------
    pandas.DatetimeIndex
        The union of :func:`us_business_days` and :func:`eu_business_days`,
        named ``"date"``.

    Raises
    ------
    ValueError
        If a date cannot be parsed or ``end < start``.

    Examples
    --------
    >>> days = combined_business_days("2024-12-23", "2024-12-27")
    >>> [d.strftime("%m-%d") for d in days]
    ['12-23', '12-24', '12-26', '12-27']
    """
    return _business_days("combined", start, end)


def _roll_schedule(
    start: pd.Timestamp,
    end: pd.Timestamp,
    months: Sequence[int],
    day: int,
    lag_business_days: int,
    calendar: CalendarName,
) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """Nominal and adjusted roll dates whose *adjusted* date is in ``[start, end]``."""
    months_arr = sorted({int(m) for m in months})
    # Nominal dates from one year before start (the lag can push an earlier
    # nominal date into range) up to end.
    nominal = pd.DatetimeIndex(
        [pd.Timestamp(year=y, month=m, day=day) for y in range(start.year - 1, end.year + 1) for m in months_arr]
    )
    nominal = nominal[nominal <= end]
    if len(nominal) == 0:
        empty = pd.DatetimeIndex([])
        return empty, empty
    # Business days wide enough to adjust and lag every nominal date.
    horizon = pd.Timedelta(days=14 + 3 * lag_business_days)
    bdays = _business_days(calendar, nominal[0], end + horizon)
    pos = bdays.searchsorted(nominal, side="left") + lag_business_days
    if np.any(pos >= len(bdays)):  # pragma: no cover - horizon is generous
        raise RuntimeError("business-day horizon too short to lag roll dates")
    adjusted = pd.DatetimeIndex(bdays[pos])
    keep = (adjusted >= start) & (adjusted <= end)
    return nominal[keep], adjusted[keep]


def _validate_roll_args(months: Sequence[int], day: int, lag_business_days: int) -> None:
    if isinstance(months, int | str) or len(months) == 0:
        raise ValueError("months must be a non-empty sequence of month numbers")
    for m in months:
        if not isinstance(m, int | np.integer) or not 1 <= int(m) <= 12:
            raise ValueError(f"months must contain integers in 1..12, got {m!r}")
    if not isinstance(day, int | np.integer) or not 1 <= int(day) <= 28:
        raise ValueError(f"day must be an integer in 1..28, got {day!r}")
    if (
        not isinstance(lag_business_days, int | np.integer)
        or isinstance(lag_business_days, bool)
        or lag_business_days < 0
    ):
        raise ValueError(f"lag_business_days must be a non-negative integer, got {lag_business_days!r}")


def index_roll_dates(
    start: DateLike,
    end: DateLike,
    months: Sequence[int] = (3, 9),
    day: int = 20,
    lag_business_days: int = 0,
    *,
    calendar: CalendarName = "weekday",
) -> pd.DatetimeIndex:
    """Index roll dates between two dates (inclusive).

    Each nominal roll date (``day`` of each month in ``months``, by default
    20 March and 20 September) is moved to the next business day of
    ``calendar`` when it is not one (with the default ``"weekday"`` calendar:
    the next weekday when it falls on a weekend), then moved a further
    ``lag_business_days`` business days later.  CDX HY, for instance, is
    commonly modelled as rolling about a week after the investment-grade
    indices (``lag_business_days=5``).

    Parameters
    ----------
    start, end : date-like
        Range of the *adjusted* roll dates to return; ``end >= start``.
    months : sequence of int, default (3, 9)
        Roll months.
    day : int, default 20
        Day of the month of the nominal roll (1..28).
    lag_business_days : int, default 0
        Number of business days between the (adjusted) nominal date and the
        roll.
    calendar : {"weekday", "us", "eu", "combined"}, default "weekday"
        Business-day calendar used for the adjustment and the lag.

    Returns
    -------
    pandas.DatetimeIndex
        Sorted adjusted roll dates inside ``[start, end]``.

    Raises
    ------
    ValueError
        On unparsable dates, ``end < start`` or invalid ``months``, ``day``,
        ``lag_business_days`` or ``calendar``.

    Examples
    --------
    >>> [d.strftime("%Y-%m-%d") for d in index_roll_dates("2021-01-01", "2021-12-31")]
    ['2021-03-22', '2021-09-20']
    """
    _validate_roll_args(months, day, lag_business_days)
    if calendar not in ("weekday", "us", "eu", "combined"):
        raise ValueError(f"calendar must be 'weekday', 'us', 'eu' or 'combined', got {calendar!r}")
    start_ts, end_ts = _check_range(start, end)
    _, adjusted = _roll_schedule(start_ts, end_ts, months, int(day), int(lag_business_days), calendar)
    return pd.DatetimeIndex(adjusted, name="roll_date")


def _check_tenor(tenor_years: int) -> int:
    if not isinstance(tenor_years, int | np.integer) or isinstance(tenor_years, bool) or tenor_years < 1:
        raise ValueError(f"tenor_years must be a positive integer, got {tenor_years!r}")
    return int(tenor_years)


def standard_maturity(trade_date: DateLike, tenor_years: int = 5) -> pd.Timestamp:
    """Maturity of the on-the-run CDS index series on a trade date.

    The on-the-run series is the one launched at the last nominal roll date
    (20 March or 20 September) on or before ``trade_date``; a March series
    matures on 20 June and a September series on 20 December,
    ``tenor_years`` years after the launch year.  Maturities are unadjusted.

    Parameters
    ----------
    trade_date : date-like
        Trade date.
    tenor_years : int, default 5
        Index tenor in years.

    Returns
    -------
    pandas.Timestamp
        The (unadjusted) 20 June or 20 December maturity.

    Raises
    ------
    ValueError
        If ``trade_date`` cannot be parsed or ``tenor_years`` is not a
        positive integer.

    Examples
    --------
    >>> standard_maturity("2024-03-19")
    Timestamp('2028-12-20 00:00:00')
    >>> standard_maturity("2024-03-20")
    Timestamp('2029-06-20 00:00:00')
    """
    tenor = _check_tenor(tenor_years)
    t = _to_day(trade_date, "trade_date")
    mar = pd.Timestamp(year=t.year, month=3, day=_ROLL_DAY)
    sep = pd.Timestamp(year=t.year, month=9, day=_ROLL_DAY)
    if t >= sep:
        launch_year, launch_month = t.year, 9
    elif t >= mar:
        launch_year, launch_month = t.year, 3
    else:
        launch_year, launch_month = t.year - 1, 9
    return pd.Timestamp(
        year=launch_year + tenor,
        month=_MATURITY_MONTH[launch_month],
        day=_ROLL_DAY,
    )


def years_to_maturity(trade_date: DateLike, tenor_years: int = 5) -> float:
    """Years (ACT/365.25) from ``trade_date`` to the on-the-run maturity.

    Parameters
    ----------
    trade_date : date-like
        Trade date.
    tenor_years : int, default 5
        Index tenor in years.

    Returns
    -------
    float
        ``(standard_maturity(trade_date, tenor_years) - trade_date).days / 365.25``.

    Raises
    ------
    ValueError
        As :func:`standard_maturity`.

    Examples
    --------
    >>> round(years_to_maturity("2024-03-20"), 4)
    5.2512
    """
    t = _to_day(trade_date, "trade_date")
    maturity = standard_maturity(t, tenor_years)
    return (maturity - t).days / _DAYS_PER_YEAR
