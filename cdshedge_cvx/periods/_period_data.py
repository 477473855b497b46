"""The data of one period: a frozen dataclass of the raw period, readable as a mapping.

Terms and limits read it with ``data["key"]`` (a missing key raises a
:class:`~cdshedge_cvx.errors.DataError` naming the period and listing the keys) or by attribute
(``data.spread_start``). It holds the period's raw facts only; each term derives its own
coefficients from them and from ``data["conventions"]`` (a new term never needs a change here).
Users' own keys live in :attr:`PeriodData.extra`.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cdshedge_cvx.errors import DataError, SpecificationError, naming

if TYPE_CHECKING:
    from cdshedge_cvx.credit._conventions import Conventions

__all__ = ["REALISED_KEYS", "Deferred", "PeriodData"]

#: Keys dated after the decision (the period's own realised data): sealed in walk-forward.
REALISED_KEYS = ("spread_changes", "desk_pnl")

_EMPTY: Mapping[str, Any] = types.MappingProxyType({})


class Deferred:
    """A value of :class:`PeriodData` computed when it is first read (the calendar facts)."""

    __slots__ = ("compute",)

    def __init__(self, compute: Callable[[], Any]) -> None:
        self.compute = compute


@dataclass(frozen=True, eq=False, repr=False, init=False)
class PeriodData(Mapping[str, Any]):
    """Everything one period's solve may read (arrays: one entry per instrument, universe order).

    Attributes
    ----------
    period : str
        Label ``YYYY-MM-DD`` of ``period_end``.
    period_end, base : Timestamp
        Last date of the period; date the decision is taken.
    rows, calendar_days : int
        Observations in the period; calendar days base → end.
    mode : str
        ``"hindsight"`` or ``"walk-forward"``.
    conventions : Conventions
        The arithmetic conventions (scales, rates, day counts) the terms derive their
        coefficients from.
    instruments : list of str
        Instrument names.
    currency, amount_currency : list of str
        Each instrument's currency; the currency its amounts are in after conversion (the
        reporting one, or its own when the market has no FX series).
    reporting_currency : str
        Currency of the amounts (the desk PnL's).
    coupon_bp, bid_ask_bp, recovery, n_names, roll_fraction, index_factor : ndarray
        Instrument fields (``roll_fraction``: the instrument's own roll-down per year).
    roll_slope_bp_per_year : ndarray
        The instruments' credit-curve slopes (bp per year), NaN where not given.
    rates_note : str
        The interest rates the contracts are priced with (their description, or that r = 0 is assumed).
    cs01_min, cs01_max : ndarray
        The CS01 box ($mm/bp).
    spread_start : ndarray
        Spread level carry and roll use (bp; per the conventions, the base date's).
    spread_changes : ndarray, shape (rows, n)
        Realised daily changes in the period (bp).
    expected_change : ndarray
        Spread change the objective expects over the period (hindsight: the realised total;
        walk-forward: the forecast, 0 by default).
    risk_changes, risk_desk_pnl : ndarray
        Daily changes and desk PnL the risk estimate uses (hindsight: the period's own;
        walk-forward: a trailing window ending with ``base``).
    desk_pnl : ndarray
        Realised daily desk PnL in the period.

        In walk-forward, ``spread_changes`` and ``desk_pnl`` (:data:`REALISED_KEYS`) are *sealed*:
        dated after the decision, reading them (``data["desk_pnl"]``) raises a
        :class:`~cdshedge_cvx.errors.SpecificationError` naming the period (and, during a solve,
        the term or limit); by attribute they are ``None``. :meth:`realised` opens them for
        measuring the decision afterwards.
    fx_rate : ndarray
        Reporting-currency units per unit of each instrument's currency at ``base`` (1 without
        an FX series).
    h_prev : ndarray
        Holdings carried from the previous period ($mm/bp).
    maturity_years, roll_count, rpv01 : ndarray
        Computed on first read: remaining maturity at ``base`` (years), index roll dates in
        (base, period_end], risky annuity at ``spread_start`` and ``maturity_years``.
    contract_maturity : ndarray of datetime64[D]
        Computed on first read: maturity of the contract each instrument holds at ``base``.
    curves : tuple of YieldCurve
        Computed on first read: the discount curve of each instrument's currency at ``base``.
    figures : ContractFigures
        Computed once, on first read: the ISDA figures per unit of CS01 of every instrument at ``base``
        (:func:`~cdshedge_cvx.periods.contract_figures`): notional, carry, roll-down, jump-to-default.
    extra : mapping
        Users' own keys (``extra_data=`` of :func:`~cdshedge_cvx.backtest`), read-only.

    Notes
    -----
    As a mapping it also offers ``n`` (number of instruments), ``horizon_rows`` (= ``rows``:
    daily variance × horizon_rows = variance over the period) and the conventions' scale factors
    ``pnl_scale``, ``carry_scale``, ``roll_scale``. ``PeriodData(mapping)`` builds one from a
    mapping (keys that are not fields go to ``extra``); a field left out is absent: reading it
    with ``data["key"]`` raises :class:`~cdshedge_cvx.errors.DataError`, by attribute gives
    ``None``.
    """

    period: str | None = None
    period_end: pd.Timestamp | None = None
    base: pd.Timestamp | None = None
    rows: int | None = None
    calendar_days: int | None = None
    mode: str | None = None
    conventions: Conventions | None = None
    instruments: list[str] | None = None
    currency: list[str] | None = None
    amount_currency: list[str] | None = None
    reporting_currency: str | None = None
    coupon_bp: np.ndarray | None = None
    bid_ask_bp: np.ndarray | None = None
    recovery: np.ndarray | None = None
    n_names: np.ndarray | None = None
    roll_fraction: np.ndarray | None = None
    index_factor: np.ndarray | None = None
    roll_slope_bp_per_year: np.ndarray | None = None
    rates_note: str | None = None
    cs01_min: np.ndarray | None = None
    cs01_max: np.ndarray | None = None
    spread_start: np.ndarray | None = None
    spread_changes: np.ndarray | None = None
    expected_change: np.ndarray | None = None
    risk_changes: np.ndarray | None = None
    risk_desk_pnl: np.ndarray | None = None
    desk_pnl: np.ndarray | None = None
    fx_rate: np.ndarray | None = None
    h_prev: np.ndarray | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    #: the calendar facts, given or :class:`Deferred` (computed and kept on first read)
    _lazy: dict[str, Any] = field(default_factory=dict)
    #: derived keys left out of the mapping the data was built from (absent although computable)
    _hidden: frozenset[str] = frozenset()
    #: realised values withheld from the decision (walk-forward): reading one raises; see :meth:`realised`
    _sealed: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    def __init__(self, values: Mapping[str, Any] | None = None, /, **fields: Any) -> None:
        state: dict[str, Any] = dict.fromkeys(_FIELDS)
        lazy: dict[str, Any] = dict(fields.pop("_lazy", None) or {})
        sealed: dict[str, Any] = dict(fields.pop("_sealed", None) or {})
        extra: dict[str, Any] = dict(fields.pop("extra", None) or {})
        hidden = set(fields.pop("_hidden", None) or ())
        unknown = [key for key in fields if key not in _FIELDS and key not in _LAZY]
        if unknown:
            raise TypeError(f"PeriodData() got unexpected keyword argument(s) {unknown}; users' keys go in extra=")
        if values is not None:  # exactly the mapping's keys: a derived key it leaves out is absent
            values = dict(values)
            _route(values, state, lazy, extra)
            hidden |= {key for key in (*_DERIVED, "rpv01", "figures") if key not in values}
        _route(fields, state, lazy, extra)
        for name, value in state.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "extra", types.MappingProxyType(extra))
        object.__setattr__(self, "_lazy", lazy)
        object.__setattr__(self, "_hidden", frozenset(hidden))
        for key in sealed:
            if key not in REALISED_KEYS:
                raise TypeError(f"PeriodData(): only realised keys {REALISED_KEYS} can be sealed, not {key!r}")
            object.__setattr__(self, key, None)
        object.__setattr__(self, "_sealed", types.MappingProxyType(sealed))

    # calendar facts --------------------------------------------------------------------------
    def _calendar(self, key: str) -> Any:
        value = self._lazy.get(key)
        if isinstance(value, Deferred):
            value = value.compute()
            self._lazy[key] = value
        return value

    @property
    def maturity_years(self) -> np.ndarray | None:
        """Remaining maturity of each instrument at ``base`` (years)."""
        return self._calendar("maturity_years")

    @property
    def roll_count(self) -> np.ndarray | None:
        """Index roll dates of each instrument in (base, period_end]."""
        return self._calendar("roll_count")

    @property
    def rpv01(self) -> np.ndarray | None:
        """Risky annuity at ``spread_start`` and ``maturity_years`` (years), computed once."""
        if "rpv01" not in self._lazy:
            if "rpv01" in self._hidden or not self._has_rpv01_sources():
                return None
            from cdshedge_cvx.credit._analytics import rpv01

            spread, recovery = self.spread_start, self.recovery
            self._lazy["rpv01"] = Deferred(lambda: rpv01(spread, self.maturity_years, recovery))
        return self._calendar("rpv01")

    def _has_rpv01_sources(self) -> bool:
        return self.spread_start is not None and self.recovery is not None and "maturity_years" in self._lazy

    @property
    def contract_maturity(self) -> np.ndarray | None:
        """Maturity of the contract each instrument holds at ``base`` (datetime64[D])."""
        return self._calendar("contract_maturity")

    @property
    def curves(self) -> tuple[Any, ...] | None:
        """Discount curve of each instrument's currency at ``base`` (:class:`~cdshedge_cvx.credit.YieldCurve`)."""
        return self._calendar("curves")

    @property
    def figures(self) -> Any:
        """ISDA figures per unit of CS01 at ``base`` (:class:`~cdshedge_cvx.credit.ContractFigures`), computed once."""
        if "figures" not in self._lazy:
            if "figures" in self._hidden or not self._has_figures_sources():
                return None
            from cdshedge_cvx.periods._figures import contract_figures

            self._lazy["figures"] = Deferred(lambda: contract_figures(self))
        return self._calendar("figures")

    def _has_figures_sources(self) -> bool:
        from cdshedge_cvx.periods._figures import FIGURES_SOURCES

        return all(key in self._lazy if key in _LAZY else getattr(self, key) is not None for key in FIGURES_SOURCES)

    # mapping ---------------------------------------------------------------------------------
    def _present(self, key: str) -> bool:
        """Whether ``key`` can be read (without computing anything); a sealed key is there, but
        reading it raises."""
        if key in self._sealed:
            return True
        if key in self._hidden:
            return False
        if key in _FIELDS:
            return getattr(self, key) is not None
        if key in _LAZY:
            return key in self._lazy or (key == "rpv01" and self._has_rpv01_sources()) or (
                key == "figures" and self._has_figures_sources())
        if key in _DERIVED:
            return getattr(self, _DERIVED[key][0]) is not None or key in self.extra
        return key in self.extra

    def __getitem__(self, key: str) -> Any:
        if key in self._sealed:
            self._refuse_realised(key)
        getter = _GETTERS.get(key)
        if getter is not None and key not in self._hidden:
            value = getter(self)
            if value is not None:
                return value
        try:
            return self.extra[key]
        except KeyError:
            raise DataError(f"period {self.period or '?'}: no data key {key!r}; available: "
                            f"{', '.join(sorted(self))}") from None

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._present(key)

    # the information barrier ----------------------------------------------------------------
    def _refuse_realised(self, key: str) -> None:
        base = self.base.date() if isinstance(self.base, pd.Timestamp) else self.base
        raise SpecificationError(
            f"period {self.period or '?'}: {key!r} is realised after the decision date {base} (walk-forward: "
            "terms and limits see only data dated on or before it); use the trailing 'risk_changes'/"
            "'risk_desk_pnl' or 'expected_change', or run in hindsight mode")

    @property
    def sealed(self) -> frozenset[str]:
        """The realised keys withheld from the decision (walk-forward): reading one raises."""
        return frozenset(self._sealed)

    def realised(self) -> PeriodData:
        """This period with its realised data readable: for measuring a decision after the fact
        (:func:`~cdshedge_cvx.engine.realised_attribution`), never for taking it."""
        if not self._sealed:
            return self
        state, lazy, extra = self._state(), dict(self._lazy), dict(self.extra)
        state.update(self._sealed)
        return PeriodData(**{name: value for name, value in state.items() if value is not None}, _lazy=lazy,
                          extra=extra, _hidden=self._hidden)

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default`` when the period has no such key."""
        return self[key] if key in self else default

    def __iter__(self) -> Iterator[str]:
        """The readable keys (a sealed key is in the data, ``in`` says so, but is not listed)."""
        seen = set(self._sealed)
        for key in (*_FIELDS, *_LAZY, *_DERIVED, *self.extra):
            if key not in seen and self._present(key):
                seen.add(key)
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"PeriodData(period={self.period!r}, keys={len(self)})"

    # copies ----------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _FIELDS}

    def replace(self, **changes: Any) -> PeriodData:
        """A copy with some keys changed or added (fields, calendar facts or users' keys).

        A cached ``rpv01`` is dropped when ``spread_start``, ``recovery`` or ``maturity_years``
        change, cached ``figures`` when one of their sources changes (they are computed again from the
        new values).
        """
        from cdshedge_cvx.periods._figures import FIGURES_SOURCES

        state, lazy, extra = self._state(), dict(self._lazy), dict(self.extra)
        if {"spread_start", "recovery", "maturity_years"} & set(changes) and "rpv01" not in changes:
            lazy.pop("rpv01", None)
        if {*FIGURES_SOURCES, "roll_fraction"} & set(changes) and "figures" not in changes:
            lazy.pop("figures", None)
        _route(changes, state, lazy, extra)
        sealed = {key: value for key, value in self._sealed.items() if key not in changes}
        return PeriodData(**{name: value for name, value in state.items() if value is not None}, _lazy=lazy,
                          extra=extra, _hidden=self._hidden - set(changes), _sealed=sealed)

    def with_extra(self, extra: Mapping[str, Any] | None) -> PeriodData:
        """A copy with users' keys added: per key a constant or a callable ``f(data) -> value``.

        A callable receives this period's data (the same signature in :func:`~cdshedge_cvx.backtest`,
        :func:`~cdshedge_cvx.testing.check_term` and :func:`~cdshedge_cvx.testing.period_data`); an
        error inside it names the key and the period.
        """
        if not extra:
            return self
        values: dict[str, Any] = {}
        for key, spec in extra.items():
            if callable(spec):
                with naming(f"extra key {key!r}, period {self.period or '?'}", f"{key!r}(data)"):
                    values[key] = spec(self)
            else:
                values[key] = spec
        return self.replace(**values)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (Dask, process pools) with the calendar facts computed (the discount curves and the
        contract figures only when already computed: a period whose terms never priced a contract does not
        carry them); values that are windows into the builder's whole-series arrays stay views of them, so
        a result's periods share one copy of each series instead of carrying a copy of their trailing
        window each."""
        state = {name: _shared_view(value) for name, value in self._state().items() if value is not None}
        lazy = {key: _shared_view(self[key]) for key in _LAZY if self._present(key) and not (
            key in _PRICED and isinstance(self._lazy.get(key), Deferred | None))}
        sealed = {key: _shared_view(value) for key, value in self._sealed.items()}
        return (_restore, (state, lazy, dict(self.extra), self._hidden, sealed))


def _restore(state: dict[str, Any], lazy: dict[str, Any], extra: dict[str, Any], hidden: frozenset[str],
             sealed: dict[str, Any] | None = None) -> PeriodData:
    return PeriodData(**state, _lazy=lazy, extra=extra, _hidden=hidden, _sealed=sealed or {})


_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(PeriodData)
                                 if f.name not in ("extra", "_lazy", "_hidden", "_sealed"))
_LAZY: tuple[str, ...] = ("maturity_years", "roll_count", "rpv01", "contract_maturity", "curves", "figures")
#: lazy keys of the ISDA pricing, pickled only once computed
_PRICED = frozenset({"curves", "figures"})
#: mapping-only keys: (the field they come from, how)
_DERIVED: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "n": ("instruments", len),
    "horizon_rows": ("rows", lambda rows: rows),
    "pnl_scale": ("conventions", lambda conventions: conventions.pnl_scale),
    "carry_scale": ("conventions", lambda conventions: conventions.carry_scale),
    "roll_scale": ("conventions", lambda conventions: conventions.roll_scale),
}


def _derived_getter(source: str, how: Callable[[Any], Any]) -> Callable[[PeriodData], Any]:
    def get(data: PeriodData) -> Any:
        value = getattr(data, source)
        return None if value is None else how(value)

    return get


_GETTERS: dict[str, Callable[[PeriodData], Any]] = {
    **{name: (lambda data, name=name: getattr(data, name)) for name in (*_FIELDS, *_LAZY)},
    **{key: _derived_getter(source, how) for key, (source, how) in _DERIVED.items()},
}


def _route(values: Mapping[str, Any], state: dict[str, Any], lazy: dict[str, Any], extra: dict[str, Any]) -> None:
    """Sort ``values`` into fields, calendar facts and users' keys (a derived key such as ``n`` whose
    field is there is dropped: it is always read from the field)."""
    for key, value in values.items():
        if key in state:
            state[key] = value
        elif key in _LAZY:
            if value is not None:
                lazy[key] = value
    for key, value in values.items():
        if key not in state and key not in _LAZY and not (key in _DERIVED and state[_DERIVED[key][0]] is not None):
            extra[key] = value


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
