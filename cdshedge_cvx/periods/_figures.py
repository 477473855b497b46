"""A period's contract figures per unit of CS01, from the ISDA CDS Standard Model at its base date."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cdshedge_cvx.credit._contract import _ROLL_DAYS, ContractFigures, figures_with_quotes, per_cs01_figures

if TYPE_CHECKING:
    from cdshedge_cvx.periods._period_data import PeriodData

__all__ = ["FIGURES_SOURCES", "contract_figures", "figures_days", "figures_request", "priced_days"]

#: The period-data keys the figures are computed from.
FIGURES_SOURCES = ("base", "spread_start", "coupon_bp", "recovery", "n_names", "index_factor", "calendar_days",
                   "roll_slope_bp_per_year", "contract_maturity", "curves")


def contract_figures(data: PeriodData, quotes: Mapping[str, Any] | None = None,
                     priced: ContractFigures | None = None, priced_days: int | None = None) -> ContractFigures:
    r"""Notional, carry, roll-down and jump-to-default per unit of CS01 of every instrument of a period.

    :func:`~cdshedge_cvx.credit.per_cs01_figures` at the base date :math:`T_0` for the contract held
    (``contract_maturity``: the on-the-run series or the fixed-tenor contract traded on :math:`T_0`), at the
    spread :math:`s` the terms use (``spread_start``), with the instrument's coupon, recovery, names and index
    factor, the discount curve of its currency at :math:`T_0` (``curves``), over the period's calendar days
    :math:`d`, and the roll-down slope :math:`b` = ``roll_slope_bp_per_year`` where given (the period's slope
    of the curve through the other tenors when the market has them, see ``periods/_roll_slopes.py``), else
    ``roll_fraction`` × :math:`s`. All instruments in one vectorised call (one pricing per currency);
    ``quotes``: the period's quotes already priced with the other periods'
    (:func:`~cdshedge_cvx.credit._contract.per_cs01_quotes_batch`, the same numbers); ``priced``: the period's
    figures already computed with the other periods' over the ``priced_days`` (default :func:`figures_days`)
    (:func:`~cdshedge_cvx.credit._figure_panel.figure_panel`; the roll-down is taken from ``data``'s slope).

    A period longer than a contract's remaining life (a fixed short tenor, an annual horizon): the figures
    are priced over the :math:`d' = \min_i(T_i - T_0) - 2` days the contracts allow and carry, cash carry
    and roll-down scaled by :math:`d/d'` (the position rolled into the same contract).
    """
    spread = np.asarray(data.spread_start, dtype=float)
    slope = np.asarray(data.roll_slope_bp_per_year, dtype=float)
    slope = np.where(np.isnan(slope), np.asarray(data.roll_fraction, dtype=float) * spread, slope)
    if priced is not None:  # the panel of all periods (PeriodBuilder): the period's slope for the roll-down
        days = int(data.calendar_days)
        if priced_days is None:
            priced_days = figures_days(data.base, data.contract_maturity, days)
        roll = 0.0 - np.broadcast_to(slope, np.shape(priced.cs01)) * priced_days / _ROLL_DAYS
        figures = dataclasses.replace(priced, roll_down=roll, par=dataclasses.replace(priced.par, roll_down=roll))
    else:
        request = figures_request(data.base, data.contract_maturity, spread, data.coupon_bp, data.recovery,
                                  data.curves, data.n_names, data.index_factor, data.calendar_days)
        if quotes is None:
            figures = per_cs01_figures(**request, roll_slope_bp_per_year=slope)
        else:  # priced with the other periods (PeriodBuilder): the same numbers
            figures = figures_with_quotes(quotes, **request, roll_slope_bp_per_year=slope)
        days, priced_days = int(data.calendar_days), request["days"]
    if priced_days == days:
        return figures
    scale = days / priced_days
    return dataclasses.replace(figures, carry=figures.carry * scale, carry_cash=figures.carry_cash * scale,
                               roll_down=figures.roll_down * scale)


def figures_request(base: Any, contract_maturity: Any, spread_start: Any, coupon_bp: Any, recovery: Any,
                    curves: Any, n_names: Any, index_factor: Any, calendar_days: int) -> dict[str, Any]:
    """The arguments of :func:`~cdshedge_cvx.credit.per_cs01_figures` for a period (without the roll-down
    slope): the horizon ``days`` is the period's calendar days, capped at the contracts' remaining life less
    the step-in (:func:`contract_figures` scales the carry back to the period)."""
    maturity = np.asarray(contract_maturity, dtype="datetime64[D]")
    return {"trade_date": base, "maturity": maturity, "spread_bp": np.asarray(spread_start, dtype=float),
            "coupon_bp": coupon_bp, "recovery": recovery, "curve": list(curves), "n_names": n_names,
            "index_factor": index_factor, "days": figures_days(base, maturity, calendar_days)}


def figures_days(base: Any, contract_maturity: Any, calendar_days: int) -> int:
    """The horizon the figures are priced over: the period's calendar days, capped at the contracts' remaining
    life less the step-in, at least 1 (:func:`priced_days` of one period)."""
    maturity = np.asarray(contract_maturity, dtype="datetime64[D]").reshape(1, -1)
    base_day = np.asarray([np.datetime64(pd.Timestamp(base).date(), "D")])
    return int(priced_days(base_day, maturity, np.asarray([int(calendar_days)]))[0])


def priced_days(base_days: Any, maturity: Any, calendar_days: Any) -> np.ndarray:
    """:func:`figures_days` of many periods: ``base_days`` (P,) and ``calendar_days`` (P,), ``maturity``
    (P, n) dates; max(1, min(calendar days, min_i(T_i − T_0) − 2))."""
    life = (np.min(maturity, axis=1) - base_days).astype(np.int64) - 2
    return np.maximum(1, np.minimum(np.asarray(calendar_days, dtype=np.int64), life))
