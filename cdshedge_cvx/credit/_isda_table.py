r"""Spread quotes of many contracts on few grids, from Chebyshev tables in the spread.

A backtest prices every instrument at every period's base date and horizon: hundreds of thousands of
contracts on a few hundred grids (one per curve, trade date and maturity: the instruments on one roll
calendar share it). For a spread quote :math:`s` the flat hazard rate solves :math:`(1-R)\,V(\lambda) =
s\,A(\lambda)` (:math:`V` the protection leg per unit loss, :math:`A` the clean risky annuity), so
:math:`\lambda` and the clean RPV01 :math:`\rho = A / P(T_{cs})` depend on the contract only through its grid
and

.. math:: z = \frac{s}{1 - R}.

Per grid, :func:`tabulated_quotes` solves :math:`\lambda` and :math:`\rho` exactly (the ISDA solve of
:func:`~cdshedge_cvx.credit._isda._solve_hazard` to the rounding level of its residual) at Clenshaw–Curtis
points of :math:`z` over the range :math:`[z_{min}, z_{max}]` the grid's contracts need, and interpolates
:math:`\rho(z)` and :math:`\lambda(z)/z` (so the hazard rate is exact to the same relative accuracy at any
spread) in that Chebyshev basis. (Linear in :math:`z` rather than in :math:`\log z`: :math:`\rho` is close to
a sum of exponentials :math:`e^{-\lambda t}`, whose coefficients fall fastest in :math:`\lambda \approx z`;
17 points reach 1e-15 on :math:`z \in [0.0002, 0.5]`, where :math:`\log z` needs 33 to 65.)
At the solution :math:`(1-R)V = sA`, so with the coupon :math:`c` and :math:`z^+ = (s + 1\,\mathrm{bp})/(1-R)`

.. math::

    \text{upfront} = (s - c)\,\rho(z), \qquad
    \text{cs01} = (s + 1\,\mathrm{bp} - c)\,\rho(z^+) - (s - c)\,\rho(z), \qquad
    \text{cs01}_{par} = 1\,\mathrm{bp}\cdot\rho(z^+).

The points double (9, 17, 33, 65: each set contains the previous one) until the last two Chebyshev
coefficients of both tables are below ``_TOLERANCE`` of their largest (the coefficients of an analytic
function fall geometrically; the tail then bounds the interpolation error). A grid that needs more than 65
points has its contracts solved one by one
(:func:`~cdshedge_cvx.credit._isda_batch.spread_quote_groups`), as does a batch whose points the solve
refuses (that path then names the contract). Agreement with the contract-by-contract solve is tested
(``tests/test_isda_table.py``) to 1e-12 relative, well inside the 1e-10 agreement of both with QuantLib.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cdshedge_cvx.credit._isda import _BP, _Band, _Grid, _grid_parts, _solve_hazard, _work_size, _Workspace
from cdshedge_cvx.credit._isda_batch import GroupQuotes, QuoteGroup, _curve_key, spread_quote_groups
from cdshedge_cvx.credit._isda_grids import flat_row_arrays
from cdshedge_cvx.credit._yield_curve import YieldCurve
from cdshedge_cvx.errors import DataError

__all__ = ["DateIndex", "tabulated_quote_groups", "tabulated_quotes"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Clenshaw–Curtis point counts tried in turn (nested: each set contains the previous one).
_LEVELS = (9, 17, 33, 65)
#: The last two Chebyshev coefficients must be below this fraction of the largest (ρ and λ alike).
_TOLERANCE = 1e-14
#: Fewer contracts per grid than this on average: solving them one by one is cheaper than the tables.
_MIN_PER_GRID = 40
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
    b1 = np.zeros(x.size)
    b2 = np.zeros(x.size)
    twice = 2.0 * x
    for k in range(coefficients_t.shape[0] - 1, 0, -1):
        b0 = np.take(coefficients_t[k], row)
        b0 += twice * b1
        b0 -= b2
        b1, b2 = b0, b1
    return np.take(coefficients_t[0], row) + x * b1 - b2


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

    def add(self, curve: YieldCurve, today: int) -> int:
        """The id of ``(curve, today)`` (curves equal in content share ids)."""
        content = self._keys.get(id(curve))
        if content is None:
            content = self._keys[id(curve)] = _curve_key(curve)
        key = (content, int(today))
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
    contracts per grid on average (solving them one by one is then cheaper) or the solve refuses a point of a
    table (the contracts' own solve then names the problem).
    """
    if spread_bp.size == 0:
        return None
    low = int(maturity.min())
    span = int(maturity.max()) - low + 1
    row_keys, row = np.unique(date * span + (maturity - low), return_inverse=True)
    row = row.astype(np.int64)
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

    finest = _LEVELS[-1]
    values = {"rpv01": np.full((rows, finest), np.nan), "hazard_rate": np.full((rows, finest), np.nan)}
    coefficients = {name: np.zeros((rows, finest)) for name in values}
    terms = np.zeros(rows, dtype=np.int64)  # points of each row's table (0: not converged)
    active = np.arange(rows)
    grid_rows = _row_arrays(dates, row_date, row_maturity)
    for level, count in enumerate(_LEVELS):
        stride = (finest - 1) // (count - 1)
        new = np.arange(count) if level == 0 else np.arange(1, count, 2)  # points not solved at coarser levels
        x = _points(count)
        points = (mid[active, None] + half[active, None] * x[None, new]).ravel()  # z at each active row's points
        try:
            rho, hazard = _solve_points(grid_rows, np.repeat(active, new.size), points)
        except DataError:
            return None
        values["rpv01"][np.ix_(active, new * stride)] = rho.reshape(active.size, new.size)
        values["hazard_rate"][np.ix_(active, new * stride)] = (hazard / points).reshape(active.size, new.size)
        matrix = _coefficient_matrix(count)
        converged = np.ones(active.size, dtype=bool)
        level_coefficients = {}
        for name, table in values.items():
            a = table[np.ix_(active, np.arange(count) * stride)] @ matrix.T
            level_coefficients[name] = a
            converged &= np.max(np.abs(a[:, -2:]), axis=1) <= _TOLERANCE * np.max(np.abs(a), axis=1)
        done = active[converged]
        for name, a in level_coefficients.items():
            coefficients[name][done, :count] = a[converged]
        terms[done] = count
        active = active[~converged]
        if not active.size:
            break

    out = {name: np.full(spread_bp.size, np.nan) for name in ("upfront", "cs01", "rpv01", "hazard_rate", "cs01_par")}
    contract_terms = terms[row]
    for width in np.unique(terms[terms > 0]):  # the contracts of the grids with tables of ``width`` terms
        width = int(width)
        at = np.flatnonzero(contract_terms == width)
        r = row[at]
        table_rho = np.ascontiguousarray(coefficients["rpv01"][:, :width].T)
        rho = _clenshaw(table_rho, r, np.clip((z[at] - mid[r]) / half[r], -1.0, 1.0))
        out["rpv01"][at] = rho
        s, c = spread_bp[at], coupon_bp[at]
        out["upfront"][at] = (s - c) * _BP * rho
        up = at[bumped[at]]
        if up.size:
            r_up = row[up]
            x = np.clip((z[up] - mid[r_up]) / half[r_up], -1.0, 1.0)
            out["hazard_rate"][up] = z[up] * _clenshaw(
                np.ascontiguousarray(coefficients["hazard_rate"][:, :width].T), r_up, x)
            x_up = np.clip((z_up[up] - mid[r_up]) / half[r_up], -1.0, 1.0)
            rho_up = _clenshaw(table_rho, r_up, x_up)
            s, c = spread_bp[up], coupon_bp[up]
            out["cs01"][up] = (s + 1.0 - c) * _BP * rho_up - (s - c) * _BP * out["rpv01"][up]
            out["cs01_par"][up] = _BP * rho_up
    tabulated = contract_terms > 0
    if not np.all(tabulated):  # grids whose tables did not converge: their contracts one by one
        _solve_directly(dates, date, maturity, spread_bp, coupon_bp, recovery, ~tabulated, out)
    return out


