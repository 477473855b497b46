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
    "on_the_run_maturities",
    "series_maturities",
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
    """Nominal and adjusted roll dates whose *adjusted* date is in ``[start, end]``.

    The nominal date is moved to the next business day of ``calendar`` (the investment-grade
    roll), then ``lag_business_days`` weekdays later, then to the next business day of
    ``calendar`` again if that day is a holiday: the lagged roll is the same weekday a week
    after the IG roll for a lag of 5 (CDX HY rolled on 2016-03-28, a week after CDX IG's
    2016-03-21 although Good Friday 2016-03-25 fell in between).
    """
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
    first = bdays.searchsorted(nominal, side="left")
    if np.any(first >= len(bdays)):  # pragma: no cover - horizon is generous
        raise RuntimeError("business-day horizon too short to adjust roll dates")
    adjusted = pd.DatetimeIndex(bdays[first])
    if lag_business_days:
        lagged = pd.DatetimeIndex(adjusted + pd.offsets.BDay(lag_business_days))
        pos = bdays.searchsorted(lagged, side="left")
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
    ``lag_business_days`` weekdays later (and to the next business day of
    ``calendar`` if that is a holiday).  CDX HY rolls a week after the
    investment-grade indices (``lag_business_days=5``): 2016-03-28, a week
    after CDX IG's 2016-03-21, Good Friday in between.

    Parameters
    ----------
    start, end : date-like
        Range of the *adjusted* roll dates to return; ``end >= start``.
    months : sequence of int, default (3, 9)
        Roll months.
    day : int, default 20
        Day of the month of the nominal roll (1..28).
    lag_business_days : int, default 0
        Number of weekdays between the (adjusted) nominal date and the roll.
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


def series_maturities(launch_dates: Sequence[DateLike] | pd.DatetimeIndex, tenor_years: int = 5) -> pd.DatetimeIndex:
    """Maturity of the index series launched on each date (vectorised).

    A series launched in March to August (the March roll, however late its lag) matures on
    20 June, one launched in September to February on 20 December, ``tenor_years`` years after
    the year of its nominal roll date. Maturities are unadjusted.

    Parameters
    ----------
    launch_dates : sequence of date-like
        Actual roll dates.
    tenor_years : int, default 5
        Index tenor in years.

    Returns
    -------
    pandas.DatetimeIndex

    Examples
    --------
    >>> [d.strftime("%Y-%m-%d") for d in series_maturities(["2024-03-27", "2024-09-20"])]
    ['2029-06-20', '2029-12-20']
    """
    tenor = _check_tenor(tenor_years)
    launches = pd.DatetimeIndex(pd.to_datetime(list(launch_dates)))
    year, month = _series_maturity_months(launches, tenor)
    return pd.DatetimeIndex(pd.to_datetime({"year": year, "month": month, "day": _ROLL_DAY}))


def _series_maturity_months(launches: pd.DatetimeIndex, tenor: int) -> tuple[np.ndarray, np.ndarray]:
    """The year and month (June or December) of :func:`series_maturities` of each launch date."""
    month = launches.month.to_numpy()
    june = (month >= 3) & (month < 9)
    return launches.year.to_numpy() + tenor - (month < 3), np.where(june, 6, 12)


def on_the_run_maturities(
    dates: Sequence[DateLike] | pd.DatetimeIndex,
    tenor_years: int = 5,
    *,
    roll_lag_days: int = 0,
    calendar: CalendarName = "weekday",
) -> pd.DatetimeIndex:
    """Maturity of the on-the-run index series on each date (vectorised): the series launched at
    the last actual roll date on or before the date (:func:`index_roll_dates` with
    ``roll_lag_days`` and ``calendar``; during CDX HY's lag the previous series stays on the run).

    This is the one definition of the contract an on-the-run position holds: the remaining
    maturities of a backtest, :func:`standard_maturity` and ``cdshedge convert`` all use it.

    Parameters
    ----------
    dates : sequence of date-like
    tenor_years : int, default 5
    roll_lag_days : int, default 0
        Weekdays between the investment-grade roll and this index's (CDX HY: 5).
    calendar : {"weekday", "us", "eu", "combined"}, default "weekday"

    Returns
    -------
    pandas.DatetimeIndex
        One unadjusted 20 June / 20 December maturity per date.

    Examples
    --------
    >>> [d.strftime("%Y-%m-%d") for d in on_the_run_maturities(["2024-03-20"], roll_lag_days=5, calendar="us")]
    ['2028-12-20']
    """
    if isinstance(dates, pd.DatetimeIndex):  # already dates: no round trip through Python objects
        index = dates.normalize()
    else:
        index = pd.DatetimeIndex(pd.to_datetime(list(dates))).normalize()
    if len(index) == 0:
        return pd.DatetimeIndex([])
    rolls, position = _on_the_run_series(index, roll_lag_days, calendar)
    return series_maturities(rolls, tenor_years)[position]


