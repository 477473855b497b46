r"""Contract figures per unit of CS01, from the ISDA CDS Standard Model.

The hedge is sized in CS01 :math:`h` ($mm/bp, positive = protection bought), defined as the ISDA
spread DV01 of the traded fixed-coupon contract: the change of its upfront for +1 bp of conventional
spread, flat hazard recalibrated (:attr:`CdsQuote.cs01 <cdshedge_cvx.credit.CdsQuote.cs01>`). Per unit of
:math:`h` this module gives the notional, the carry over a horizon with the spread unchanged, the roll-down
and the jump to default of one name, for the traded contract and for the par contract (coupon = spread)
that the earlier approximations describe. Formulas and measured errors: ``docs/analytics.md``,
"Figures per unit of CS01".
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cdshedge_cvx.credit._isda import _check_maturities, cds_quote
from cdshedge_cvx.credit._isda import _float_array as _array
from cdshedge_cvx.credit._isda_batch import QuoteGroup
from cdshedge_cvx.credit._isda_table import tabulated_quote_groups
from cdshedge_cvx.credit._yield_curve import YieldCurve, to_day_numbers
from cdshedge_cvx.errors import DataError, SpecificationError

__all__ = ["ContractFigures", "per_cs01_figures"]

FloatArray = NDArray[np.float64]

_BP = 1e-4
_ACCRUAL_DAYS = 360.0  # premium accrues ACT/360
_ROLL_DAYS = 365.0  # roll-down slope per year of ACT/365F time


@dataclass(frozen=True)
class ContractFigures:
    r"""Figures of CDS index contracts per unit of CS01 (arrays of the broadcast input shape).

    "Per unit of CS01" means per 1 (mm of the currency)/bp of ISDA spread DV01 held: an amount in mm of the
    currency per mm/bp; multiply by the position :math:`h` to get the position's figure. Signs are the
    protection buyer's (:math:`h > 0`). With :math:`\delta` the spread DV01 per unit of *effective*
    notional (``cs01``), :math:`f` the index factor, :math:`n` the original number of names, :math:`R` the
    recovery, :math:`u` the clean upfront per unit effective notional, :math:`c` the coupon, :math:`s` the
    spread (decimals) and :math:`d` the horizon in days:

    Attributes
    ----------
    notional : numpy.ndarray
        Original (ticket) notional per unit of CS01, :math:`1/(f\,\delta)`; the effective notional is
        ``notional * index_factor``.
    carry : numpy.ndarray
        Value change over ``days`` with the spread (and rates) unchanged, premium paid plus pull-to-par:
        :math:`\big[u(T+d) - u(T) - c\,d/360\big]/\delta`, :math:`u(T+d)` the upfront of the same contract
        (same maturity) repriced at :math:`T+d` at the same conventional spread.
    carry_cash : numpy.ndarray
        Premium paid only (the ``market-cash`` carry): :math:`-c\,d/360/\delta`.
    roll_down : numpy.ndarray
        Spread roll-down over ``days`` along a credit curve of slope :math:`b` bp/year:
        :math:`-b\,d/365` (the held contract's spread falls by :math:`b\,d/365` bp; the buyer loses that
        many CS01).
    jtd : numpy.ndarray
        Jump to default of one name: payout of its share minus the share's clean mark-to-market,
        :math:`\frac{(1-R) - u}{n f \delta}` (the share is :math:`1/n` of the original notional, i.e.
        :math:`1/(nf)` of the effective one).
    cs01 : numpy.ndarray
        :math:`\delta`, ISDA spread DV01 per unit of effective notional per bp.
    upfront : numpy.ndarray
        :math:`u`, clean upfront per unit effective notional (positive when the buyer pays).
    rpv01 : numpy.ndarray
        Clean risky annuity per unit notional (``upfront = (s - c) * rpv01``).
    hazard_rate : numpy.ndarray
        Flat hazard rate calibrated to the spread.
    par : ContractFigures or None
        The same figures for the par contract (coupon = spread: :math:`u \equiv 0`, carry = premium only,
        jtd = :math:`(1-R)/(nf\delta_{par})`); ``None`` inside ``par`` itself.
    """

    notional: FloatArray
    carry: FloatArray
    carry_cash: FloatArray
    roll_down: FloatArray
    jtd: FloatArray
    cs01: FloatArray
    upfront: FloatArray
    rpv01: FloatArray
    hazard_rate: FloatArray
    par: ContractFigures | None = None

    def row(self, k: int) -> ContractFigures:
        """Row ``k`` of every field (figures of a (periods × instruments) panel: period ``k``'s)."""
        return ContractFigures(
            notional=self.notional[k], carry=self.carry[k], carry_cash=self.carry_cash[k],
            roll_down=self.roll_down[k], jtd=self.jtd[k], cs01=self.cs01[k], upfront=self.upfront[k],
            rpv01=self.rpv01[k], hazard_rate=self.hazard_rate[k], par=None if self.par is None else self.par.row(k))

    def rows(self) -> list[ContractFigures]:
        """Every row of every field, ``[self.row(k) for k in range(len(self.notional))]`` (the periods of a
        panel's figures), built field by field (each field's rows as one sequence of views, once for the fields
        the figures and their ``par`` share)."""
        return self._rows({})

    def _rows(self, views: dict[int, list[FloatArray]]) -> list[ContractFigures]:
        columns = []
        for field in (self.notional, self.carry, self.carry_cash, self.roll_down, self.jtd, self.cs01, self.upfront,
                      self.rpv01, self.hazard_rate):
            if id(field) not in views:
                views[id(field)] = list(field)
            columns.append(views[id(field)])
        pars = [None] * len(self.notional) if self.par is None else self.par._rows(views)
        return list(map(ContractFigures, *columns, pars))


def _curves(curve: YieldCurve | Sequence[YieldCurve], size: int, shape: tuple[int, ...]) -> list[YieldCurve]:
    if isinstance(curve, YieldCurve):
        return [curve] * size
    if isinstance(curve, (str, bytes)) or not isinstance(curve, Sequence):
        raise SpecificationError(f"curve must be a YieldCurve or one per contract, got {type(curve).__name__}")
    curves = list(curve)
    if len(curves) != size or len(shape) > 1:
        raise SpecificationError(f"curve: {len(curves)} curves for {size} contracts of shape {shape}; give one "
                                 "YieldCurve, or one per contract for 1-d inputs")
    if not all(map(isinstance, curves, itertools.repeat(YieldCurve))):
        i, c = next((i, c) for i, c in enumerate(curves) if not isinstance(c, YieldCurve))
        raise SpecificationError(f"curve[{i}] must be a YieldCurve, got {type(c).__name__}")
    return curves


def per_cs01_figures(
    trade_date: Any,
    maturity: Any,
    spread_bp: ArrayLike,
    coupon_bp: ArrayLike,
    recovery: ArrayLike,
    curve: YieldCurve | Sequence[YieldCurve],
    n_names: ArrayLike = 125,
    index_factor: ArrayLike = 1.0,
    days: int = 30,
    roll_slope_bp_per_year: ArrayLike = 0.0,
) -> ContractFigures:
    r"""Notional, carry, roll-down and jump to default per unit of CS01, from the ISDA model, vectorised.

    All array arguments broadcast together. The contract is the standard one of :func:`cds_quote`
    (CDS2015 schedule, flat hazard calibrated to the conventional spread); see :class:`ContractFigures`
    for every formula.

    Parameters
    ----------
    trade_date : date-like
        Base date (the period's first date); every curve is anchored there.
    maturity : date-like or tenor str, array_like
        Maturities (20 Mar/Jun/Sep/Dec) of the contracts held; a tenor (``"5Y"``) is rolled on
        ``trade_date`` and then kept fixed over the horizon.
    spread_bp : array_like
        Conventional spreads (bp, > 0).
    coupon_bp : array_like
        Running coupons (bp).
    recovery : array_like
        Recovery rates in [0, 1).
    curve : YieldCurve or sequence of YieldCurve
        One discount curve for all contracts, or one per contract (1-d inputs), anchored at ``trade_date``.
        The carry reprices at ``trade_date + days`` on :meth:`YieldCurve.rebased` (rates unchanged).
    n_names : array_like, default 125
        Original number of names in the index.
    index_factor : array_like, default 1.0
        Remaining fraction of the original notional after defaults, in (0, 1].
    days : int, default 30
        Horizon of the carry and roll-down, calendar days (>= 0); the contract must mature after
        ``trade_date + days + 1``.
    roll_slope_bp_per_year : array_like, default 0.0
        Credit-curve slope (bp per year of maturity) for ``roll_down``.

    Returns
    -------
    ContractFigures

    Raises
    ------
    DataError
        Bad dates, spreads, recoveries, names or factors (as :func:`cds_quote`), a horizon past the maturity.
    SpecificationError
        Bad ``curve`` or ``days``.

    Examples
    --------
    >>> curve = YieldCurve.flat(0.045, "2024-05-15")
    >>> f = per_cs01_figures("2024-05-15", "5Y", 350.0, 500.0, 0.3, curve, n_names=100, days=30)
    >>> round(float(f.notional), 1), round(float(f.carry), 3), round(float(f.jtd), 3)
    (2337.0, -7.954, 17.787)
    """
    prepared = _prepare(trade_date, maturity, spread_bp, coupon_bp, recovery, curve, n_names, index_factor, days,
                        roll_slope_bp_per_year)
    shape, (mat_b, s_b, c_b, r_b, n_b, f_b, b_b), curves = prepared
    size = s_b.size
    out = {k: np.empty(size) for k in ("cs01", "upfront", "rpv01", "hazard", "upfront_end", "cs01_par")}
    groups: dict[int, list[int]] = {}
    for i, c in enumerate(curves):
        groups.setdefault(id(c), []).append(i)
    for rows in groups.values():
        idx = np.asarray(rows)
        crv = curves[rows[0]]
        base = cds_quote(trade_date, mat_b[idx], s_b[idx], coupon_bp=c_b[idx], recovery=r_b[idx], curve=crv)
        par = cds_quote(trade_date, base.maturity, s_b[idx], coupon_bp=s_b[idx], recovery=r_b[idx], curve=crv)
        out["cs01"][idx], out["upfront"][idx] = base.cs01, base.upfront
        out["rpv01"][idx], out["hazard"][idx], out["cs01_par"][idx] = base.rpv01, base.hazard_rate, par.cs01
        if days == 0:
            out["upfront_end"][idx] = base.upfront
            continue
        horizon = crv.trade_date + np.timedelta64(int(days), "D")
        late = base.maturity <= horizon + np.timedelta64(1, "D")
        if np.any(late):
            raise DataError(f"a {days}-day horizon from {crv.trade_date} reaches the maturity "
                            f"{base.maturity[late][0]}; shorten days or roll the contract")
        end = cds_quote(horizon, base.maturity, s_b[idx], coupon_bp=c_b[idx], recovery=r_b[idx],
                        curve=crv.rebased(horizon))
        out["upfront_end"][idx] = end.upfront

    return figures_from_quotes(out, shape, s_b, c_b, r_b, n_b, f_b, b_b, days)


def figures_from_quotes(out: dict[str, FloatArray], shape: tuple[int, ...], s_b: FloatArray, c_b: FloatArray,
                        r_b: FloatArray, n_b: FloatArray, f_b: FloatArray, b_b: FloatArray,
                        days: int) -> ContractFigures:
    """:class:`ContractFigures` from the quotes of :func:`per_cs01_figures` (flat arrays: ``cs01``, ``upfront``,
    ``rpv01``, ``hazard``, ``upfront_end``, ``cs01_par``) and its flat broadcast inputs."""
    size = s_b.size
    delta, delta_par = out["cs01"], out["cs01_par"]
    c, s, loss = c_b * _BP, s_b * _BP, 1.0 - r_b
    premium = days / _ACCRUAL_DAYS
    share = n_b * f_b
    roll = 0.0 - b_b * days / _ROLL_DAYS

    def shaped(x: FloatArray) -> FloatArray:
        return x.reshape(shape)

    par = ContractFigures(
        notional=shaped(1.0 / (f_b * delta_par)), carry=shaped(-s * premium / delta_par),
        carry_cash=shaped(-s * premium / delta_par), roll_down=shaped(roll), jtd=shaped(loss / (share * delta_par)),
        cs01=shaped(delta_par), upfront=shaped(np.zeros(size)), rpv01=shaped(out["rpv01"]),
        hazard_rate=shaped(out["hazard"]))
    return ContractFigures(
        notional=shaped(1.0 / (f_b * delta)),
        carry=shaped((out["upfront_end"] - out["upfront"] - c * premium) / delta),
        carry_cash=shaped(-c * premium / delta),
        roll_down=shaped(roll),
        jtd=shaped((loss - out["upfront"]) / (share * delta)),
        cs01=shaped(delta),
        upfront=shaped(out["upfront"]),
        rpv01=shaped(out["rpv01"]),
        hazard_rate=shaped(out["hazard"]),
        par=par,
    )


_Prepared = tuple[tuple[int, ...], tuple[Any, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray],
                  list[YieldCurve]]


def _prepare(trade_date: Any, maturity: Any, spread_bp: ArrayLike, coupon_bp: ArrayLike, recovery: ArrayLike,
             curve: YieldCurve | Sequence[YieldCurve], n_names: ArrayLike, index_factor: ArrayLike, days: int,
             roll_slope_bp_per_year: ArrayLike) -> _Prepared:
    """The checked inputs of :func:`per_cs01_figures`, broadcast and flattened, with one curve per contract."""
    if isinstance(days, bool) or not isinstance(days, (int, np.integer)) or days < 0:
        raise SpecificationError(f"days must be a whole number of days >= 0, got {days!r}")
    if np.ndim(trade_date) != 0:
        raise DataError(f"trade_date must be one date, got {trade_date!r}")
    spread = _array("spread_bp", spread_bp)
    coupon = _array("coupon_bp", coupon_bp)
    rec = _array("recovery", recovery)
    names = _array("n_names", n_names)
    factor = _array("index_factor", index_factor)
    slope = _array("roll_slope_bp_per_year", roll_slope_bp_per_year)
    if np.any((names < 1) | (names != np.round(names))):
        raise DataError(f"n_names must be whole numbers >= 1, got {names[(names < 1) | (names != np.round(names))]}")
    if np.any((factor <= 0.0) | (factor > 1.0)):
        raise DataError(f"index_factor must be in (0, 1], got {factor[(factor <= 0.0) | (factor > 1.0)].ravel()[0]!r}")
    mat_in = np.asarray(maturity)
    try:
        shape = np.broadcast_shapes(mat_in.shape, spread.shape, coupon.shape, rec.shape, names.shape, factor.shape,
                                    slope.shape)
    except ValueError as exc:
        raise DataError(f"maturity, spread_bp, coupon_bp, recovery, n_names, index_factor and "
                        f"roll_slope_bp_per_year do not broadcast: {exc}") from exc
    size = int(np.prod(shape, dtype=np.int64))
    mat_b, s_b, c_b, r_b, n_b, f_b, b_b = (np.broadcast_to(a, shape).ravel()
                                           for a in (mat_in, spread, coupon, rec, names, factor, slope))
    curves = _curves(curve, size, shape)

    return shape, (mat_b, s_b, c_b, r_b, n_b, f_b, b_b), curves


def _figure_groups(prepared: _Prepared, trade_date: Any, days: int) -> list[tuple[FloatArray, str, QuoteGroup]]:
    """The :func:`cds_quote` calls :func:`per_cs01_figures` makes, as (rows, output key, group), checked as
    :func:`cds_quote` checks them (spread quotes, maturities given as dates)."""
    _, (mat_b, s_b, c_b, r_b, _, _, _), curves = prepared
    today = int(to_day_numbers(trade_date, "trade_date").reshape(-1)[0])
    mat = np.asarray(to_day_numbers(np.asarray(mat_b, dtype="datetime64[D]"), "maturity"), dtype=np.int64)
    if np.any(s_b <= 0.0) or np.any(c_b < 0.0) or np.any((r_b < 0.0) | (r_b >= 1.0)):
        raise DataError("per_cs01_figures: a spread, coupon or recovery out of range")
    if len(set(map(id, curves))) == 1:  # one curve (one currency): one call
        ids, first = np.zeros(len(curves), dtype=np.int64), np.zeros(1, dtype=np.int64)
    else:
        ids = np.fromiter(map(id, curves), dtype=np.int64, count=len(curves))
        first = np.unique(ids, return_index=True)[1]
    calls = []
    for at in np.sort(first):  # one cds_quote call per curve, in the order the curves first appear
        idx = np.flatnonzero(ids == ids[at])
        crv = curves[int(at)]
        if int((crv.trade_date - np.datetime64("1970-01-01", "D")).astype(np.int64)) != today:
            raise SpecificationError(f"curve is anchored at {crv.trade_date}, not at the trade date")
        _check_maturities(mat[idx], today, strict=True)
        calls.append((idx, "base", QuoteGroup(crv, today, mat[idx], s_b[idx], c_b[idx], r_b[idx])))
        if days:
            horizon = crv.trade_date + np.timedelta64(int(days), "D")
            end_day = today + int(days)
            if np.any(mat[idx] <= end_day + 1):
                raise DataError(f"a {days}-day horizon from {crv.trade_date} reaches a maturity")
            calls.append((idx, "end", QuoteGroup(crv.rebased(horizon), end_day, mat[idx], s_b[idx], c_b[idx],
                                                 r_b[idx])))
    return calls


def per_cs01_quotes_batch(requests: Sequence[Mapping[str, Any]]) -> list[dict[str, FloatArray]]:
    """The quotes behind :func:`per_cs01_figures` for many calls at once (one hazard-rate solve for all).

    Each request holds the keyword arguments of :func:`per_cs01_figures` (``maturity`` as dates). Returns,
    per request, the flat arrays ``cs01``, ``upfront``, ``rpv01``, ``hazard``, ``upfront_end``, ``cs01_par``
    that :func:`figures_from_quotes` turns into its :class:`ContractFigures` -- to the bit the numbers of
    separate :func:`per_cs01_figures` calls (:func:`~cdshedge_cvx.credit._isda_batch.spread_quote_groups`).

    Raises
    ------
    DataError, SpecificationError
        A request :func:`per_cs01_figures` would refuse (its own call then names the problem).
    """
    plan, groups = [], []
    for request in requests:
        days = request.get("days", 30)
        prepared = _prepare(request["trade_date"], request["maturity"], request["spread_bp"], request["coupon_bp"],
                            request["recovery"], request["curve"], request.get("n_names", 125),
                            request.get("index_factor", 1.0), days, request.get("roll_slope_bp_per_year", 0.0))
        calls = _figure_groups(prepared, request["trade_date"], days)
        plan.append((prepared[1][1].size, days, [(idx, key, len(groups) + k) for k, (idx, key, _) in enumerate(calls)]))
        groups.extend(group for _, _, group in calls)
    # many contracts on few grids (a backtest's periods): Chebyshev tables per grid, else contract by contract
    priced = tabulated_quote_groups(groups, [key == "base" for _, _, calls in plan for _, key, _ in calls])
    results = []
    for size, days, calls in plan:
        out = {k: np.empty(size) for k in ("cs01", "upfront", "rpv01", "hazard", "upfront_end", "cs01_par")}
        for idx, key, at in calls:
            q = priced[at]
            if key == "base":
                out["cs01"][idx], out["upfront"][idx] = q.cs01, q.upfront
                out["rpv01"][idx], out["hazard"][idx], out["cs01_par"][idx] = q.rpv01, q.hazard_rate, q.cs01_par
                if not days:
                    out["upfront_end"][idx] = q.upfront
            else:
                out["upfront_end"][idx] = q.upfront
        results.append(out)
    return results


def figures_with_quotes(quotes: Mapping[str, FloatArray], trade_date: Any, maturity: Any, spread_bp: ArrayLike,
                        coupon_bp: ArrayLike, recovery: ArrayLike, curve: YieldCurve | Sequence[YieldCurve],
                        n_names: ArrayLike = 125, index_factor: ArrayLike = 1.0, days: int = 30,
                        roll_slope_bp_per_year: ArrayLike = 0.0) -> ContractFigures:
    """:func:`per_cs01_figures` with its quotes already priced (:func:`per_cs01_quotes_batch`)."""
    shape, (_, s_b, c_b, r_b, n_b, f_b, b_b), _ = _prepare(
        trade_date, maturity, spread_bp, coupon_bp, recovery, curve, n_names, index_factor, days,
        roll_slope_bp_per_year)
    if any(np.shape(quotes[k]) != (s_b.size,) for k in quotes):
        raise SpecificationError(f"quotes for {s_b.size} contracts expected")
    return figures_from_quotes(dict(quotes), shape, s_b, c_b, r_b, n_b, f_b, b_b, days)
