"""The builder of every period's :class:`~cdshedge_cvx.periods.PeriodData`: raw facts only.

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
* the ISDA contract figures (market conventions): the contract held, the discount curve and the
  spread at the base date;
* limits, instrument fields and the holdings carried from the previous decision.

The period's own realised values (``spread_changes``, ``desk_pnl``) are *sealed* in the
:class:`PeriodData` of a walk-forward decision: a term or limit that reads one gets an error
naming it; the attribution opens them with :meth:`PeriodData.realised` after the solve.

The *schedule* is treated as known in advance: the period's dates (its number of observations,
which scales the daily variance to the horizon, and its calendar days for accrual) come from
the data's date index. No value dated after the base date is read; the realised PnL of the
decision (:attr:`HedgeResult.pnl`) is then measured on the period's own data, out of sample.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from cdshedge_cvx.credit._conventions import Conventions
from cdshedge_cvx.credit._rolls import remaining_maturity, roll_counts
from cdshedge_cvx.errors import DataError, SpecificationError
from cdshedge_cvx.market._currencies import amount_currencies
from cdshedge_cvx.market._instruments import Universe
from cdshedge_cvx.market._quotes import contract_maturities, contract_maturity_days
from cdshedge_cvx.market._rates import RateQuotes
from cdshedge_cvx.periods._period_data import Deferred, PeriodData
from cdshedge_cvx.periods._schedule import Mode, Period, make_periods

__all__ = ["PeriodBuilder"]


#: Contracts (periods × instruments) whose figures are priced in one pass: bounds the memory of a long,
#: wide backtest (500 instruments × 15 years daily: 131-period blocks).
_PANEL_CONTRACTS = 65_536

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
        callable ``f(data) -> value`` called with the period's :class:`PeriodData`.
    rates : RateQuotes, optional
        Interest-rate quotes: each period's discount curve per currency at its base date (cached per
        date and currency). ``None``: r = 0 (a flat zero curve), which ``rates_note`` says.
    calendar : DatetimeIndex, optional
        The observation dates before the missing-data policy dropped any
        (:attr:`MarketData.calendar`): each period's ``rows`` counts them, so a dropped value
        never changes the schedule.
    """

    def __init__(self, spreads: pd.DataFrame, desk_pnl: pd.Series, universe: Universe,
                 conventions: Conventions, horizon: str = "M", mode: Mode = "hindsight", *,
                 window: int = 252, min_history: int = 20, forecast: pd.DataFrame | None = None,
                 roll_jumps: pd.DataFrame | None = None, fx: pd.DataFrame | None = None,
                 reporting_currency: str = "USD", extra: Mapping[str, Any] | None = None,
                 rates: RateQuotes | None = None, calendar: pd.DatetimeIndex | None = None,
                 tenor_spreads: Mapping[str, Any] | None = None, tenor_spreads_source: str = "tenor spreads") -> None:
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
        self.rates = RateQuotes.flat(0.0) if rates is None else rates
        self.tenor_spreads = dict(tenor_spreads or {})  # name -> TenorSeries on these dates (roll-down slopes)
        self.tenor_spreads_source = tenor_spreads_source
        rates_note = ("none given: r = 0 assumed (flat zero discount curve)" if rates is None
                      else rates.describe())
        self.dates = pd.DatetimeIndex(spreads.index)
        self.levels = spreads.to_numpy(dtype=float)
        self.desk = desk_pnl.to_numpy(dtype=float)
        whole = np.vstack([np.zeros((1, self.levels.shape[1])), np.diff(self.levels, axis=0)])
        if roll_jumps is not None:
            jumps = roll_jumps.reindex(index=self.dates, columns=spreads.columns).fillna(0.0).to_numpy()
            whole = whole - jumps
        self.whole_changes = whole
        min_rows = conventions.min_rows
        periods = make_periods(self.dates, horizon, min_rows, calendar=calendar)
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
        currencies = [i.currency for i in universe]
        self._static: dict[str, Any] = {
            "instruments": universe.names, "currency": currencies, "reporting_currency": self.reporting_currency,
            "amount_currency": amount_currencies(currencies, self.reporting_currency, self.has_fx),
            "coupon_bp": universe.vector("coupon_bp"), "bid_ask_bp": universe.vector("bid_ask_bp"),
            "recovery": universe.vector("recovery"), "n_names": universe.vector("n_names"),
            "roll_fraction": universe.vector("roll_fraction"), "cs01_min": universe.lower,
            "cs01_max": universe.upper, "mode": mode, "conventions": conventions,
            "index_factor": universe.vector("index_factor"), "rates_note": rates_note,
            "roll_slope_bp_per_year": np.array([np.nan if i.roll_slope_bp_per_year is None
                                                else float(i.roll_slope_bp_per_year) for i in universe]),
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
        return np.column_stack(_shared(self.universe, lambda i: remaining_maturity(i, bases)))

    @functools.cached_property
    def _roll_counts(self) -> np.ndarray:
        """Roll dates of every instrument inside every period (periods × n)."""
        bases = pd.DatetimeIndex([p.base for p in self.periods])
        ends = pd.DatetimeIndex([p.end for p in self.periods])
        return np.column_stack(_shared(self.universe, lambda i: roll_counts(i, bases, ends))).astype(float)

    @functools.cached_property
    def _contract_maturities(self) -> np.ndarray:
        """Maturity of the contract every instrument holds at every period's base date (periods × n)."""
        bases = pd.DatetimeIndex([p.base for p in self.periods])
        return np.column_stack(_shared(self.universe, lambda i: contract_maturity_days(bases, i)))

    @functools.cached_property
    def _curves_at(self) -> dict[Any, tuple[Any, ...]]:
        """:meth:`_curves` already built, by base date (the batch and each period read the same ones)."""
        return {}

    @functools.cached_property
    def _currencies(self) -> tuple[list[str], np.ndarray]:
        """The universe's currencies in order of first appearance, and each instrument's index among them."""
        currencies = list(dict.fromkeys(i.currency for i in self.universe))
        return currencies, np.asarray([currencies.index(i.currency) for i in self.universe], dtype=np.int64)

    def _currency_curves(self, base: pd.Timestamp) -> tuple[Any, ...]:
        """The discount curve of each currency (:attr:`_currencies` order) at ``base``, cached."""
        cached = self._curves_at.get(base)
        if cached is None:
            cached = self._curves_at[base] = tuple(self.rates.curve(base, c) for c in self._currencies[0])
        return cached

    def _curves(self, base: pd.Timestamp) -> tuple[Any, ...]:
        """Each instrument's discount curve at ``base`` (one per currency, cached by the rates)."""
        by_currency = self._currency_curves(base)
        return tuple(by_currency[k] for k in self._currencies[1])

    def _start_row(self, period: Period) -> int:
        """The row of the spread level the period's terms start from."""
        # walk-forward never reads a level after the base date, whatever the conventions say
        first_row = self.conventions.spread_start == "first-row" and self.mode == "hindsight"
        return period.first if first_row else period.first - 1

    @functools.cached_property
    def _figure_quotes(self) -> list[dict[str, np.ndarray]] | None:
        """The ISDA quotes behind every period's contract figures, priced in one batch on first read
        (:func:`~cdshedge_cvx.credit._contract.per_cs01_quotes_batch`: the same numbers as one pricing per
        period). ``None`` when some period's inputs are refused: each period then prices its own contracts,
        and the refused one raises its own error, naming its inputs, when its figures are read."""
        from cdshedge_cvx.credit._contract import per_cs01_quotes_batch
        from cdshedge_cvx.periods._figures import figures_request

        static = self._static
        requests = [figures_request(period.base, self._contract_maturities[k], self.levels[self._start_row(period)],
                                    static["coupon_bp"], static["recovery"], self._curves(period.base),
                                    static["n_names"], static["index_factor"], period.calendar_days)
                    for k, period in enumerate(self.periods)]
        try:
            return per_cs01_quotes_batch(requests)
        except (DataError, SpecificationError):
            return None

    @functools.cached_property
    def _figure_inputs(self) -> dict[str, Any] | None:
        """The inputs of :func:`~cdshedge_cvx.credit._figure_panel.figure_panel` for every period (arrays with
        one row per period), the period blocks they are priced in, and a cache of priced blocks; ``None`` when
        there are no periods or a curve is refused (each period then prices its own contracts and names it)."""
        from cdshedge_cvx.periods._figures import priced_days

        if not self.periods:
            return None
        static = self._static
        maturity = np.asarray(self._contract_maturities, dtype="datetime64[D]")
        bases = pd.DatetimeIndex([period.base for period in self.periods])
        base_days = bases.values.astype("datetime64[D]")
        # the rows the periods' terms start from (_start_row: the same offset from each period's first row)
        first = np.fromiter((period.first for period in self.periods), dtype=np.int64, count=len(self.periods))
        spreads = self.levels[first + (self._start_row(self.periods[0]) - self.periods[0].first)]
        slope = np.where(np.isnan(static["roll_slope_bp_per_year"]), static["roll_fraction"] * spreads,
                         static["roll_slope_bp_per_year"])
        # Period.calendar_days of every period, in one vectorised difference
        calendar_days = np.asarray((pd.DatetimeIndex([period.end for period in self.periods]) - bases).days,
                                   dtype=np.int64)
        try:
            if self.rates.is_flat:  # a flat curve is the same from any date: one per currency (figure_panel)
                curves = [self._currency_curves(bases[0])] * len(bases)
            else:
                curves = [self._currency_curves(base) for base in bases]
        except (DataError, SpecificationError):
            return None
        # blocks of about _PANEL_CONTRACTS contracts (the memory of a block's arrays), the last one not short
        size = max(1, _PANEL_CONTRACTS // max(1, len(self.universe)))
        count = max(1, round(len(self.periods) / size))
        edges = np.linspace(0, len(self.periods), count + 1).round().astype(int)
        return {"maturity": maturity, "base_days": base_days, "spreads": spreads, "slope": slope,
                "calendar_days": calendar_days, "priced_days": priced_days(base_days, maturity, calendar_days),
                "curves": curves, "edges": edges, "bounds": edges.tolist(), "priced": {}}

    def _figure_panel(self, k: int) -> Any:
        """Period ``k``'s block of periods priced in one vectorised pass
        (:func:`~cdshedge_cvx.credit._figure_panel.figure_panel`: per-grid Chebyshev tables of the ISDA solve, the
        per-period numbers to about 1e-13 relative) as ``(first period, figures over the priced days, each period's
        figures scaled to it -- ``None`` with tenor spreads, whose roll-down is the period's own --, priced days)``;
        ``None`` when the block is too small for the tables to pay or some input is refused (its periods are then
        priced through :attr:`_figure_quotes`). Only the blocks next to the one read are kept (a walk-forward run
        reads the periods in order)."""
        inputs = self._figure_inputs
        if inputs is None:
            return None
        block = bisect.bisect_right(inputs["bounds"], k) - 1
        priced = inputs["priced"]
        if block in priced:
            return priced[block]
        from cdshedge_cvx.credit._figure_panel import figure_panel

        lo, hi = int(inputs["edges"][block]), int(inputs["edges"][block + 1])
        rows = slice(lo, hi)
        static = self._static
        try:
            panel = figure_panel(inputs["base_days"][rows], inputs["maturity"][rows], inputs["spreads"][rows],
                                 static["coupon_bp"], static["recovery"], static["n_names"], static["index_factor"],
                                 inputs["slope"][rows], inputs["curves"][rows], self._currencies[1],
                                 inputs["priced_days"][rows])
        except (DataError, SpecificationError):
            panel = None
        found = None
        if panel is not None:
            # a period longer than the contracts allow: carry, cash carry and roll-down scaled back to it
            # (contract_figures), the same products row by row (none: the figures as priced)
            scale = (inputs["calendar_days"][rows] / inputs["priced_days"][rows])[:, None]
            scaled = panel if np.all(scale == 1.0) else dataclasses.replace(
                panel, carry=panel.carry * scale, carry_cash=panel.carry_cash * scale,
                roll_down=panel.roll_down * scale)
            # each period's figures, built once for the block (the period's own roll-down slopes: per period)
            found = (lo, panel, None if self.tenor_spreads else scaled.rows(), inputs["priced_days"][rows])
        for old in [b for b in priced if abs(b - block) > 1]:
            del priced[old]
        priced[block] = found
        return found

    def _period_figures(self, k: int, data: PeriodData) -> Any:
        """Period ``k``'s contract figures: a row of its block (:meth:`_figure_panel`), else from the batch
        (:attr:`_figure_quotes`)."""
        inputs = self._figure_inputs
        # the block already priced (most reads): its row without another call
        found = None if inputs is None else inputs["priced"].get(bisect.bisect_right(inputs["bounds"], k) - 1)
        if found is None:
            found = self._figure_panel(k)
        if found is not None and found[2] is not None:
            return found[2][k - found[0]]
        from cdshedge_cvx.periods._figures import contract_figures

        if found is not None:  # the period's own roll-down slopes (periods/_roll_slopes.py)
            lo, panel, _, priced_days = found
            return contract_figures(data, priced=panel.row(k - lo), priced_days=int(priced_days[k - lo]))
        quotes = self._figure_quotes
        return contract_figures(data, None if quotes is None else quotes[k])

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

    def build(self, period: Period, h_prev: np.ndarray | None = None) -> PeriodData:
        """The :class:`PeriodData` of one period, holding ``h_prev`` (zero by default), with the
        ``extra`` keys added (a callable is called with the period's data)."""
        changes = self.period_changes(period)
        desk = self.desk[period.first:period.last + 1]
        start_row = self._start_row(period)
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

        def contract_maturity() -> np.ndarray:
            if own:
                return self._contract_maturities[k]
            return np.array([contract_maturities([period.base], i)[0] for i in self.universe], dtype="datetime64[D]")

        holdings = np.zeros(len(self.universe)) if h_prev is None else np.array(h_prev, dtype=float)
        static = self._static
        if self.tenor_spreads:  # roll-down slopes from the other tenors' curve (periods/_roll_slopes.py)
            from cdshedge_cvx.periods._roll_slopes import period_roll_slopes

            slopes = period_roll_slopes(self.universe.names, self.tenor_spreads, start_row, period.base,
                                        contract_maturity(), self.levels[start_row], period.calendar_days,
                                        static["roll_slope_bp_per_year"], self.tenor_spreads_source)
            static = {**static, "roll_slope_bp_per_year": slopes}
        data = PeriodData(
            **static, period=str(period.end.date()), period_end=period.end, base=period.base,
            rows=period.rows, calendar_days=period.calendar_days, spread_start=self.levels[start_row],
            spread_changes=changes, expected_change=expected, risk_changes=risk_changes, risk_desk_pnl=risk_desk,
            desk_pnl=desk, fx_rate=self._fx[period.first - 1].copy(), h_prev=holdings,
            _lazy={"maturity_years": Deferred(maturity), "roll_count": Deferred(rolls),
                   "contract_maturity": Deferred(contract_maturity),
                   "curves": Deferred(functools.partial(self._curves, period.base))},
            # walk-forward: the period's own realised data is sealed until the decision is measured
            _sealed={"spread_changes": changes, "desk_pnl": desk} if self.mode == "walk-forward" else {},
        )
        if own:  # the figures of all periods are priced together on the first read of one
            data._lazy["figures"] = Deferred(functools.partial(self._period_figures, k, data))
        return data.with_extra(self.extra)


def _shared(universe: Universe, compute: Callable[[Any], np.ndarray]) -> list[np.ndarray]:
    """``compute(instrument)`` for each instrument, once per calendar rule (instruments on the same roll
    calendar share their maturities and roll dates: 125 indices are a few calendar computations)."""
    done: dict[tuple[Any, ...], np.ndarray] = {}
    out = []
    for instrument in universe:
        key = (instrument.rule, instrument.maturity_years, instrument.tenor_years, instrument.roll_lag_days,
               instrument.roll_calendar)
        if key not in done:
            done[key] = compute(instrument)
        out.append(done[key])
    return out
