r"""Vectorised ISDA CDS Standard Model: upfront, accrued, price, conventional spread, RPV01, CS01, JTD.

One call prices any number of standard contracts traded on the same date against one discount curve
(:class:`~cdshedge_cvx.credit.YieldCurve`), with a flat hazard rate per contract calibrated to its
conventional spread (or to its price). Everything is numpy: the contracts share the quarterly IMM
coupon grid of the trade date, so the premium and accrual-on-default integrals are evaluated on one
grid of sub-periods for all contracts at once, and the hazard rates are solved together by a
bracketed secant iteration. The formulas, their sources and the measured agreement with QuantLib's
``IsdaCdsEngine`` are in ``docs/analytics_isda.md``.

Conventions (the Markit / ISDA standard contract)
-------------------------------------------------
* Trade date :math:`T`; step-in (protection start) :math:`T+1`; cash settlement :math:`T+3` business days
  (weekends-only calendar).
* Coupon dates: 20 Mar/Jun/Sep/Dec rolled Following on weekends; accrual ACT/360 from the IMM date on
  or before the trade date (CDS2015 rule); the last period runs to the unadjusted maturity *including*
  it (one extra day); coupons paid on the adjusted dates.
* Time ACT/365F from :math:`T` for discounting and survival; flat hazard
  :math:`Q(t) = e^{-\lambda t}`.
* Signs: ``upfront`` is what the protection **buyer** pays (positive when the conventional spread is
  above the coupon), the Markit calculator's convention.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cdshedge_cvx.credit._yield_curve import (
    YieldCurve,
    add_months,
    advance_business_days,
    day_of_month,
    following,
    from_day_numbers,
    parse_tenor,
    to_day_numbers,
)
from cdshedge_cvx.errors import DataError, SpecificationError

__all__ = ["CdsQuote", "cds_accrued", "cds_maturity", "cds_quote"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_BP = 1e-4
_DAYS_PER_YEAR = 365.0
_TAYLOR_THRESHOLD = 1e-4  # QuantLib IsdaCdsEngine NumericalFix::Taylor switch on f + h
_HALF_DAY = 1.0 / 730.0  # AccrualBias::HalfDayBias
_MAX_HAZARD = 100.0  # upper end of the hazard-rate bracket (per year)
_EPS = float(np.finfo(np.float64).eps)
_CASH_SETTLEMENT_DAYS = 3
_BANDS = 6  # groups of contracts by schedule length in the leg evaluation
_BAND_MIN = 500  # contracts per group at least
_MAX_YEARS = 100
_ORDINAL_EPOCH_DATE = dt.date(1970, 1, 1)  # day number 0
_CLOSE = 1e-9  # a secant step below this fraction of the hazard rate ends the solve without another evaluation
_NEAR = 1e-4  # ... when the previous step was below this fraction (so the legs' chords are accurate)


# ---------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CdsQuote:
    r"""ISDA Standard Model figures of standard CDS contracts (arrays of the broadcast input shape).

    Amounts (``upfront``, ``accrued``, ``cash_settlement``, ``cs01``, ``jtd``) are in the units of
    ``notional``; ``rpv01`` is per unit notional. Signs are from the protection buyer's side.

    Attributes
    ----------
    upfront : numpy.ndarray
        Clean upfront :math:`U = N\,(V_{prot} - c\,A)/P(T_{cs})`, value at the cash-settlement date;
        positive when the buyer pays (conventional spread above the coupon).
    accrued : numpy.ndarray
        Premium accrued from the accrual start to the step-in date :math:`T+1`,
        :math:`N\,c\,(T+1 - a_0)/360` (0 when :math:`T+1` is a coupon payment date). The buyer pays it
        back in the full first coupon, so the seller credits it at settlement: reported as a positive
        amount, subtracted in ``cash_settlement``.
    price : numpy.ndarray
        :math:`100 - 100\,U/N` (points of par).
    cash_settlement : numpy.ndarray
        Dirty amount the buyer pays at :math:`T+3`: ``upfront - accrued``.
    spread_bp : numpy.ndarray
        Conventional spread (bp): the input, or solved from ``price``.
    rpv01 : numpy.ndarray
        Clean risky annuity per unit notional at the cash-settlement date, :math:`A/P(T_{cs})`, so that
        ``upfront = notional * (spread - coupon) * rpv01`` exactly (spread and coupon decimal).
    cs01 : numpy.ndarray
        ``upfront(spread + 1 bp) - upfront(spread)`` with the hazard rate recalibrated (spread DV01).
    jtd : numpy.ndarray
        Jump to default of one name, protection buyer's gain:
        :math:`\frac{N}{n}(1-R) - \frac{U}{n}` (payout of the name's share minus that share's clean
        mark-to-market, which the default extinguishes).
    hazard_rate : numpy.ndarray
        Flat hazard rate :math:`\lambda` (per year, ACT/365F) calibrated to the conventional spread.
    maturity : numpy.ndarray
        Maturity dates (``datetime64[D]``).
    """

    upfront: FloatArray
    accrued: FloatArray
    price: FloatArray
    cash_settlement: FloatArray
    spread_bp: FloatArray
    rpv01: FloatArray
    cs01: FloatArray
    jtd: FloatArray
    hazard_rate: FloatArray
    maturity: NDArray[np.datetime64]


# ---------------------------------------------------------------------------
# dates
# ---------------------------------------------------------------------------
def _previous_imm_twentieth(day: int) -> int:
    """The 20th of Mar/Jun/Sep/Dec on or before ``day`` (QuantLib ``previousTwentieth``, CDS rules)."""
    date = _ORDINAL_EPOCH_DATE + dt.timedelta(days=int(day))
    year, month = (date.year, date.month) if date.day >= 20 else divmod(date.year * 12 + date.month - 2, 12)
    if date.day < 20:
        month += 1
    back = month % 3  # months back to Mar/Jun/Sep/Dec
    total = year * 12 + month - 1 - back
    return (dt.date(total // 12, total % 12 + 1, 20) - _ORDINAL_EPOCH_DATE).days


def _is_imm_twentieth(days: IntArray) -> NDArray[np.bool_]:
    month_of_year = from_day_numbers(days).astype("datetime64[M]").astype(np.int64) % 12 + 1
    return (day_of_month(days) == 20) & (month_of_year % 3 == 0)


def cds_maturity(trade_date: Any, tenor: str) -> np.datetime64:
    """Standard maturity of a ``tenor`` CDS traded on ``trade_date`` (CDS2015 semiannual roll rule).

    The anchor is the 20 Mar/Jun/Sep/Dec on or before the trade date, moved back one quarter when it
    is a 20 Jun or 20 Dec; maturity = anchor + tenor + 3 months. So from 20 Mar to 19 Sep a 5Y contract
    matures on 20 Jun five years later, from 20 Sep to 19 Mar on 20 Dec (QuantLib ``cdsMaturity``).

    Raises
    ------
    DataError
        If ``tenor`` is not a whole number of quarters or years (``"6M"``, ``"5Y"``).
    """
    day = int(to_day_numbers(trade_date, "trade_date").reshape(-1)[0])
    return from_day_numbers(_cds_maturity_days(day, tenor))[()]


def _cds_maturity_days(day: int, tenor: str) -> int:
    n, unit = parse_tenor(tenor, "maturity")
    if unit not in "MY" or (unit == "M" and n % 3 != 0):
        raise DataError(f"maturity: a CDS tenor is a multiple of 3 months or years ('6M', '5Y'), got {tenor!r}")
    months = n * (12 if unit == "Y" else 1)
    anchor = _previous_imm_twentieth(day)
    month_of_year = int(from_day_numbers(anchor).astype("datetime64[M]").astype(np.int64)) % 12 + 1
    if month_of_year in (6, 12):
        anchor = int(add_months(anchor, -3))
    return int(add_months(anchor, months + 3))


def _maturity_days(maturity: Any, today: int) -> IntArray:
    arr = np.asarray(maturity)
    if arr.dtype.kind in "UO":
        out = np.empty(arr.shape, dtype=np.int64)
        flat = arr.ravel()
        res = out.ravel()
        for value in np.unique(flat.astype(str)):
            where = flat.astype(str) == value
            if value.strip()[-1:].upper() in ("M", "Y") and value.strip()[:-1].strip().isdigit():
                res[where] = _cds_maturity_days(today, value)
            else:
                res[where] = to_day_numbers(value, "maturity")
        return res.reshape(arr.shape)
    return to_day_numbers(maturity, "maturity")


# ---------------------------------------------------------------------------
# λ-independent set-up
# ---------------------------------------------------------------------------
class _Workspace:
    """Reusable scratch arrays for :func:`_legs_block` (one set for all bands).

    Allocating fresh (rows x sub-periods) temporaries on every evaluation costs page faults that take
    several times longer than the arithmetic; every large intermediate is written into these instead.
    """

    _NAMES = ("a", "d", "h", "x", "v", "pay", "take_w", "take_pay", "p_a", "p_h", "p_x", "p_v",
              "take_pt", "take_pp", "take_pf", "take_pdt")

    def __init__(self, size: int) -> None:
        self.buffers = {name: np.empty(size) for name in self._NAMES}

    def get(self, name: str, rows: int, cols: int) -> FloatArray:
        return self.buffers[name][: rows * cols].reshape(rows, cols)


@dataclass
class _Band:
    """A contiguous range of contracts (sorted by maturity) with its arrays cut to the sub-periods it needs.

    The accrual-grid arrays (``minus_t_break`` ... ``pay_break``) are 1-d, shared by the band's contracts (one
    trade date), or 2-d with one row per contract (contracts of several trade dates, padded with empty
    sub-periods: :func:`_build_multi_grid`).
    """

    start: int
    stop: int
    nb: int  # accrual breakpoints of the longest contract in the band
    nc: int  # coupons of the longest contract
    weight: FloatArray  # (rows, nb-1) 1 where the sub-period belongs to an active coupon of the contract
    pay_df_tau: FloatArray  # (rows, nc) accrual fraction x P(payment)
    prot_t: FloatArray  # (rows, npb) protection breakpoints (times)
    prot_p: FloatArray  # (rows, npb) discount factors there
    prot_fhat: FloatArray  # (rows, npb-1) log P0 - log P1, 1 for empty sub-periods past the maturity
    prot_dt: FloatArray  # (rows, npb-1) lengths of the protection sub-periods
    minus_t_break: FloatArray  # ([rows,] nb) minus the times of the accrual breakpoints
    p_break: FloatArray  # ([rows,] nb) discount factors at the breakpoints
    seg_fhat: FloatArray  # ([rows,] nb-1) log P0 - log P1 of each sub-period (1 for padding)
    seg_dt: FloatArray  # ([rows,] nb-1) lengths of the sub-periods
    seg_t0s: FloatArray  # ([rows,] nb-1) start of the sub-period minus the start of its coupon's accrual
    pay_break: IntArray  # ([rows,] nc) breakpoint index of payment date - 1 of each coupon
    pay_flat: IntArray | None = None  # (rows, nc) pay_break + nb x row: indices into the flattened (rows, nb) array

    @property
    def per_row(self) -> bool:
        return self.minus_t_break.ndim == 2


@dataclass
class _Grid:
    """Everything of a batch of contracts (sorted by maturity) that does not depend on the hazard rates."""

    premium_zero: FloatArray  # (n,) premium annuity at zero hazard
    rebate: FloatArray  # (n,) accrued fraction (days/360) at step-in, per unit coupon and notional
    bands: list[_Band]  # contiguous groups of contracts, each computing only the sub-periods it needs
    band_starts: IntArray  # (len(bands),) first row of each band
    df_settle: FloatArray  # (n,) discount factor to the cash-settlement date
    work: _Workspace


@dataclass
class _Parts:
    """The λ-independent arrays of the distinct maturities of one trade date (see :func:`_grid_parts`)."""

    t_break: FloatArray  # (B,)
    logp: FloatArray  # (B,)
    seg_t0s: FloatArray  # (B-1,)
    pay_break: IntArray  # (J,)
    seg_weight: FloatArray  # (u, B-1)
    pay_df_tau: FloatArray  # (u, J)
    prot_t: FloatArray  # (u, P)
    prot_p: FloatArray  # (u, P)
    prot_fhat: FloatArray  # (u, P-1)
    n_break: IntArray  # (u,)
    n_coupons: IntArray  # (u,)
    n_prot: IntArray  # (u,)
    rebate: FloatArray  # (u,)
    df_settle: float


def _coupon_grid(today: int, mat: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Adjusted IMM accrual dates :math:`a_0..a_J` of the trade date, coupons per contract, accrued days.

    :math:`a_0` is the 20 Mar/Jun/Sep/Dec on or before the trade date (one quarter earlier when that date
    rolls to after the trade date), QuantLib's CDS2015 schedule. The accrued days run from :math:`a_0` to the
    step-in date :math:`T+1` when it falls inside the first accrual period :math:`[a_0, a_1)` --
    :math:`[a_0, M+1)` for a single-coupon contract, whose only period includes the maturity day -- and are 0
    otherwise (:math:`T+1 = a_1`, the next period has just started).
    """
    step_in = today + 1
    prev20 = _previous_imm_twentieth(today)
    first = int(add_months(prev20, -3)) if int(following(prev20)) > today else prev20
    months_to_mat = (
        from_day_numbers(mat).astype("datetime64[M]").astype(np.int64)
        - from_day_numbers(first).astype("datetime64[M]").astype(np.int64)
    )
    m = months_to_mat // 3  # number of coupons of each contract
    n_coupons = int(m.max())
    grid = add_months(np.full(n_coupons + 1, first, dtype=np.int64), 3 * np.arange(n_coupons + 1))
    acc = following(grid)
    end_first = np.where(m > 1, acc[min(1, n_coupons)], mat + 1)
    accrued_days = np.where(step_in < end_first, step_in - acc[0], 0)
    return acc, m, accrued_days


