r"""Many :func:`~cdshedge_cvx.credit.cds_quote` calls of different trade dates and curves in one solve.

A backtest prices the same instruments at every period's base date: one :func:`cds_quote` per date and
currency costs mostly Python overhead (grid building, the secant loop over a few hundred contracts).
:func:`spread_quote_groups` takes the *groups* of contracts that would each have been one
:func:`cds_quote` call (trade date, curve, maturities, spreads, coupons, recoveries; notional 1) and
solves all their hazard rates at once.

Bit-identical to the separate calls: every contract keeps the λ-independent arrays of its own call
(:func:`~cdshedge_cvx.credit._isda._grid_parts` of its group's distinct maturities), cut to the widths of
the band it would have been evaluated in, and contracts are banded here by those widths, so every row
sum runs over the same elements in the same order; the secant iteration is per contract.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cdshedge_cvx.credit._isda import (
    _BP,
    _Band,
    _Grid,
    _grid_parts,
    _n_bands,
    _solve_hazard,
    _work_size,
    _Workspace,
)
from cdshedge_cvx.credit._yield_curve import YieldCurve

__all__ = ["QuoteGroup", "spread_quote_groups"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class QuoteGroup:
    """The contracts of one :func:`cds_quote` call: ``cds_quote(today, maturity, spread_bp, coupon_bp=coupon_bp,
    recovery=recovery, curve=curve)`` with ``today`` the curve's trade date (day number), maturities as day
    numbers (IMM dates after the step-in date, already checked)."""

    curve: YieldCurve
    today: int
    maturity: IntArray
    spread_bp: FloatArray
    coupon_bp: FloatArray
    recovery: FloatArray


@dataclass(frozen=True)
class GroupQuotes:
    """Per unit notional, in the group's contract order: upfront, cs01, rpv01 and hazard rate."""

    upfront: FloatArray
    cs01: FloatArray
    rpv01: FloatArray
    hazard_rate: FloatArray


def spread_quote_groups(groups: list[QuoteGroup], chunk_rows: int = 4096) -> list[GroupQuotes]:
    """``cds_quote`` of every group (spread quotes, notional 1), solved together in chunks of about
    ``chunk_rows`` contracts; the same numbers, to the bit, as one call per group."""
    out: list[GroupQuotes] = []
    start = 0
    while start < len(groups):
        stop, rows = start, 0
        while stop < len(groups) and (rows == 0 or rows + groups[stop].maturity.size <= chunk_rows):
            rows += groups[stop].maturity.size
            stop += 1
        out.extend(_solve_chunk(groups[start:stop]))
        start = stop
    return out


