r"""The contract figures of every period × instrument of a backtest in one vectorised pass.

:func:`~cdshedge_cvx.credit.per_cs01_figures` prices one period's contracts: at the base date :math:`T_0` at
the coupon (upfront, CS01 by the 1 bp bump, RPV01, hazard rate), at par (CS01), and at the horizon
:math:`T_0 + d` at the same spread (the upfront the carry is measured to). :func:`figure_panel` does the same
for a (periods × instruments) panel: the inputs are checked once as arrays (as :func:`per_cs01_figures`
checks them), every contract is priced from the per-grid Chebyshev tables of
:func:`~cdshedge_cvx.credit._isda_table.grid_tables` (the same model to about 1e-13 relative), and the
figures are those of :func:`~cdshedge_cvx.credit._contract.figures_from_quotes`, element by element.

The panel's structure is used throughout: instruments whose contracts mature on the same days in every
period and discount in the same currency (one roll calendar: 125 indices are often one *profile*) share
their grids, so the grids, their :math:`z` ranges and the table rows are found per (period, profile) rather
than per contract; the contracts of a (period, profile) block are evaluated with the block's coefficients
broadcast along the block (no gather per contract), a few thousand contracts per pass (arrays that stay in
cache), and the figures are written into the panel's arrays in the same pass. No Python loop runs per
contract; one runs per pass, per profile and per period (the curves of its trade dates).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cdshedge_cvx.credit._contract import _ACCRUAL_DAYS, _BP, _ROLL_DAYS, ContractFigures
from cdshedge_cvx.credit._isda import _MAX_YEARS, _is_imm_twentieth
from cdshedge_cvx.credit._isda_table import (
    _MIN_PER_GRID,
    DateIndex,
    GridTables,
    _clenshaw_chunk,
    _series_rows,
    _solve_directly,
    grid_tables,
)
from cdshedge_cvx.credit._yield_curve import _EPOCH, YieldCurve, add_months, from_day_numbers, to_day_numbers
from cdshedge_cvx.errors import DataError, SpecificationError

__all__ = ["figure_panel"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Contracts evaluated per pass (the pass's arrays, its three rpv01 series stacked, stay in cache).
_PASS = 8192
#: Fewer instruments per profile than this on average: the contracts are evaluated with their own table rows
#: (a gather per contract) in passes over all instruments, rather than profile by profile.
_MIN_PROFILE_WIDTH = 8
#: The per-contract fields of the panel (the par contract's upfront is zero, its carry_cash is its carry and
#: both contracts share the roll-down, RPV01 and hazard rate).
_FIELDS = ("notional", "carry", "carry_cash", "jtd", "cs01", "upfront", "rpv01", "hazard_rate", "par_notional",
           "par_carry", "par_jtd", "par_cs01")


def figure_panel(trade_dates: Any, maturity: Any, spread_bp: FloatArray, coupon_bp: FloatArray,
                 recovery: FloatArray, n_names: FloatArray, index_factor: FloatArray,
                 roll_slope_bp_per_year: FloatArray, curves: Sequence[Sequence[YieldCurve]],
                 currency: IntArray, days: IntArray) -> ContractFigures | None:
    r""":func:`~cdshedge_cvx.credit.per_cs01_figures` of every period (rows) and instrument (columns).

    Parameters
    ----------
    trade_dates
        The ``P`` base dates.
    maturity
        (P, n) contract maturities (dates).
    spread_bp, roll_slope_bp_per_year
        (P, n) spreads and roll-down slopes (bp, bp per year).
    coupon_bp, recovery, n_names, index_factor
        (n,) per instrument.
    curves, currency
        ``curves[p][currency[j]]`` is instrument ``j``'s discount curve at period ``p``'s base date (a flat
        curve may be anchored at any date: it discounts the same from all).
    days
        (P,) the horizon of each period in calendar days (>= 1).

    Returns
    -------
    ContractFigures or None
        Fields of shape (P, n), the numbers of one :func:`per_cs01_figures` call per period to about 1e-13
        relative; ``None`` when the panel has too few contracts per grid for the tables to pay (price the
        periods one by one then).

    Raises
    ------
    DataError, SpecificationError
        An input :func:`per_cs01_figures` would refuse (price the periods one by one to have the period's
        own error name it).
    """
    spread = np.asarray(spread_bp, dtype=np.float64)
    periods, n = spread.shape
    given = {label: np.asarray(value, dtype=np.float64) for label, value in (
        ("coupon_bp", coupon_bp), ("recovery", recovery), ("n_names", n_names), ("index_factor", index_factor),
        ("roll_slope_bp_per_year", roll_slope_bp_per_year))}
    coupon, rec, names, factor, slope = (np.broadcast_to(value, (periods, n)) for value in given.values())
    horizon = np.asarray(days, dtype=np.int64)
    today = np.asarray(to_day_numbers(np.asarray(trade_dates, dtype="datetime64[D]"), "trade_date"),
                       dtype=np.int64).reshape(periods)
    # days since 1970-01-01: the integers of datetime64[D] (NaT the smallest)
    mat = np.asarray(maturity, dtype="datetime64[D]").view(np.int64).reshape(periods, n)
    if mat.size and int(mat.min()) == np.iinfo(np.int64).min:
        raise DataError("maturity: a missing date")
    if spread.size == 0:
        return None
    cur = np.asarray(currency, dtype=np.int64)
    profile, first = _profiles(mat, cur)
    mat_u = mat[:, first]  # (P, profiles): every distinct maturity column
    _check(spread, given, horizon, today, mat_u)
    index, base_ids, end_ids = _date_ids(curves, today, today + horizon)

    # the grids (trade date, maturity) of every (period, profile) block, at the base date and at the horizon
    low = int(mat_u.min())
    span = int(mat_u.max()) - low + 1
    keys = (np.concatenate([base_ids[:, cur[first]], end_ids[:, cur[first]]]) * span
            + (np.concatenate([mat_u, mat_u]) - low))
    grid_keys, grid = np.unique(keys, return_inverse=True)  # sorted: by date, then maturity
    grid = grid.reshape(2 * periods, first.size)
    if 2 * spread.size < _MIN_PER_GRID * grid_keys.size:
        return None

    # each grid's z range: its blocks' smallest z and largest z (z at the quote + 1 bp at the base date)
    order = np.argsort(profile, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(profile[order]) != 0])
    columns = None if np.all(order == np.arange(n)) else order
    inputs = {"spread": spread, "coupon": coupon, "rec": rec, "names": names, "factor": factor,
              "premium": (horizon / _ACCRUAL_DAYS)[:, None], "mat": mat, "base_ids": base_ids, "end_ids": end_ids,
              "currency": cur}
    z_lo, z_hi, z_up_hi = (np.empty((periods, first.size)) for _ in range(3))
    step = max(1, _PASS // n)
    for start in range(0, periods, step):  # in passes: no panel-sized temporaries (fresh pages cost)
        rows = slice(start, start + step)
        z, z_up = _z(inputs, rows, slice(None))
        if columns is not None:
            z, z_up = z[:, columns], z_up[:, columns]
        np.minimum.reduceat(z, starts, axis=1, out=z_lo[rows])
        np.maximum.reduceat(z, starts, axis=1, out=z_hi[rows])
        np.maximum.reduceat(z_up, starts, axis=1, out=z_up_hi[rows])
    lo = np.full(grid_keys.size, np.inf)
    hi = np.full(grid_keys.size, -np.inf)
    for block, low_z, high_z in ((grid[:periods], z_lo, z_up_hi), (grid[periods:], z_lo, z_hi)):
        np.minimum.at(lo, block.ravel(), low_z.ravel())
        np.maximum.at(hi, block.ravel(), high_z.ravel())
    tables = grid_tables(index, grid_keys // span, grid_keys % span + low, lo, hi)

    # the panel's arrays: one allocation (of several MB: huge pages where the system gives them, far fewer page
    # faults than one allocation per field)
    panel = np.empty((len(_FIELDS) + 1, periods, n))
    out = dict(zip(_FIELDS, panel))
    inputs["untabulated"] = bool(np.any(tables.terms == 0))
    if first.size * _MIN_PROFILE_WIDTH <= n:  # profile by profile, each block's table rows broadcast along it
        for u in range(first.size):
            members = order[starts[u]:starts[u + 1] if u + 1 < starts.size else n]
            cols: slice | IntArray = (slice(int(members[0]), int(members[-1]) + 1)
                                      if members[-1] - members[0] + 1 == members.size else members)
            step = max(1, _PASS // members.size)
            for start in range(0, periods, step):
                rows = slice(start, min(start + step, periods))
                _figures_pass(tables, index, inputs, out, rows, cols, grid[rows, u],
                              grid[periods + rows.start:periods + rows.stop, u])
    else:  # many profiles: every contract with its own table rows
        step = max(1, _PASS // n)
        for start in range(0, periods, step):
            rows = slice(start, min(start + step, periods))
            _figures_pass(tables, index, inputs, out, rows, slice(None), grid[rows][:, profile],
                          grid[periods + rows.start:periods + rows.stop][:, profile])

    roll = np.multiply(slope, horizon[:, None], out=panel[-1])
    roll /= _ROLL_DAYS
    np.subtract(0.0, roll, out=roll)
    par = ContractFigures(
        notional=out["par_notional"], carry=out["par_carry"], carry_cash=out["par_carry"], roll_down=roll,
        jtd=out["par_jtd"], cs01=out["par_cs01"], upfront=np.zeros((periods, n)), rpv01=out["rpv01"],
        hazard_rate=out["hazard_rate"])
    return ContractFigures(
        notional=out["notional"], carry=out["carry"], carry_cash=out["carry_cash"], roll_down=roll, jtd=out["jtd"],
        cs01=out["cs01"], upfront=out["upfront"], rpv01=out["rpv01"], hazard_rate=out["hazard_rate"], par=par)


def _z(inputs: dict[str, Any], rows: slice, cols: slice | IntArray) -> tuple[FloatArray, FloatArray]:
    """:math:`z = s/(1-R)` at the quote and at the quote + 1 bp of the contracts ``[rows, cols]``."""
    spread, loss = inputs["spread"][rows, cols], 1.0 - inputs["rec"][rows, cols]
    return spread * _BP / loss, (spread + 1.0) * _BP / loss


def _figures_pass(tables: GridTables, index: DateIndex, inputs: dict[str, Any], out: dict[str, FloatArray],
                  rows: slice, cols: slice | IntArray, base_grid: IntArray, end_grid: IntArray) -> None:
    r"""The figures of the contracts ``[rows, cols]`` of the panel, written into ``out``.

    ``base_grid``, ``end_grid``: the table rows of the contracts at the base date and at the horizon, one per
    period (m,) when the columns are one profile (broadcast along them: :func:`_series_rows`), else one per
    contract (m, w) (gathered: :func:`_clenshaw_chunk`). The quotes are those of
    :func:`~cdshedge_cvx.credit._isda_table.tabulated_quotes` (:math:`\rho` at :math:`z` and :math:`z^+`,
    :math:`\lambda(z)/z`, :math:`\rho` at the horizon), the figures those of
    :func:`~cdshedge_cvx.credit._contract.figures_from_quotes`, the same operations element by element.
    """
    def take(name: str) -> FloatArray:
        return inputs[name][rows, cols]

    per_row = base_grid.ndim == 1
    z, z_up = _z(inputs, rows, cols)
    # the series of a contract: rho at z and at z + 1 bp (base date) and at z (horizon), stacked in one
    # evaluation, then lambda/z at z (base date), with its own, fewer terms
    grids = np.stack([base_grid, base_grid, end_grid])
    width = max(1, int(tables.terms[grids].max()))
    mid, half = tables.mid[grids], tables.half[grids]
    if per_row:
        mid, half = mid[..., None], half[..., None]
    x = np.empty((3, *z.shape))
    for slot, values in ((0, z), (1, z_up), (2, z)):
        np.subtract(values, mid[slot], out=x[slot])
    x /= half
    np.clip(x, -1.0, 1.0, out=x)
    hazard_width = max(1, int(tables.hazard_terms[base_grid].max()))
    if per_row:
        rho, rho_up, rho_end = _series_rows(tables.rpv01[:width, grids], x)
        hazard_over_z = _series_rows(tables.hazard_rate[:hazard_width, base_grid], x[0])
    else:
        rho, rho_up, rho_end = _clenshaw_chunk(tables.rpv01[:width], grids, x)
        hazard_over_z = _clenshaw_chunk(tables.hazard_rate[:hazard_width], base_grid, x[0])
    s, c = take("spread"), take("coupon")
    premium_bp = (s - c) * _BP
    quotes = {"upfront": premium_bp * rho, "cs01": (s + 1.0 - c) * _BP * rho_up - premium_bp * rho,
              "rpv01": rho, "hazard_rate": z * hazard_over_z, "cs01_par": _BP * rho_up}
    upfront_end = premium_bp * rho_end
    if inputs["untabulated"] and np.any(tables.terms[grids] == 0):  # grids without tables: contract by contract
        base_bad, end_bad = (np.broadcast_to((tables.terms[g] == 0)[:, None] if per_row else tables.terms[g] == 0,
                                             z.shape) for g in (base_grid, end_grid))
        _solve_block(index, inputs, rows, cols, base_bad, end_bad, quotes, upfront_end)

    delta, delta_par, upfront = quotes["cs01"], quotes["cs01_par"], quotes["upfront"]
    f, share = take("factor"), take("names") * take("factor")
    c, s, loss = c * _BP, s * _BP, 1.0 - take("rec")
    premium = inputs["premium"][rows]
    values = {
        "par_notional": 1.0 / (f * delta_par), "par_carry": -s * premium / delta_par,
        "par_jtd": loss / (share * delta_par), "par_cs01": delta_par,
        "notional": 1.0 / (f * delta), "carry": (upfront_end - upfront - c * premium) / delta,
        "carry_cash": -c * premium / delta, "jtd": (loss - upfront) / (share * delta), "cs01": delta,
        "upfront": upfront, "rpv01": quotes["rpv01"], "hazard_rate": quotes["hazard_rate"]}
    for name, value in values.items():
        out[name][rows, cols] = value


def _solve_block(index: DateIndex, inputs: dict[str, Any], rows: slice, cols: slice | IntArray,
                 base_bad: NDArray[np.bool_], end_bad: NDArray[np.bool_], quotes: dict[str, FloatArray],
                 upfront_end: FloatArray) -> None:
    """The quotes of the pass's contracts whose grids have no table, solved contract by contract
    (:func:`~cdshedge_cvx.credit._isda_table._solve_directly`), written over the tables' numbers."""
    p = np.arange(rows.start, rows.stop)[:, None]
    j = np.arange(inputs["spread"].shape[1])[cols][None, :]
    currency = inputs["currency"][j]
    for ids, bad, names in ((inputs["base_ids"], base_bad, tuple(quotes)), (inputs["end_ids"], end_bad, ("upfront",))):
        if not np.any(bad):
            continue
        where = np.nonzero(bad)
        pp, jj = np.broadcast_to(p, bad.shape)[where], np.broadcast_to(j, bad.shape)[where]
        solved = {name: np.full(pp.size, np.nan) for name in ("upfront", "cs01", "rpv01", "hazard_rate", "cs01_par")}
        _solve_directly(index, ids[pp, np.broadcast_to(currency, bad.shape)[where]], inputs["mat"][pp, jj],
                        inputs["spread"][pp, jj], inputs["coupon"][pp, jj], inputs["rec"][pp, jj],
                        np.ones(pp.size, dtype=bool), solved)
        for name in names:
            target = quotes[name] if ids is inputs["base_ids"] else upfront_end
            target[where] = solved[name]


