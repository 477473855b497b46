r"""Spread quotes of many contracts on few grids, from Chebyshev tables in the spread.

A backtest prices every instrument at every period's base date and horizon: hundreds of thousands of
contracts on a few hundred grids (one per curve, trade date and maturity: the instruments on one roll
calendar share it). For a spread quote :math:`s` the flat hazard rate solves :math:`(1-R)\,V(\lambda) =
s\,A(\lambda)` (:math:`V` the protection leg per unit loss, :math:`A` the clean risky annuity), so
:math:`\lambda` and the clean RPV01 :math:`\rho = A / P(T_{cs})` depend on the contract only through its grid
and

.. math:: z = \frac{s}{1 - R}.

Per grid, :func:`tabulated_quotes` expands :math:`\rho(z)` and :math:`\lambda(z)/z` (so the hazard rate is
exact to the same relative accuracy at any spread) in Chebyshev polynomials of :math:`z` over the range
:math:`[z_{min}, z_{max}]` the grid's contracts need (:func:`_tables`): the legs are priced once at
Chebyshev points of the hazard rate on an interval whose image covers that range (no root-finding:
:math:`z(\lambda) = V/A` and :math:`\rho(\lambda)` at each point, the legs of
:func:`~cdshedge_cvx.credit._isda._legs`), and :math:`z(\lambda) = \zeta` is inverted by Newton's method on
that interpolant at the Chebyshev points :math:`\zeta` of the :math:`z` range. (Linear in :math:`z` rather
than in :math:`\log z`: :math:`\rho` is close to a sum of exponentials :math:`e^{-\lambda t}`, whose
coefficients fall fastest in :math:`\lambda \approx z`; 17 points reach 1e-15 on :math:`z \in [0.0002, 0.5]`,
where :math:`\log z` needs 33 to 65.)
At the solution :math:`(1-R)V = sA`, so with the coupon :math:`c` and :math:`z^+ = (s + 1\,\mathrm{bp})/(1-R)`

.. math::

    \text{upfront} = (s - c)\,\rho(z), \qquad
    \text{cs01} = (s + 1\,\mathrm{bp} - c)\,\rho(z^+) - (s - c)\,\rho(z), \qquad
    \text{cs01}_{par} = 1\,\mathrm{bp}\cdot\rho(z^+).

The points double (17, 33, 65: each set contains the previous one) until the last two Chebyshev
coefficients of every expansion (in the hazard rate and in z) are below ``_TOLERANCE`` of their largest
(the coefficients of an analytic function fall geometrically; the tail then bounds the interpolation
error). A grid that needs more than 65 points has its contracts solved one by one
(:func:`~cdshedge_cvx.credit._isda_batch.spread_quote_groups`), as does one whose hazard-rate interval
cannot be made to cover its spreads. Agreement with the contract-by-contract solve is tested
(``tests/test_isda_table.py``) to 1e-12 relative, well inside the 1e-10 agreement of both with QuantLib.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cdshedge_cvx.credit._isda import _BP, _EPS, _Band, _Grid, _grid_parts, _legs, _pad, _work_size, _Workspace
from cdshedge_cvx.credit._isda_batch import GroupQuotes, QuoteGroup, _curve_key, spread_quote_groups
from cdshedge_cvx.credit._isda_grids import flat_row_arrays
from cdshedge_cvx.credit._yield_curve import YieldCurve

__all__ = ["DateIndex", "tabulated_quote_groups", "tabulated_quotes"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Clenshaw–Curtis point counts tried in turn (nested: each set contains the previous one).
_LEVELS = (17, 33, 65)
#: The last two Chebyshev coefficients must be below this fraction of the largest (ρ and λ alike).
_TOLERANCE = 1e-14
#: Fewer contracts per grid than this on average: solving them one by one is cheaper than the tables.
_MIN_PER_GRID = 40
#: Points priced per pass (arrays of a pass stay in cache).
_CHUNK = 1024
#: Least half-width of a grid's interval, relative to its centre (a grid whose contracts all quote one spread).
_MIN_HALF_WIDTH = 1e-3


def _points(count: int) -> FloatArray:
    """Chebyshev points of the second kind, cos(πj/(count-1)), j = 0..count-1 (from 1 down to -1)."""
    return np.cos(np.pi * np.arange(count) / (count - 1))


def _coefficient_matrix(count: int) -> FloatArray:
    """The (count x count) matrix taking values at :func:`_points` to Chebyshev coefficients (DCT-I)."""
    j = np.arange(count)
    m = np.cos(np.pi * np.outer(j, j) / (count - 1)) * (2.0 / (count - 1))
    m[:, 0] *= 0.5
    m[:, -1] *= 0.5
    m[0] *= 0.5
    m[-1] *= 0.5
    return m


def _clenshaw(coefficients_t: FloatArray, row: IntArray, x: FloatArray) -> FloatArray:
    """Σ_k a_k T_k(x) for each point, ``a`` the row ``row`` of ``coefficients_t.T`` (terms x rows)."""
    if x.size <= 4 * _CHUNK:
        return _clenshaw_chunk(coefficients_t, row, x)
    out = np.empty(x.size)
    for start in range(0, x.size, 4 * _CHUNK):
        part = slice(start, start + 4 * _CHUNK)
        out[part] = _clenshaw_chunk(coefficients_t, row[part], x[part])
    return out


def _clenshaw_chunk(coefficients_t: FloatArray, row: IntArray, x: FloatArray) -> FloatArray:
    # three buffers rotated in place: b_k = a_k + 2x b_{k+1} - b_{k+2}
    b0, b1, b2, tmp = np.empty(x.size), np.zeros(x.size), np.zeros(x.size), np.empty(x.size)
    twice = 2.0 * x
    for k in range(coefficients_t.shape[0] - 1, 0, -1):
        np.take(coefficients_t[k], row, out=b0)
        np.multiply(twice, b1, out=tmp)
        b0 += tmp
        b0 -= b2
        b0, b1, b2 = b2, b0, b1
    out = np.take(coefficients_t[0], row)
    out += x * b1
    out -= b2
    return out


def tabulated_quote_groups(groups: list[QuoteGroup], bump: Sequence[bool] | None = None) -> list[GroupQuotes]:
    """What :func:`~cdshedge_cvx.credit._isda_batch.spread_quote_groups` returns, from per-grid Chebyshev tables
    (:func:`tabulated_quotes`; contract by contract when the groups have too few contracts per grid).

    ``bump[i]`` (default all True): whether group ``i`` needs ``cs01``, ``cs01_par`` (the quote + 1 bp) and
    ``hazard_rate``; where it does not they are NaN.
    """
    if not groups:
        return []
    flags = [True] * len(groups) if bump is None else [bool(b) for b in bump]
    sizes = np.asarray([g.maturity.size for g in groups], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    dates = DateIndex()
    group_date = np.asarray([dates.add(g.curve, g.today) for g in groups], dtype=np.int64)
    out = tabulated_quotes(
        dates, np.repeat(group_date, sizes), np.concatenate([g.maturity for g in groups]).astype(np.int64),
        np.concatenate([np.asarray(g.spread_bp, dtype=np.float64) for g in groups]),
        np.concatenate([np.asarray(g.coupon_bp, dtype=np.float64) for g in groups]),
        np.concatenate([np.asarray(g.recovery, dtype=np.float64) for g in groups]), np.repeat(np.asarray(flags), sizes))
    if out is None:
        return spread_quote_groups(groups)
    return [GroupQuotes(**{k: v[offsets[i]:offsets[i + 1]] for k, v in out.items()}) for i in range(len(groups))]


class DateIndex:
    """The distinct (curve content, trade date) pairs of a batch, numbered in the order first seen."""

    def __init__(self) -> None:
        self.ids: dict[tuple[Any, ...], int] = {}
        self.curves: list[YieldCurve] = []
        self.todays: list[int] = []
        self._keys: dict[int, tuple[Any, ...]] = {}

    def content(self, curve: YieldCurve) -> tuple[Any, ...]:
        """What the grids read of ``curve`` (:func:`~cdshedge_cvx.credit._isda_batch._curve_key`), once per curve."""
        content = self._keys.get(id(curve))
        if content is None:
            content = self._keys[id(curve)] = _curve_key(curve)
        return content

    def add(self, curve: YieldCurve, today: int) -> int:
        """The id of ``(curve, today)`` (curves equal in content share ids)."""
        key = (self.content(curve), int(today))
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.curves)
            self.curves.append(curve)
            self.todays.append(int(today))
        return found


def tabulated_quotes(dates: DateIndex, date: IntArray, maturity: IntArray, spread_bp: FloatArray,
                     coupon_bp: FloatArray, recovery: FloatArray, bumped: NDArray[np.bool_],
                     min_per_grid: int = _MIN_PER_GRID) -> dict[str, FloatArray] | None:
    """Spread quotes (notional 1) of contracts given as flat arrays, from per-grid Chebyshev tables.

    Contract ``i`` trades on ``dates.todays[date[i]]`` on the curve ``dates.curves[date[i]]`` (the caller checks
    them as :func:`~cdshedge_cvx.credit.cds_quote` does), matures on day ``maturity[i]``, quotes
    ``spread_bp[i]`` with coupon ``coupon_bp[i]`` and recovery ``recovery[i]``; ``bumped[i]``: whether it needs
    ``cs01``, ``cs01_par`` and ``hazard_rate`` (else NaN). Returns ``upfront``, ``cs01``, ``rpv01``,
    ``hazard_rate``, ``cs01_par`` per contract, or ``None`` when there are fewer than ``min_per_grid``
    contracts per grid on average (solving them one by one is then cheaper).
    """
    if spread_bp.size == 0:
        return None
    low = int(maturity.min())
    span = int(maturity.max()) - low + 1
    # the distinct (date, maturity) grids, sorted: a hash factorisation, then the few distinct keys sorted
    codes, keys = pd.factorize(date * span + (maturity - low))
    order = np.argsort(keys, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    row, row_keys = rank[codes], np.asarray(keys)[order]
    rows = row_keys.size
    if spread_bp.size < min_per_grid * rows:
        return None
    row_date = row_keys // span
    row_maturity = row_keys % span + low

    loss = 1.0 - recovery
    z = spread_bp * _BP / loss
    z_up = (spread_bp + 1.0) * _BP / loss
    lo = np.full(rows, np.inf)
    hi = np.full(rows, -np.inf)
    np.minimum.at(lo, row, z)
    np.maximum.at(hi, row, np.where(bumped, z_up, z))
    mid = 0.5 * (lo + hi)
    half = np.maximum(0.5 * (hi - lo), _MIN_HALF_WIDTH * mid)

    coefficients, terms = _tables(_row_arrays(dates, row_date, row_maturity), mid, half)
    out = {name: np.full(spread_bp.size, np.nan) for name in ("upfront", "cs01", "rpv01", "hazard_rate", "cs01_par")}
    contract_terms = terms[row]
    rho_t = np.ascontiguousarray(coefficients["rpv01"].T)  # (terms, rows); zero past each row's own terms
    hazard_t = np.ascontiguousarray(coefficients["hazard_rate"].T)
    step = 8 * _CHUNK
    for start in range(0, spread_bp.size, step):  # consecutive contracts share grids: similar table widths
        at = slice(start, start + step)
        r = row[at]
        width = int(contract_terms[at].max())
        if width == 0:
            continue
        rho = _clenshaw_chunk(rho_t[:width], r, np.clip((z[at] - mid[r]) / half[r], -1.0, 1.0))
        out["rpv01"][at] = rho
        s, c = spread_bp[at], coupon_bp[at]
        out["upfront"][at] = (s - c) * _BP * rho
        up = start + np.flatnonzero(bumped[at])
        if up.size:
            r_up = row[up]
            x = np.clip((z[up] - mid[r_up]) / half[r_up], -1.0, 1.0)
            out["hazard_rate"][up] = z[up] * _clenshaw_chunk(hazard_t[:width], r_up, x)
            x_up = np.clip((z_up[up] - mid[r_up]) / half[r_up], -1.0, 1.0)
            rho_up = _clenshaw_chunk(rho_t[:width], r_up, x_up)
            s, c = spread_bp[up], coupon_bp[up]
            out["cs01"][up] = (s + 1.0 - c) * _BP * rho_up - (s - c) * _BP * out["rpv01"][up]
            out["cs01_par"][up] = _BP * rho_up
    tabulated = contract_terms > 0
    if not np.all(tabulated):  # grids whose tables did not converge: their contracts one by one
        _solve_directly(dates, date, maturity, spread_bp, coupon_bp, recovery, ~tabulated, out)
    return out


def _tables(grid_rows: dict[str, np.ndarray], mid: FloatArray, half: FloatArray) -> tuple[dict[str, FloatArray],
                                                                                      IntArray]:
    r"""Chebyshev coefficients in :math:`x = (z - \text{mid})/\text{half}` of :math:`\rho(z)` and
    :math:`\lambda(z)/z` for every grid row, and the number of terms of each (0: not converged).

    The legs are priced at Chebyshev points of the *hazard rate* on an interval :math:`[\lambda_a, \lambda_b]`
    whose image :math:`[z(\lambda_a), z(\lambda_b)]` covers the row's :math:`z` range (one evaluation of the
    legs per point, no root-finding): :math:`z(\lambda) = V/(A_{full} - \alpha_0 P(T_{cs}))` and
    :math:`\rho(\lambda)`. Both interpolants must have converged in :math:`\lambda` (last two coefficients
    below ``_TOLERANCE`` of the largest); then :math:`z(\lambda) = \zeta` is inverted by Newton's method on
    the interpolant at the Chebyshev points :math:`\zeta_m` of the row's :math:`z` range, giving
    :math:`\rho(\zeta_m)` and :math:`\lambda(\zeta_m)/\zeta_m`, whose Chebyshev coefficients in :math:`x`
    must have converged as well.
    """
    rows, finest = mid.size, _LEVELS[-1]
    coefficients = {"rpv01": np.zeros((rows, finest)), "hazard_rate": np.zeros((rows, finest))}
    terms = np.zeros(rows, dtype=np.int64)
    # z(λ) ≈ λ 360/365 (the premium accrues ACT/360; 0.2 % below it at 2,000 bp): a hazard-rate interval with a
    # margin, widened until covered
    lam_lo = (mid - half) * (365.0 / 360.0) * 0.97
    lam_hi = (mid + half) * (365.0 / 360.0) / 0.97
    z_at = np.full((rows, finest), np.nan)
    rho_at = np.full((rows, finest), np.nan)
    active = np.arange(rows)
    first = _points(_LEVELS[0])
    stride0 = (finest - 1) // (_LEVELS[0] - 1)
    pending = active
    for _ in range(6):  # the first level, widening the intervals that do not cover their z range
        lam = 0.5 * (lam_lo + lam_hi)[pending, None] + 0.5 * (lam_hi - lam_lo)[pending, None] * first[None, :]
        z, rho = _price_points(grid_rows, np.repeat(pending, first.size), lam.ravel())
        z_at[np.ix_(pending, np.arange(first.size) * stride0)] = z.reshape(pending.size, first.size)
        rho_at[np.ix_(pending, np.arange(first.size) * stride0)] = rho.reshape(pending.size, first.size)
        z_rows = z.reshape(pending.size, first.size)
        covered = (np.all(np.isfinite(z_rows), axis=1) & np.all(np.diff(z_rows, axis=1) < 0.0, axis=1)
                   & (z_rows[:, -1] <= (mid - half)[pending]) & (z_rows[:, 0] >= (mid + half)[pending]))
        pending = pending[~covered]
        if not pending.size:
            break
        width = (lam_hi - lam_lo)[pending]
        lam_lo[pending] = np.maximum(lam_lo[pending] - 0.25 * width, 0.5 * lam_lo[pending])
        lam_hi[pending] += 0.25 * width
    active = np.setdiff1d(active, pending)  # rows never covered: solved contract by contract
    for level, count in enumerate(_LEVELS):
        stride = (finest - 1) // (count - 1)
        if level:
            new = np.arange(1, count, 2)  # the points the coarser levels did not price
            t = _points(count)[new]
            lam = 0.5 * (lam_lo + lam_hi)[active, None] + 0.5 * (lam_hi - lam_lo)[active, None] * t[None, :]
            z, rho = _price_points(grid_rows, np.repeat(active, new.size), lam.ravel())
            z_at[np.ix_(active, new * stride)] = z.reshape(active.size, new.size)
            rho_at[np.ix_(active, new * stride)] = rho.reshape(active.size, new.size)
        matrix = _coefficient_matrix(count)
        slots = np.arange(count) * stride
        in_lambda = {"z": z_at[np.ix_(active, slots)] @ matrix.T, "rho": rho_at[np.ix_(active, slots)] @ matrix.T}
        converged = np.ones(active.size, dtype=bool)
        for a in in_lambda.values():
            converged &= np.max(np.abs(a[:, -2:]), axis=1) <= _TOLERANCE * np.max(np.abs(a), axis=1)
        # the row's z points, their hazard rates by Newton's method on z(λ), and the tables in z
        x = _points(count)
        target = (mid[active, None] + half[active, None] * x[None, :]).ravel()
        which = np.repeat(np.arange(active.size), count)
        # start: the nodes' (z, t) pairs interpolated linearly, all rows in one np.interp (each row's z
        # normalised to [0, 1] and shifted by 2 x its index: one increasing sequence)
        z_nodes = z_at[np.ix_(active, slots)][:, ::-1]  # increasing in z (the points run from t = 1 down)
        low, span = z_nodes[:, :1], z_nodes[:, -1:] - z_nodes[:, :1]
        shift = 2.0 * np.arange(active.size)[:, None]
        start = np.interp(((target.reshape(active.size, count) - low) / span + shift).ravel(),
                          ((z_nodes - low) / span + shift).ravel(), np.tile(_points(count)[::-1], active.size))
        t, inverted = _invert(in_lambda["z"], which, target, start)
        converged &= np.all(inverted.reshape(active.size, count), axis=1)
        lam = (0.5 * (lam_lo + lam_hi)[active][which] + 0.5 * (lam_hi - lam_lo)[active][which] * t)
        rho = _clenshaw(np.ascontiguousarray(in_lambda["rho"].T), which, t)
        in_z = {"rpv01": rho.reshape(active.size, count) @ matrix.T,
                "hazard_rate": (lam / target).reshape(active.size, count) @ matrix.T}
        for a in in_z.values():
            converged &= np.max(np.abs(a[:, -2:]), axis=1) <= _TOLERANCE * np.max(np.abs(a), axis=1)
        done = active[converged]
        # the terms up to the last one above the tolerance (the rest are below the interpolation error), the
        # others zero (so a table evaluated with more terms gives the same numbers)
        significant = np.zeros(done.size, dtype=np.int64)
        for a in in_z.values():
            big = np.abs(a[converged]) > _TOLERANCE * np.max(np.abs(a[converged]), axis=1, keepdims=True)
            significant = np.maximum(significant, count - np.argmax(big[:, ::-1], axis=1))
        keep = np.arange(count)[None, :] < significant[:, None]
        for name, a in in_z.items():
            coefficients[name][done, :count] = np.where(keep, a[converged], 0.0)
        terms[done] = significant
        active = active[~converged]
        if not active.size:
            break
    return coefficients, terms


def _invert(coefficients: FloatArray, which: IntArray, target: FloatArray,
            start: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """``t`` in [-1, 1] with Σ_k a_k T_k(t) = ``target`` (``a`` the row ``which`` of ``coefficients``, increasing
    in t), by Newton's method from ``start``; and whether it converged to the rounding level of the series."""
    derivative = np.polynomial.chebyshev.chebder(coefficients, axis=1)
    table, slope_table = np.ascontiguousarray(coefficients.T), np.ascontiguousarray(derivative.T)
    t = np.clip(start, -1.0, 1.0)
    for _ in range(12):  # quadratic convergence from within 1e-4 of the root: 2-3 steps
        residual = _clenshaw(table, which, t) - target
        step = residual / _clenshaw(slope_table, which, t)
        t = np.clip(t - step, -1.0, 1.0)
        if np.all(np.abs(step) <= 1e-13):  # the next step is below the rounding of t (squared: < 1e-26)
            break
    residual = _clenshaw(table, which, t) - target
    # the rounding level of evaluating the series: a few ulp of the sum of its terms' sizes
    return t, np.abs(residual) <= 32.0 * _EPS * np.abs(coefficients).sum(axis=1)[which]


