"""Each period's roll-down slope of the instruments given other tenors' spreads (the builder's hook)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cdshedge_cvx.credit._roll_down import curve_roll_slope
from cdshedge_cvx.credit._yield_curve import add_months
from cdshedge_cvx.errors import DataError
from cdshedge_cvx.market._tenor_spreads import TenorSeries

__all__ = ["period_roll_slopes"]


def period_roll_slopes(names: Sequence[str], tenors: Mapping[str, TenorSeries], row: int, base: Any,
                       maturity: np.ndarray, spread: np.ndarray, days: int, given: np.ndarray,
                       source: str = "tenor spreads") -> np.ndarray:
    r"""Roll-down slopes (bp/year) of a period: from the tenor curve where an instrument has other tenors.

    For instrument :math:`i` with other tenors, the contract held matures on ``maturity[i]``
    (:math:`x_0` years after the base date, ACT/365F) at spread ``spread[i]``; the tenor of :math:`m` months is
    the contract maturing :math:`m - m_0` months later (:math:`m_0` the held contract's tenor), at its spread
    on the base date (row ``row``). The slope is :func:`~cdshedge_cvx.credit._roll_down.curve_roll_slope`
    over the period's ``days``. Other instruments keep ``given`` (``roll_slope_bp_per_year`` or NaN, which
    falls back to ``roll_fraction`` × spread).

    Raises
    ------
    DataError
        A tenor whose contract has already matured on the base date (naming the column and the date).
    """
    out = np.array(given, dtype=float, copy=True)
    chosen = [j for j, name in enumerate(names) if name in tenors]
    if not chosen:
        return out
    base_day = np.datetime64(pd.Timestamp(base).date(), "D")
    epoch = np.datetime64("1970-01-01", "D")
    width = max(tenors[names[j]].months.size for j in chosen)
    x0 = np.empty(len(chosen))
    xk = np.full((len(chosen), width), np.nan)
    sk = np.full((len(chosen), width), np.nan)
    for r, j in enumerate(chosen):
        series = tenors[names[j]]
        held = int((np.datetime64(maturity[j], "D") - epoch).astype(np.int64))
        ends = add_months(np.full(series.months.size, held), series.months - series.own_months)
        base_number = int((base_day - epoch).astype(np.int64))
        x0[r] = (held - base_number) / 365.0
        years = (ends - base_number) / 365.0
        if np.any(years <= 0):
            k = int(np.flatnonzero(years <= 0)[0])
            raise DataError(f"{source}, column {series.columns[k]!r}: on {base_day} the contract of this tenor has "
                            f"matured (the one held, {names[j]!r}, matures {np.datetime64(maturity[j], 'D')}); give "
                            "tenors the curve still has")
        xk[r, :years.size] = years
        sk[r, :years.size] = series.values[row]
    out[chosen] = curve_roll_slope(x0, np.asarray(spread, dtype=float)[chosen], xk, sk, float(days))
    return out