def _profiles(mat: IntArray, currency: IntArray) -> tuple[IntArray, IntArray]:
    """Each instrument's profile (instruments whose contracts mature on the same day in every period and that
    discount in the same currency share one; numbered in order of first appearance) and the first instrument
    of each profile."""
    columns = np.ascontiguousarray(mat.T)
    seen: dict[tuple[int, bytes], int] = {}
    profile = np.asarray([seen.setdefault((c, column.tobytes()), len(seen))
                          for c, column in zip(currency.tolist(), columns)], dtype=np.int64)
    return profile, np.unique(profile, return_index=True)[1]


def _date_ids(curves: Sequence[Sequence[YieldCurve]], today: IntArray,
              end: IntArray) -> tuple[DateIndex, IntArray, IntArray]:
    """The (curve, trade date) ids of every period and currency at the base date and at the horizon."""
    index = DateIndex()
    periods, count = len(curves), len(curves[0])
    base_ids = np.empty((periods, count), dtype=np.int64)
    end_ids = np.empty_like(base_ids)
    if all(curve.node_days.size == 0 for by_currency in curves for curve in by_currency):
        # a flat curve discounts the same from any date it is anchored at: the days of each content at once
        distinct = {id(curve): curve for by_currency in curves for curve in by_currency}
        numbers = {key: index.content_id(curve) for key, curve in distinct.items()}
        content = np.asarray([[numbers[id(curve)] for curve in by_currency] for by_currency in curves],
                             dtype=np.int64).reshape(periods, count)
        for value in np.unique(content):
            p, c = np.nonzero(content == value)
            ids = index.add_days(curves[int(p[0])][int(c[0])], np.concatenate([today[p], end[p]]))
            base_ids[p, c], end_ids[p, c] = ids[:p.size], ids[p.size:]
        return index, base_ids, end_ids
    for p, by_currency in enumerate(curves):
        day, end_day = int(today[p]), int(end[p])
        for c, curve in enumerate(by_currency):
            # a flat curve (no nodes) discounts the same from any date it is anchored at
            if curve.node_days.size and int((curve.trade_date - _EPOCH).astype(np.int64)) != day:
                raise SpecificationError(f"curve is anchored at {curve.trade_date}, not at the trade date")
            base_ids[p, c] = index.add(curve, day)
            # a flat curve is the same curve from any date; a curve with nodes is rebased to the horizon
            end_curve = curve if curve.node_days.size == 0 else curve.rebased(from_day_numbers(end_day))
            end_ids[p, c] = index.add(end_curve, end_day)
    return index, base_ids, end_ids


