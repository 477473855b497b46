"""The rebalancing schedule: horizons and the periods they cut the dates into.

A period is every observation after the previous period's last date up to its own last date;
the date before it (the *base*) provides the starting level and is when a walk-forward decision
is taken. The very first date of the data is never inside a period.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from cdshedge_cvx.errors import SpecificationError

__all__ = ["HORIZON_ALIASES", "Mode", "Period", "make_periods", "normalise_horizon"]

#: The prototype's aliases (pandas < 2.2) mapped to current pandas offset aliases.
HORIZON_ALIASES = {"M": "ME", "Q": "QE", "A": "YE", "Y": "YE", "BM": "BME", "BQ": "BQE", "BA": "BYE",
                   "BY": "BYE", "SM": "SME"}
Mode = Literal["hindsight", "walk-forward"]


def normalise_horizon(horizon: str) -> str:
    """Map ``M``/``Q``/``A`` (and ``2M`` …) to pandas aliases; validate any other alias."""
    if not isinstance(horizon, str) or not horizon.strip():
        raise SpecificationError(
            f"horizon must be a pandas offset alias such as 'M', 'Q', 'A', 'W-FRI'; got {horizon!r}")
    text = horizon.strip()
    digits = ""
    while text and text[0].isdigit():
        digits, text = digits + text[0], text[1:]
    base, _, anchor = text.partition("-")
    alias = digits + HORIZON_ALIASES.get(base.upper() if base.upper() in HORIZON_ALIASES else base, base)
    if anchor:
        alias += "-" + anchor
    try:
        pd.tseries.frequencies.to_offset(alias)
    except ValueError:
        raise SpecificationError(f"unknown horizon {horizon!r}; use M, Q, A or a pandas offset alias "
                                 "(ME, QE, YE, W, W-FRI, 2W, …)") from None
    return alias


@dataclass(frozen=True)
class Period:
    """Positions of one period in the date index: rows ``first … last`` (inclusive)."""

    end: pd.Timestamp
    base: pd.Timestamp
    first: int
    last: int
    #: observation dates of the calendar in (base, end] when it has dates the data lost (``None``: the rows)
    calendar_rows: int | None = None

    @property
    def rows(self) -> int:
        """Number of observation dates in the period, from the calendar (the dates of the input,
        whichever values survived the missing-data policy); without a calendar, the data's rows."""
        return self.calendar_rows if self.calendar_rows is not None else self.last - self.first + 1

    @property
    def calendar_days(self) -> int:
        """Calendar days from the base date to the last date."""
        return int((self.end - self.base).days)


def make_periods(dates: pd.DatetimeIndex, horizon: str, min_rows: int = 1,
                 calendar: pd.DatetimeIndex | None = None) -> list[Period]:
    """Split ``dates`` into periods by the pandas resample bins of ``horizon``.

    The period's end is its last actual date (as the prototype's ``x.index[-1]``); periods with
    fewer than ``min_rows`` observations are skipped (the prototype skips < 2). ``calendar``
    (the observation dates before any was dropped, a superset of ``dates``) gives each period's
    :attr:`Period.rows`: the schedule comes from the calendar, not from which values survived.
    """
    alias = normalise_horizon(horizon)
    positions = pd.Series(np.arange(len(dates)), index=dates)
    lasts = positions.resample(alias).last().dropna().astype(int).to_numpy()
    periods = []
    previous = 0
    for last in lasts:
        first = previous + 1
        if last >= first and last - first + 1 >= min_rows:
            base, end = dates[first - 1], dates[last]
            counted = None
            if calendar is not None and len(calendar) != len(dates):
                counted = int(calendar.searchsorted(end, side="right") - calendar.searchsorted(base, side="right"))
            periods.append(Period(end=end, base=base, first=first, last=last, calendar_rows=counted))
        previous = max(previous, last)
    return periods