def _pad(block: np.ndarray, width: int, fill: str | float) -> np.ndarray:
    """``block`` (rows x w) padded to ``width`` columns with its last column (``"edge"``) or ``fill``."""
    extra = width - block.shape[1]
    if not extra:
        return block
    pad = np.repeat(block[:, -1:], extra, axis=1) if fill == "edge" else np.full((block.shape[0], extra), fill,
                                                                                  dtype=block.dtype)
    return np.concatenate([block, pad], axis=1)


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
        entry = by_curve.setdefault(_curve_key(curve), (curve, [], [], []))
        entry[1].append(dates.todays[d])
        entry[2].append(row_maturity[lo:hi])
        entry[3].append(slice(int(lo), int(hi)))
    pieces = []
    for curve, todays, umats, slices in by_curve.values():
        if curve.node_days.size == 0:
            arrays = flat_row_arrays(curve, todays, umats)
        else:
            per_date = []
            for today, umat in zip(todays, umats):
                p = _grid_parts(curve, today, umat)
                u = umat.size
                per_date.append({
                    "t_break": np.tile(p.t_break, (u, 1)), "logp": np.tile(p.logp, (u, 1)),
                    "seg_t0s": np.tile(p.seg_t0s, (u, 1)), "seg_weight": p.seg_weight, "pay_df_tau": p.pay_df_tau,
                    "pay_break": np.tile(p.pay_break, (u, 1)), "prot_t": p.prot_t, "prot_p": p.prot_p,
                    "prot_fhat": p.prot_fhat, "premium_zero": p.pay_df_tau.sum(axis=1), "rebate": p.rebate,
                    "df_settle": np.full(u, p.df_settle)})
            arrays = _stack(per_date)
        arrays["seg_fhat"] = arrays["logp"][:, :-1] - arrays["logp"][:, 1:]
        pieces.append((np.concatenate([np.arange(sl.start, sl.stop) for sl in slices]), arrays))
    rows = row_date.size
    out: dict[str, np.ndarray] = {}
    for name in pieces[0][1]:
        blocks = [arrays[name] for _, arrays in pieces]
        if blocks[0].ndim == 1:
            out[name] = np.empty(rows, dtype=blocks[0].dtype)
        else:
            width = max(b.shape[1] for b in blocks)
            blocks = [_pad(b, width, _PADDING[name]) for b in blocks]
            out[name] = np.empty((rows, width), dtype=blocks[0].dtype)
        for (where, _), block in zip(pieces, blocks):
            out[name][where] = block
    return out


