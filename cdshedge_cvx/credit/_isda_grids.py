r"""The λ-independent ISDA grids of many trade dates on one flat curve, built in one vectorised pass.

:func:`~cdshedge_cvx.credit._isda._grid_parts` builds the accrual/discount grid of one trade date: a
backtest calls it once per period (and once per horizon date). On a flat curve (no nodes) the grid of
trade date :math:`T` and maturities :math:`M` is the IMM accrual schedule :math:`a_0..a_J` of :math:`T`
(CDS2015: :math:`a_0` the adjusted 20 Mar/Jun/Sep/Dec on or before :math:`T`), the accrual-on-default
breakpoints :math:`b = (\max(a_0, T+1) - 1, a_1 - 1, \dots, a_J - 1)` (no curve node to split at), the
protection breakpoints :math:`(T, M)`, and :math:`\log P(d) = -r\,d/365` at each of them: every date's
arrays are the same element-wise formulas, so :func:`flat_grid_parts` evaluates them on one
(dates × coupons) array, padded to the longest schedule, and cuts each date's rows back to its own
widths -- the same numbers, to the bit, as one :func:`_grid_parts` call per date.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from cdshedge_cvx.credit._isda import _CASH_SETTLEMENT_DAYS, _DAYS_PER_YEAR, _HALF_DAY, _Parts
from cdshedge_cvx.credit._yield_curve import YieldCurve, add_months, advance_business_days, day_of_month, following

__all__ = ["flat_date_arrays", "flat_grid_parts", "flat_row_arrays", "flat_rows", "previous_imm_twentieths"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _months(days: IntArray) -> IntArray:
    return (np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]")).astype(np.int64)


def flat_grid_parts(curve: YieldCurve, todays: list[int], umats: list[IntArray]) -> list[_Parts]:
    """``[_grid_parts(curve, today, umat) for today, umat in zip(todays, umats)]`` for a flat ``curve``
    (``umat`` sorted, distinct, after each step-in date), in one vectorised pass."""
    if curve.node_days.size:
        raise ValueError("flat_grid_parts: the curve has nodes")  # internal contract: callers check
    if not todays:
        return []
    f = _flat_arrays(curve, todays, umats)
    out = []
    stops = np.cumsum(f["sizes"])
    for i in range(len(todays)):
        nc = int(f["n_coupons"][i])
        rows = slice(int(stops[i] - f["sizes"][i]), int(stops[i]))
        m_i = f["m"][rows]
        out.append(_Parts(
            t_break=f["t_break"][i, : nc + 1], logp=f["logp"][i, : nc + 1], seg_t0s=f["seg_t0s"][i, :nc],
            pay_break=np.arange(1, nc + 1, dtype=np.int64),
            seg_weight=np.ascontiguousarray(f["seg_weight"][rows, :nc]),
            pay_df_tau=np.ascontiguousarray(f["pay_df_tau"][rows, :nc]),
            prot_t=f["prot_t"][rows], prot_p=f["prot_p"][rows], prot_fhat=f["prot_fhat"][rows],
            n_break=m_i + 1, n_coupons=m_i, n_prot=np.full(m_i.size, 2, dtype=np.int64),
            rebate=f["rebate"][rows], df_settle=float(f["df_settle"][i])))
    return out


def flat_row_arrays(curve: YieldCurve, todays: list[int], umats: list[IntArray]) -> dict[str, np.ndarray]:
    """The grids of :func:`flat_grid_parts` as one row per (trade date, maturity), in the order of the
    concatenated ``umats``, every row padded to the longest schedule (the padding coupons have weight and
    premium 0, so a row's legs are those of its own grid up to the order of the row sums).

    Keys: ``t_break``, ``logp`` (rows x B), ``seg_t0s``, ``seg_weight``, ``pay_df_tau``, ``pay_break``
    (rows x B-1), ``prot_t``, ``prot_p`` (rows x 2), ``prot_fhat`` (rows x 1), ``premium_zero``, ``rebate``,
    ``df_settle`` (rows,).
    """
    if curve.node_days.size:
        raise ValueError("flat_row_arrays: the curve has nodes")  # internal contract: callers check
    return _rows(_flat_arrays(curve, todays, umats))


def flat_rows(curve: YieldCurve, today: IntArray, owner: IntArray, mat: IntArray) -> dict[str, np.ndarray]:
    """:func:`flat_row_arrays` of the rows (trade day ``today[owner[i]]``, maturity ``mat[i]``), the trade days
    distinct and the maturities of each distinct and after its step-in date."""
    if curve.node_days.size:
        raise ValueError("flat_rows: the curve has nodes")  # internal contract: callers check
    return _rows(flat_date_arrays(curve, np.asarray(today, dtype=np.int64), np.asarray(owner, dtype=np.int64),
                                  np.asarray(mat, dtype=np.int64)))


def _rows(f: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    owner, width = f["owner"], f["seg_weight"].shape[1]
    return {"t_break": f["t_break"][owner], "logp": f["logp"][owner], "seg_t0s": f["seg_t0s"][owner],
            "seg_weight": f["seg_weight"], "pay_df_tau": f["pay_df_tau"],
            "pay_break": np.tile(np.arange(1, width + 1, dtype=np.int64), (owner.size, 1)),
            "prot_t": f["prot_t"], "prot_p": f["prot_p"], "prot_fhat": f["prot_fhat"],
            "premium_zero": f["pay_df_tau"].sum(axis=1), "rebate": f["rebate"], "df_settle": f["df_settle"][owner]}


def _flat_arrays(curve: YieldCurve, todays: list[int], umats: list[IntArray]) -> dict[str, np.ndarray]:
    """The (dates x coupons) and (maturities x coupons) arrays of :func:`flat_grid_parts`, before the cut."""
    sizes = np.asarray([u.size for u in umats], dtype=np.int64)
    owner = np.repeat(np.arange(len(todays)), sizes)  # item of each maturity
    return {"sizes": sizes, **flat_date_arrays(curve, np.asarray(todays, dtype=np.int64), owner,
                                               np.concatenate(umats).astype(np.int64))}


def previous_imm_twentieths(days: IntArray) -> IntArray:
    """:func:`~cdshedge_cvx.credit._isda._previous_imm_twentieth` of every day (vectorised): the 20th of
    Mar/Jun/Sep/Dec on or before it."""
    day = np.asarray(days, dtype=np.int64)
    month = _months(day) - (day_of_month(day) < 20)  # months since 1970-01 of the last 20th on or before the day
    month -= (month % 12 + 1) % 3  # back to Mar/Jun/Sep/Dec
    return (month.astype("datetime64[M]").astype("datetime64[D]") - np.datetime64("1970-01-01", "D")).astype(
        np.int64) + 19


def flat_date_arrays(curve: YieldCurve, today: IntArray, owner: IntArray, mat: IntArray) -> dict[str, np.ndarray]:
    """The arrays of :func:`flat_row_arrays` (and, with ``sizes``, of :func:`flat_grid_parts` before the cut) for
    trade days ``today`` (k,) and the maturities ``mat`` of ``owner``'s trade day (rows,; after each step-in)."""
    k = today.size
    step_in = today + 1

    # the accrual schedule of each trade date (_coupon_grid)
    prev20 = previous_imm_twentieths(today)
    first = np.where(following(prev20) > today, add_months(prev20, -3), prev20)
    m = (_months(mat) - _months(first)[owner]) // 3  # coupons of each contract
    n_coupons = np.zeros(k, dtype=np.int64)
    np.maximum.at(n_coupons, owner, m)
    width = int(n_coupons.max())
    # the trade dates of a quarter share their schedule: each distinct one computed once
    distinct, which = np.unique(first, return_inverse=True)
    acc = following(add_months(np.repeat(distinct[:, None], width + 1, axis=1), 3 * np.arange(width + 1)[None, :]))
    acc = acc[which]
    end_first = np.where(m > 1, acc[owner, np.minimum(1, n_coupons[owner])], mat + 1)
    accrued_days = np.where(step_in[owner] < end_first, step_in[owner] - acc[owner, 0], 0)

    # accrual-on-default breakpoints: max(a_0, T+1) - 1, then a_j - 1 (no curve node inside)
    b = np.concatenate([np.maximum(acc[:, :1], step_in[:, None]) - 1, acc[:, 1:] - 1], axis=1)
    t_break = (b.astype(np.float64) - today[:, None].astype(np.float64)) / _DAYS_PER_YEAR
    logp = curve.log_discount_days(b - today[:, None])
    active = acc[:, 1:] > step_in[:, None]
    tof_start = (acc[:, :-1] - 1).astype(np.float64)
    seg_t0s = t_break[:, :-1] - ((tof_start - today[:, None].astype(np.float64)) / _DAYS_PER_YEAR - _HALF_DAY)

    # premium: tau_j P(pay_j), the last coupon of each contract ending on its maturity day inclusive
    j_idx = np.arange(1, width + 1)
    tau = (acc[:, 1:] - acc[:, :-1]) / 360.0
    tau_c = np.where(j_idx[None, :] < m[:, None], tau[owner], 0.0)
    tau_c[np.arange(mat.size), m - 1] = (mat - acc[owner, m - 1] + 1) / 360.0
    pay_df = np.exp(curve.log_discount_days(acc[:, 1:] - today[:, None]))
    pay_df_tau = tau_c * (pay_df * active)[owner]
    seg_weight = ((j_idx[None, :] - 1 < m[:, None]) & active[owner]).astype(np.float64)

    # protection: from T to the maturity (no node to split at)
    pb = np.stack([today[owner], mat], axis=1)
    pt = (pb.astype(np.float64) - today[owner, None].astype(np.float64)) / _DAYS_PER_YEAR
    plog = curve.log_discount_days(pb - today[owner, None])
    prot_fhat = np.where(pt[:, 1:] > pt[:, :-1], plog[:, :-1] - plog[:, 1:], 1.0)
    prot_p = np.exp(plog)
    settle = advance_business_days(today, _CASH_SETTLEMENT_DAYS)
    df_settle = np.exp(curve.log_discount_days(settle - today))

    return {"owner": owner, "m": m, "n_coupons": n_coupons, "t_break": t_break, "logp": logp,
            "seg_t0s": seg_t0s, "seg_weight": seg_weight, "pay_df_tau": pay_df_tau, "prot_t": pt, "prot_p": prot_p,
            "prot_fhat": prot_fhat, "rebate": accrued_days / 360.0, "df_settle": df_settle}
