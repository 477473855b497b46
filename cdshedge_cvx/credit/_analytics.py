"""CDS analytics: risky annuity (RPV01), CS01/notional conversion, jump-to-default
and accrued premium.

Units used throughout
---------------------
* spreads and coupons are in basis points (1 bp = 1e-4);
* maturities are in years;
* rates are continuously compounded decimals (``0.02`` = 2 %);
* notionals, CS01 and P&L amounts are in $mm (CS01 in $mm per bp).

The risky annuity follows the ISDA standard model with a flat hazard rate and
a flat discount rate, including the accrued-premium-on-default term. See
:func:`rpv01` for the formulas and for how closely it reproduces QuantLib's
``IsdaCdsEngine``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ACCRUAL_DAYS_PER_YEAR",
    "MAX_MATURITY_YEARS",
    "cs01_to_notional",
    "jump_to_default",
    "notional_to_cs01",
    "premium_accrued",
    "rpv01",
]

FloatOrArray = float | NDArray[np.float64]

#: Average number of calendar days in a year, used to turn a model year into
#: an ACT/360 accrual fraction (one year of premium accrues 365.25/360).
ACCRUAL_DAYS_PER_YEAR: float = 365.25

#: Longest maturity :func:`rpv01` accepts, in years (catches maturities
#: passed in days or months by mistake).
MAX_MATURITY_YEARS: float = 100.0

_BP = 1e-4
_ACT360_BASIS = 360.0


# ---------------------------------------------------------------------------
# input validation helpers
# ---------------------------------------------------------------------------
def _as_float_array(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """Convert ``value`` to a float array, rejecting NaN and infinities."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric, got {value!r}") from exc
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)].flat[0]
        raise ValueError(f"{name} must be finite, got {bad!r}")
    return arr


def _first(arr: NDArray[np.float64], mask: NDArray[np.bool_]) -> float:
    """First element of ``arr`` where ``mask`` is true (for error messages)."""
    return float(np.broadcast_to(arr, mask.shape)[mask].flat[0])


def _check_positive(name: str, arr: NDArray[np.float64]) -> None:
    bad = arr <= 0.0
    if np.any(bad):
        raise ValueError(f"{name} must be > 0, got {_first(arr, bad)!r}")


def _check_non_negative(name: str, arr: NDArray[np.float64]) -> None:
    bad = arr < 0.0
    if np.any(bad):
        raise ValueError(f"{name} must be >= 0, got {_first(arr, bad)!r}")


def _check_recovery(arr: NDArray[np.float64]) -> None:
    bad = (arr < 0.0) | (arr >= 1.0)
    if np.any(bad):
        raise ValueError(f"recovery must be in [0, 1), got {_first(arr, bad)!r}")


def _check_positive_int(name: str, value: object) -> int:
    message = f"{name} must be a positive integer, got {value!r}"
    try:
        as_float = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValueError(message) from exc
    is_bool = isinstance(value, (bool, np.bool_))
    if is_bool or not np.isfinite(as_float) or as_float != int(as_float):
        raise ValueError(message)
    if as_float < 1:
        raise ValueError(message)
    return int(as_float)


def _out(arr: NDArray[np.float64]) -> FloatOrArray:
    """Return a Python float for 0-d results, the array otherwise."""
    if arr.ndim == 0:
        return float(arr)
    return arr