def _on_the_run_series(index: pd.DatetimeIndex, roll_lag_days: int,
                       calendar: CalendarName) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """The roll dates around ``index`` (normalised, not empty) and the one each date's on-the-run series was
    launched at (:func:`on_the_run_maturities`)."""
    # a roll at least every six months: one year back always holds the roll of the earliest date
    rolls = index_roll_dates(index.min() - pd.DateOffset(years=1), index.max(), lag_business_days=roll_lag_days,
                             calendar=calendar)
    return rolls, rolls.searchsorted(index, side="right") - 1


def on_the_run_maturity_days(dates: pd.DatetimeIndex, tenor_years: int = 5, *, roll_lag_days: int = 0,
                             calendar: CalendarName = "weekday") -> np.ndarray:
    """:func:`on_the_run_maturities` of a ``DatetimeIndex`` as ``datetime64[D]`` values: the same series and
    maturities, the dates assembled by numpy (month arithmetic) rather than by pandas (a backtest's contracts)."""
    tenor = _check_tenor(tenor_years)
    index = dates.normalize()
    if len(index) == 0:
        return np.zeros(0, dtype="datetime64[D]")
    rolls, position = _on_the_run_series(index, roll_lag_days, calendar)
    year, month = _series_maturity_months(rolls, tenor)
    months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    return (months.astype("datetime64[D]") + np.timedelta64(_ROLL_DAY - 1, "D"))[position]


def standard_maturity(trade_date: DateLike, tenor_years: int = 5, *, roll_lag_days: int = 0,
                      calendar: CalendarName = "weekday") -> pd.Timestamp:
    """Maturity of the on-the-run CDS index series on a trade date.

    The on-the-run series is the one launched at the last actual roll date (20 March or
    20 September, moved to a business day and lagged by ``roll_lag_days``) on or before
    ``trade_date``; a March series matures on 20 June and a September series on 20 December,
    ``tenor_years`` years after the launch year (:func:`on_the_run_maturities`).  Maturities
    are unadjusted.

    Parameters
    ----------
    trade_date : date-like
        Trade date.
    tenor_years : int, default 5
        Index tenor in years.
    roll_lag_days : int, default 0
        Weekdays between the investment-grade roll and this index's (CDX HY: 5).
    calendar : {"weekday", "us", "eu", "combined"}, default "weekday"
        Business days of the roll dates.

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
    >>> standard_maturity("2024-03-20", roll_lag_days=5, calendar="us")   # CDX HY rolls on 2024-03-27
    Timestamp('2028-12-20 00:00:00')
    """
    _check_tenor(tenor_years)
    t = _to_day(trade_date, "trade_date")
    return on_the_run_maturities([t], tenor_years, roll_lag_days=roll_lag_days, calendar=calendar)[0]


def years_to_maturity(trade_date: DateLike, tenor_years: int = 5, *, roll_lag_days: int = 0,
                      calendar: CalendarName = "weekday") -> float:
    """Years (ACT/365.25) from ``trade_date`` to the on-the-run maturity.

    Parameters
    ----------
    trade_date : date-like
        Trade date.
    tenor_years : int, default 5
        Index tenor in years.
    roll_lag_days, calendar
        As :func:`standard_maturity` (CDX HY: ``roll_lag_days=5, calendar="us"``).

    Returns
    -------
    float
        ``(standard_maturity(trade_date, ...) - trade_date).days / 365.25``.

    Raises
    ------
    ValueError
        As :func:`standard_maturity`.

    Examples
    --------
    >>> round(years_to_maturity("2024-03-20"), 4)
    5.2512
    >>> round(years_to_maturity("2024-03-20", roll_lag_days=5, calendar="us"), 4)
    4.7529
    """
    t = _to_day(trade_date, "trade_date")
    maturity = standard_maturity(t, tenor_years, roll_lag_days=roll_lag_days, calendar=calendar)
    return (maturity - t).days / _DAYS_PER_YEAR