def _solve_chunk(groups: list[QuoteGroup]) -> list[GroupQuotes]:
    # every contract's row of its own call's grid, and the band widths it would have had
    rows: dict[tuple[int, int, int], list[tuple[int, int, object, int]]] = {}
    meta = []
    for g_index, group in enumerate(groups):
        order = np.argsort(group.maturity, kind="stable")
        mat_f = group.maturity[order]
        umat, inv = np.unique(mat_f, return_inverse=True)
        parts = _grid_parts(group.curve, group.today, umat)
        extra = (-parts.t_break, np.exp(parts.logp), parts.logp[:-1] - parts.logp[1:], np.diff(parts.t_break),
                 parts.pay_df_tau.sum(axis=1))
        meta.append((parts, extra))
        for band in np.array_split(np.arange(mat_f.size), _n_bands(mat_f.size)):
            if not band.size:
                continue
            last = int(inv[band[-1]])
            key = (int(parts.n_break[last]), int(parts.n_coupons[last]), int(parts.n_prot[last]))
            rows.setdefault(key, []).extend((g_index, int(order[r]), None, int(inv[r])) for r in band)
    n = sum(len(v) for v in rows.values())
    where = np.empty(n, dtype=np.int64)  # batch row -> position in the concatenation of the groups
    offsets = np.cumsum([0] + [g.maturity.size for g in groups])
    premium_zero, rebate, df_settle = np.empty(n), np.empty(n), np.empty(n)
    bands = []
    at = 0
    for (nb, nc, npb), members in rows.items():
        lo = at
        cols: dict[str, list[FloatArray]] = {k: [] for k in (
            "weight", "pay_df_tau", "prot_t", "prot_p", "prot_fhat", "minus_t", "p_break", "seg_fhat", "seg_dt",
            "seg_t0s", "pay_break")}
        for g_index, position, _, u in members:
            parts, (minus_t, p_break, seg_fhat, seg_dt, pz) = meta[g_index]
            where[at] = offsets[g_index] + position
            premium_zero[at], rebate[at], df_settle[at] = pz[u], parts.rebate[u], parts.df_settle
            cols["weight"].append(parts.seg_weight[u, : nb - 1])
            cols["pay_df_tau"].append(parts.pay_df_tau[u, :nc])
            cols["prot_t"].append(parts.prot_t[u, :npb])
            cols["prot_p"].append(parts.prot_p[u, :npb])
            cols["prot_fhat"].append(parts.prot_fhat[u, : npb - 1])
            cols["minus_t"].append(minus_t[:nb])
            cols["p_break"].append(p_break[:nb])
            cols["seg_fhat"].append(seg_fhat[: nb - 1])
            cols["seg_dt"].append(seg_dt[: nb - 1])
            cols["seg_t0s"].append(parts.seg_t0s[: nb - 1])
            cols["pay_break"].append(parts.pay_break[:nc])
            at += 1
        stacked = {k: np.vstack(v) for k, v in cols.items()}
        bands.append(_Band(
            start=lo, stop=at, nb=nb, nc=nc, weight=stacked["weight"], pay_df_tau=stacked["pay_df_tau"],
            prot_t=stacked["prot_t"], prot_p=stacked["prot_p"], prot_fhat=stacked["prot_fhat"],
            prot_dt=np.diff(stacked["prot_t"], axis=1), minus_t_break=stacked["minus_t"], p_break=stacked["p_break"],
            seg_fhat=stacked["seg_fhat"], seg_dt=stacked["seg_dt"], seg_t0s=stacked["seg_t0s"],
            pay_break=stacked["pay_break"].astype(np.int64)))
    grid = _Grid(premium_zero=premium_zero, rebate=rebate, bands=bands,
                 band_starts=np.asarray([b.start for b in bands], dtype=np.int64), df_settle=df_settle,
                 work=_Workspace(_work_size(bands)))

    def gather(name: str) -> FloatArray:
        return np.concatenate([np.asarray(getattr(g, name), dtype=np.float64) for g in groups])[where]

    q = gather("spread_bp")
    c = gather("coupon_bp") * _BP
    loss = 1.0 - gather("recovery")
    dfs = grid.df_settle
    rebate_pv = grid.rebate * dfs
    s = q * _BP  # as cds_quote (spread quotes, notional 1)
    sol = _solve_hazard(grid, loss, s, np.zeros_like(s), s / loss * 365.0 / 360.0, "spread_bp", q, original=where)
    annuity = sol.annuity - rebate_pv
    upfront_unit = (loss * sol.protection - c * annuity) / dfs
    lam = sol.hazard
    s_up = s + _BP
    with np.errstate(divide="ignore", invalid="ignore"):
        newton = lam + _BP * annuity / sol.slope
    guess_up = np.where(np.isfinite(newton) & (newton > lam), newton, lam * (s_up / s))
    up = _solve_hazard(grid, loss, s_up, np.zeros_like(s), guess_up, "spread_bp + 1bp", q,
                       start=(lam, -_BP * annuity, sol.protection, sol.annuity), original=where)
    upfront_up = (loss * up.protection - c * (up.annuity - rebate_pv)) / dfs
    nominal = np.ones(n)
    values = {"upfront": nominal * upfront_unit, "cs01": nominal * (upfront_up - upfront_unit),
              "rpv01": annuity / dfs, "hazard_rate": lam}
    back = np.empty(n, dtype=np.int64)
    back[where] = np.arange(n)
    flat = {k: v[back] for k, v in values.items()}
    return [GroupQuotes(**{k: v[offsets[i]:offsets[i + 1]] for k, v in flat.items()}) for i in range(len(groups))]
