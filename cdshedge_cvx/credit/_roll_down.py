r"""Roll-down slope from a credit curve given at other tenors (piecewise linear in maturity).

A contract with :math:`x_0` years left (ACT/365F from the base date to its maturity) quoted at spread
:math:`s_0` rolls down its credit curve as it ages: over a period of :math:`d` calendar days its maturity
shortens by :math:`\Delta = d/365` years and, with the curve unchanged, its spread becomes
:math:`s(x_0 - \Delta)`. Given the spreads :math:`s_k` of other tenors of the same index at their remaining
maturities :math:`x_k` (the 3Y and 7Y series launched with the contract held mature 2 years before and after
it), the curve is the piecewise-linear interpolation through the points :math:`(x_k, s_k)` and
:math:`(x_0, s_0)`, extended linearly beyond its first and last points, and the roll-down slope is

.. math:: b = \frac{s(x_0) - s(x_0 - \Delta)}{\Delta} \quad \text{(bp per year)},

the slope of the segment the contract rolls down along (the average over the segments it crosses when
the period is longer than a segment). :func:`~cdshedge_cvx.credit.per_cs01_figures` turns it into the
roll-down :math:`-b\,d/365` CS01 per unit of CS01.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cdshedge_cvx.errors import DataError

__all__ = ["curve_roll_slope"]

FloatArray = NDArray[np.float64]

_DAYS_PER_YEAR = 365.0


def curve_roll_slope(maturity_years: ArrayLike, spread_bp: ArrayLike, tenor_maturity_years: ArrayLike,
                     tenor_spread_bp: ArrayLike, days: float) -> FloatArray:
    r"""Roll-down slope (bp per year) of contracts along the curve through other tenors' spreads.

    Parameters
    ----------
    maturity_years : array_like, shape (n,)
        Remaining maturity :math:`x_0` of each contract held (years, ACT/365F, > 0).
    spread_bp : array_like, shape (n,)
        Its spread :math:`s_0` (bp).
    tenor_maturity_years : array_like, shape (n, k)
        Remaining maturities :math:`x_k` of the other tenors of each contract's index (> 0, distinct from
        :math:`x_0` and from each other); NaN where an index has fewer tenors (at least one per row).
    tenor_spread_bp : array_like, shape (n, k)
        Their spreads :math:`s_k` (bp); NaN where the maturity is NaN.
    days : float
        Length :math:`d` of the period in calendar days (> 0).

    Returns
    -------
    numpy.ndarray, shape (n,)
        :math:`b = [s(x_0) - s(x_0 - d/365)]/(d/365)` on the piecewise-linear curve through
        :math:`(x_k, s_k)` and :math:`(x_0, s_0)`, extrapolated linearly beyond its ends.

    Raises
    ------
    DataError
        Non-finite or non-positive maturities or spreads, a row without tenors, coinciding maturities,
        ``days`` not positive.

    Examples
    --------
    A 4.75y contract at 60 bp with the 2.75y tenor at 40 bp rolls down (60 - 40)/2 = 10 bp per year:

    >>> float(curve_roll_slope([4.75], [60.0], [[2.75, 6.75]], [[40.0, 75.0]], days=30)[0])
    10.0
    """
    x0 = np.asarray(maturity_years, dtype=np.float64).reshape(-1)
    s0 = np.asarray(spread_bp, dtype=np.float64).reshape(-1)
    xk = np.asarray(tenor_maturity_years, dtype=np.float64)
    sk = np.asarray(tenor_spread_bp, dtype=np.float64)
    n = x0.size
    if xk.ndim == 1:
        xk, sk = xk.reshape(n, -1), sk.reshape(n, -1)
    if s0.size != n or xk.shape != sk.shape or xk.shape[0] != n:
        raise DataError(f"curve_roll_slope: shapes {x0.shape}, {s0.shape}, {xk.shape}, {sk.shape} do not match")
    if not (np.isfinite(days) and days > 0):
        raise DataError(f"curve_roll_slope: days must be > 0, got {days!r}")
    for name, values in (("maturity_years", x0), ("spread_bp", s0)):
        if not np.all(np.isfinite(values) & (values > 0)):
            raise DataError(f"curve_roll_slope: {name} must be finite and > 0, got {values[~(values > 0)][:1]}")
    given = np.isfinite(xk)
    if np.any(given != np.isfinite(sk)) or np.any(sk[given] <= 0) or np.any(xk[given] <= 0):
        raise DataError("curve_roll_slope: each tenor needs a maturity > 0 and a finite spread > 0")
    if np.any(~given.any(axis=1)):
        raise DataError(f"curve_roll_slope: contract {int(np.flatnonzero(~given.any(axis=1))[0])} has no other tenor")
    delta = float(days) / _DAYS_PER_YEAR
    out = np.empty(n)
    for i in range(n):
        x = np.concatenate(([x0[i]], xk[i, given[i]]))
        s = np.concatenate(([s0[i]], sk[i, given[i]]))
        order = np.argsort(x)
        x, s = x[order], s[order]
        if np.any(np.diff(x) <= 0):
            raise DataError(f"curve_roll_slope: contract {i} has two points at the same maturity")
        target = x0[i] - delta
        # the segment holding the target, the first/last one beyond the ends (linear extrapolation)
        j = int(np.clip(np.searchsorted(x, target, side="right") - 1, 0, x.size - 2))
        end = s[j] + (s[j + 1] - s[j]) * (target - x[j]) / (x[j + 1] - x[j])
        out[i] = (s0[i] - end) / delta
    return out