def _grid_parts(curve: YieldCurve, today: int, umat: IntArray) -> _Parts:
    """The λ-independent arrays of the distinct maturities ``umat`` (sorted) traded on ``today``."""
    step_in = today + 1
    acc, m, accrued_days = _coupon_grid(today, umat)
    active = acc[1:] > step_in  # coupon j (1-based) still to pay / accrue after step-in

    def tof(days: ArrayLike) -> FloatArray:
        return (np.asarray(days, dtype=np.float64) - today) / _DAYS_PER_YEAR

    nodes = today + curve.node_days
    # accrual-on-default sub-periods: coupon j integrates from max(a_{j-1}, T+1) - 1 to a_j - 1,
    # split at the curve nodes strictly inside (ForwardsInCouponPeriod::Piecewise)
    starts = np.maximum(acc[:-1], step_in) - 1
    ends = acc[1:] - 1
    if np.any(starts[1:] != ends[:-1]):  # cannot happen for the contiguous IMM grid; kept for safety
        raise AssertionError("non-contiguous coupon grid")  # pragma: no cover
    inner = nodes[(nodes > starts[0]) & (nodes < ends[-1]) & ~np.isin(nodes, ends)]
    b = np.sort(np.concatenate(([starts[0]], ends, inner)), kind="stable")
    seg_coupon = np.searchsorted(ends, b[1:], side="left")  # (b_i, b_i+1] belongs to coupon j: e_j-1 < b_i+1 <= e_j
    pay_break = np.searchsorted(b, ends, side="right") - 1
    t_break = tof(b)
    logp = curve.log_discount_days(b - today)
    seg_weight = ((seg_coupon[None, :] < m[:, None]) & active[seg_coupon][None, :]).astype(np.float64)

    # premium: tau_j P(pay_j) for coupons 1..m, the last one ending on the maturity day inclusive
    j_idx = np.arange(1, acc.size)
    tau = (acc[1:] - acc[:-1]) / 360.0
    tau_c = np.where(j_idx[None, :] < m[:, None], tau[None, :], 0.0)
    tau_c[np.arange(umat.size), m - 1] = (umat - acc[m - 1] + 1) / 360.0
    pay_df = np.exp(curve.log_discount_days(acc[1:] - today))
    pay_df_tau = tau_c * (pay_df * active)[None, :]

    # protection: from T to the maturity, split at the curve nodes after the step-in date
    pnodes = nodes[nodes > step_in]
    if pnodes.size and pnodes[-1] >= umat.max():
        pnodes = pnodes[: int(np.searchsorted(pnodes, umat.max())) + 1]
    cuts = np.minimum(pnodes[None, :], umat[:, None])
    pb = np.concatenate([np.full((umat.size, 1), today), cuts, umat[:, None]], axis=1)
    pt = tof(pb)
    plog = curve.log_discount_days(pb - today)
    settle = int(advance_business_days(today, _CASH_SETTLEMENT_DAYS))
    return _Parts(
        t_break=t_break, logp=logp, seg_t0s=t_break[:-1] - (tof(acc[seg_coupon] - 1) - _HALF_DAY),
        pay_break=pay_break, seg_weight=seg_weight, pay_df_tau=pay_df_tau, prot_t=pt, prot_p=np.exp(plog),
        # zero-length sub-periods past a contract's maturity contribute h = 0 exactly; a dummy f = 1 keeps them
        # out of the Taylor branch (0 either way)
        prot_fhat=np.where(pt[:, 1:] > pt[:, :-1], plog[:, :-1] - plog[:, 1:], 1.0),
        n_break=pay_break[m - 1] + 1, n_coupons=m, n_prot=2 + np.sum(pnodes[None, :] < umat[:, None], axis=1),
        rebate=accrued_days / 360.0, df_settle=float(np.exp(curve.log_discount_days(settle - today))),
    )