def _check(spread: FloatArray, given: dict[str, FloatArray], horizon: IntArray, today: IntArray,
           mat: IntArray) -> None:
    """The checks of :func:`~cdshedge_cvx.credit.per_cs01_figures`, on the whole panel (the first failure):
    ``given`` the per-instrument inputs as given (broadcast to the panel, they hold the same values), ``mat``
    the distinct maturity columns."""
    for label, values in (("spread_bp", spread), *given.items()):
        if not np.all(np.isfinite(values)):
            raise DataError(f"{label} must be finite")
    if np.any(horizon < 1):
        raise SpecificationError("days must be a whole number of days >= 1")
    coupon, rec, names, factor = (given[label] for label in ("coupon_bp", "recovery", "n_names", "index_factor"))
    if np.any(spread <= 0.0) or np.any(coupon < 0.0) or np.any((rec < 0.0) | (rec >= 1.0)):
        raise DataError("per_cs01_figures: a spread, coupon or recovery out of range")
    if np.any((names < 1) | (names != np.round(names))) or np.any((factor <= 0.0) | (factor > 1.0)):
        raise DataError("n_names must be whole numbers >= 1 and index_factor in (0, 1]")
    if not np.all(_is_imm_twentieth(np.unique(mat))):  # a few distinct maturities (the roll calendar)
        raise DataError("maturity must be a CDS roll date (20 Mar/Jun/Sep/Dec)")
    if np.any(mat <= (today + horizon)[:, None] + 1):
        raise DataError("a horizon reaches a maturity (or a maturity is before the step-in date)")
    if np.any(mat > np.asarray(add_months(today, 12 * _MAX_YEARS), dtype=np.int64)[:, None]):
        raise DataError(f"maturity must be within {_MAX_YEARS} years of the trade date")
