"""Rebalancing periods and the data a period's solve reads (:class:`PeriodData`).

A period is every observation after the previous period's last date up to its own last date;
the date before it (the *base*) provides the starting level and is when a walk-forward decision
is taken. The very first date of the data is never inside a period.

Information sets
----------------
``hindsight`` (the prototype): the decision for a period reads the period's own realised data
(its daily spread changes, desk PnL and total change).

``walk-forward``: the decision is taken at the close of the period's base date and reads only
values dated on or before the base date:

* risk: the daily spread changes and desk PnL of rows ``[first − window, first − 1]``, i.e.
  the ``window`` observations ending with the base date itself (whole-series changes, roll
  jumps removed when given); periods with fewer than ``min_history`` of them are skipped;
* expected spread change: 0, or the user's ``forecast`` row for the period;
* carry and roll-down: the spread level at the base date (under every convention);
* limits, instrument fields and the holdings carried from the previous decision.

The *schedule* is treated as known in advance: the period's dates (its number of observations,
which scales the daily variance to the horizon, and its calendar days for accrual) come from
the data's date index. No value dated after the base date is read; the realised PnL of the
decision (:attr:`HedgeResult.pnl`) is then measured on the period's own data, out of sample.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from cdshedge_cvx.credit._conventions import Conventions, year_fraction
from cdshedge_cvx.credit._rolls import remaining_maturity, roll_counts
from cdshedge_cvx.errors import DataError, SpecificationError
from cdshedge_cvx.market._currencies import amount_currencies
from cdshedge_cvx.market._instruments import Universe

__all__ = ["Period", "PeriodBuilder", "PeriodData", "make_periods", "normalise_horizon"]

#: The prototype's aliases (pandas < 2.2) mapped to current pandas offset aliases.
HORIZON_ALIASES = {"M": "ME", "Q": "QE", "A": "YE", "Y": "YE", "BM": "BME", "BQ": "BQE", "BA": "BYE",
                   "BY": "BYE", "SM": "SME"}
Mode = Literal["hindsight", "walk-forward"]


def normalise_horizon(horizon: str) -> str:
    """Map ``M``/``Q``/``A`` (and ``2M`` …) to pandas aliases; validate any other alias."""
    if not isinstance(horizon, str) or not horizon.strip():
        raise SpecificationError(
            f"horizon must be a pandas offset alias such as 'M', 'Q', 'A', 'W-FRI'; got {horizon!r}")
    text = horizon.strip()
    digits = ""
    while text and text[0].isdigit():
        digits, text = digits + text[0], text[1:]
    base, _, anchor = text.partition("-")
    alias = digits + HORIZON_ALIASES.get(base.upper() if base.upper() in HORIZON_ALIASES else base, base)
    if anchor:
        alias += "-" + anchor
    try:
        pd.tseries.frequencies.to_offset(alias)
    except ValueError:
        raise SpecificationError(f"unknown horizon {horizon!r}; use M, Q, A or a pandas offset alias "
                                 "(ME, QE, YE, W, W-FRI, 2W, …)") from None
    return alias


@dataclass(frozen=True)
class Period:
    """Positions of one period in the date index: rows ``first … last`` (inclusive)."""

    end: pd.Timestamp
    base: pd.Timestamp
    first: int
    last: int

    @property
    def rows(self) -> int:
        """Number of observations in the period."""
        return self.last - self.first + 1

    @property
    def calendar_days(self) -> int:
        """Calendar days from the base date to the last date."""
        return int((self.end - self.base).days)


def make_periods(dates: pd.DatetimeIndex, horizon: str, min_rows: int = 1) -> list[Period]:
    """Split ``dates`` into periods by the pandas resample bins of ``horizon``.

    The period's end is its last actual date (as the prototype's ``x.index[-1]``); periods with
    fewer than ``min_rows`` observations are skipped (the prototype skips < 2).
    """
    alias = normalise_horizon(horizon)
    positions = pd.Series(np.arange(len(dates)), index=dates)
    lasts = positions.resample(alias).last().dropna().astype(int).to_numpy()
    periods = []
    previous = 0
    for last in lasts:
        first = previous + 1
        if last >= first and last - first + 1 >= min_rows:
            periods.append(Period(end=dates[last], base=dates[first - 1], first=first, last=last))
        previous = max(previous, last)
    return periods


class PeriodData(Mapping[str, Any]):
    """Everything one period's solve may read, as a read-only mapping.

    Keys (arrays have one entry per instrument, in universe order):

    ===================  =================================================================
    key                  meaning
    ===================  =================================================================
    period_end, base     last date of the period; date the decision is taken (Timestamp)
    period               label ``YYYY-MM-DD`` of ``period_end``
    instruments, n       names and count
    rows, calendar_days  observations in the period; calendar days base → end
    spread_changes       realised daily changes in the period (rows × n, bp)
    desk_pnl             realised daily desk PnL in the period (rows, $mm)
    expected_change      spread change per instrument the objective expects over the
                         period (hindsight: the realised total; walk-forward: forecast, 0)
    risk_changes,        daily changes and desk PnL the risk estimate uses (hindsight: the
    risk_desk_pnl        period's own; walk-forward: a trailing window before ``base``)
    horizon_rows         daily variance × horizon_rows = variance over the period
    spread_start         spread level carry and roll use (bp)
    coupon_bp, bid_ask_bp, recovery, n_names, roll_fraction
                         instrument fields
    currency             each instrument's currency (list of codes)
    maturity_years       remaining maturity at ``base`` (years): the on-the-run series'
                         20 Jun / 20 Dec maturity, or the fixed ``maturity_years``
    rpv01                risky annuity at ``spread_start`` and ``maturity_years`` (years)
    fx_rate              reporting-currency units per unit of the instrument's currency
                         at ``base`` (1 for the reporting currency, and for every
                         instrument when the market has no FX series); every built-in
                         term multiplies its amount by it
    reporting_currency   currency of the amounts (the desk PnL's)
    amount_currency      currency each instrument's amounts are in after conversion (the
                         reporting one, or its own when there is no FX series)
    roll_count           index roll dates of each instrument in (base, period_end]
    carry_rate_bp        coupon or spread, per the conventions
    carry_annuity        RPV01 (market) or 1 (seed)
    carry_accrual,       year fractions of the period for carry and roll-down
    roll_accrual
    pnl_scale, carry_scale, roll_scale
                         the conventions' scale factors
    cs01_min, cs01_max   box limits ($mm/bp)
    h_prev               holdings carried from the previous period ($mm/bp)
    mode, conventions    ``hindsight``/``walk-forward`` and the conventions' name
    ===================  =================================================================

    Reading a key that is not there raises :class:`~cdshedge_cvx.errors.DataError`. Values
    that need the holiday calendars (``maturity_years``, ``rpv01``, ``roll_count`` and, under
    market conventions, ``carry_annuity``) are computed on first read, so a backtest whose
    terms and limits never read them does not pay for them.
    """

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __getitem__(self, key: str) -> Any:
        try:
            value = self._values[key]
        except KeyError:
            period = self._values.get("period", "?")
            available = ", ".join(sorted(self._values))
            raise DataError(f"period {period}: no data key {key!r}; available: {available}") from None
        if isinstance(value, _Deferred):
            value = value.compute()
            self._values[key] = value
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default`` when the period has no such key."""
        return self[key] if key in self._values else default

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (Dask, process pools) with every value computed; values that are windows into
        the builder's whole-series arrays stay views of them, so a result's periods share one copy
        of each series instead of carrying a copy of their trailing window each."""
        return (PeriodData, ({key: _shared_view(self[key]) for key in self._values},))

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def replace(self, **changes: Any) -> PeriodData:
        """A copy with some keys changed or added (e.g. ``h_prev`` or a user's own key)."""
        return PeriodData({**self._values, **changes})

    def __repr__(self) -> str:
        return f"PeriodData(period={self._values.get('period')!r}, keys={len(self._values)})"


class _View:
    """Pickles a view of a larger array as (that array, offset, shape, strides): pickle's memo
    writes the larger array once however many views of it are pickled together."""

    def __init__(self, view: np.ndarray) -> None:
        self.view = view

    def __reduce__(self) -> tuple[Any, ...]:
        view = self.view
        base = view.base
        offset = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
        return (_rebuild_view, (base, offset, view.shape, view.strides, view.dtype.str))


def _rebuild_view(base: np.ndarray, offset: int, shape: tuple[int, ...], strides: tuple[int, ...],
                  dtype: str) -> np.ndarray:
    flat = base.reshape(-1, order="A")  # a view: ``base`` is C- or F-contiguous
    start = flat[offset // flat.itemsize:]
    return np.lib.stride_tricks.as_strided(start, shape=shape, strides=strides).view(np.dtype(dtype))


def _shared_view(value: Any) -> Any:
    """``value`` wrapped in :class:`_View` when it is a view into a contiguous array that owns its data."""
    if not isinstance(value, np.ndarray) or not isinstance(value.base, np.ndarray):
        return value
    base = value.base
    contiguous = base.flags.c_contiguous or base.flags.f_contiguous
    if base.base is not None or not contiguous or base.dtype != value.dtype or value.dtype.hasobject:
        return value
    offset = value.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    if not 0 <= offset < base.nbytes:
        return value
    return _View(value)


class _Deferred:
    """A :class:`PeriodData` value computed when it is first read."""

    __slots__ = ("compute",)

    def __init__(self, compute: Callable[[], Any]) -> None:
        self.compute = compute


class PeriodBuilder:
    """Turns a market, a universe and conventions into one :class:`PeriodData` per period.

    Parameters
    ----------
    spreads : DataFrame
        Spreads with columns in universe order (see :meth:`MarketData.for_universe`).
    desk_pnl : Series
        Desk PnL on the same dates.
    universe : Universe
    conventions : Conventions
    horizon : str
        Rebalancing frequency (M, Q, A, W-FRI, …).
    mode : {"hindsight", "walk-forward"}
    window : int
        Walk-forward: trailing observations used for risk, ending with the base date (strictly
        before the period's first row).
    min_history : int
        Walk-forward: periods with fewer trailing observations are skipped (warm-up).
    forecast : DataFrame, optional
        Walk-forward: expected spread change over each period, indexed by period end; missing
        means zero.
    roll_jumps : DataFrame, optional
        Part of each daily change that is a generic-series roll jump, removed from changes.
    fx : DataFrame, optional
        FX rates on the spreads' dates, one column per currency: reporting-currency units per
        unit of that currency (``EUR`` = EURUSD when reporting in USD). ``None``: no
        conversion, each instrument's amounts stay in its own currency.
    reporting_currency : str
        Currency of the desk PnL and of converted amounts.
    extra : mapping, optional
        Additional keys for users' own terms: a value per key, either a constant or a
        callable ``f(period) -> value``.
    """

    def __init__(self, spreads: pd.DataFrame, desk_pnl: pd.Series, universe: Universe,
                 conventions: Conventions, horizon: str = "M", mode: Mode = "hindsight", *,
                 window: int = 252, min_history: int = 20, forecast: pd.DataFrame | None = None,
                 roll_jumps: pd.DataFrame | None = None, fx: pd.DataFrame | None = None,
                 reporting_currency: str = "USD", extra: Mapping[str, Any] | None = None) -> None:
        if mode not in ("hindsight", "walk-forward"):
            raise SpecificationError(f"unknown mode {mode!r}; use 'hindsight' or 'walk-forward'")
        if window < 2 or min_history < 2:
            raise SpecificationError("window and min_history must be at least 2 observations")
        if mode == "walk-forward" and window < min_history:
            raise SpecificationError(f"window ({window}) is shorter than min_history ({min_history}): every risk "
                                     "sample would have fewer observations than required; raise the window")
        self.universe = universe
        self.conventions = conventions
        self.mode = mode
        self.window = int(window)
        self.min_history = int(min_history)
        self.forecast = forecast
        self.extra = dict(extra or {})
        self.dates = pd.DatetimeIndex(spreads.index)
        self.levels = spreads.to_numpy(dtype=float)
        self.desk = desk_pnl.to_numpy(dtype=float)
        whole = np.vstack([np.zeros((1, self.levels.shape[1])), np.diff(self.levels, axis=0)])
        if roll_jumps is not None:
            jumps = roll_jumps.reindex(index=self.dates, columns=spreads.columns).fillna(0.0).to_numpy()
            whole = whole - jumps
        self.whole_changes = whole
        min_rows = conventions.min_rows
        periods = make_periods(self.dates, horizon, min_rows)
        if mode == "walk-forward":
            periods = [p for p in periods if p.first >= self.min_history + 1]
        if not periods:
            raise DataError(f"no period of horizon {horizon!r} has enough data "
                            f"({len(self.dates)} dates {self.dates[0].date()} … {self.dates[-1].date()})")
        self.periods = periods
        self.reporting_currency = str(reporting_currency).upper()
        self.has_fx = fx is not None
        self._fx = self._fx_rates(fx)
        self._row = {p.end: k for k, p in enumerate(periods)}
        self._static = {
            "instruments": universe.names, "n": len(universe),
            "coupon_bp": universe.vector("coupon_bp"), "bid_ask_bp": universe.vector("bid_ask_bp"),
            "recovery": universe.vector("recovery"), "currency": [i.currency for i in universe],
            "reporting_currency": self.reporting_currency,
            "amount_currency": amount_currencies([i.currency for i in universe], self.reporting_currency, self.has_fx),
            "n_names": universe.vector("n_names"),
            "roll_fraction": (np.full(len(universe), conventions.roll_fraction)
                              if conventions.roll_fraction is not None else universe.vector("roll_fraction")),
            "cs01_min": universe.lower, "cs01_max": universe.upper,
            "pnl_scale": conventions.pnl_scale, "carry_scale": conventions.carry_scale,
            "roll_scale": conventions.roll_scale, "mode": mode, "conventions": conventions.name,
        }

    def _fx_rates(self, fx: pd.DataFrame | None) -> np.ndarray:
        """Daily FX factor per instrument (rows × n): 1 for the reporting currency."""
        factors = np.ones((len(self.dates), len(self.universe)))
        if fx is None:
            return factors
        aligned = fx.reindex(self.dates)
        for j, instrument in enumerate(self.universe):
            currency = instrument.currency.upper()
            if currency == self.reporting_currency:
                continue
            if currency not in aligned.columns:
                raise DataError(f"instrument {instrument.name!r} is in {currency} but the FX series has no {currency} "
                                f"column (columns: {', '.join(map(str, aligned.columns))}); add {currency}"
                                f"{self.reporting_currency} rates")
            column = aligned[currency].to_numpy(dtype=float)
            bad = np.flatnonzero(~(np.isfinite(column) & (column > 0)))
            if bad.size:
                raise DataError(f"FX series, column {currency!r}: no positive rate for {self.dates[bad[0]].date()} "
                                f"(instrument {instrument.name!r})")
            factors[:, j] = column
        return factors

    @functools.cached_property
    def _maturities(self) -> np.ndarray:
        """Remaining maturity of every instrument at every period's base date (periods × n)."""
        bases = pd.DatetimeIndex([p.base for p in self.periods])
        return np.column_stack([remaining_maturity(i, bases) for i in self.universe])

    @functools.cached_property
    def _roll_counts(self) -> np.ndarray:
        """Roll dates of every instrument inside every period (periods × n)."""
        bases = pd.DatetimeIndex([p.base for p in self.periods])
        ends = pd.DatetimeIndex([p.end for p in self.periods])
        return np.column_stack([roll_counts(i, bases, ends) for i in self.universe]).astype(float)

    @property
    def unconverted(self) -> list[str]:
        """Instruments whose amounts stay in their own currency, which is not the reporting one
        (the market has no FX series)."""
        if self.has_fx:
            return []
        return [i.name for i in self.universe if i.currency.upper() != self.reporting_currency]

    def __len__(self) -> int:
        return len(self.periods)

    def __iter__(self) -> Iterator[PeriodData]:
        for period in self.periods:
            yield self.build(period)

    def period_changes(self, period: Period) -> np.ndarray:
        """Realised daily changes of ``period`` under the conventions."""
        if self.conventions.changes == "within-period":
            block = self.levels[period.first:period.last + 1]
            return np.vstack([np.zeros((1, block.shape[1])), np.diff(block, axis=0)])
        return self.whole_changes[period.first:period.last + 1]

    def build(self, period: Period) -> PeriodData:
        """The :class:`PeriodData` of one period."""
        from cdshedge_cvx.credit._analytics import rpv01

        conv = self.conventions
        changes = self.period_changes(period)
        desk = self.desk[period.first:period.last + 1]
        # walk-forward never reads a level after the base date, whatever the conventions say
        first_row = conv.spread_start == "first-row" and self.mode == "hindsight"
        start_row = period.first if first_row else period.first - 1
        spread_start = self.levels[start_row]
        static = self._static
        if self.mode == "hindsight":
            expected = changes.sum(axis=0)
            risk_changes, risk_desk = changes, desk
        else:
            lo = max(1, period.first - self.window)
            risk_changes = self.whole_changes[lo:period.first]
            risk_desk = self.desk[lo:period.first]
            expected = np.zeros(changes.shape[1])
            if self.forecast is not None and period.end in self.forecast.index:
                expected = self.forecast.loc[period.end, self.universe.names].to_numpy(dtype=float)
        k = self._row.get(period.end)
        own = k is not None and self.periods[k] == period
        recovery = static["recovery"]

        @functools.cache
        def maturity() -> np.ndarray:
            if own:
                return self._maturities[k]
            # a period the builder did not make itself
            return np.array([remaining_maturity(i, [period.base])[0] for i in self.universe])

        def rolls() -> np.ndarray:
            if own:
                return self._roll_counts[k].copy()
            return np.array([roll_counts(i, pd.DatetimeIndex([period.base]), pd.DatetimeIndex([period.end]))[0]
                             for i in self.universe], dtype=float)

        @functools.cache
        def annuity_value() -> np.ndarray:
            return rpv01(spread_start, maturity(), recovery)

        annuity = _Deferred(annuity_value) if conv.carry_annuity else np.ones_like(spread_start)
        values: dict[str, Any] = dict(static)
        values.update(
            period_end=period.end, base=period.base, period=str(period.end.date()),
            rows=period.rows, calendar_days=period.calendar_days,
            spread_changes=changes, desk_pnl=desk, expected_change=expected,
            risk_changes=risk_changes, risk_desk_pnl=risk_desk, horizon_rows=period.rows,
            spread_start=spread_start, maturity_years=_Deferred(maturity), rpv01=_Deferred(annuity_value),
            fx_rate=self._fx[period.first - 1].copy(), roll_count=_Deferred(rolls),
            carry_rate_bp=static["coupon_bp"] if conv.carry_rate == "coupon" else spread_start,
            carry_annuity=annuity,
            carry_accrual=year_fraction(conv.carry_day_count, rows=period.rows, calendar_days=period.calendar_days),
            roll_accrual=year_fraction(conv.roll_day_count, rows=period.rows, calendar_days=period.calendar_days),
            h_prev=np.zeros(len(self.universe)),
        )
        for key, value in self.extra.items():
            values[key] = value(period) if callable(value) else value
        return PeriodData(values)
