r"""Interest-rate discount curves for the ISDA CDS Standard Model.

A :class:`YieldCurve` is a discount curve anchored at a trade date :math:`T` (where
:math:`P(T) = 1`), with time measured ACT/365F from :math:`T`:

.. math::

    t(d) = \frac{d - T}{365}, \qquad P(d) = \exp\big(y(t(d))\big),

where :math:`y` (the log discount factor) is piecewise linear in :math:`t` between the curve's
nodes -- "log-linear discount factors", i.e. a flat instantaneous forward rate between two
nodes -- and continues with the last segment's slope beyond the last node (the forward rate of the
last segment is held flat, as the ISDA model and QuantLib's ``LogLinear`` discount curve do).

:meth:`YieldCurve.isda` bootstraps the curve from money-market deposits and par swap rates with
the ISDA CDS Standard Model's conventions (see ``docs/analytics_isda.md``); :meth:`YieldCurve.flat`
builds :math:`P(t) = e^{-rt}`.

The date helpers of this module work on integer day numbers (days since 1970-01-01) with a
weekends-only calendar, the ISDA standard model's calendar.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cdshedge_cvx.errors import DataError, SpecificationError

__all__ = ["ISDA_CURVE_CONVENTIONS", "IsdaCurveConvention", "YieldCurve"]

_EPOCH = np.datetime64("1970-01-01", "D")
_DAYS_PER_YEAR = 365.0  # ACT/365F, the time measure of the ISDA model

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


# ---------------------------------------------------------------------------
# conventions
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class IsdaCurveConvention:
    """Instrument conventions of an ISDA CDS Standard Model rate curve for one currency.

    Attributes
    ----------
    currency : str
        ISO code.
    mm_day_count : str
        Day count of the money-market deposits: ``"ACT/360"`` or ``"ACT/365F"``.
    fixed_day_count : str
        Day count of the swaps' fixed leg: ``"30/360"`` (bond basis) or ``"ACT/365F"``.
    fixed_months : int
        Months between fixed-leg payments (6 = semiannual, 12 = annual).
    float_months : int
        Tenor of the floating index (documentation only: the floating leg is valued at par,
        :math:`P(\\text{spot}) - P(\\text{end})`, whatever its tenor).
    spot_days : int
        Business days from the trade date to the instruments' start (spot) date.
    """

    currency: str
    mm_day_count: str
    fixed_day_count: str
    fixed_months: int
    float_months: int
    spot_days: int = 2


#: ISDA CDS Standard Model curve conventions per currency (Markit "Interest Rate Curve XML
#: Specifications"; the same table is in OpenGamma Strata's ``StandardIsdaYieldCurveConventions``).
#: Every currency uses a weekends-only calendar and Modified Following.
ISDA_CURVE_CONVENTIONS: dict[str, IsdaCurveConvention] = {
    "USD": IsdaCurveConvention("USD", "ACT/360", "30/360", 6, 3),
    "EUR": IsdaCurveConvention("EUR", "ACT/360", "30/360", 12, 6),
    "GBP": IsdaCurveConvention("GBP", "ACT/365F", "ACT/365F", 6, 6),
    "CHF": IsdaCurveConvention("CHF", "ACT/360", "30/360", 12, 6),
    "JPY": IsdaCurveConvention("JPY", "ACT/360", "30/360", 6, 6),
}

_DAY_COUNTS = ("ACT/360", "ACT/365F", "30/360")


# ---------------------------------------------------------------------------
# date helpers (integer day numbers, weekends-only calendar)
# ---------------------------------------------------------------------------
def to_day_numbers(value: Any, name: str) -> IntArray:
    """Dates (str, ``datetime.date``, numpy/pandas datetimes, or arrays of them) as day numbers.

    Raises
    ------
    DataError
        If ``value`` cannot be read as dates; the message names ``name``.
    """
    try:
        arr = np.asarray(value)
        if arr.dtype.kind == "M":
            arr = arr.astype("datetime64[D]")
        elif arr.dtype.kind in "OUS":
            try:
                arr = arr.astype("datetime64[D]")
            except (TypeError, ValueError):
                arr = np.asarray(
                    [np.datetime64(getattr(v, "date", lambda v=v: v)(), "D") for v in arr.ravel()],
                    dtype="datetime64[D]",
                ).reshape(arr.shape)
        else:
            raise TypeError
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be dates (e.g. '2024-03-20' or datetime.date), got {value!r}") from exc
    if np.any(np.isnat(arr)):
        raise DataError(f"{name} must be dates, got a missing date (NaT)")
    return (arr - _EPOCH).astype(np.int64)


def from_day_numbers(days: ArrayLike) -> NDArray[np.datetime64]:
    """Day numbers back to ``datetime64[D]``."""
    return _EPOCH + np.asarray(days, dtype=np.int64).astype("timedelta64[D]")


def weekday(days: ArrayLike) -> IntArray:
    """Day of the week, Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday)."""
    return (np.asarray(days, dtype=np.int64) + 3) % 7


def following(days: ArrayLike) -> IntArray:
    """Following business day (weekends-only calendar): Saturday +2, Sunday +1."""
    d = np.asarray(days, dtype=np.int64)
    wd = weekday(d)
    return d + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))


def _preceding(days: ArrayLike) -> IntArray:
    d = np.asarray(days, dtype=np.int64)
    wd = weekday(d)
    return d - np.where(wd == 5, 1, np.where(wd == 6, 2, 0))


def _month_index(days: ArrayLike) -> IntArray:
    """Months since 1970-01 of each date."""
    return from_day_numbers(days).astype("datetime64[M]").astype(np.int64)


def modified_following(days: ArrayLike) -> IntArray:
    """Modified Following: the following business day unless it is in the next month, else preceding."""
    d = np.asarray(days, dtype=np.int64)
    f = following(d)
    return np.where(_month_index(f) != _month_index(d), _preceding(d), f)


def day_of_month(days: ArrayLike) -> IntArray:
    d = np.asarray(days, dtype=np.int64)
    first = from_day_numbers(d).astype("datetime64[M]").astype("datetime64[D]")
    return d - (first - _EPOCH).astype(np.int64) + 1


def add_months(days: ArrayLike, months: ArrayLike) -> IntArray:
    """Add calendar months; a day past the end of the target month is clamped to its last day."""
    d = np.asarray(days, dtype=np.int64)
    dom = day_of_month(d)
    target = from_day_numbers(d).astype("datetime64[M]") + np.asarray(months, dtype=np.int64).astype("timedelta64[M]")
    start = (target.astype("datetime64[D]") - _EPOCH).astype(np.int64)
    length = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - _EPOCH).astype(np.int64) - start
    return start + np.minimum(dom, length) - 1


def advance_business_days(days: ArrayLike, n: int) -> IntArray:
    """Move ``n >= 0`` business days forward (weekends-only), counting from ``days`` even on a weekend.

    ``n = 0`` returns the following business day.
    """
    d = following(days)
    if n == 0:
        return d
    d = np.asarray(days, dtype=np.int64)
    for _ in range(n):
        d = following(d + 1)
    return d


def year_fraction(start: ArrayLike, end: ArrayLike, basis: str) -> FloatArray:
    """Year fraction between day numbers under ``ACT/360``, ``ACT/365F`` or ``30/360`` (bond basis).

    30/360 bond basis: :math:`360(y_2-y_1) + 30(m_2-m_1) + d_2 - d_1` with :math:`d_1 = 31 \\to 30`
    and :math:`d_2 = 31 \\to 30` when :math:`d_1 \\ge 30`.
    """
    s = np.asarray(start, dtype=np.int64)
    e = np.asarray(end, dtype=np.int64)
    if basis == "ACT/360":
        return (e - s) / 360.0
    if basis == "ACT/365F":
        return (e - s) / 365.0
    if basis == "30/360":
        d1 = day_of_month(s)
        d2 = day_of_month(e)
        d1 = np.where(d1 == 31, 30, d1)
        d2 = np.where((d2 == 31) & (d1 >= 30), 30, d2)
        months = _month_index(e) - _month_index(s)
        return (30 * months + d2 - d1) / 360.0
    raise SpecificationError(f"day count must be one of {', '.join(_DAY_COUNTS)}, got {basis!r}")


_TENOR = re.compile(r"^\s*(\d+)\s*([DWMY])\s*$", re.IGNORECASE)


def parse_tenor(tenor: str, name: str) -> tuple[int, str]:
    """``"3M"`` -> ``(3, "M")``; units D, W, M, Y."""
    match = _TENOR.match(str(tenor))
    if match is None or int(match.group(1)) <= 0:
        raise DataError(f"{name}: tenor must look like '1M', '6M', '2Y' or '1W', got {tenor!r}")
    return int(match.group(1)), match.group(2).upper()


def add_tenor(days: ArrayLike, n: int, unit: str) -> IntArray:
    """Unadjusted ``days + n unit``."""
    d = np.asarray(days, dtype=np.int64)
    if unit == "D":
        return d + n
    if unit == "W":
        return d + 7 * n
    if unit == "M":
        return add_months(d, n)
    return add_months(d, 12 * n)


# ---------------------------------------------------------------------------
# the curve
# ---------------------------------------------------------------------------
def _finite_rate(value: Any, name: str) -> float:
    try:
        rate = float(value)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be a number (decimal rate, 0.05 = 5 %), got {value!r}") from exc
    if not math.isfinite(rate):
        raise DataError(f"{name} must be finite, got {value!r}")
    if abs(rate) > 1.0:
        raise DataError(f"{name} must be a decimal rate (0.05 = 5 %), got {value!r}")
    return rate


def _quotes(quotes: Mapping[str, float] | Iterable[tuple[str, float]] | None, name: str) -> list[tuple[str, float]]:
    if quotes is None:
        return []
    items = list(quotes.items()) if isinstance(quotes, Mapping) else list(quotes)
    out = []
    for item in items:
        try:
            tenor, rate = item
        except (TypeError, ValueError) as exc:
            raise DataError(f"{name} must map tenors to rates, e.g. {{'1M': 0.05}}, got {item!r}") from exc
        out.append((str(tenor), _finite_rate(rate, f"{name}[{tenor!r}]")))
    return out


@dataclass(frozen=True, eq=False)
class YieldCurve:
    r"""Discount curve :math:`P(d)` anchored at ``trade_date`` (ACT/365F time, log-linear discount factors).

    Build it with :meth:`isda` (ISDA CDS Standard Model bootstrap) or :meth:`flat`.

    Attributes
    ----------
    trade_date : numpy.datetime64
        Reference date, :math:`P = 1` there.
    node_days : numpy.ndarray
        Days from ``trade_date`` of the curve's nodes (pillars), increasing, excluding the trade date
        itself. Empty for a flat curve.
    node_log_discount : numpy.ndarray
        :math:`\log P` at the nodes.
    tail_rate : float
        Continuously compounded forward rate used beyond the last node (the last segment's forward;
        the rate itself for a flat curve).
    currency : str or None
        Currency of an ISDA curve.
    instruments : tuple
        ``(kind, tenor, rate, pillar date)`` of the bootstrap instruments, in pillar order.
    convention : IsdaCurveConvention or None
        Conventions of an ISDA curve (``None`` for a flat curve).
    """

    trade_date: np.datetime64
    node_days: IntArray
    node_log_discount: FloatArray
    tail_rate: float
    currency: str | None = None
    instruments: tuple[tuple[str, str, float, np.datetime64], ...] = field(default=())
    convention: IsdaCurveConvention | None = None

    # -- constructors ------------------------------------------------------
    @classmethod
    def flat(cls, rate: float, trade_date: Any) -> YieldCurve:
        r"""Flat continuously compounded curve :math:`P(t) = e^{-rt}`, ``t`` ACT/365F from ``trade_date``.

        Same as QuantLib's ``FlatForward(trade_date, rate, Actual365Fixed())``. Negative rates work.
        """
        r = _finite_rate(rate, "rate")
        day = int(to_day_numbers(trade_date, "trade_date").reshape(-1)[0]) if np.ndim(trade_date) == 0 else None
        if day is None:
            raise DataError(f"trade_date must be one date, got {trade_date!r}")
        return cls(
            trade_date=from_day_numbers(day)[()],
            node_days=np.zeros(0, dtype=np.int64),
            node_log_discount=np.zeros(0),
            tail_rate=r,
        )

    @classmethod
    def isda(
        cls,
        trade_date: Any,
        deposits: Mapping[str, float] | None = None,
        swaps: Mapping[str, float] | None = None,
        currency: str = "USD",
        *,
        convention: IsdaCurveConvention | None = None,
    ) -> YieldCurve:
        r"""Bootstrap the ISDA CDS Standard Model discount curve.

        Every instrument starts at the spot date :math:`S` = trade date + 2 weekdays (weekends-only
        calendar, counted from the trade date even when it is a weekend); the curve itself starts at the
        trade date, :math:`P(T) = 1`, and :math:`P(S)` is read off the curve being built.

        * **Deposit** (money market, simple rate :math:`r`, ACT/360 -- ACT/365F for GBP): ends at
          :math:`E` = :math:`S` + tenor, Modified Following; node at :math:`E` with
          :math:`P(E) = P(S) / (1 + r\,\tau(S, E))`.
        * **Swap** (par rate :math:`K`): fixed leg dates rolled backward from the unadjusted
          :math:`S` + tenor every ``fixed_months`` (semiannual USD/JPY/GBP, annual EUR/CHF), all dates
          Modified Following, accrual 30/360 bond basis (ACT/365F for GBP), paid on the adjusted accrual
          end; the floating leg is at par, so the node at the adjusted end date :math:`E` solves

          .. math:: K \sum_i \tau_i P(d_i) = P(S) - P(E),

          where the :math:`P(d_i)` between the previous node and :math:`E` are log-linear in the unknown
          :math:`P(E)` (solved by Newton's method to machine precision).

        Nodes are bootstrapped in date order; :math:`\log P` is linear in ACT/365F time between nodes and
        extrapolated with the last segment's forward rate. This is QuantLib's
        ``PiecewiseYieldCurve<Discount, LogLinear>`` over ``DepositRateHelper`` (2 fixing days,
        weekends-only, Modified Following, ACT/360) and ``SwapRateHelper`` (weekends-only, Modified Following,
        30/360 bond basis) quotes with par floating coupons, as in QuantLib's ISDA engine tests.

        Parameters
        ----------
        trade_date : date-like
            Curve reference date (the CDS trade date).
        deposits : mapping of str to float, optional
            Money-market rates by tenor, decimals: ``{"1M": 0.0053, "3M": 0.0054, ...}``.
        swaps : mapping of str to float, optional
            Par swap rates by tenor, decimals: ``{"2Y": 0.012, "5Y": 0.024, ...}``.
        currency : str, default "USD"
            Selects the conventions in :data:`ISDA_CURVE_CONVENTIONS` (USD, EUR, GBP, CHF, JPY).
        convention : IsdaCurveConvention, optional
            Explicit conventions for another currency (overrides ``currency``'s table entry).

        Raises
        ------
        DataError
            Bad dates, tenors or rates (the message names the quote), no quotes, or two instruments
            ending on the same date.
        SpecificationError
            Unknown currency without an explicit ``convention``.
        """
        if convention is None:
            key = str(currency).upper()
            if key not in ISDA_CURVE_CONVENTIONS:
                raise SpecificationError(
                    f"currency {currency!r} has no ISDA curve convention here (known: "
                    f"{', '.join(ISDA_CURVE_CONVENTIONS)}); pass convention=IsdaCurveConvention(...)")
            convention = ISDA_CURVE_CONVENTIONS[key]
        if np.ndim(trade_date) != 0:
            raise DataError(f"trade_date must be one date, got {trade_date!r}")
        today = int(to_day_numbers(trade_date, "trade_date").reshape(-1)[0])
        spot = int(advance_business_days(today, convention.spot_days))
        deps = _quotes(deposits, "deposits")
        swps = _quotes(swaps, "swaps")
        if not deps and not swps:
            raise DataError("YieldCurve.isda needs at least one deposit or swap quote")

        # instruments as (pillar, kind, tenor, rate, payload)
        instruments: list[tuple[int, str, str, float, Any]] = []
        for tenor, rate in deps:
            n, unit = parse_tenor(tenor, f"deposits[{tenor!r}]")
            end = int(modified_following(add_tenor(spot, n, unit)))
            tau = float(year_fraction(spot, end, convention.mm_day_count))
            if 1.0 + rate * tau <= 0.0:
                raise DataError(f"deposits[{tenor!r}] = {rate!r} gives a non-positive discount factor")
            instruments.append((end, "deposit", tenor, rate, tau))
        swap_months = []
        for tenor, _ in swps:
            n, unit = parse_tenor(tenor, f"swaps[{tenor!r}]")
            if unit not in "MY":
                raise DataError(f"swaps[{tenor!r}]: swap tenors are in months or years, got {tenor!r}")
            swap_months.append(n * (12 if unit == "Y" else 1))
        schedules = _swap_schedules(spot, swap_months, convention.fixed_months) if swps else []
        if schedules:
            all_taus = year_fraction(np.concatenate([d[:-1] for d in schedules]),
                                     np.concatenate([d[1:] for d in schedules]), convention.fixed_day_count)
            bounds = np.cumsum([0] + [d.size - 1 for d in schedules])
        for j, ((tenor, rate), dates) in enumerate(zip(swps, schedules)):
            taus = all_taus[bounds[j]:bounds[j + 1]]
            instruments.append((int(dates[-1]), "swap", tenor, rate, (dates[1:], taus)))
        instruments.sort(key=lambda item: item[0])
        pillars = [item[0] for item in instruments]
        for a, b in itertools.pairwise(instruments):
            if a[0] == b[0]:
                raise DataError(
                    f"{a[1]} {a[2]} and {b[1]} {b[2]} both end on {from_day_numbers(a[0] + 0)}: "
                    "drop one of them")

        known_t = [0.0]
        known_y = [0.0]
        for pillar, kind, tenor, rate, payload in instruments:
            t_e = (pillar - today) / _DAYS_PER_YEAR

            def coeffs(days: ArrayLike, t_e: float = t_e) -> tuple[FloatArray, FloatArray]:
                t = (np.asarray(days, dtype=np.int64) - today) / _DAYS_PER_YEAR
                old = t <= known_t[-1]
                w = np.where(old, 0.0, (t - known_t[-1]) / (t_e - known_t[-1]))
                a = np.where(old, np.interp(t, known_t, known_y), known_y[-1] * (1.0 - w))
                return a, w

            a_s, b_s = coeffs(spot)
            if kind == "deposit":
                x = float((a_s - math.log1p(rate * payload)) / (1.0 - b_s))
            else:
                pay, taus = payload
                a_i, b_i = coeffs(pay)
                x = _solve_swap_node(rate, taus, a_i, b_i, float(a_s), float(b_s), known_y[-1] - 0.03 * (
                    t_e - known_t[-1]), f"swaps[{tenor!r}]")
            known_t.append(t_e)
            known_y.append(x)

        node_days = np.asarray(pillars, dtype=np.int64) - today
        node_y = np.asarray(known_y[1:])
        t_nodes = np.asarray(known_t)
        y_nodes = np.asarray(known_y)
        tail = -(y_nodes[-1] - y_nodes[-2]) / (t_nodes[-1] - t_nodes[-2])
        return cls(
            trade_date=from_day_numbers(today)[()],
            node_days=node_days,
            node_log_discount=node_y,
            tail_rate=float(tail),
            currency=convention.currency,
            instruments=tuple(
                (kind, tenor, rate, from_day_numbers(pillar)[()]) for pillar, kind, tenor, rate, _ in instruments),
            convention=convention,
        )

    def rebased(self, trade_date: Any) -> YieldCurve:
        r"""The same quotes bootstrapped at another trade date (rates unchanged, the curve's anchor moved).

        A flat curve keeps its rate; an ISDA curve is rebuilt by :meth:`isda` from its deposit and swap
        quotes with its conventions, anchored at ``trade_date``. This is the curve of a "rates unchanged"
        scenario, e.g. to reprice a contract a few days later with the spread unchanged (carry).

        Examples
        --------
        >>> YieldCurve.flat(0.04, "2024-05-15").rebased("2024-06-14")
        YieldCurve(flat 0.04, trade_date=2024-06-14)
        """
        if self.node_days.size == 0:
            return YieldCurve.flat(self.tail_rate, trade_date)
        deposits = {tenor: rate for kind, tenor, rate, _ in self.instruments if kind == "deposit"}
        swaps = {tenor: rate for kind, tenor, rate, _ in self.instruments if kind == "swap"}
        return YieldCurve.isda(trade_date, deposits, swaps, convention=self.convention)

    # -- evaluation ----------------------------------------------------------
    @property
    def node_dates(self) -> NDArray[np.datetime64]:
        """Dates of the nodes."""
        return self.trade_date + self.node_days.astype("timedelta64[D]")

    def log_discount_days(self, days: ArrayLike) -> FloatArray:
        r""":math:`\log P` at ``days`` days after the trade date (integers or floats, >= 0)."""
        t = np.asarray(days, dtype=float) / _DAYS_PER_YEAR
        return self._log_discount_t(t)

    def _log_discount_t(self, t: FloatArray) -> FloatArray:
        if self.node_days.size == 0:
            return -self.tail_rate * t
        kt = np.concatenate(([0.0], self.node_days / _DAYS_PER_YEAR))
        ky = np.concatenate(([0.0], self.node_log_discount))
        inside = np.interp(t, kt, ky)
        return np.where(t > kt[-1], ky[-1] - self.tail_rate * (t - kt[-1]), inside)

    def _times(self, t_or_dates: Any, name: str) -> FloatArray:
        arr = np.asarray(t_or_dates)
        if arr.dtype.kind in "fiu" and arr.dtype != bool:
            t = arr.astype(float)
            if not np.all(np.isfinite(t)):
                raise DataError(f"{name}: times must be finite")
        else:
            t = (to_day_numbers(t_or_dates, name) - self._today) / _DAYS_PER_YEAR
        if np.any(t < 0):
            raise DataError(f"{name}: dates must be on or after the curve's trade date {self.trade_date}")
        return t

    @property
    def _today(self) -> int:
        return int((self.trade_date - _EPOCH).astype(np.int64))

    def discount(self, t_or_dates: Any) -> float | FloatArray:
        r"""Discount factor :math:`P` at times (float years, ACT/365F from the trade date) or dates.

        Vectorised; returns a float for a scalar input.
        """
        t = self._times(t_or_dates, "t_or_dates")
        out = np.exp(self._log_discount_t(t))
        return float(out) if out.ndim == 0 else out

    def zero_rate(self, t_or_dates: Any) -> float | FloatArray:
        r"""Continuously compounded zero rate :math:`-\log P(t) / t` (ACT/365F); at :math:`t = 0` the first
        segment's forward rate."""
        t = self._times(t_or_dates, "t_or_dates")
        y = self._log_discount_t(t)
        t0 = 1.0 / _DAYS_PER_YEAR if self.node_days.size == 0 else min(1.0, float(self.node_days[0])) / _DAYS_PER_YEAR
        first = -self._log_discount_t(np.asarray(t0)) / t0
        safe = np.where(t > 0, t, 1.0)
        out = np.where(t > 0, -y / safe, first)
        return float(out) if out.ndim == 0 else out

    def __repr__(self) -> str:
        kind = f"isda {self.currency}, {self.node_days.size} nodes" if self.node_days.size else (
            f"flat {self.tail_rate:.6g}")
        return f"YieldCurve({kind}, trade_date={self.trade_date})"


def _swap_fixed_dates(spot: int, months: int, step: int) -> IntArray:
    """Adjusted fixed-leg schedule of a swap: backward from the unadjusted end, Modified Following."""
    return _swap_schedules(spot, [months], step)[0]


def _swap_schedules(spot: int, months: Sequence[int], step: int) -> list[IntArray]:
    """Adjusted fixed-leg schedules of swaps of ``months`` each, all computed in one vectorised pass.

    Per swap: dates ``end - k·step`` months (k = 0, 1, …) down to ``spot``, ``end`` the unadjusted
    ``spot + months``; of consecutive dates that adjust to the same business day only the first (latest)
    is kept; ``spot`` starts the schedule unless the earliest kept date already adjusts to it; every date
    Modified Following.
    """
    lengths = np.asarray(months, dtype=np.int64)
    ends = add_months(np.full(lengths.size, spot, dtype=np.int64), lengths)
    counts = lengths // step + 2
    owner = np.repeat(np.arange(lengths.size), counts)
    k = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
    candidates = add_months(ends[owner], -k * step)
    adjusted = modified_following(candidates)
    spot_adjusted = int(modified_following(spot))
    out = []
    for j in range(lengths.size):
        mine = (owner == j) & (candidates >= spot)  # decreasing in k: the dates before the break
        adj = adjusted[mine]
        adj = adj[np.concatenate(([True], adj[1:] != adj[:-1]))]
        if int(adj[-1]) != spot_adjusted:
            adj = np.append(adj, spot_adjusted)
        out.append(adj[::-1].copy())
    return out


def _solve_swap_node(rate: float, taus: FloatArray, a_i: FloatArray, b_i: FloatArray, a_s: float, b_s: float,
                     guess: float, name: str) -> float:
    """Newton solve of :math:`K\\sum\\tau_i e^{a_i+b_i x} + e^{x} - e^{a_s+b_s x} = 0` for :math:`x = \\log P(E)`."""
    x = guess
    for _ in range(60):
        e_i = np.exp(a_i + b_i * x)
        e_s = math.exp(a_s + b_s * x)
        g = rate * float(np.dot(taus, e_i)) + math.exp(x) - e_s
        dg = rate * float(np.dot(taus * b_i, e_i)) + math.exp(x) - b_s * e_s
        if not (math.isfinite(g) and math.isfinite(dg)) or dg <= 0.0:
            break
        step = g / dg
        x -= step
        if abs(step) <= 1e-14 * max(1.0, abs(x)):  # a few ulps: Newton may oscillate between neighbours
            return x
    raise DataError(f"{name}: the swap rate cannot be matched by a positive discount factor")