def _g(x: NDArray[np.float64]) -> NDArray[np.float64]:
    r"""Numerically stable :math:`g(x) = (1 - e^{-x}(1 + x)) / x^2`.

    :math:`\int_0^h u\,e^{-cu}\,du = h^2 g(ch)`; ``g(0) = 1/2``.
    """
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-3
    xs = np.where(small, x, 0.0)
    series = 0.5 + xs * (
        -1.0 / 3.0 + xs * (1.0 / 8.0 + xs * (-1.0 / 30.0 + xs / 144.0))
    )
    xl = np.where(small, 1.0, x)
    direct = (-np.expm1(-xl) - xl * np.exp(-xl)) / (xl * xl)
    return np.where(small, series, direct)


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------
def rpv01(
    spread_bp: ArrayLike,
    maturity_years: ArrayLike,
    recovery: ArrayLike = 0.4,
    rate: ArrayLike = 0.0,
    frequency: int = 4,
) -> FloatOrArray:
    r"""Risky annuity (RPV01) of a CDS under a flat hazard rate.

    The RPV01 is the present value of a premium of 1 per year, paid until the
    earlier of default and maturity, in years. The PV of the premium leg of a
    CDS with running coupon :math:`c` (decimal) and notional :math:`N` is
    :math:`N \cdot c \cdot \mathrm{RPV01}`.

    Model (ISDA standard model with flat curves):

    * hazard rate :math:`\lambda = s / (1 - R)` with :math:`s` the spread in
      decimal (``spread_bp * 1e-4``), the "credit triangle";
    * survival :math:`Q(t) = e^{-\lambda t}`, discount
      :math:`D(t) = e^{-r t}`; write :math:`c = r + \lambda`;
    * premium periods are generated backwards from the maturity :math:`T`
      every :math:`1/f` years (``f = frequency``); when :math:`fT` is not an
      integer the first period is a short stub starting at 0. Period
      :math:`j` runs from :math:`a_j` to :math:`b_j`, length
      :math:`h_j = b_j - a_j`;
    * ACT/360 accrual: a period of :math:`h` years accrues
      :math:`\alpha = k h` with :math:`k = 365.25/360` (the average
      calendar year in days over 360; a full quarter accrues
      :math:`365.25/1440 \approx 0.2536`);
    * the premium for a period is paid at its end if the name survives, and
      on default the premium accrued since the start of the period is paid
      at the default time (accrued on default).

    Hence

    .. math::

        \mathrm{RPV01} = \sum_j \Big[ k h_j e^{-c b_j}
            + k \lambda \int_{a_j}^{b_j} (u - a_j) e^{-c u}\,du \Big]
        = \sum_j k \Big[ h_j e^{-c b_j}
            + \lambda e^{-c a_j} h_j^2 g(c h_j) \Big],

    with :math:`g(x) = (1 - e^{-x}(1 + x)) / x^2` (and :math:`g(0) = 1/2`).

    Limits: as :math:`\lambda, r \to 0` the RPV01 tends to
    :math:`\sum_j \alpha_j = kT`; with :math:`r = 0` it equals the
    continuous-premium annuity :math:`k (1 - e^{-cT}) / c` exactly, and for
    :math:`r > 0` it is below that by at most a relative :math:`r / f`.

    Parameters
    ----------
    spread_bp : float or array_like
        CDS spread in basis points, > 0. Sets the flat hazard rate.
    maturity_years : float or array_like
        Remaining maturity in years, in (0, 100].
    recovery : float or array_like, default 0.4
        Recovery rate, in [0, 1).
    rate : float or array_like, default 0.0
        Flat continuously-compounded risk-free rate (decimal).
    frequency : int, default 4
        Premium payments per year (4 = quarterly, the CDS standard).

    Returns
    -------
    float or numpy.ndarray
        RPV01 in years (PV of 1 per year of running premium). A float when
        all inputs are scalars, otherwise an array of the broadcast shape.

    Raises
    ------
    ValueError
        If ``spread_bp <= 0``, ``maturity_years`` is outside (0, 100],
        ``recovery`` is outside [0, 1), ``frequency`` is not a positive integer, or an input
        is not finite.

    Notes
    -----
    Where it is approximate. The flat-curve formulas above are evaluated
    exactly; the approximation is the schedule. Real CDS dates are IMM dates
    with business-day adjusted pay dates and actual day counts, and the last
    accrual period includes the maturity day (one extra day, 1/360 of
    premium), whereas here every year accrues exactly 365.25/360. Against
    QuantLib's ``IsdaCdsEngine`` (ISDA standard model, default ``Taylor``
    numerical fix and ``HalfDayBias``) fed the *same* flat hazard rate
    :math:`\lambda = s/(1-R)` on an ACT/365F ``FlatHazardRate`` curve and a
    flat continuously-compounded ACT/365F ``FlatForward`` discount curve,
    pricing a CDS that starts on the valuation date (an IMM date, so no
    accrued at trade, no accrual rebate) with quarterly
    ``DateGeneration.CDS`` dates, ``Following`` on a weekends-only calendar
    and ACT/360 coupons (last period ACT/360 including the maturity day),
    the RPV01 compared is the coupon leg PV (premium plus accrued on
    default) per unit notional and unit coupon,
    ``|couponLegBPS| / notional / 1e-4``. Over spreads 30-1000 bp,
    maturities 1-10 y and rates 0-4 % this function is below QuantLib by at
    most 0.26 % (measured with QuantLib 1.44: -0.251 % at 1000 bp, 1 y,
    0 %); the gap is largest at 1 y, where the missing maturity day is
    about 0.2 % of the annuity, and is below 0.07 % from 3 y on.

    The hazard rate is the credit triangle :math:`s / (1 - R)`. Because
    premium accrues ACT/360 (365.25/360 per year) while protection is paid
    per calendar year, the ISDA par spread of a CDS on that flat hazard
    curve is about :math:`s \times 360/365.25` (98.6 bp for 100 bp at 5 y).
    If instead the QuantLib hazard rate is bootstrapped so that its par
    spread equals ``spread_bp`` (about 1.5 % more hazard), this function is
    within 0.87 % of QuantLib over the same grid (worst at 1000 bp, 10 y,
    0 %, where the RPV01 is most sensitive to the hazard rate).

    Because the stub is at the front (market convention), the RPV01 is
    increasing in maturity only while the annuity is far from saturated: for
    spreads up to 1000 bp, recovery up to 0.6, rates up to 5 % and
    maturities up to 10 y it is; at very high hazard and rates over long
    maturities it can dip by about 1e-5 inside a coupon period. On the
    coupon grid (:math:`fT` an integer) it is always increasing (it only
    gains a period at the end).

    Examples
    --------
    >>> round(rpv01(100.0, 5.0), 4)
    4.8673
    """
    s = _as_float_array("spread_bp", spread_bp)
    t = _as_float_array("maturity_years", maturity_years)
    rec = _as_float_array("recovery", recovery)
    r = _as_float_array("rate", rate)
    f = _check_positive_int("frequency", frequency)
    _check_positive("spread_bp", s)
    _check_positive("maturity_years", t)
    too_long = t > MAX_MATURITY_YEARS
    if np.any(too_long):
        raise ValueError(
            f"maturity_years must be <= {MAX_MATURITY_YEARS:g} (years), "
            f"got {_first(t, too_long)!r}"
        )
    _check_recovery(rec)

    s, t, rec, r = np.broadcast_arrays(s, t, rec, r)
    shape = s.shape
    lam = (s.ravel() * _BP) / (1.0 - rec.ravel())
    c = r.ravel() + lam
    tt = t.ravel()

    # number of premium periods per maturity (a tiny tolerance keeps e.g.
    # 5.0 * 4 = 20 periods when the product is 20.000000000000004)
    n_periods = np.ceil(tt * f - 1e-9).astype(int)
    n_periods = np.maximum(n_periods, 1)
    j = np.arange(int(n_periods.max()))[None, :]
    valid = j < n_periods[:, None]
    ends = tt[:, None] - j / f
    starts = np.maximum(ends - 1.0 / f, 0.0)
    h = np.where(valid, ends - starts, 0.0)
    cc = c[:, None]
    k = ACCRUAL_DAYS_PER_YEAR / _ACT360_BASIS
    premium = h * np.exp(-cc * ends)
    accrued = lam[:, None] * np.exp(-cc * starts) * h * h * _g(cc * h)
    value = k * np.sum(np.where(valid, premium + accrued, 0.0), axis=1)
    return _out(value.reshape(shape))