def _n_bands(n: int) -> int:
    return max(1, min(_BANDS, n // _BAND_MIN))


def _build_grid(curve: YieldCurve, today: int, mat: IntArray) -> _Grid:
    """The λ-independent arrays of contracts with maturities ``mat`` (sorted ascending) traded on ``today``.

    Everything per contract depends on its maturity only, so it is computed once per distinct maturity and
    expanded to the contracts band by band.
    """
    if mat.size > 1 and np.any(mat[1:] < mat[:-1]):
        raise AssertionError("maturities must be sorted")  # pragma: no cover - internal contract
    umat, inv = np.unique(mat, return_inverse=True)
    p = _grid_parts(curve, today, umat)
    minus_t, p_break = -p.t_break, np.exp(p.logp)
    seg_fhat, seg_dt = p.logp[:-1] - p.logp[1:], np.diff(p.t_break)
    bands = []
    for rows in np.array_split(np.arange(mat.size), _n_bands(mat.size)):
        if not rows.size:
            continue
        lo, hi = int(rows[0]), int(rows[-1]) + 1
        u = inv[lo:hi]
        last = int(u[-1])  # the longest contract of the band (maturities are sorted)
        nb, nc, npb = int(p.n_break[last]), int(p.n_coupons[last]), int(p.n_prot[last])
        bands.append(_Band(
            start=lo, stop=hi, nb=nb, nc=nc,
            weight=p.seg_weight[u, : nb - 1], pay_df_tau=p.pay_df_tau[u, :nc],
            prot_t=p.prot_t[u, :npb], prot_p=p.prot_p[u, :npb], prot_fhat=p.prot_fhat[u, : npb - 1],
            prot_dt=np.diff(p.prot_t[u, :npb], axis=1), minus_t_break=minus_t[:nb], p_break=p_break[:nb],
            seg_fhat=seg_fhat[: nb - 1], seg_dt=seg_dt[: nb - 1], seg_t0s=p.seg_t0s[: nb - 1],
            pay_break=p.pay_break[:nc]))
    return _Grid(
        premium_zero=p.pay_df_tau.sum(axis=1)[inv],
        rebate=p.rebate[inv],
        bands=bands,
        band_starts=np.asarray([band.start for band in bands], dtype=np.int64),
        df_settle=np.full(mat.size, p.df_settle),
        work=_Workspace(_work_size(bands)),
    )


def _work_size(bands: list[_Band]) -> int:
    return max((band.stop - band.start) * max(band.nb, band.nc, band.prot_t.shape[1]) for band in bands)


def _pad(rows: list[FloatArray], width: int, fill: str | float) -> FloatArray:
    """Stack 2-d blocks of different widths, padding each row with its last value (``"edge"``) or ``fill``."""
    out = []
    for block in rows:
        extra = width - block.shape[1]
        if extra:
            pad = np.repeat(block[:, -1:], extra, axis=1) if fill == "edge" else np.full((block.shape[0], extra), fill)
            block = np.concatenate([block, pad], axis=1)
        out.append(block)
    return np.concatenate(out, axis=0)


def _build_multi_grid(items: list[tuple[YieldCurve, int, IntArray]]) -> _Grid:
    """One grid for contracts of several trade dates: ``(curve, trade day, maturities)`` per date, the rows in
    that order. Each contract carries its own accrual grid (2-d band arrays), padded with empty sub-periods
    (length 0, dummy :math:`\\hat f = 1`, weight 0) to the longest, so that all dates solve together."""
    parts = []
    for curve, today, mat in items:
        umat, inv = np.unique(mat, return_inverse=True)
        parts.append((_grid_parts(curve, today, umat), inv))
    width_b = max(p.t_break.size for p, _ in parts)
    width_j = max(p.pay_break.size for p, _ in parts)
    width_p = max(p.prot_t.shape[1] for p, _ in parts)

    def per_row(p: _Parts, inv: IntArray, values: FloatArray) -> FloatArray:
        return np.broadcast_to(values, (inv.size, values.size))

    t = _pad([per_row(p, inv, p.t_break) for p, inv in parts], width_b, "edge")
    logp = _pad([per_row(p, inv, p.logp) for p, inv in parts], width_b, "edge")
    seg_fhat = _pad([per_row(p, inv, p.logp[:-1] - p.logp[1:]) for p, inv in parts], width_b - 1, 1.0)
    seg_t0s = _pad([per_row(p, inv, p.seg_t0s) for p, inv in parts], width_b - 1, 0.0)
    weight = _pad([p.seg_weight[inv] for p, inv in parts], width_b - 1, 0.0)
    pay_df_tau = _pad([p.pay_df_tau[inv] for p, inv in parts], width_j, 0.0)
    pay_break = _pad([per_row(p, inv, p.pay_break) for p, inv in parts], width_j, 0.0).astype(np.int64)
    prot_t = _pad([p.prot_t[inv] for p, inv in parts], width_p, "edge")
    prot_p = _pad([p.prot_p[inv] for p, inv in parts], width_p, "edge")
    prot_fhat = _pad([p.prot_fhat[inv] for p, inv in parts], width_p - 1, 1.0)
    n = t.shape[0]
    band = _Band(start=0, stop=n, nb=width_b, nc=width_j, weight=weight, pay_df_tau=pay_df_tau, prot_t=prot_t,
                 prot_p=prot_p, prot_fhat=prot_fhat, prot_dt=np.diff(prot_t, axis=1), minus_t_break=-t,
                 p_break=np.exp(logp), seg_fhat=seg_fhat, seg_dt=np.diff(t, axis=1), seg_t0s=seg_t0s,
                 pay_break=pay_break)
    return _Grid(
        premium_zero=np.concatenate([p.pay_df_tau.sum(axis=1)[inv] for p, inv in parts]),
        rebate=np.concatenate([p.rebate[inv] for p, inv in parts]),
        bands=[band], band_starts=np.zeros(1, dtype=np.int64),
        df_settle=np.concatenate([np.full(inv.size, p.df_settle) for p, inv in parts]),
        work=_Workspace(_work_size([band])),
    )


# ---------------------------------------------------------------------------
# legs
# ---------------------------------------------------------------------------
def _legs(g: _Grid, lam: FloatArray, rows: IntArray | None = None) -> tuple[FloatArray, FloatArray]:
    r"""Protection leg per unit loss and full premium annuity per unit coupon, for hazard rates ``lam``.

    ``rows`` (sorted ascending, default all) selects the contracts ``lam`` belongs to.
    Returns :math:`(V, A_{full})` with (sub-periods :math:`[t_0, t_1]`, :math:`\hat f = \log P_0 - \log P_1`,
    :math:`\hat h = \lambda (t_1 - t_0)`, :math:`x = \hat f + \hat h`)

    .. math::

        V = \sum \frac{\hat h}{x} (P_0 Q_0 - P_1 Q_1), \qquad
        A_{full} = \sum_j \tau_j P(p_j) Q(p_j - 1)
          + \frac{365}{360} \sum \frac{\hat h}{x}\Big[\Delta t\Big(\frac{P_0Q_0 - P_1Q_1}{x} - P_1Q_1\Big)
          + (t_0 - t_s)(P_0Q_0 - P_1Q_1)\Big],

    replaced by their Taylor series in :math:`x` when :math:`x < 10^{-4}` (QuantLib's ``Taylor`` fix).
    """
    lam = np.asarray(lam, dtype=np.float64)
    protection = np.empty(lam.size)
    annuity = np.empty(lam.size)
    if rows is None:
        for band in g.bands:  # each group of contracts evaluates only the sub-periods it needs
            sl = slice(band.start, band.stop)
            protection[sl], annuity[sl] = _legs_block(g, band, lam[sl], None)
        return protection, annuity
    cut = np.searchsorted(rows, g.band_starts[1:])
    for band, lo, hi in zip(g.bands, np.concatenate(([0], cut)), np.concatenate((cut, [rows.size]))):
        if hi > lo:
            local = rows[lo:hi] - band.start
            protection[lo:hi], annuity[lo:hi] = _legs_block(
                g, band, lam[lo:hi], None if local.size == band.stop - band.start else local)
    return protection, annuity


def _legs_block(g: _Grid, band: _Band, lam: FloatArray, local: IntArray | None) -> tuple[FloatArray, FloatArray]:
    nb, nc = band.nb, band.nc
    k = lam.size
    w = g.work
    npb = band.prot_t.shape[1]
    if local is None:
        weight, pay_df_tau = band.weight, band.pay_df_tau
        pt, pp, pf, pdt = band.prot_t, band.prot_p, band.prot_fhat, band.prot_dt
    else:
        weight = np.take(band.weight, local, axis=0, out=w.get("take_w", k, nb - 1))
        pay_df_tau = np.take(band.pay_df_tau, local, axis=0, out=w.get("take_pay", k, nc))
        pt = np.take(band.prot_t, local, axis=0, out=w.get("take_pt", k, npb))
        pp = np.take(band.prot_p, local, axis=0, out=w.get("take_pp", k, npb))
        pf = np.take(band.prot_fhat, local, axis=0, out=w.get("take_pf", k, npb - 1))
        pdt = np.take(band.prot_dt, local, axis=0, out=w.get("take_pdt", k, npb - 1))
    minus_t, p_break, seg_fhat = band.minus_t_break, band.p_break, band.seg_fhat
    dt, t0s, pay_break = band.seg_dt, band.seg_t0s, band.pay_break
    if band.per_row and local is not None:  # contracts of several trade dates: their own grids
        minus_t, p_break, seg_fhat = minus_t[local], p_break[local], seg_fhat[local]
        dt, t0s, pay_break = dt[local], t0s[local], pay_break[local]
    lam_c = lam[:, None]

    # protection leg: sum of h/x (P0 Q0 - P1 Q1)
    a = np.multiply(lam_c, pt, out=w.get("p_a", k, npb))
    np.negative(a, out=a)
    np.exp(a, out=a)
    a *= pp
    a0 = a[:, :-1]
    h = np.multiply(lam_c, pdt, out=w.get("p_h", k, npb - 1))
    x = np.add(pf, h, out=w.get("p_x", k, npb - 1))
    value = np.subtract(a0, a[:, 1:], out=w.get("p_v", k, npb - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        value *= h
        value /= x
    taylor = np.flatnonzero(x < _TAYLOR_THRESHOLD)
    if taylor.size:
        r, col = np.divmod(taylor, x.shape[1])
        xs, hs = x[r, col], h[r, col]
        value[r, col] = a0[r, col] * hs * (1.0 - xs / 2.0 + xs * xs / 6.0 - xs**3 / 24.0 + xs**4 / 120.0)
    protection = value.sum(axis=1)

    # premium leg: coupons paid on survival to the day before payment
    a = np.multiply(lam_c, minus_t, out=w.get("a", k, nb))
    np.exp(a, out=a)
    if band.per_row and local is None:  # a gather from the flat array: take_along_axis without its index set-up
        if band.pay_flat is None:
            band.pay_flat = pay_break + nb * np.arange(k, dtype=np.int64)[:, None]
        survival_pay = np.take(a.reshape(-1), band.pay_flat, out=w.get("pay", k, nc))
    elif band.per_row:
        survival_pay = np.take_along_axis(a, pay_break, axis=1)
    else:
        survival_pay = np.take(a, pay_break, axis=1, out=w.get("pay", k, nc))
    premium = np.einsum("ij,ij->i", pay_df_tau, survival_pay)

    # accrual on default: sum of h/x [dt ((P0Q0 - P1Q1)/x - P1Q1) + (t0 - ts)(P0Q0 - P1Q1)]
    a *= p_break
    a0 = a[:, :-1]
    a1 = a[:, 1:]
    d = np.subtract(a0, a1, out=w.get("d", k, nb - 1))
    h = np.multiply(lam_c, dt, out=w.get("h", k, nb - 1))
    x = np.add(h, seg_fhat, out=w.get("x", k, nb - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.divide(d, x, out=w.get("v", k, nb - 1))
        value -= a1
        value *= dt
        d *= t0s
        value += d
        h /= x
        value *= h
    taylor = np.flatnonzero(x < _TAYLOR_THRESHOLD)
    if taylor.size:
        r, cols = np.divmod(taylor, x.shape[1])
        xs = x[r, cols]
        dts, t0ss = (dt[r, cols], t0s[r, cols]) if dt.ndim == 2 else (dt[cols], t0s[cols])
        hs = lam[r] * dts
        xs2 = xs * xs
        value[r, cols] = hs * a0[r, cols] * (
            t0ss * (1.0 - xs / 2.0 + xs2 / 6.0 - xs2 * xs / 24.0)
            + dts * (0.5 - xs / 3.0 + xs2 / 8.0 - xs2 * xs / 30.0)
        )
    accrual = np.einsum("ij,ij->i", weight, value) * (365.0 / 360.0)
    return protection, premium + accrual


@dataclass
class _Solution:
    hazard: FloatArray
    protection: FloatArray  # legs at the solution
    annuity: FloatArray  # full annuity (before the accrued rebate)
    slope: FloatArray  # dF/dlambda from the last secant step (nan when unknown)


def _where(row: int, shown: FloatArray, original: IntArray | None, labels: list[str] | None) -> tuple[str, float]:
    """The prefix naming a contract in a message (its label, else its index) and its quote."""
    index = row if original is None else int(original[row])
    head = f"{labels[index]}: " if labels is not None else f"contract {index}: "
    return head, float(shown[row])


def _solve_hazard(g: _Grid, loss: FloatArray, k: FloatArray, target: FloatArray, guess: FloatArray,
                  what: str, shown: FloatArray, start: tuple[FloatArray, ...] | None = None,
                  original: IntArray | None = None, early: bool = True,
                  labels: list[str] | None = None) -> _Solution:
    r"""Solve :math:`F(\lambda) = (1-R)V(\lambda) - k\,(A_{full}(\lambda) - \alpha_0 P(T_{cs})) - b = 0`.

    :math:`F` increases with :math:`\lambda`; a secant step is taken inside the bracket
    :math:`[\lambda_{lo}, \lambda_{hi}]` (started at :math:`[0, 100]`), a bisection when it falls outside;
    stops when the residual is at its rounding level or a step is below 4 ulp. ``start`` is a known
    point :math:`(\lambda, F(\lambda))` to start the secant from (default :math:`(0, F(0))`). ``shown`` are
    the quotes named in error messages, ``original`` the caller's index of each contract (default the row).
    With ``early``, a secant step below ``_CLOSE`` of :math:`\lambda` right after one below ``_NEAR`` ends the
    solve with the legs extrapolated along their chords (error :math:`O(10^{-13})` relative, one evaluation
    saved); without it every contract stops at the rounding level of its residual (a price reproduced exactly).
    """
    n = loss.size
    rebate_pv = g.rebate * g.df_settle
    lo = np.zeros(n)
    hi = np.full(n, _MAX_HAZARD)
    # at zero hazard the protection leg and the accrual on default vanish: F(0) = -k A(0) - target
    f_lo = -k * (g.premium_zero - rebate_pv) - target
    if np.any(f_lo >= 0.0):
        head, value = _where(int(np.flatnonzero(f_lo >= 0.0)[0]), shown, original, labels)
        raise DataError(
            f"{head}{what} = {value!r} is worth more than a default-free contract: "
            "no hazard rate reproduces it; check the quote and the coupon")
    legs_lo = [np.zeros(n), g.premium_zero.copy()]
    legs_hi = [np.full(n, np.nan), np.full(n, np.nan)]
    if start is None:
        x_prev, f_prev = lo.copy(), f_lo
        legs_prev = [np.zeros(n), g.premium_zero.copy()]
    else:
        x_prev, f_prev = start[0].copy(), start[1].copy()
        legs_prev = [start[2].copy(), start[3].copy()] if len(start) == 4 else [np.full(n, np.nan)] * 2
    x = np.clip(guess, 1e-12, 0.5 * _MAX_HAZARD)
    fx = np.empty(n)
    scale = np.empty(n)
    legs = [np.empty(n), np.empty(n)]
    final = [np.empty(n), np.empty(n), np.empty(n)]  # hazard, protection, annuity
    slope = np.full(n, np.nan)

    def evaluate(rows: IntArray) -> None:
        prot, ann = _legs(g, x[rows], None if rows.size == n else rows)
        a, b, c = loss[rows] * prot, k[rows] * (ann - rebate_pv[rows]), target[rows]
        fx[rows], scale[rows] = a - b - c, np.abs(a) + np.abs(b) + np.abs(c)
        legs[0][rows], legs[1][rows] = prot, ann

    todo = np.arange(n)
    evaluate(todo)
    for _ in range(200):
        xs, fs, xp, fp, sc = x[todo], fx[todo], x_prev[todo], f_prev[todo], scale[todo]
        below, above = fs < 0.0, fs > 0.0
        lo_t = np.where(below, np.maximum(lo[todo], xs), lo[todo])
        hi_t = np.where(above, np.minimum(hi[todo], xs), hi[todo])
        for side, mask in ((legs_lo, below & (xs >= lo[todo])), (legs_hi, above & (xs <= hi[todo]))):
            side[0][todo[mask]], side[1][todo[mask]] = legs[0][todo[mask]], legs[1][todo[mask]]
        lo[todo], hi[todo] = lo_t, hi_t
        with np.errstate(divide="ignore", invalid="ignore"):
            chord = (fs - fp) / (xs - xp)
            secant = xs - fs / chord
        finite = np.isfinite(secant)
        inside = finite & (secant > lo_t) & (secant < hi_t)
        # converged: the residual is at its rounding level (8 eps of the legs' size), the bracket or the
        # secant step is below 4 ulp, the secant lands (within 4 ulp) on a bracket end, or two residuals are equal
        small = np.abs(fs) <= 8.0 * _EPS * sc
        at_x = finite & (np.abs(secant - xs) <= 4.0 * _EPS * np.abs(xs))
        at_lo = finite & ~at_x & (np.abs(secant - lo_t) <= 4.0 * _EPS * lo_t)
        at_hi = finite & ~at_x & ~at_lo & (np.abs(secant - hi_t) <= 4.0 * _EPS * hi_t)
        done = small | at_x | at_lo | at_hi | (fs == fp) | (hi_t - lo_t <= 4.0 * _EPS * hi_t)
        pick_lo, pick_hi = done & ~small & at_lo, done & ~small & at_hi
        # close: the secant step is below _CLOSE of the hazard rate after a step below _NEAR of it -- the legs at
        # the secant point are the chords' first-order extrapolation, exact to O(step x previous step)
        v_x, a_x, v_p, a_p = legs[0][todo], legs[1][todo], legs_prev[0][todo], legs_prev[1][todo]
        step = secant - xs
        close = (early & ~done & inside & (np.abs(step) <= _CLOSE * xs) & (np.abs(xs - xp) <= _NEAR * xs)
                 & np.isfinite(v_p) & np.isfinite(a_p))
        with np.errstate(divide="ignore", invalid="ignore"):
            v_close = v_x + (v_x - v_p) / (xs - xp) * step
            a_close = a_x + (a_x - a_p) / (xs - xp) * step
        rows = todo[done | close]
        for out, at_x_value, lo_value, hi_value, close_value in (
                (final[0], xs, lo_t, hi_t, secant),
                (final[1], v_x, legs_lo[0][todo], legs_hi[0][todo], v_close),
                (final[2], a_x, legs_lo[1][todo], legs_hi[1][todo], a_close)):
            out[rows] = np.where(close, close_value,
                                 np.where(pick_lo, lo_value, np.where(pick_hi, hi_value, at_x_value)))[done | close]
        slope[rows] = chord[done | close]
        done |= close
        x_prev[todo], f_prev[todo] = xs, fs
        legs_prev[0][todo], legs_prev[1][todo] = v_x, a_x
        x[todo] = np.where(inside, secant, 0.5 * (lo_t + hi_t))
        todo = todo[~done]
        if todo.size == 0:
            break
        evaluate(todo)
    else:  # pragma: no cover - the bracket halves at worst, 200 halvings exhaust doubles
        raise DataError(f"{what}: the hazard-rate solve did not converge")
    stuck = final[0] >= _MAX_HAZARD * (1.0 - 1e-9)
    if np.any(stuck):
        head, value = _where(int(np.flatnonzero(stuck)[0]), shown, original, labels)
        raise DataError(
            f"{head}{what} = {value!r} needs a hazard rate above {_MAX_HAZARD:g} per year: "
            "check the quote, the coupon and the recovery")
    return _Solution(final[0], final[1], final[2], slope)


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------
def _float_array(name: str, value: ArrayLike) -> FloatArray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric, got {value!r}") from exc
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name} must be finite, got {arr[~np.isfinite(arr)].ravel()[0]!r}")
    return arr


def _check_maturities(mat: IntArray, today: int, *, strict: bool) -> None:
    if not np.all(_is_imm_twentieth(mat)):
        bad = from_day_numbers(mat[~_is_imm_twentieth(mat)].ravel()[0])
        raise DataError(f"maturity must be a CDS roll date (20 Mar/Jun/Sep/Dec), got {bad}")
    early = mat <= today + 1 if strict else mat < today + 1
    if np.any(early):
        raise DataError(f"maturity must be {'after' if strict else 'on or after'} the step-in date "
                        f"{from_day_numbers(today + 1)}, got {from_day_numbers(mat[early].ravel()[0])}")
    if np.any(mat > int(add_months(today, 12 * _MAX_YEARS))):
        raise DataError(f"maturity must be within {_MAX_YEARS} years of the trade date")


def cds_accrued(trade_date: Any, maturity: Any, coupon_bp: ArrayLike = 100.0, notional: ArrayLike = 1.0) -> FloatArray:
    r"""Accrued premium of standard CDS contracts at the step-in date (Markit / ISDA convention).

    .. math:: \text{accrued} = N\,c\,\frac{(T+1) - a_0}{360}

    with :math:`a_0` the (adjusted) IMM date starting the current accrual period; 0 when :math:`T+1` is
    itself a coupon payment date, except for the final period, which includes the maturity day (a trade
    the day before maturity accrues the whole period). This is :attr:`CdsQuote.accrued`; it also accepts a
    maturity on the step-in date.

    Raises
    ------
    DataError
        Bad dates, non-IMM maturity, maturity before the step-in date, non-finite numbers.
    """
    if np.ndim(trade_date) != 0:
        raise DataError(f"trade_date must be one date, got {trade_date!r}")
    today = int(to_day_numbers(trade_date, "trade_date").reshape(-1)[0])
    mat = _maturity_days(maturity, today)
    _check_maturities(mat, today, strict=False)
    coupon = _float_array("coupon_bp", coupon_bp)
    nominal = _float_array("notional", notional)
    try:
        mat_b, c_b, n_b = np.broadcast_arrays(mat, coupon, nominal)
    except ValueError as exc:
        raise DataError(f"maturity, coupon_bp and notional do not broadcast: {exc}") from exc
    _, _, days = _coupon_grid(today, mat_b.ravel())
    return (n_b.ravel() * c_b.ravel() * _BP * days / 360.0).reshape(mat_b.shape)


def cds_quote(
    trade_date: Any,
    maturity: Any,
    spread_bp: ArrayLike | None = None,
    *,
    price: ArrayLike | None = None,
    coupon_bp: ArrayLike = 100.0,
    recovery: ArrayLike = 0.4,
    curve: YieldCurve,
    notional: ArrayLike = 1.0,
    n_names: int = 125,
) -> CdsQuote:
    r"""Price standard CDS contracts with the ISDA CDS Standard Model (flat hazard), vectorised.

    ``maturity``, ``spread_bp`` (or ``price``), ``coupon_bp``, ``recovery`` and ``notional`` broadcast
    together; every output has the broadcast shape.

    Model, per contract (QuantLib ``IsdaCdsEngine`` with ``Taylor``, ``HalfDayBias``, ``Piecewise``):

    * the flat hazard rate :math:`\lambda` solves
      :math:`(1-R)\,V(\lambda) = s\,A(\lambda)` for the conventional spread :math:`s` (decimal), where
      :math:`V` is the protection leg per unit loss from :math:`T` to the maturity and
      :math:`A = A_{full} - \alpha_0 P(T_{cs})` the clean risky annuity (premium of 1 per year with
      accrual on default, minus the accrued rebate :math:`\alpha_0 = (T+1-a_0)/360`) -- see :func:`_legs`;
    * ``upfront`` :math:`U = N\,[(1-R)V - cA] / P(T_{cs})` at coupon :math:`c` (decimal), i.e.
      :math:`U = N (s - c)\,\mathrm{rpv01}`;
    * given ``price`` instead, :math:`\lambda` solves :math:`(1-R)V - cA = (1 - \text{price}/100)\,P(T_{cs})`
      and :math:`s = (1-R)V/A`.

    Parameters
    ----------
    trade_date : date-like
        Trade date; must be the curve's trade date.
    maturity : date-like or tenor str, array_like
        Maturity dates (a 20 Mar/Jun/Sep/Dec) or standard tenors (``"5Y"``, ``"6M"``, rolled with
        :func:`cds_maturity`).
    spread_bp : array_like, optional
        Conventional spread in bp (> 0). Exactly one of ``spread_bp`` and ``price`` is given.
    price : array_like, optional
        Quoted price in points of par (e.g. 104.5 for CDX HY): ``100 - points upfront``.
    coupon_bp : array_like, default 100
        Fixed running coupon in bp (>= 0).
    recovery : array_like, default 0.4
        Recovery rate in [0, 1).
    curve : YieldCurve
        Discount curve anchored at ``trade_date``.
    notional : array_like, default 1.0
        Notional (amounts scale with it; negative = protection sold).
    n_names : int, default 125
        Names in the index, for ``jtd`` (per name).

    Returns
    -------
    CdsQuote

    Raises
    ------
    DataError
        Bad dates, non-IMM maturity, maturity not after the step-in date, non-positive spread, recovery
        outside [0, 1), a price no hazard rate reproduces, non-finite input.
    SpecificationError
        Both or neither of ``spread_bp`` and ``price``; ``curve`` not a YieldCurve or anchored at another
        date; bad ``n_names``.

    Examples
    --------
    >>> curve = YieldCurve.flat(0.04, "2024-05-15")
    >>> q = cds_quote("2024-05-15", "5Y", 350.0, coupon_bp=500.0, curve=curve, notional=10e6)
    >>> str(q.maturity)
    '2029-06-20'
    >>> round(float(q.price), 4), round(float(q.upfront))
    (106.0659, -606592)
    """
    if not isinstance(curve, YieldCurve):
        raise SpecificationError(f"curve must be a YieldCurve, got {type(curve).__name__}")
    if np.ndim(trade_date) != 0:
        raise DataError(f"trade_date must be one date, got {trade_date!r}")
    today = int(to_day_numbers(trade_date, "trade_date").reshape(-1)[0])
    curve_day = int((curve.trade_date - np.datetime64("1970-01-01", "D")).astype(np.int64))
    if today != curve_day:
        raise SpecificationError(
            f"curve is anchored at {curve.trade_date}, trade_date is {from_day_numbers(today)}: build the curve "
            "for the trade date")
    if (spread_bp is None) == (price is None):
        raise SpecificationError("give exactly one of spread_bp and price")
    if isinstance(n_names, bool) or not isinstance(n_names, (int, np.integer)) or n_names < 1:
        raise SpecificationError(f"n_names must be a positive integer, got {n_names!r}")

    mat = _maturity_days(maturity, today)
    quote_name = "spread_bp" if price is None else "price"
    quote = _float_array(quote_name, spread_bp if price is None else price)
    coupon = _float_array("coupon_bp", coupon_bp)
    rec = _float_array("recovery", recovery)
    notional_a = _float_array("notional", notional)
    if price is None and np.any(quote <= 0.0):
        raise DataError(f"spread_bp must be > 0, got {quote[quote <= 0.0].ravel()[0]!r}")
    if np.any(coupon < 0.0):
        raise DataError(f"coupon_bp must be >= 0, got {coupon[coupon < 0.0].ravel()[0]!r}")
    if np.any((rec < 0.0) | (rec >= 1.0)):
        raise DataError(f"recovery must be in [0, 1), got {rec[(rec < 0.0) | (rec >= 1.0)].ravel()[0]!r}")
    _check_maturities(mat, today, strict=True)

    try:
        mat_b, q_b, c_b, r_b, n_b = np.broadcast_arrays(mat, quote, coupon, rec, notional_a)
    except ValueError as exc:
        raise DataError(f"maturity, {quote_name}, coupon_bp, recovery and notional do not broadcast: {exc}") from exc
    shape = mat_b.shape
    if mat_b.size == 0:  # nothing to price: empty figures of the broadcast shape
        empty = np.empty(shape)
        return CdsQuote(upfront=empty, accrued=empty.copy(), price=empty.copy(), cash_settlement=empty.copy(),
                        spread_bp=empty.copy(), rpv01=empty.copy(), cs01=empty.copy(), jtd=empty.copy(),
                        hazard_rate=empty.copy(), maturity=np.empty(shape, dtype="datetime64[D]"))
    # contracts sorted by maturity: the grid is built per distinct maturity and evaluated in contiguous bands
    order = np.argsort(mat_b.ravel(), kind="stable")
    mat_f = mat_b.ravel()[order]
    c = c_b.ravel()[order] * _BP
    loss = 1.0 - r_b.ravel()[order]
    nominal = n_b.ravel()[order]
    q_f = q_b.ravel()[order]

    grid = _build_grid(curve, today, mat_f)
    dfs = grid.df_settle
    rebate_pv = grid.rebate * dfs
    if price is None:
        s = q_f * _BP
        sol = _solve_hazard(grid, loss, s, np.zeros_like(s), s / loss * 365.0 / 360.0, "spread_bp", q_f,
                            original=order)
        annuity = sol.annuity - rebate_pv
    else:
        points = (100.0 - q_f) / 100.0
        lam0 = np.maximum(c, 1e-4) / loss
        _, ann0 = _legs(grid, lam0)
        s_guess = np.maximum(c + points * dfs / (ann0 - rebate_pv), 1e-5)
        sol = _solve_hazard(grid, loss, c, points * dfs, s_guess / loss, "price", q_f, original=order, early=False)
        annuity = sol.annuity - rebate_pv
        s = loss * sol.protection / annuity
    lam = sol.hazard
    if price is None:
        upfront_unit = (loss * sol.protection - c * annuity) / dfs
    else:  # the quoted price is the upfront by definition (the solve reproduces it to its rounding level)
        upfront_unit = points

    # CS01: re-solve at spread + 1 bp. At the base hazard rate the bumped residual is -1bp x A (a free first
    # secant point) and a Newton step with the base solve's last secant slope gives the second.
    s_up = s + _BP
    if price is not None:
        sol_slope = np.full_like(s, np.nan)  # the price solve's residual has another slope
    else:
        sol_slope = sol.slope
    with np.errstate(divide="ignore", invalid="ignore"):
        newton = lam + _BP * annuity / sol_slope
    guess_up = np.where(np.isfinite(newton) & (newton > lam), newton, lam * (s_up / s))
    up = _solve_hazard(grid, loss, s_up, np.zeros_like(s), guess_up, "spread_bp + 1bp", q_f,
                       start=(lam, -_BP * annuity, sol.protection, sol.annuity), original=order)
    upfront_up = (loss * up.protection - c * (up.annuity - rebate_pv)) / dfs

    upfront = nominal * upfront_unit
    accrued = nominal * c * grid.rebate
    unsort = np.empty_like(order)
    unsort[order] = np.arange(order.size)

    def back(values: FloatArray) -> Any:
        return values[unsort].reshape(shape)

    out = CdsQuote(
        upfront=back(upfront),
        accrued=back(accrued),
        price=back(100.0 - 100.0 * upfront_unit),
        cash_settlement=back(upfront - accrued),
        spread_bp=back(s / _BP),
        rpv01=back(annuity / dfs),
        cs01=back(nominal * (upfront_up - upfront_unit)),
        jtd=back(nominal * (loss - upfront_unit) / n_names),
        hazard_rate=back(lam),
        maturity=from_day_numbers(mat_f)[unsort].reshape(shape),
    )
    return out


def spreads_from_prices(trade_dates: Any, maturity: Any, price: ArrayLike, *, coupon_bp: float, recovery: float,
                        curves: list[YieldCurve], labels: list[str] | None = None) -> FloatArray:
    r"""Conventional spreads (bp) of contracts traded on several dates, from their prices, in one solve.

    Contract :math:`i` is traded on ``trade_dates[i]`` with the discount curve ``curves[i]`` (anchored there);
    the flat hazard rate solves :math:`(1-R)V - cA = (1 - p_i/100)\,P(T_{cs})` and the spread is
    :math:`s = (1-R)V/A` -- exactly :func:`cds_quote` with ``price=`` (``spread_bp`` of its result), but all
    dates in one vectorised hazard-rate solve (each contract on its own accrual grid) and without the CS01
    re-solve: a price series converts in one call rather than one per date.

    Parameters
    ----------
    trade_dates, maturity : array_like of dates, shape (n,)
        Trade date and maturity (a 20 Mar/Jun/Sep/Dec after the step-in date) of each contract.
    price : array_like, shape (n,)
        Prices in points of par (finite).
    coupon_bp, recovery : float
        Running coupon (bp) and recovery rate of every contract.
    curves : list of YieldCurve
        Discount curve of each contract, anchored at its trade date.
    labels : list of str, optional
        How a message names contract :math:`i` (default ``"contract i"``).

    Raises
    ------
    DataError
        As :func:`cds_quote` with ``price``, the message naming the contract.
    """
    if np.size(price) == 0 and np.size(trade_dates) == 0 and np.size(maturity) == 0 and not curves:
        return np.empty(0)
    days = np.asarray(to_day_numbers(trade_dates, "trade_dates"), dtype=np.int64).reshape(-1)
    mat = np.asarray(to_day_numbers(maturity, "maturity"), dtype=np.int64).reshape(-1)
    quote = _float_array("price", price).reshape(-1)
    if not (days.size == mat.size == quote.size == len(curves)):
        raise DataError(f"spreads_from_prices: {days.size} trade dates, {mat.size} maturities, {quote.size} prices "
                        f"and {len(curves)} curves")
    if days.size == 0:
        return np.empty(0)
    for k, (curve, day) in enumerate(zip(curves, days)):
        if not isinstance(curve, YieldCurve):
            raise SpecificationError(f"curves[{k}] must be a YieldCurve, got {type(curve).__name__}")
        if int((curve.trade_date - np.datetime64("1970-01-01", "D")).astype(np.int64)) != int(day):
            raise SpecificationError(f"curves[{k}] is anchored at {curve.trade_date}, its contract trades on "
                                     f"{from_day_numbers(day)}")
    bad = ~_is_imm_twentieth(mat) | (mat <= days + 1) | (mat > add_months(days, 12 * _MAX_YEARS))
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        head = f"{labels[k]}: " if labels is not None else f"contract {k}: "
        raise DataError(f"{head}maturity {from_day_numbers(mat[k])} is not a CDS roll date after the step-in date "
                        f"{from_day_numbers(days[k] + 1)} within {_MAX_YEARS} years")
    if not 0.0 <= recovery < 1.0:
        raise DataError(f"recovery must be in [0, 1), got {recovery!r}")
    if coupon_bp < 0.0:
        raise DataError(f"coupon_bp must be >= 0, got {coupon_bp!r}")
    order = np.lexsort((mat, days))  # by trade date, then maturity
    items, starts = [], np.flatnonzero(np.r_[True, np.diff(days[order]) != 0])
    for lo, hi in zip(starts, np.r_[starts[1:], order.size]):
        rows = order[lo:hi]
        items.append((curves[int(rows[0])], int(days[rows[0]]), mat[rows]))
    grid = _build_multi_grid(items)
    n = order.size
    c = np.full(n, coupon_bp * _BP)
    loss = np.full(n, 1.0 - recovery)
    q = quote[order]
    points = (100.0 - q) / 100.0
    dfs = grid.df_settle
    rebate_pv = grid.rebate * dfs
    _, ann0 = _legs(grid, np.maximum(c, 1e-4) / loss)
    s_guess = np.maximum(c + points * dfs / (ann0 - rebate_pv), 1e-5)
    sol = _solve_hazard(grid, loss, c, points * dfs, s_guess / loss, "price", q, original=order, early=False,
                        labels=labels)
    out = np.empty(n)
    out[order] = loss * sol.protection / (sol.annuity - rebate_pv) / _BP
    return out
