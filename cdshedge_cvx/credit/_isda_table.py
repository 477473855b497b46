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

Cost (a backtest builds hundreds of grids' tables at once): the legs of all grid rows are priced together,
(sub-periods × points × rows) arrays with each row's λ-independent arrays broadcast along its points and the
rows last (every operation runs along the rows, none gathers per point; :func:`_price_points`), in passes of
1 MB arrays reused from pass to pass; the series of a row are evaluated at its points with the row's
coefficients broadcast along them (:func:`_series_rows`: Newton's value and slope in one stacked evaluation),
and only the rows whose expansions in λ converged are inverted (the others go on to the next level).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cdshedge_cvx.credit._isda import _BP, _EPS, _TAYLOR_THRESHOLD, _grid_parts, _pad
from cdshedge_cvx.credit._isda_batch import GroupQuotes, QuoteGroup, _curve_key, spread_quote_groups
from cdshedge_cvx.credit._isda_grids import flat_rows
from cdshedge_cvx.credit._yield_curve import YieldCurve

__all__ = ["DateIndex", "GridTables", "grid_tables", "tabulated_quote_groups", "tabulated_quotes"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Clenshaw–Curtis point counts tried in turn (nested: each set contains the previous one).
_LEVELS = (17, 33, 65)
#: The last two Chebyshev coefficients must be below this fraction of the largest (ρ and λ alike).
_TOLERANCE = 1e-14
#: Fewer contracts per grid than this on average: solving them one by one is cheaper than the tables.
_MIN_PER_GRID = 40
#: Contracts evaluated per pass of :func:`tabulated_quotes` (arrays of a pass stay in cache).
_CHUNK = 8192
#: Elements of each scratch array of a pass of the legs (:func:`_price_points`): 1 MB, large enough that the
#: per-pass overhead (some 40 numpy calls) is small, small enough for the pass to stay in cache (fastest in a
#: backtest's first pricing, measured from 128 KB to 4 MB).
_PASS_ELEMENTS = 131_072
#: Least half-width of a grid's interval, relative to its centre (a grid whose contracts all quote one spread).
_MIN_HALF_WIDTH = 1e-3


@functools.lru_cache(maxsize=8)
def _points(count: int) -> FloatArray:
    """Chebyshev points of the second kind, cos(πj/(count-1)), j = 0..count-1 (from 1 down to -1); read-only
    (one array per count)."""
    points = np.cos(np.pi * np.arange(count) / (count - 1))
    points.flags.writeable = False
    return points


@functools.lru_cache(maxsize=8)
def _coefficient_matrix(count: int) -> FloatArray:
    """The (count x count) matrix taking values at :func:`_points` to Chebyshev coefficients (DCT-I), transposed
    (values @ matrix: the coefficients of each row of values); read-only (one matrix per count)."""
    j = np.arange(count)
    m = np.cos(np.pi * np.outer(j, j) / (count - 1)) * (2.0 / (count - 1))
    m[:, 0] *= 0.5
    m[:, -1] *= 0.5
    m[0] *= 0.5
    m[-1] *= 0.5
    m = np.ascontiguousarray(m.T)
    m.flags.writeable = False
    return m


@functools.lru_cache(maxsize=8)
def _derivative_matrix(count: int) -> FloatArray:
    """The (count x count) matrix taking Chebyshev coefficients to those of the derivative (the last one zero),
    transposed (coefficients @ matrix, as :func:`numpy.polynomial.chebyshev.chebder` row by row); read-only."""
    m = np.zeros((count, count))
    m[:, :-1] = np.polynomial.chebyshev.chebder(np.eye(count), axis=1)
    m.flags.writeable = False
    return m


def _clenshaw_chunk(coefficients_t: FloatArray, row: IntArray, x: FloatArray) -> FloatArray:
    """Σ_k a_k T_k(x) for each element of ``x``, ``a`` the column ``row`` (of the element) of ``coefficients_t``
    (terms x rows): the Clenshaw recurrence, the coefficients gathered per element (``row`` and ``x`` of one
    shape, any number of dimensions; a few thousand elements, so that the buffers stay in cache)."""
    # three buffers rotated in place: b_k = a_k + 2x b_{k+1} - b_{k+2}
    b0, b1, b2, tmp = np.empty(x.shape), np.zeros(x.shape), np.zeros(x.shape), np.empty(x.shape)
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


def _series_rows(coefficients_t: FloatArray, x: FloatArray) -> FloatArray:
    """Σ_k a_k T_k(x) for every element of ``x`` (rows × points, any number of leading row dimensions), ``a``
    the coefficients ``coefficients_t[:, *row]`` (terms × rows) of the element's row: :func:`_clenshaw_chunk`
    with each row's coefficients broadcast along the row instead of gathered per point (the same operations, in
    the same order, on each element). Coefficients with more leading dimensions than ``x`` has rows evaluate
    several series at the same points (their results stacked along those dimensions)."""
    shape = np.broadcast_shapes((*coefficients_t.shape[1:], 1), x.shape)
    b0, b1, b2 = np.empty(shape), np.zeros(shape), np.zeros(shape)
    twice = 2.0 * x
    for k in range(coefficients_t.shape[0] - 1, 0, -1):
        np.multiply(twice, b1, out=b0)
        b0 += coefficients_t[k][..., None]
        b0 -= b2
        b0, b1, b2 = b2, b0, b1
    out = x * b1
    out += coefficients_t[0][..., None]
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
        #: the id of each pair: ``ids[content][day]`` (:meth:`content_id` numbers the contents)
        self.ids: dict[int, dict[int, int]] = {}
        self.curves: list[YieldCurve] = []
        self.todays: list[int] = []
        #: the content (:meth:`content_id`) of each pair's curve
        self.contents: list[int] = []
        self._keys: dict[int, tuple[Any, ...]] = {}
        self._content_ids: dict[tuple[Any, ...], int] = {}
        self._curve_ids: dict[int, int] = {}

    def content(self, curve: YieldCurve) -> tuple[Any, ...]:
        """What the grids read of ``curve`` (:func:`~cdshedge_cvx.credit._isda_batch._curve_key`), once per curve."""
        content = self._keys.get(id(curve))
        if content is None:
            content = self._keys[id(curve)] = _curve_key(curve)
        return content

    def content_id(self, curve: YieldCurve) -> int:
        """The number of ``curve``'s content among the distinct contents seen (curves equal in content share it)."""
        found = self._curve_ids.get(id(curve))
        if found is None:
            found = self._curve_ids[id(curve)] = self._content_ids.setdefault(self.content(curve),
                                                                              len(self._content_ids))
        return found

    def add(self, curve: YieldCurve, today: int) -> int:
        """The id of ``(curve, today)`` (curves equal in content share ids)."""
        number = self.content_id(curve)
        ids = self.ids.setdefault(number, {})
        found = ids.get(int(today))
        if found is None:
            found = ids[int(today)] = len(self.curves)
            self.curves.append(curve)
            self.todays.append(int(today))
            self.contents.append(number)
        return found

    def add_days(self, curve: YieldCurve, days: IntArray) -> IntArray:
        """:meth:`add` of ``curve`` at every day of ``days`` (each distinct day once, in increasing order; the days
        keyed by number within the content, no key objects per day)."""
        number = self.content_id(curve)
        ids = self.ids.setdefault(number, {})
        distinct, inverse = np.unique(np.asarray(days, dtype=np.int64), return_inverse=True)
        found = np.empty(distinct.size, dtype=np.int64)
        for i, day in enumerate(distinct.tolist()):
            at = ids.get(day)
            if at is None:
                at = ids[day] = len(self.curves)
                self.curves.append(curve)
                self.todays.append(day)
                self.contents.append(number)
            found[i] = at
        return found[inverse]


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
    tables = grid_tables(dates, row_date, row_maturity, lo, hi)
    mid, half = tables.mid, tables.half

    out = {name: np.full(spread_bp.size, np.nan) for name in ("upfront", "cs01", "rpv01", "hazard_rate", "cs01_par")}
    contract_terms = tables.terms[row]
    rho_t, hazard_t = tables.rpv01, tables.hazard_rate  # (terms, rows); zero past each row's own terms
    step = _CHUNK
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


@dataclass(frozen=True)
class GridTables:
    r"""The Chebyshev tables of grid rows (:func:`grid_tables`): row ``g``'s :math:`\rho(z)` is
    :math:`\sum_k` ``rpv01[k, g]`` :math:`T_k(x)`, and :math:`\lambda(z)/z` likewise with ``hazard_rate``, at
    :math:`x = (z - \text{mid}_g)/\text{half}_g` clipped to [-1, 1]; ``terms[g]`` the row's own terms (the
    coefficients past them are zero), 0 when its tables did not converge (its contracts are solved one by one);
    ``hazard_terms[g]`` those of its :math:`\lambda(z)/z` series alone (fewer: it is nearly constant)."""

    mid: FloatArray  # (rows,)
    half: FloatArray  # (rows,)
    rpv01: FloatArray  # (terms, rows)
    hazard_rate: FloatArray  # (terms, rows)
    terms: IntArray  # (rows,)
    hazard_terms: IntArray  # (rows,)


def grid_tables(dates: DateIndex, row_date: IntArray, row_maturity: IntArray, lo: FloatArray,
                hi: FloatArray) -> GridTables:
    """The tables of the grid rows (trade date ``dates`` id ``row_date[g]``, maturity day ``row_maturity[g]``;
    sorted by date, then maturity) over the :math:`z` ranges ``[lo[g], hi[g]]`` their contracts need
    (:func:`_tables`)."""
    mid = 0.5 * (lo + hi)
    half = np.maximum(0.5 * (hi - lo), _MIN_HALF_WIDTH * mid)
    coefficients, terms = _tables(_row_arrays(dates, row_date, row_maturity), mid, half)
    width = max(1, int(terms.max()) if terms.size else 0)
    nonzero = coefficients["hazard_rate"][:, :width] != 0.0
    hazard_terms = np.where(nonzero.any(axis=1), width - np.argmax(nonzero[:, ::-1], axis=1), 0)
    return GridTables(mid=mid, half=half, rpv01=np.ascontiguousarray(coefficients["rpv01"][:, :width].T),
                      hazard_rate=np.ascontiguousarray(coefficients["hazard_rate"][:, :width].T), terms=terms,
                      hazard_terms=hazard_terms)


def _tables(grid_rows: dict[str, np.ndarray], mid: FloatArray, half: FloatArray) -> tuple[dict[str, FloatArray],
                                                                                      IntArray]:
    r"""Chebyshev coefficients in :math:`x = (z - \text{mid})/\text{half}` of :math:`\rho(z)` and
    :math:`\lambda(z)/z` for every grid row, and the number of terms of each (0: not converged).

    The legs are priced at Chebyshev points of the *hazard rate* on an interval :math:`[\lambda_a, \lambda_b]`
    whose image :math:`[z(\lambda_a), z(\lambda_b)]` covers the row's :math:`z` range (one evaluation of the
    legs per point, no root-finding): :math:`z(\lambda) = V/(A_{full} - \alpha_0 P(T_{cs}))` and
    :math:`\rho(\lambda)`. Both interpolants must have converged in :math:`\lambda` (last two coefficients
    below ``_TOLERANCE`` of the largest); then (for those rows only: the others go on to the next level)
    :math:`z(\lambda) = \zeta` is inverted by Newton's method on the interpolant at the Chebyshev points
    :math:`\zeta_m` of the row's :math:`z` range, giving :math:`\rho(\zeta_m)` and :math:`\lambda(\zeta_m)/\zeta_m`,
    whose Chebyshev coefficients in :math:`x` must have converged as well. The series of a row are evaluated at
    its points with the row's coefficients broadcast along them (:func:`_series_rows`).
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
        z_rows, rho = _price_points(grid_rows, np.broadcast_to(pending[:, None], lam.shape), lam)
        z_at[np.ix_(pending, np.arange(first.size) * stride0)] = z_rows
        rho_at[np.ix_(pending, np.arange(first.size) * stride0)] = rho
        covered = (np.all(np.isfinite(z_rows), axis=1) & np.all(np.diff(z_rows, axis=1) < 0.0, axis=1)
                   & (z_rows[:, -1] <= (mid - half)[pending]) & (z_rows[:, 0] >= (mid + half)[pending]))
        pending = pending[~covered]
        if not pending.size:
            break
        width = (lam_hi - lam_lo)[pending]
        lam_lo[pending] = np.maximum(lam_lo[pending] - 0.25 * width, 0.5 * lam_lo[pending])
        lam_hi[pending] += 0.25 * width
    if pending.size:  # rows never covered: solved contract by contract
        active = np.setdiff1d(active, pending)
    for level, count in enumerate(_LEVELS):
        stride = (finest - 1) // (count - 1)
        if level:
            new = np.arange(1, count, 2)  # the points the coarser levels did not price
            t = _points(count)[new]
            lam = 0.5 * (lam_lo + lam_hi)[active, None] + 0.5 * (lam_hi - lam_lo)[active, None] * t[None, :]
            z, rho = _price_points(grid_rows, np.broadcast_to(active[:, None], lam.shape), lam)
            z_at[np.ix_(active, new * stride)] = z
            rho_at[np.ix_(active, new * stride)] = rho
        matrix = _coefficient_matrix(count)
        slots = np.arange(count) * stride
        z_nodes = z_at[np.ix_(active, slots)]
        in_lambda_z, in_lambda_rho = z_nodes @ matrix, rho_at[np.ix_(active, slots)] @ matrix
        # the rows whose interpolants in λ have converged: their tables in z (the others: the next level)
        candidate = np.flatnonzero(_converged(in_lambda_z) & _converged(in_lambda_rho))
        finished = candidate[:0]
        if candidate.size:
            row = active[candidate]
            # the row's z points, their hazard rates by Newton's method on z(λ), and the tables in z
            target = mid[row, None] + half[row, None] * _points(count)[None, :]
            # start: the nodes' (z, t) pairs interpolated linearly, all rows in one np.interp (each row's z
            # normalised to [0, 1] and shifted by 2 x its index: one increasing sequence)
            nodes = z_nodes[candidate][:, ::-1]  # increasing in z (the points run from t = 1 down)
            low, span = nodes[:, :1], nodes[:, -1:] - nodes[:, :1]
            shift = 2.0 * np.arange(row.size)[:, None]
            start = np.interp(((target - low) / span + shift).ravel(), ((nodes - low) / span + shift).ravel(),
                              np.tile(_points(count)[::-1], row.size)).reshape(row.size, count)
            t, inverted, rho = _invert(in_lambda_z[candidate], target, start, in_lambda_rho[candidate])
            lam = 0.5 * (lam_lo + lam_hi)[row, None] + 0.5 * (lam_hi - lam_lo)[row, None] * t
            in_z = {"rpv01": rho @ matrix, "hazard_rate": (lam / target) @ matrix}
            good = np.all(inverted, axis=1)
            for a in in_z.values():
                good &= _converged(a)
            done = row[good]
            # each series' terms up to its last one above the tolerance (the rest are below the interpolation
            # error), the others zero (so a table evaluated with more terms gives the same numbers); the row's
            # terms: the longer of its two series (lambda/z, nearly constant, needs fewer than rho)
            significant = np.zeros(done.size, dtype=np.int64)
            for name, a in in_z.items():
                big = np.abs(a[good]) > _TOLERANCE * np.max(np.abs(a[good]), axis=1, keepdims=True)
                own = count - np.argmax(big[:, ::-1], axis=1)
                coefficients[name][done, :count] = np.where(np.arange(count)[None, :] < own[:, None], a[good], 0.0)
                significant = np.maximum(significant, own)
            terms[done] = significant
            finished = candidate[good]
        active = np.delete(active, finished)
        if not active.size:
            break
    return coefficients, terms


def _converged(a: FloatArray) -> NDArray[np.bool_]:
    """Rows of Chebyshev coefficients whose last two are below ``_TOLERANCE`` of the largest."""
    return np.max(np.abs(a[:, -2:]), axis=1) <= _TOLERANCE * np.max(np.abs(a), axis=1)


def _invert(coefficients: FloatArray, target: FloatArray, start: FloatArray,
            other: FloatArray) -> tuple[FloatArray, NDArray[np.bool_], FloatArray]:
    """``t`` in [-1, 1] with Σ_k a_k T_k(t) = ``target`` (rows × points, ``a`` the row of ``coefficients``,
    increasing in t), by Newton's method from ``start``; whether it converged to the rounding level of the
    series; and the series ``other`` (rows × terms) at ``t``. The series and its derivative are evaluated together
    (stacked along a leading axis), as are the series and ``other`` at the solution."""
    table = np.ascontiguousarray(coefficients.T)
    both = np.stack([table, (coefficients @ _derivative_matrix(coefficients.shape[1])).T], axis=1)
    t = np.clip(start, -1.0, 1.0)
    for _ in range(12):  # quadratic convergence from within 1e-4 of the root: 2-3 steps
        value, slope = _series_rows(both, t)
        step = (value - target) / slope
        t = np.clip(t - step, -1.0, 1.0)
        if np.all(np.abs(step) <= 1e-13):  # the next step is below the rounding of t (squared: < 1e-26)
            break
    value, at_t = _series_rows(np.stack([table, other.T], axis=1), t)
    # the rounding level of evaluating the series: a few ulp of the sum of its terms' sizes
    return t, np.abs(value - target) <= 32.0 * _EPS * np.abs(coefficients).sum(axis=1)[:, None], at_t


def _price_points(rows: dict[str, np.ndarray], row: IntArray, lam: FloatArray) -> tuple[FloatArray, FloatArray]:
    r"""The spread per unit loss :math:`z = V/(A_{full} - \alpha_0 P(T_{cs}))` and the clean RPV01 at the flat
    hazard rates ``lam`` (grid rows × points; ``row``, of the same shape, the grid row of each, constant along a
    row): the legs of :func:`~cdshedge_cvx.credit._isda._legs` (:func:`_price_rows`), ``_PASS_ELEMENTS``
    (point, sub-period) pairs per pass (arrays that stay in cache, reused from pass to pass: fresh pages for the
    allocator cost more than the arithmetic)."""
    count = lam.shape[1]
    # each point's row arrays as columns (sub-periods × grid rows of the points)
    columns = {name: np.take(rows[name].T, row[:, 0], axis=-1) for name in _LEG_ARRAYS}
    width = max(rows["t_break"].shape[1], rows["pay_df_tau"].shape[1], rows["prot_t"].shape[1])
    step = max(1, _PASS_ELEMENTS // (count * width))  # grid rows per pass
    work = _Work(min(step, lam.shape[0]) * count * width)
    z, rho = np.empty(lam.shape), np.empty(lam.shape)
    for start in range(0, lam.shape[0], step):
        part = slice(start, start + step)
        z_part, rho_part = _price_rows({name: a[..., part] for name, a in columns.items()},
                                       np.ascontiguousarray(lam[part].T), work)
        z[part], rho[part] = z_part.T, rho_part.T
    return z, rho


#: The λ-independent row arrays the legs read (:func:`_row_arrays`).
_LEG_ARRAYS = ("prot_t", "prot_p", "prot_fhat", "prot_dt", "minus_t", "pay_break", "pay_df_tau", "p_break",
               "seg_fhat", "seg_dt", "seg_t0s", "seg_weight", "df_settle", "rebate")


class _Work:
    """Scratch arrays of :func:`_price_rows`, reused by every pass (views of the shapes a pass needs)."""

    def __init__(self, size: int) -> None:
        self.size, self.buffers = size, {}

    def get(self, name: str, shape: tuple[int, ...]) -> FloatArray:
        buffer = self.buffers.get(name)
        if buffer is None:
            buffer = self.buffers[name] = np.empty(self.size)
        return buffer[: int(np.prod(shape))].reshape(shape)


def _price_rows(columns: dict[str, np.ndarray], lam: FloatArray, work: _Work) -> tuple[FloatArray, FloatArray]:
    r""":func:`_price_points` of one pass: ``lam`` (points × k) on k grid rows, given by their row arrays as
    columns (``columns[name]``: sub-periods × k).

    The formulas of :func:`~cdshedge_cvx.credit._isda._legs_block` (protection leg, premium leg, accrual on
    default with QuantLib's Taylor fix where :math:`x = \hat f + \hat h < 10^{-4}`) on (sub-periods × points ×
    k) arrays, the grid rows last: every operation runs along the k rows (each row's arrays broadcast along its
    points, no per-point copies), and the weighted sums over sub-periods run over whole (points × k) slabs.
    """
    def take(name: str) -> np.ndarray:
        return columns[name]

    count, k = lam.shape
    lam_b = lam[None, :, :]
    shape = (count, k)

    # protection leg: sum of h/x (P0 Q0 - P1 Q1)
    pt, pp, pf, pdt = (take(name)[:, None, :] for name in ("prot_t", "prot_p", "prot_fhat", "prot_dt"))
    npb = pt.shape[0]
    a = np.multiply(lam_b, pt, out=work.get("p_a", (npb, *shape)))
    np.negative(a, out=a)
    np.exp(a, out=a)
    a *= pp
    a0 = a[:-1]
    h = np.multiply(lam_b, pdt, out=work.get("p_h", (npb - 1, *shape)))
    x = np.add(pf, h, out=work.get("p_x", (npb - 1, *shape)))
    value = np.subtract(a0, a[1:], out=work.get("p_v", (npb - 1, *shape)))
    with np.errstate(divide="ignore", invalid="ignore"):
        value *= h
        value /= x
    taylor = np.flatnonzero(x < _TAYLOR_THRESHOLD)
    if taylor.size:
        at = np.unravel_index(taylor, x.shape)
        xs, hs = x[at], h[at]
        value[at] = a0[at] * hs * (1.0 - xs / 2.0 + xs * xs / 6.0 - xs**3 / 24.0 + xs**4 / 120.0)
    protection = value.sum(axis=0)

    # premium leg: coupons paid on survival to the day before payment
    minus_t = take("minus_t")
    nb = minus_t.shape[0]
    a = np.multiply(lam_b, minus_t[:, None, :], out=work.get("a", (nb, *shape)))
    np.exp(a, out=a)
    pay_break = take("pay_break")
    nc = pay_break.shape[0]
    if nc + 1 == nb and np.all(pay_break == np.arange(1, nb)[:, None]):  # one sub-period per coupon (no node)
        survival_pay = a[1:]
    else:
        survival_pay = np.take_along_axis(a, np.broadcast_to(pay_break[:, None, :], (nc, *shape)), axis=0)
    premium = np.einsum("jpk,jk->pk", survival_pay, take("pay_df_tau"))

    # accrual on default: sum of h/x [dt ((P0Q0 - P1Q1)/x - P1Q1) + (t0 - ts)(P0Q0 - P1Q1)]
    p_break, seg_fhat, dt, t0s = (take(name)[:, None, :] for name in ("p_break", "seg_fhat", "seg_dt", "seg_t0s"))
    a *= p_break
    a0 = a[:-1]
    a1 = a[1:]
    d = np.subtract(a0, a1, out=work.get("d", (nb - 1, *shape)))
    h = np.multiply(lam_b, dt, out=work.get("h", (nb - 1, *shape)))
    x = np.add(h, seg_fhat, out=work.get("x", (nb - 1, *shape)))
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.divide(d, x, out=work.get("v", (nb - 1, *shape)))
        value -= a1
        value *= dt
        d *= t0s
        value += d
        h /= x
        value *= h
    taylor = np.flatnonzero(x < _TAYLOR_THRESHOLD)
    if taylor.size:
        col, i, j = at = np.unravel_index(taylor, x.shape)
        xs = x[at]
        dts, t0ss = dt[col, 0, j], t0s[col, 0, j]
        hs = lam[i, j] * dts
        xs2 = xs * xs
        value[at] = hs * a0[at] * (
            t0ss * (1.0 - xs / 2.0 + xs2 / 6.0 - xs2 * xs / 24.0)
            + dts * (0.5 - xs / 3.0 + xs2 / 8.0 - xs2 * xs / 30.0)
        )
    accrual = np.einsum("jpk,jk->pk", value, take("seg_weight"))
    accrual *= 365.0 / 360.0
    annuity = premium + accrual

    df_settle = take("df_settle")
    clean = annuity - take("rebate") * df_settle
    with np.errstate(divide="ignore", invalid="ignore"):
        return protection / clean, clean / df_settle


_PADDING = {"t_break": "edge", "logp": "edge", "seg_fhat": 1.0, "seg_t0s": 0.0, "seg_weight": 0.0,
            "pay_df_tau": 0.0, "pay_break": 0, "prot_t": "edge", "prot_p": "edge", "prot_fhat": 1.0}


def _row_arrays(dates: DateIndex, row_date: IntArray, row_maturity: IntArray) -> dict[str, np.ndarray]:
    """The λ-independent arrays of every grid row (trade date, maturity; sorted by date, then maturity), padded to
    common widths: the rows of a flat curve in one vectorised pass (:func:`flat_rows`), a curve with nodes date
    by date."""
    content = np.asarray(dates.contents, dtype=np.int64)[row_date]
    todays = np.asarray(dates.todays, dtype=np.int64)
    pieces, order = [], []
    for value in np.unique(content):  # the rows of each curve content
        at = np.flatnonzero(content == value)
        day = row_date[at]
        curve = dates.curves[int(day[0])]
        if curve.node_days.size == 0:
            distinct, owner = np.unique(day, return_inverse=True)
            pieces.append(_with_fhat(flat_rows(curve, todays[distinct], owner, row_maturity[at])))
        else:
            starts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]])
            for lo, hi in zip(starts, np.r_[starts[1:], day.size]):
                umat = row_maturity[at[lo:hi]]
                p = _grid_parts(curve, int(todays[day[lo]]), umat)
                u = umat.size
                pieces.append(_with_fhat({
                    "t_break": np.tile(p.t_break, (u, 1)), "logp": np.tile(p.logp, (u, 1)),
                    "seg_t0s": np.tile(p.seg_t0s, (u, 1)), "seg_weight": p.seg_weight, "pay_df_tau": p.pay_df_tau,
                    "pay_break": np.tile(p.pay_break, (u, 1)), "prot_t": p.prot_t, "prot_p": p.prot_p,
                    "prot_fhat": p.prot_fhat, "premium_zero": p.pay_df_tau.sum(axis=1), "rebate": p.rebate,
                    "df_settle": np.full(u, p.df_settle)}))
        order.append(at)
    rows = np.concatenate(order)  # the grid row of each stacked row
    out: dict[str, np.ndarray] = {}
    for name in pieces[0]:
        blocks = [piece[name] for piece in pieces]
        if len(blocks) == 1:
            stacked = blocks[0]
        else:
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
