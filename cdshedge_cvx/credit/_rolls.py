"""Index roll schedule of an instrument: roll dates, remaining maturity and rolls per period.

CDS indices roll semi-annually: on 20 March and 20 September (moved to the next business day of
the instrument's calendar, then ``roll_lag_days`` business days later; CDX HY about 5) a new
series becomes on-the-run. The series launched in March matures on 20 June ``tenor_years``
later, the September series on 20 December, so a 5Y on-the-run contract has about 5.25 years
left just after a roll and about 4.75 just before the next one.

The on-the-run series on a date is the one launched at the last *actual* roll date on or before
it (for CDX HY the previous series stays on-the-run during the lag).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdshedge_cvx.credit._calendars import index_roll_dates, on_the_run_maturities
from cdshedge_cvx.errors import DataError
from cdshedge_cvx.market._instruments import Instrument

__all__ = ["DAYS_PER_YEAR", "remaining_maturity", "roll_counts", "roll_dates"]

#: Calendar days per year of a remaining maturity, as :func:`~cdshedge_cvx.calendars.years_to_maturity`.
DAYS_PER_YEAR = 365.25


def roll_dates(instrument: Instrument, start: object, end: object) -> pd.DatetimeIndex:
    """Actual roll dates of ``instrument`` in ``[start, end]``.

    20 March and 20 September, moved to the next business day of ``instrument.roll_calendar``
    when they are not one, then ``instrument.roll_lag_days`` business days later.

    Parameters
    ----------
    instrument : Instrument
    start, end : date-like
        Range of the dates returned (inclusive).

    Returns
    -------
    DatetimeIndex
        Sorted roll dates.

    Examples
    --------
    >>> from cdshedge_cvx.market import standard_universe
    >>> hy = standard_universe()["CDX HY"]
    >>> [d.strftime("%Y-%m-%d") for d in roll_dates(hy, "2024-01-01", "2024-12-31")]
    ['2024-03-27', '2024-09-27']
    """
    try:
        return index_roll_dates(start, end, lag_business_days=int(instrument.roll_lag_days),
                                calendar=instrument.roll_calendar)  # type: ignore[arg-type]
    except ValueError as exc:
        raise DataError(f"instrument {instrument.name!r}: cannot build its roll dates: {exc}") from None


def remaining_maturity(instrument: Instrument, dates: Sequence[object] | pd.DatetimeIndex) -> np.ndarray:
    """Remaining maturity in years of the contract ``instrument`` stands for, on each date.

    ``maturity_rule="fixed"``: ``maturity_years`` on every date. ``"on-the-run"``: the series
    launched at the last actual roll date ``r`` on or before the date matures on 20 Jun / 20 Dec
    ``tenor_years`` later (:func:`~cdshedge_cvx.calendars.on_the_run_maturities`, vectorised over
    dates); the remaining maturity is ``(maturity − date).days / 365.25``.

    Parameters
    ----------
    instrument : Instrument
    dates : sequence of date-like
        Dates on which the maturity is wanted.

    Returns
    -------
    ndarray
        Years, one per date.

    Examples
    --------
    >>> from cdshedge_cvx.market import standard_universe
    >>> ig = standard_universe()["CDX IG"]
    >>> remaining_maturity(ig, ["2024-03-20", "2024-09-19"]).round(4).tolist()   # 2029-06-20, then 2029-06-20
    [5.2512, 4.7502]
    """
    index = pd.DatetimeIndex(pd.to_datetime(list(dates))).normalize()
    if instrument.rule == "fixed":
        return np.full(len(index), float(instrument.maturity_years))  # type: ignore[arg-type]
    if len(index) == 0:
        return np.zeros(0)
    try:
        maturities = on_the_run_maturities(index, int(instrument.tenor_years),
                                           roll_lag_days=int(instrument.roll_lag_days),
                                           calendar=instrument.roll_calendar)  # type: ignore[arg-type]
    except ValueError as exc:
        raise DataError(f"instrument {instrument.name!r}: cannot build its roll dates: {exc}") from None
    return np.asarray((maturities - index).days, dtype=float) / DAYS_PER_YEAR


def roll_counts(instrument: Instrument, bases: pd.DatetimeIndex, ends: pd.DatetimeIndex) -> np.ndarray:
    """Number of roll dates of ``instrument`` in each interval ``(base, end]``.

    A position held from the close of ``base`` to the close of ``end`` is rolled into the new
    series on each of these dates.

    Parameters
    ----------
    instrument : Instrument
    bases, ends : DatetimeIndex
        Interval bounds (same length, ``base < end``).

    Returns
    -------
    ndarray of int
    """
    bases, ends = pd.DatetimeIndex(bases), pd.DatetimeIndex(ends)
    if len(bases) == 0:
        return np.zeros(0, dtype=int)
    rolls = roll_dates(instrument, bases.min(), ends.max())
    return rolls.searchsorted(ends, side="right") - rolls.searchsorted(bases, side="right")