def cs01_to_notional(
    cs01_mm: ArrayLike,
    spread_bp: ArrayLike,
    maturity_years: ArrayLike,
    recovery: ArrayLike = 0.4,
    rate: ArrayLike = 0.0,
) -> FloatOrArray:
    r"""Notional that carries a given CS01.

    .. math::

        N = \frac{\mathrm{CS01}}{\mathrm{RPV01} \times 10^{-4}}

    with the RPV01 of :func:`rpv01` (quarterly premium).

    Parameters
    ----------
    cs01_mm : float or array_like
        CS01 in $mm per bp (signed: positive for protection bought).
    spread_bp : float or array_like
        CDS spread in basis points, > 0.
    maturity_years : float or array_like
        Remaining maturity in years, > 0.
    recovery : float or array_like, default 0.4
        Recovery rate, in [0, 1).
    rate : float or array_like, default 0.0
        Flat continuously-compounded risk-free rate (decimal).

    Returns
    -------
    float or numpy.ndarray
        Notional in $mm, with the sign of ``cs01_mm``.

    Raises
    ------
    ValueError
        If an input is not finite or :func:`rpv01` rejects its inputs.

    Notes
    -----
    This is the first-order (risky-duration) CS01: the PV change of the
    premium leg for a 1 bp change in running coupon, which is also the
    usual approximation to the PV change for a 1 bp parallel spread move.

    Examples
    --------
    >>> round(cs01_to_notional(0.0048673, 100.0, 5.0), 3)
    10.0
    """
    cs01 = _as_float_array("cs01_mm", cs01_mm)
    annuity = np.asarray(rpv01(spread_bp, maturity_years, recovery, rate))
    return _out(np.asarray(cs01 / (annuity * _BP), dtype=float))


