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
from typing import Any

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
from cdshedge_cvx.credit._isda_grids import flat_grid_parts
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
    """Per unit notional, in the group's contract order: upfront, cs01, rpv01 and hazard rate, and ``cs01_par``,
    the cs01 of the par contract (coupon = spread): the hazard-rate solves of a spread quote do not depend on the
    coupon, so ``cds_quote(..., coupon_bp=spread_bp)`` is the same solves with another coupon in the upfronts."""

    upfront: FloatArray
    cs01: FloatArray
    rpv01: FloatArray
    hazard_rate: FloatArray
    cs01_par: FloatArray


def spread_quote_groups(groups: list[QuoteGroup], chunk_rows: int = 4096, *,
                        early: bool = True) -> list[GroupQuotes]:
    """``cds_quote`` of every group (spread quotes, notional 1), solved together in chunks of about
    ``chunk_rows`` contracts; the same numbers, to the bit, as one call per group.

    ``early=False`` solves every hazard rate to the rounding level of its residual (no chord-extrapolated
    last step: see :func:`~cdshedge_cvx.credit._isda._solve_hazard`).
    """
    out: list[GroupQuotes] = []
    grids: dict[tuple[Any, ...], tuple[Any, ...]] = {}  # shared by the chunks: a period's end is the next one's base
    blocks_cache: dict[tuple[Any, ...], dict[str, FloatArray]] = {}
    start = 0
    while start < len(groups):
        stop, rows = start, 0
        while stop < len(groups) and (rows == 0 or rows + groups[stop].maturity.size <= chunk_rows):
            rows += groups[stop].maturity.size
            stop += 1
        out.extend(_solve_chunk(groups[start:stop], grids, blocks_cache, early=early))
        start = stop
    return out


def _curve_key(curve: YieldCurve) -> tuple[Any, ...]:
    """What :func:`_grid_parts` reads of a curve: curves equal in these give the same grid, to the bit."""
    return (curve.node_days.tobytes(), curve.node_log_discount.tobytes(), float(curve.tail_rate))