def _price_points(rows: dict[str, np.ndarray], row: IntArray, lam: FloatArray) -> tuple[FloatArray, FloatArray]:
    """:func:`_price_chunk` in chunks of ``_CHUNK`` points (arrays that stay in cache and are not fresh pages
    for the allocator: 5x faster than one pass over 12,000 points)."""
    z, rho = np.empty(row.size), np.empty(row.size)
    for start in range(0, row.size, _CHUNK):
        part = slice(start, start + _CHUNK)
        z[part], rho[part] = _price_chunk(rows, row[part], lam[part])
    return z, rho


def _price_chunk(rows: dict[str, np.ndarray], row: IntArray, lam: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The spread per unit loss :math:`z = V/(A_{full} - \alpha_0 P(T_{cs}))` and the clean RPV01 of flat
    hazard rates ``lam`` on grid rows ``row`` (one evaluation of the legs, :func:`~cdshedge_cvx.credit._isda._legs`)."""
    def take(name: str) -> np.ndarray:
        return np.take(rows[name], row, axis=0)

    band = _Band(start=0, stop=row.size, nb=rows["t_break"].shape[1], nc=rows["pay_df_tau"].shape[1],
                 weight=take("seg_weight"), pay_df_tau=take("pay_df_tau"), prot_t=take("prot_t"),
                 prot_p=take("prot_p"), prot_fhat=take("prot_fhat"), prot_dt=take("prot_dt"),
                 minus_t_break=take("minus_t"), p_break=take("p_break"), seg_fhat=take("seg_fhat"),
                 seg_dt=take("seg_dt"), seg_t0s=take("seg_t0s"), pay_break=take("pay_break"))
    grid = _Grid(premium_zero=take("premium_zero"), rebate=take("rebate"), bands=[band],
                 band_starts=np.zeros(1, dtype=np.int64), df_settle=take("df_settle"),
                 work=_Workspace(_work_size([band])))
    protection, annuity = _legs(grid, lam)
    clean = annuity - grid.rebate * grid.df_settle
    with np.errstate(divide="ignore", invalid="ignore"):
        return protection / clean, clean / grid.df_settle


_PADDING = {"t_break": "edge", "logp": "edge", "seg_fhat": 1.0, "seg_t0s": 0.0, "seg_weight": 0.0,
            "pay_df_tau": 0.0, "pay_break": 0, "prot_t": "edge", "prot_p": "edge", "prot_fhat": 1.0}


def _row_arrays(dates: DateIndex, row_date: IntArray, row_maturity: IntArray) -> dict[str, np.ndarray]:
    """The λ-independent arrays of every grid row (trade date, maturity), padded to common widths: flat
    curves' dates in one vectorised pass per curve (:func:`flat_row_arrays`), a curve with nodes date by date."""
    starts = np.flatnonzero(np.r_[True, row_date[1:] != row_date[:-1]])  # rows are sorted by date, then maturity
    stops = np.r_[starts[1:], row_date.size]
    by_curve: dict[tuple[Any, ...], tuple[Any, list[int], list[IntArray], list[slice]]] = {}
    for lo, hi in zip(starts, stops):
        d = int(row_date[lo])
        curve = dates.curves[d]
        entry = by_curve.setdefault(dates.content(curve), (curve, [], [], []))
        entry[1].append(dates.todays[d])
        entry[2].append(row_maturity[lo:hi])
        entry[3].append(slice(int(lo), int(hi)))
    pieces, order = [], []
    for curve, todays, umats, slices in by_curve.values():
        if curve.node_days.size == 0:
            pieces.append(_with_fhat(flat_row_arrays(curve, todays, umats)))
        else:
            for today, umat in zip(todays, umats):
                p = _grid_parts(curve, today, umat)
                u = umat.size
                pieces.append(_with_fhat({
                    "t_break": np.tile(p.t_break, (u, 1)), "logp": np.tile(p.logp, (u, 1)),
                    "seg_t0s": np.tile(p.seg_t0s, (u, 1)), "seg_weight": p.seg_weight, "pay_df_tau": p.pay_df_tau,
                    "pay_break": np.tile(p.pay_break, (u, 1)), "prot_t": p.prot_t, "prot_p": p.prot_p,
                    "prot_fhat": p.prot_fhat, "premium_zero": p.pay_df_tau.sum(axis=1), "rebate": p.rebate,
                    "df_settle": np.full(u, p.df_settle)}))
        order.extend(np.arange(sl.start, sl.stop) for sl in slices)
    rows = np.concatenate(order)  # the grid row of each stacked row
    out: dict[str, np.ndarray] = {}
    for name in pieces[0]:
        blocks = [piece[name] for piece in pieces]
        stacked = (np.concatenate(blocks) if blocks[0].ndim == 1
                   else _pad(blocks, max(b.shape[1] for b in blocks), _PADDING[name]))
        out[name] = np.empty_like(stacked)
        out[name][rows] = stacked
    # the λ-independent products every evaluation of the legs reads (as _build_grid computes them)
    out["minus_t"] = -out["t_break"]
    out["p_break"] = np.exp(out["logp"])
    out["seg_dt"] = np.diff(out["t_break"], axis=1)
    out["prot_dt"] = np.diff(out["prot_t"], axis=1)
    return out


def _with_fhat(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``arrays`` with each sub-period's log P0 − log P1 (before any padding: padded ones get 1, as
    :func:`~cdshedge_cvx.credit._isda._build_multi_grid` pads them)."""
    return {**arrays, "seg_fhat": arrays["logp"][:, :-1] - arrays["logp"][:, 1:]}


def _solve_directly(dates: DateIndex, date: IntArray, maturity: IntArray, spread_bp: FloatArray,
                    coupon_bp: FloatArray, recovery: FloatArray, mask: NDArray[np.bool_],
                    out: dict[str, FloatArray]) -> None:
    """Fill ``out`` for the contracts of ``mask`` by :func:`spread_quote_groups` (contract by contract)."""
    subsets, where = [], []
    for d in np.unique(date[mask]):
        idx = np.flatnonzero(mask & (date == d))
        subsets.append(QuoteGroup(dates.curves[int(d)], dates.todays[int(d)], maturity[idx], spread_bp[idx],
                                  coupon_bp[idx], recovery[idx]))
        where.append(idx)
    for idx, quotes in zip(where, spread_quote_groups(subsets)):
        for name in out:
            out[name][idx] = getattr(quotes, name)