def _stack(per_date: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Row arrays of several dates (each padded to the widest) stacked."""
    out = {}
    for name in per_date[0]:
        blocks = [d[name] for d in per_date]
        if blocks[0].ndim == 2:
            width = max(b.shape[1] for b in blocks)
            blocks = [_pad(b, width, _PADDING[name]) for b in blocks]
        out[name] = np.concatenate(blocks)
    return out


def _solve_points(rows: dict[str, np.ndarray], row: IntArray, z: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The clean RPV01 and the hazard rate of spread quotes ``z`` (decimal, recovery 0) on grid rows ``row``,
    solved to the rounding level of their residuals (:func:`~cdshedge_cvx.credit._isda._solve_hazard`)."""
    t, logp = rows["t_break"][row], rows["logp"][row]
    prot_t = rows["prot_t"][row]
    band = _Band(start=0, stop=row.size, nb=t.shape[1], nc=rows["pay_df_tau"].shape[1],
                 weight=rows["seg_weight"][row], pay_df_tau=rows["pay_df_tau"][row], prot_t=prot_t,
                 prot_p=rows["prot_p"][row], prot_fhat=rows["prot_fhat"][row], prot_dt=np.diff(prot_t, axis=1),
                 minus_t_break=-t, p_break=np.exp(logp), seg_fhat=rows["seg_fhat"][row], seg_dt=np.diff(t, axis=1),
                 seg_t0s=rows["seg_t0s"][row], pay_break=rows["pay_break"][row])
    grid = _Grid(premium_zero=rows["premium_zero"][row], rebate=rows["rebate"][row], bands=[band],
                 band_starts=np.zeros(1, dtype=np.int64), df_settle=rows["df_settle"][row],
                 work=_Workspace(_work_size([band])))
    loss = np.ones(row.size)
    sol = _solve_hazard(grid, loss, z, np.zeros(row.size), z * 365.0 / 360.0, "spread_bp", z / _BP, early=False)
    dfs = grid.df_settle
    return (sol.annuity - grid.rebate * dfs) / dfs, sol.hazard


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