def _solve_chunk(groups: list[QuoteGroup], grids: dict[tuple[Any, ...], tuple[Any, ...]],
                 blocks_cache: dict[tuple[Any, ...], dict[str, FloatArray]], *,
                 early: bool = True) -> list[GroupQuotes]:
    # every contract's rows of its own call's grid, cut to the widths of the band it would have been in; the
    # contracts of one band of one call share those widths and go in as one block
    blocks: dict[tuple[int, int, int], list[tuple[IntArray, dict[str, FloatArray]]]] = {}
    offsets = np.cumsum([0] + [g.maturity.size for g in groups])
    curve_keys: dict[int, tuple[Any, ...]] = {}
    sorted_groups = []
    missing: dict[tuple[Any, ...], tuple[YieldCurve, list[tuple[Any, ...]], list[int], list[IntArray]]] = {}
    for group in groups:
        order = np.argsort(group.maturity, kind="stable")
        umat, inv = np.unique(group.maturity[order], return_inverse=True)
        if id(group.curve) not in curve_keys:
            curve_keys[id(group.curve)] = _curve_key(group.curve)
        # one grid per curve content, trade date and maturities: a contract at its coupon and at par, and a
        # period's horizon date that is the next period's base date with the same curve, share it
        key = (curve_keys[id(group.curve)], group.today, umat.tobytes())
        sorted_groups.append((order, inv, key))
        if key not in grids:
            grids[key] = ()  # placeholder: built below
            pending = missing.setdefault(curve_keys[id(group.curve)], (group.curve, [], [], []))
            pending[1].append(key)
            pending[2].append(group.today)
            pending[3].append(umat)
    for curve, keys, todays, umats in missing.values():
        # the trade dates of one flat curve in one vectorised pass; a curve with nodes date by date
        parts = (flat_grid_parts(curve, todays, umats) if curve.node_days.size == 0
                 else [_grid_parts(curve, today, umat) for today, umat in zip(todays, umats)])
        for key, p in zip(keys, parts):
            grids[key] = (p, -p.t_break, np.exp(p.logp), p.logp[:-1] - p.logp[1:], np.diff(p.t_break),
                          p.pay_df_tau.sum(axis=1))
    for g_index, (order, inv, key) in enumerate(sorted_groups):
        p, minus_t, p_break, seg_fhat, seg_dt, premium_zero = grids[key]
        for band in np.array_split(np.arange(inv.size), _n_bands(inv.size)):
            if not band.size:
                continue
            u = inv[band]
            last, k = int(u[-1]), band.size
            nb, nc, npb = int(p.n_break[last]), int(p.n_coupons[last]), int(p.n_prot[last])
            block_key = (key, u.tobytes())
            if block_key in blocks_cache:  # the same grid rows again (another period, the same contracts)
                blocks.setdefault((nb, nc, npb), []).append((offsets[g_index] + order[band], blocks_cache[block_key]))
                continue

            def rows(values: FloatArray, k: int = k) -> FloatArray:
                return np.broadcast_to(values, (k, values.size))

            blocks_cache[block_key] = {
                "weight": p.seg_weight[u, : nb - 1], "pay_df_tau": p.pay_df_tau[u, :nc],
                "prot_t": p.prot_t[u, :npb], "prot_p": p.prot_p[u, :npb], "prot_fhat": p.prot_fhat[u, : npb - 1],
                "minus_t": rows(minus_t[:nb]), "p_break": rows(p_break[:nb]), "seg_fhat": rows(seg_fhat[: nb - 1]),
                "seg_dt": rows(seg_dt[: nb - 1]), "seg_t0s": rows(p.seg_t0s[: nb - 1]),
                "pay_break": rows(p.pay_break[:nc]), "premium_zero": premium_zero[u],
                "rebate": p.rebate[u], "df_settle": np.full(k, p.df_settle)}
            blocks.setdefault((nb, nc, npb), []).append((offsets[g_index] + order[band], blocks_cache[block_key]))
    bands, where, flat = [], [], {"premium_zero": [], "rebate": [], "df_settle": []}
    at = 0
    for (nb, nc, _), members in blocks.items():
        # C order: the row sums (einsum) of a strided array may add in another order
        stacked = {key: np.ascontiguousarray(np.concatenate([m[1][key] for m in members])) for key in members[0][1]}
        where.extend(m[0] for m in members)
        for key in flat:
            flat[key].append(stacked[key])
        size = stacked["weight"].shape[0]
        bands.append(_Band(
            start=at, stop=at + size, nb=nb, nc=nc, weight=stacked["weight"], pay_df_tau=stacked["pay_df_tau"],
            prot_t=stacked["prot_t"], prot_p=stacked["prot_p"], prot_fhat=stacked["prot_fhat"],
            prot_dt=np.diff(stacked["prot_t"], axis=1), minus_t_break=stacked["minus_t"], p_break=stacked["p_break"],
            seg_fhat=stacked["seg_fhat"], seg_dt=stacked["seg_dt"], seg_t0s=stacked["seg_t0s"],
            pay_break=stacked["pay_break"].astype(np.int64)))
        at += size
    n = at
    where_rows = np.concatenate(where).astype(np.int64)  # batch row -> position in the groups' concatenation
    premium_zero, rebate, df_settle = (np.concatenate(flat[key]) for key in ("premium_zero", "rebate", "df_settle"))
    where = where_rows
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
    sol = _solve_hazard(grid, loss, s, np.zeros_like(s), s / loss * 365.0 / 360.0, "spread_bp", q, original=where,
                        early=early)
    annuity = sol.annuity - rebate_pv
    upfront_unit = (loss * sol.protection - c * annuity) / dfs
    lam = sol.hazard
    back = np.empty(n, dtype=np.int64)
    back[where] = np.arange(n)
    s_up = s + _BP
    with np.errstate(divide="ignore", invalid="ignore"):
        newton = lam + _BP * annuity / sol.slope
    guess_up = np.where(np.isfinite(newton) & (newton > lam), newton, lam * (s_up / s))
    up = _solve_hazard(grid, loss, s_up, np.zeros_like(s), guess_up, "spread_bp + 1bp", q,
                       start=(lam, -_BP * annuity, sol.protection, sol.annuity), original=where, early=early)
    upfront_up = (loss * up.protection - c * (up.annuity - rebate_pv)) / dfs
    nominal = np.ones(n)
    par_unit = (loss * sol.protection - s * annuity) / dfs  # coupon_bp = spread_bp: c is s to the bit
    par_up = (loss * up.protection - s * (up.annuity - rebate_pv)) / dfs
    values = {"upfront": nominal * upfront_unit, "cs01": nominal * (upfront_up - upfront_unit),
              "rpv01": annuity / dfs, "hazard_rate": lam, "cs01_par": nominal * (par_up - par_unit)}
    flat = {k: v[back] for k, v in values.items()}
    return [GroupQuotes(**{k: v[offsets[i]:offsets[i + 1]] for k, v in flat.items()}) for i in range(len(groups))]
