"""Former home of the periods, kept so that ``from cdshedge_cvx.periods._periods import PeriodBuilder``
still works: the schedule is in :mod:`~cdshedge_cvx.periods._schedule`, the data in
:mod:`~cdshedge_cvx.periods._period_data`, the builder in :mod:`~cdshedge_cvx.periods._builder`."""

from __future__ import annotations

from cdshedge_cvx.periods._builder import PeriodBuilder
from cdshedge_cvx.periods._period_data import PeriodData
from cdshedge_cvx.periods._schedule import Mode, Period, make_periods, normalise_horizon

__all__ = ["Mode", "Period", "PeriodBuilder", "PeriodData", "make_periods", "normalise_horizon"]