def notional_to_cs01(
    notional_mm: ArrayLike,
    spread_bp: ArrayLike,
    maturity_years: ArrayLike,
    recovery: ArrayLike = 0.4,
    rate: ArrayLike = 0.0,
) -> FloatOrArray:
    r"""CS01 of a given notional (inverse of :func:`cs01_to_notional`).

    .. math::

        \mathrm{CS01} = N \times \mathrm{RPV01} \times 10^{-4}

    Parameters
    ----------
    notional_mm : float or array_like
        Notional in $mm (signed: positive for protection bought).
    spread_bp : float or array_like
        CDS spread in basis points, > 0.
    maturity_years : float or array_like
        Remaining maturity in years, > 0.
    recovery : float or array_like, default 0.4
        Recovery rate, in [0, 1).
    rate : float or array_like, default 0.0
        Flat continuously-compounded risk-free rate (decimal).

    Returns
    -------
    float or numpy.ndarray
        CS01 in $mm per bp, with the sign of ``notional_mm``.

    Raises
    ------
    ValueError
        If an input is not finite or :func:`rpv01` rejects its inputs.

    Examples
    --------
    >>> round(notional_to_cs01(10.0, 100.0, 5.0), 7)
    0.0048673
    """
    notional = _as_float_array("notional_mm", notional_mm)
    annuity = np.asarray(rpv01(spread_bp, maturity_years, recovery, rate))
    return _out(np.asarray(notional * annuity * _BP, dtype=float))


def jump_to_default(
    notional_mm: ArrayLike,
    recovery: ArrayLike = 0.4,
    n_names: int = 125,
) -> FloatOrArray:
    r"""P&L of one name in an equally weighted index defaulting.

    .. math::

        \mathrm{JTD} = \frac{N (1 - R)}{n}

    Parameters
    ----------
    notional_mm : float or array_like
        Index notional in $mm, positive for protection bought (a gain on
        default), negative for protection sold (a loss).
    recovery : float or array_like, default 0.4
        Recovery rate of the defaulting name, in [0, 1).
    n_names : int, default 125
        Number of names in the index (1 for a single-name CDS).

    Returns
    -------
    float or numpy.ndarray
        Default payout in $mm: positive for protection bought.

    Raises
    ------
    ValueError
        If ``recovery`` is outside [0, 1), ``n_names`` is not a positive
        integer, or an input is not finite.

    Notes
    -----
    The accrued premium settled on default and the removal of the name's
    future coupons (an MTM effect) are ignored: this is the default payout
    only.

    Examples
    --------
    >>> jump_to_default(125.0, 0.4, 125)
    0.6
    """
    notional = _as_float_array("notional_mm", notional_mm)
    rec = _as_float_array("recovery", recovery)
    _check_recovery(rec)
    n = _check_positive_int("n_names", n_names)
    return _out(np.asarray(notional * (1.0 - rec) / n, dtype=float))


def premium_accrued(
    notional_mm: ArrayLike,
    rate_bp: ArrayLike,
    days: ArrayLike,
    basis: float = 360,
) -> FloatOrArray:
    r"""Premium accrued over a number of days.

    .. math::

        A = N \times c_{\mathrm{bp}} \times 10^{-4} \times
            \frac{\mathrm{days}}{\mathrm{basis}}

    e.g. $10mm at 100 bp for 94 days on ACT/360 accrues
    :math:`10 \times 0.01 \times 94/360 = 0.0261111` $mm.

    Parameters
    ----------
    notional_mm : float or array_like
        Notional in $mm (signed).
    rate_bp : float or array_like
        Running coupon in basis points, >= 0.
    days : float or array_like
        Number of accrual days, >= 0.
    basis : float, default 360
        Day-count basis (360 for ACT/360, 365 for ACT/365F), > 0.

    Returns
    -------
    float or numpy.ndarray
        Accrued premium in $mm.

    Raises
    ------
    ValueError
        If ``rate_bp < 0``, ``days < 0``, ``basis <= 0`` or an input is not
        finite.

    Examples
    --------
    >>> round(premium_accrued(10.0, 100.0, 94), 7)
    0.0261111
    """
    notional = _as_float_array("notional_mm", notional_mm)
    coupon = _as_float_array("rate_bp", rate_bp)
    d = _as_float_array("days", days)
    b = _as_float_array("basis", basis)
    _check_non_negative("rate_bp", coupon)
    _check_non_negative("days", d)
    _check_positive("basis", b)
    return _out(np.asarray(notional * coupon * _BP * d / b, dtype=float))
