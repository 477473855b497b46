r"""The contract figures of every period × instrument of a backtest in one vectorised pass.

:func:`~cdshedge_cvx.credit.per_cs01_figures` prices one period's contracts: at the base date :math:`T_0` at
the coupon (upfront, CS01 by the 1 bp bump, RPV01, hazard rate), at par (CS01), and at the horizon
:math:`T_0 + d` at the same spread (the upfront the carry is measured to). :func:`figure_panel` does the same
for a (periods × instruments) panel: the inputs are checked once as arrays (as :func:`per_cs01_figures`
checks them), every contract is priced from the per-grid Chebyshev tables of
:func:`~cdshedge_cvx.credit._isda_table.tabulated_quotes` (the same model to about 1e-13 relative), and the
figures are :func:`~cdshedge_cvx.credit._contract.figures_from_quotes` of the whole panel. No Python loop
runs per contract; one runs per period and currency (the curves).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cdshedge_cvx.credit._contract import ContractFigures, figures_from_quotes
from cdshedge_cvx.credit._isda import _MAX_YEARS, _is_imm_twentieth
from cdshedge_cvx.credit._isda_table import DateIndex, tabulated_quotes
from cdshedge_cvx.credit._yield_curve import _EPOCH, YieldCurve, add_months, from_day_numbers, to_day_numbers
from cdshedge_cvx.errors import DataError, SpecificationError

__all__ = ["figure_panel"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def figure_panel(trade_dates: Any, maturity: Any, spread_bp: FloatArray, coupon_bp: FloatArray,
                 recovery: FloatArray, n_names: FloatArray, index_factor: FloatArray,
                 roll_slope_bp_per_year: FloatArray, curves: Sequence[Sequence[YieldCurve]],
                 currency: IntArray, days: IntArray) -> ContractFigures | None:
    r""":func:`~cdshedge_cvx.credit.per_cs01_figures` of every period (rows) and instrument (columns).

    Parameters
    ----------
    trade_dates
        The ``P`` base dates.
    maturity
        (P, n) contract maturities (dates).
    spread_bp, roll_slope_bp_per_year
        (P, n) spreads and roll-down slopes (bp, bp per year).
    coupon_bp, recovery, n_names, index_factor
        (n,) per instrument.
    curves, currency
        ``curves[p][currency[j]]`` is instrument ``j``'s discount curve at period ``p``'s base date (a flat
        curve may be anchored at any date: it discounts the same from all).
    days
        (P,) the horizon of each period in calendar days (>= 1).

    Returns
    -------
    ContractFigures or None
        Fields of shape (P, n), the numbers of one :func:`per_cs01_figures` call per period to about 1e-13
        relative; ``None`` when the panel has too few contracts per grid for the tables to pay (price the
        periods one by one then).

    Raises
    ------
    DataError, SpecificationError
        An input :func:`per_cs01_figures` would refuse (price the periods one by one to have the period's
        own error name it).
    """
    spread = np.asarray(spread_bp, dtype=np.float64)
    periods, n = spread.shape
    coupon = np.broadcast_to(np.asarray(coupon_bp, dtype=np.float64), (periods, n))
    rec = np.broadcast_to(np.asarray(recovery, dtype=np.float64), (periods, n))
    names = np.broadcast_to(np.asarray(n_names, dtype=np.float64), (periods, n))
    factor = np.broadcast_to(np.asarray(index_factor, dtype=np.float64), (periods, n))
    slope = np.broadcast_to(np.asarray(roll_slope_bp_per_year, dtype=np.float64), (periods, n))
    horizon = np.asarray(days, dtype=np.int64)
    today = np.asarray(to_day_numbers(np.asarray(trade_dates, dtype="datetime64[D]"), "trade_date"),
                       dtype=np.int64).reshape(periods)
    dates = np.asarray(maturity, dtype="datetime64[D]")
    if np.any(np.isnat(dates)):
        raise DataError("maturity: a missing date")
    mat = (dates - _EPOCH).astype(np.int64).reshape(periods, n)
    _check(spread, coupon, rec, names, factor, slope, horizon, today, mat)

    index = DateIndex()
    base_ids = np.empty((periods, len(curves[0])), dtype=np.int64)
    end_ids = np.empty_like(base_ids)
    for p, by_currency in enumerate(curves):
        day, end_day = int(today[p]), int(today[p] + horizon[p])
        for c, curve in enumerate(by_currency):
            # a flat curve (no nodes) discounts the same from any date it is anchored at
            if curve.node_days.size and int((curve.trade_date - _EPOCH).astype(np.int64)) != day:
                raise SpecificationError(f"curve is anchored at {curve.trade_date}, not at the trade date")
            base_ids[p, c] = index.add(curve, day)
            # a flat curve is the same curve from any date; a curve with nodes is rebased to the horizon
            end_curve = curve if curve.node_days.size == 0 else curve.rebased(from_day_numbers(end_day))
            end_ids[p, c] = index.add(end_curve, end_day)
    size = periods * n
    quotes = tabulated_quotes(
        index, np.concatenate([base_ids[:, currency].ravel(), end_ids[:, currency].ravel()]),
        np.concatenate([mat.ravel(), mat.ravel()]), np.concatenate([spread.ravel(), spread.ravel()]),
        np.concatenate([coupon.ravel(), coupon.ravel()]), np.concatenate([rec.ravel(), rec.ravel()]),
        np.arange(2 * size) < size)
    if quotes is None:
        return None
    out = {"cs01": quotes["cs01"][:size], "upfront": quotes["upfront"][:size], "rpv01": quotes["rpv01"][:size],
           "hazard": quotes["hazard_rate"][:size], "cs01_par": quotes["cs01_par"][:size],
           "upfront_end": quotes["upfront"][size:]}
    return figures_from_quotes(out, (periods, n), spread.ravel(), coupon.ravel(), rec.ravel(), names.ravel(),
                               factor.ravel(), slope.ravel(), np.repeat(horizon, n))


def _check(spread: FloatArray, coupon: FloatArray, rec: FloatArray, names: FloatArray, factor: FloatArray,
           slope: FloatArray, horizon: IntArray, today: IntArray, mat: IntArray) -> None:
    """The checks of :func:`~cdshedge_cvx.credit.per_cs01_figures`, on the whole panel (the first failure)."""
    for label, values in (("spread_bp", spread), ("coupon_bp", coupon), ("recovery", rec), ("n_names", names),
                          ("index_factor", factor), ("roll_slope_bp_per_year", slope)):
        if not np.all(np.isfinite(values)):
            raise DataError(f"{label} must be finite")
    if np.any(horizon < 1):
        raise SpecificationError("days must be a whole number of days >= 1")
    if np.any(spread <= 0.0) or np.any(coupon < 0.0) or np.any((rec < 0.0) | (rec >= 1.0)):
        raise DataError("per_cs01_figures: a spread, coupon or recovery out of range")
    if np.any((names < 1) | (names != np.round(names))) or np.any((factor <= 0.0) | (factor > 1.0)):
        raise DataError("n_names must be whole numbers >= 1 and index_factor in (0, 1]")
    if not np.all(_is_imm_twentieth(np.unique(mat))):  # a few distinct maturities (the roll calendar)
        raise DataError("maturity must be a CDS roll date (20 Mar/Jun/Sep/Dec)")
    if np.any(mat <= (today + horizon)[:, None] + 1):
        raise DataError("a horizon reaches a maturity (or a maturity is before the step-in date)")
    if np.any(mat > np.asarray(add_months(today, 12 * _MAX_YEARS), dtype=np.int64)[:, None]):
        raise DataError(f"maturity must be within {_MAX_YEARS} years of the trade date")
