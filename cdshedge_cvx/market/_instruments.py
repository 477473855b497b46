"""Instrument specifications and the hedge universe.

An :class:`Instrument` is one CDS index the desk may hold; a :class:`Universe` is the ordered
tuple of them that a backtest optimises over.  Units: CS01 limits in mm of the instrument's
currency per bp ($mm/bp for CDX, €mm/bp for iTraxx; positive = protection bought), coupons and
bid/ask in bp, recovery as a fraction, maturities in years.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cdshedge_cvx.errors import DataError
from cdshedge_cvx.market._currencies import currency_by_name

__all__ = ["CALENDARS", "INSTRUMENT_COLUMNS", "MATURITY_RULES", "QUOTE_TYPES", "Instrument", "Universe",
           "standard_universe"]

#: Required columns of an instruments file, then the optional ones with their defaults.
REQUIRED_COLUMNS = ("instrument", "coupon_bp", "cs01_min", "cs01_max")
OPTIONAL_DEFAULTS: dict[str, object] = {
    "currency": "USD",
    "recovery": 0.4,
    "n_names": 125,
    "maturity_years": None,
    "roll_fraction": 0.1,
    "bid_ask_bp": 0.5,
    "ticker": "",
    "roll_lag_days": 0,
    "maturity_rule": None,
    "tenor_years": 5,
    "calendar": "auto",
    "quote": "spread",
    "index_factor": 1.0,
    "roll_slope_bp_per_year": None,
    "aliases": "",
    "lot_notional": None,
    "min_trade_notional": None,
    "min_spread_bp": None,
    "max_spread_bp": None,
}
INSTRUMENT_COLUMNS = REQUIRED_COLUMNS + tuple(OPTIONAL_DEFAULTS)
_NUMERIC = ("coupon_bp", "cs01_min", "cs01_max", "recovery", "n_names", "maturity_years",
            "roll_fraction", "bid_ask_bp", "roll_lag_days", "tenor_years", "index_factor", "roll_slope_bp_per_year",
            "lot_notional", "min_trade_notional", "min_spread_bp", "max_spread_bp")
_WHOLE = ("n_names", "roll_lag_days", "tenor_years")
#: Optional columns that may be left empty (``None``): their meaning is then derived.
_NULLABLE = ("maturity_years", "maturity_rule", "roll_slope_bp_per_year", "lot_notional", "min_trade_notional",
             "min_spread_bp", "max_spread_bp")
#: Tradeable-size columns (optional; empty: continuous trades).
_LOT_COLUMNS = ("lot_notional", "min_trade_notional")
#: Plausible-spread-range columns (optional; empty: the index kind's range).
_RANGE_COLUMNS = ("min_spread_bp", "max_spread_bp")
MATURITY_RULES = ("on-the-run", "fixed")
CALENDARS = ("auto", "weekday", "us", "eu", "combined")
#: How an instrument's market series is quoted: conventional spread in bp, or price in points of par.
QUOTE_TYPES = ("spread", "price")
#: Business-day calendar of the roll dates when ``calendar="auto"``, by currency.
CURRENCY_CALENDARS = {"USD": "us", "EUR": "eu"}


@dataclass(frozen=True)
class Instrument:
    """One CDS index.

    Parameters
    ----------
    name : str
        Name used in results and matched against the spreads' columns.
    coupon_bp : float
        Fixed running coupon in bp per year (100 for IG/Main, 500 for HY/Xover).
    cs01_min, cs01_max : float
        Box limits on the CS01 held, $mm per bp; ``cs01_min < 0`` allows selling protection.
    currency : str
        Currency of the CS01, the limits and the instrument's PnL (USD for CDX, EUR for
        iTraxx); amounts are converted to the reporting currency when the market has an FX
        series for it (see :class:`~cdshedge_cvx.market.MarketData`).
    recovery : float
        Recovery rate assumed by the index (0.4; CDX HY trades at 0.3).
    n_names : int
        Number of reference entities (jump-to-default is notional·(1−R)/n_names).
    maturity_years : float, optional
        Fixed remaining maturity in years used for RPV01. Giving it selects
        ``maturity_rule="fixed"``; leave it out for the on-the-run rule.
    roll_fraction : float
        Roll-down per year as a fraction of the spread (0.1 = 10 % of the spread per year), used when
        ``roll_slope_bp_per_year`` is not given.
    bid_ask_bp : float
        Typical bid/ask in bp; transaction cost is half of it per unit of CS01 traded.
    ticker : str
        Alias of the instrument in data files (e.g. ``CDX IG CDSI GEN 5Y Corp``).
    aliases : tuple of str
        More names of the instrument in data files (column ``aliases`` of an instruments file,
        ``|``-separated), besides its name, its ticker and the terminal tickers of
        :data:`~cdshedge_cvx.market._aliases.TERMINAL_TICKERS`. Columns match ignoring case.
    roll_lag_days : int
        Business days after 20 Mar / 20 Sep on which the index rolls (CDX HY about 5).
    maturity_rule : {"on-the-run", "fixed"}, optional
        How the remaining maturity of the contract held is found on a date. ``"on-the-run"``:
        the series launched at the last roll date, maturing on 20 Jun (March series) or 20 Dec
        (September series) ``tenor_years`` later, so it slides from about 5.25 to 4.75 years
        between rolls; ``"fixed"``: always ``maturity_years``. Default: ``"fixed"`` when
        ``maturity_years`` is given, else ``"on-the-run"``.
    tenor_years : int
        Tenor of the on-the-run series (5).
    calendar : {"auto", "weekday", "us", "eu", "combined"}
        Business days used to adjust and lag the roll dates; ``"auto"`` is ``"us"`` for USD,
        ``"eu"`` for EUR and ``"weekday"`` otherwise.
    quote : {"spread", "price"}
        How the index trades on screen and so how its market series is quoted: ``"spread"``, the
        conventional spread in bp (CDX IG, iTraxx), or ``"price"``, points of par (``104.5`` =
        100 minus 4.5 points upfront paid by the protection seller; CDX HY, CDX EM). A price series is
        converted to conventional spreads per date through the ISDA model with that date's curve
        (:func:`~cdshedge_cvx.market.prices_to_spreads`). Column ``quote`` of an instruments file.
    index_factor : float
        Remaining fraction of the original notional after defaults, in (0, 1] (1 for a series
        without defaults; 0.96 after 4 of 100 names). CS01 and notional refer to the effective
        notional ``original × index_factor``; one more default pays ``(1 − R)/n_names`` of the
        original notional. Column ``index_factor`` of an instruments file.
    roll_slope_bp_per_year : float, optional
        Slope of the index's credit curve around its tenor, bp of spread per year of maturity (e.g. the
        5Y minus the 3Y spread, divided by 2): the contract held rolls down by that many bp per year. Given,
        it replaces ``roll_fraction × spread`` under the market conventions. Column
        ``roll_slope_bp_per_year`` of an instruments file (empty: not given).
    lot_notional : float, optional
        Tradeable lot in mm of notional of the instrument's currency (5 = 5mm): with it, a trade
        (h − h_prev, converted to notional through the period's notional per unit of CS01) is a
        whole number of lots. ``None`` (the default): continuous trades.
    min_trade_notional : float, optional
        Smallest trade in mm of notional: a trade is zero or at least this large. ``None``: no
        minimum. Either field switches the whole-lot solve on (``solve/_mip_path.py``).
    min_spread_bp, max_spread_bp : float, optional
        The plausible range of the instrument's spreads in bp, replacing its index kind's (investment
        grade 5-2 000 bp, high yield 30-20 000 bp, see :mod:`cdshedge_cvx.market._plausibility`); a
        side left out (``None``) keeps the kind's. Columns ``min_spread_bp``/``max_spread_bp`` of an
        instruments file; used when the market is read with :meth:`Universe.spread_ranges`.
    """

    name: str
    coupon_bp: float
    cs01_min: float
    cs01_max: float
    currency: str = "USD"
    recovery: float = 0.4
    n_names: int = 125
    maturity_years: float | None = None
    roll_fraction: float = 0.1
    bid_ask_bp: float = 0.5
    ticker: str = ""
    roll_lag_days: int = 0
    maturity_rule: str | None = None
    tenor_years: int = 5
    calendar: str = "auto"
    quote: str = "spread"
    index_factor: float = 1.0
    roll_slope_bp_per_year: float | None = None
    aliases: tuple[str, ...] = ()
    lot_notional: float | None = None
    min_trade_notional: float | None = None
    min_spread_bp: float | None = None
    max_spread_bp: float | None = None
    where: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        at = f" ({self.where})" if self.where else ""
        if isinstance(self.aliases, str) or not all(isinstance(a, str) for a in self.aliases):
            raise DataError(f"instrument {self.name!r}{at}: aliases must be a tuple of column names, got "
                            f"{self.aliases!r}")
        object.__setattr__(self, "aliases", tuple(self.aliases))
        if not isinstance(self.name, str) or not self.name.strip():
            raise DataError(f"instrument name must be a non-empty string{at}")
        for column in _NUMERIC:
            value = getattr(self, column)
            if value is None and column in _NULLABLE:
                continue
            if not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value):
                raise DataError(
                    f"instrument {self.name!r}{at}: column {column!r} must be a finite number, got {value!r}"
                )
        if self.coupon_bp < 0:
            raise DataError(f"instrument {self.name!r}{at}: coupon_bp must be >= 0, got {self.coupon_bp}")
        if self.cs01_min > self.cs01_max:
            raise DataError(
                f"instrument {self.name!r}{at}: cs01_min {self.cs01_min} > cs01_max {self.cs01_max}; "
                "swap them or fix the limits"
            )
        if not 0.0 <= self.recovery < 1.0:
            raise DataError(f"instrument {self.name!r}{at}: recovery must be in [0, 1), got {self.recovery}")
        if self.n_names < 1:
            raise DataError(f"instrument {self.name!r}{at}: n_names must be >= 1, got {self.n_names}")
        if self.maturity_years is not None and not 0 < self.maturity_years <= 100:
            raise DataError(f"instrument {self.name!r}{at}: maturity_years must be in (0, 100] years, "
                            f"got {self.maturity_years}")
        for column in ("bid_ask_bp", "roll_fraction"):
            if getattr(self, column) < 0:
                raise DataError(f"instrument {self.name!r}{at}: {column} must be >= 0, got {getattr(self, column)}")
        for column in _WHOLE:
            value = getattr(self, column)
            if value != int(value) or (column != "n_names" and value < 0):
                raise DataError(f"instrument {self.name!r}{at}: column {column!r} must be a whole number >= 0, "
                                f"got {value!r}")
        if self.tenor_years < 1:
            raise DataError(f"instrument {self.name!r}{at}: tenor_years must be >= 1, got {self.tenor_years}")
        if self.maturity_rule is not None and self.maturity_rule not in MATURITY_RULES:
            raise DataError(f"instrument {self.name!r}{at}: maturity_rule must be one of "
                            f"{', '.join(MATURITY_RULES)}, got {self.maturity_rule!r}")
        if self.maturity_rule == "fixed" and self.maturity_years is None:
            raise DataError(f"instrument {self.name!r}{at}: maturity_rule 'fixed' needs maturity_years")
        if self.maturity_rule == "on-the-run" and self.maturity_years is not None:
            raise DataError(f"instrument {self.name!r}{at}: maturity_years {self.maturity_years} is only used with "
                            "maturity_rule 'fixed'; drop one of them")
        if self.calendar not in CALENDARS:
            raise DataError(f"instrument {self.name!r}{at}: calendar must be one of {', '.join(CALENDARS)}, "
                            f"got {self.calendar!r}")
        if not isinstance(self.currency, str) or not self.currency.strip():
            raise DataError(f"instrument {self.name!r}{at}: currency must be a code such as USD or EUR")
        if self.quote not in QUOTE_TYPES:
            raise DataError(f"instrument {self.name!r}{at}: quote must be one of {', '.join(QUOTE_TYPES)}, "
                            f"got {self.quote!r}")
        if self.lot_notional is not None and not self.lot_notional > 0.0:
            raise DataError(f"instrument {self.name!r}{at}: lot_notional must be > 0 (mm of notional), "
                            f"got {self.lot_notional}")
        if self.min_trade_notional is not None and not self.min_trade_notional >= 0.0:
            raise DataError(f"instrument {self.name!r}{at}: min_trade_notional must be >= 0 (mm of notional), "
                            f"got {self.min_trade_notional}")
        for column in _RANGE_COLUMNS:
            if getattr(self, column) is not None and not getattr(self, column) > 0.0:
                raise DataError(f"instrument {self.name!r}{at}: {column} must be > 0 bp, got {getattr(self, column)}")
        if (self.min_spread_bp is not None and self.max_spread_bp is not None
                and self.min_spread_bp >= self.max_spread_bp):
            raise DataError(f"instrument {self.name!r}{at}: min_spread_bp {self.min_spread_bp} >= max_spread_bp "
                            f"{self.max_spread_bp}; swap them or fix the range")
        if not 0.0 < self.index_factor <= 1.0:
            raise DataError(f"instrument {self.name!r}{at}: index_factor must be in (0, 1] (remaining fraction of "
                            f"the original notional), got {self.index_factor}")

    @property
    def rule(self) -> str:
        """The maturity rule in force: ``maturity_rule``, or ``"fixed"`` when only
        ``maturity_years`` is given, else ``"on-the-run"``."""
        if self.maturity_rule is not None:
            return self.maturity_rule
        return "fixed" if self.maturity_years is not None else "on-the-run"

    @property
    def roll_calendar(self) -> str:
        """Business-day calendar of the roll dates (``calendar`` with ``"auto"`` resolved)."""
        if self.calendar != "auto":
            return self.calendar
        return CURRENCY_CALENDARS.get(self.currency.upper(), "weekday")

    def replace(self, **changes: object) -> Instrument:
        """Return a copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)


class Universe(Sequence[Instrument]):
    """An ordered, validated tuple of :class:`Instrument` with vector views of their fields.

    Parameters
    ----------
    instruments : sequence of Instrument
        At least one; names must be unique and a ticker may not repeat another instrument's name
        or ticker.
    """

    def __init__(self, instruments: Sequence[Instrument]) -> None:
        instruments = tuple(instruments)
        if not instruments:
            raise DataError("a universe needs at least one instrument")
        seen: dict[str, int] = {}
        for position, instrument in enumerate(instruments):
            if not isinstance(instrument, Instrument):
                raise DataError(f"universe entry {position} is not an Instrument: {instrument!r}")
            if instrument.name in seen:
                raise DataError(f"duplicate instrument {instrument.name!r} in the universe")
            seen[instrument.name] = position
        labels: dict[str, str] = {i.name: i.name for i in instruments}
        for instrument in instruments:
            if not instrument.ticker:
                continue
            owner = labels.get(instrument.ticker)
            if owner is not None and owner != instrument.name:
                at = f" ({instrument.where})" if instrument.where else ""
                raise DataError(f"instrument {instrument.name!r}{at}: ticker {instrument.ticker!r} is already the "
                                f"name or ticker of instrument {owner!r}; data columns would be ambiguous")
            labels[instrument.ticker] = instrument.name
        self._instruments = instruments

    # Sequence protocol ---------------------------------------------------------------
    def __getitem__(self, item):  # type: ignore[override]
        if isinstance(item, str):
            for instrument in self._instruments:
                if instrument.name == item:
                    return instrument
            raise KeyError(item)
        return self._instruments[item]

    def __len__(self) -> int:
        return len(self._instruments)

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self._instruments)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Universe) and self._instruments == other._instruments

    def __hash__(self) -> int:
        return hash(self._instruments)

    def __repr__(self) -> str:
        return f"Universe({', '.join(self.names)})"

    # vector views -----------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Instrument names in order."""
        return [i.name for i in self._instruments]

    def vector(self, field_name: str) -> np.ndarray:
        """One numeric field of every instrument as a float array, in order."""
        unset = [i.name for i in self._instruments if getattr(i, field_name) is None]
        if unset:
            hint = (" (on-the-run maturity: see cdshedge_cvx.credit.remaining_maturity)"
                    if field_name == "maturity_years" else "")
            raise DataError(f"field {field_name!r} is not set for instrument {unset[0]!r}{hint}")
        return np.array([float(getattr(i, field_name)) for i in self._instruments])

    @property
    def lower(self) -> np.ndarray:
        """Lower CS01 limits, $mm/bp."""
        return self.vector("cs01_min")

    @property
    def upper(self) -> np.ndarray:
        """Upper CS01 limits, $mm/bp."""
        return self.vector("cs01_max")

    def aliases(self) -> dict[str, str]:
        """Map every accepted data-column name (name, ticker, ``aliases``, terminal tickers of
        :data:`~cdshedge_cvx.market._aliases.TERMINAL_TICKERS`) to the instrument name."""
        from cdshedge_cvx.market._aliases import TERMINAL_TICKERS

        mapping = {i.name: i.name for i in self._instruments}
        mapping.update({i.ticker: i.name for i in self._instruments if i.ticker})
        for instrument in self._instruments:
            for alias in (*instrument.aliases, *TERMINAL_TICKERS.get(instrument.name, ())):
                mapping.setdefault(alias, instrument.name)
        return mapping

    def resolve(self, column: object) -> str | None:
        """The instrument a data column names (exactly, else ignoring case and repeated spaces), or ``None``."""
        from cdshedge_cvx.market._aliases import column_key

        aliases = self.aliases()
        text = str(column).strip()
        if text in aliases:
            return aliases[text]
        folded = {column_key(k): v for k, v in reversed(list(aliases.items()))}
        return folded.get(column_key(text))

    def spread_ranges(self) -> dict[str, tuple[float | None, float | None]]:
        """The plausible spread ranges the instruments set (``min_spread_bp``, ``max_spread_bp``), keyed by
        every name a data column may use for them (:meth:`aliases`): pass it as ``spread_ranges`` to
        :class:`~cdshedge_cvx.market.MarketData` (the command line does). Empty when none sets one."""
        ranges = {i.name: (i.min_spread_bp, i.max_spread_bp) for i in self._instruments
                  if i.min_spread_bp is not None or i.max_spread_bp is not None}
        return {alias: ranges[name] for alias, name in self.aliases().items() if name in ranges}

    def with_limits(self, lower: Sequence[float] | None = None, upper: Sequence[float] | None = None) -> Universe:
        """A copy with new CS01 limits (``None`` keeps the current ones)."""
        lower = self.lower if lower is None else np.asarray(lower, dtype=float)
        upper = self.upper if upper is None else np.asarray(upper, dtype=float)
        if len(lower) != len(self) or len(upper) != len(self):
            raise DataError(f"limits need {len(self)} values, one per instrument")
        return Universe([i.replace(cs01_min=float(lo), cs01_max=float(up))
                         for i, lo, up in zip(self._instruments, lower, upper)])

    def to_frame(self) -> pd.DataFrame:
        """The universe as an instruments table (the columns of an instruments file; ``None``
        fields are left empty, so :meth:`from_frame` reads the table back to the same universe)."""
        # optional columns only when some instrument sets them (tables, and their checksums, as before they existed)
        columns = [c for c in INSTRUMENT_COLUMNS if c not in _LOT_COLUMNS + _RANGE_COLUMNS
                   or any(getattr(i, c) is not None for i in self._instruments)]
        if not any(i.aliases for i in self._instruments):
            columns.remove("aliases")
        rows = [{c: getattr(i, c) for c in columns if c not in ("instrument", "aliases")}
                | {"instrument": i.name} | ({"aliases": "|".join(i.aliases)} if "aliases" in columns else {})
                for i in self._instruments]
        return pd.DataFrame(rows, columns=columns)

    # constructors -------------------------------------------------------------------------
    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, source: str = "instruments frame") -> Universe:
        """Build a universe from a table with the columns of an instruments file.

        Required columns: ``instrument, coupon_bp, cs01_min, cs01_max``; optional:
        ``currency, recovery, n_names, maturity_years, roll_fraction, bid_ask_bp, ticker,
        roll_lag_days, maturity_rule, tenor_years, calendar, quote, index_factor,
        roll_slope_bp_per_year, lot_notional, min_trade_notional, min_spread_bp, max_spread_bp``.
        An empty optional cell takes the default (an empty ``maturity_years`` means the on-the-run rule).  Errors name
        ``source``, the row (file line) and the column.
        """
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"{source}: expected a DataFrame, got {type(frame).__name__}")
        frame = frame.rename(columns=lambda c: str(c).strip().lower())  # headers match ignoring case
        missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
        if missing:
            raise DataError(f"{source}: missing column(s) {missing}; an instruments file needs "
                            f"{', '.join(REQUIRED_COLUMNS)}")
        unknown = [c for c in frame.columns if c not in INSTRUMENT_COLUMNS]
        if unknown:
            raise DataError(f"{source}: unknown column(s) {unknown}; accepted: {', '.join(INSTRUMENT_COLUMNS)}")
        if frame.empty:
            raise DataError(f"{source}: no instruments (header only)")
        instruments = []
        for position, (_, row) in enumerate(frame.iterrows()):
            where = f"{source}, row {position + 2}"
            name = row["instrument"]
            if not isinstance(name, str) or not name.strip():
                raise DataError(f"{where}, column 'instrument': empty instrument name")
            kwargs: dict[str, object] = {"name": name.strip()}
            for column in INSTRUMENT_COLUMNS[1:]:
                value = row[column] if column in frame.columns else OPTIONAL_DEFAULTS[column]
                if column == "currency" and column not in frame.columns:  # issue 14: iTraxx is EUR by name
                    value = currency_by_name(name) or value
                if column in REQUIRED_COLUMNS and (value is None or (isinstance(value, float) and math.isnan(value))):
                    raise DataError(f"{where}, column {column!r}: missing value for instrument {name!r}")
                blank = value is None or (isinstance(value, float) and math.isnan(value)) or (
                    isinstance(value, str) and not value.strip())
                if blank and column not in REQUIRED_COLUMNS:
                    value = OPTIONAL_DEFAULTS[column]
                if value is None:
                    pass
                elif column in _NUMERIC:
                    try:
                        value = float(value)
                    except (TypeError, ValueError):
                        raise DataError(f"{where}, column {column!r}: {value!r} is not a number "
                                        f"(instrument {name!r})") from None
                    if column in _WHOLE:
                        if not math.isfinite(value) or value != int(value):
                            raise DataError(f"{where}, column {column!r}: {value!r} is not a whole number")
                        value = int(value)
                else:
                    value = str(value).strip()
                    if column == "currency":
                        value = value.upper()
                    elif column == "quote":
                        value = value.lower()
                    elif column == "aliases":
                        value = tuple(a.strip() for a in value.split("|") if a.strip())
                kwargs[column] = value
            instruments.append(Instrument(**kwargs, where=where))  # type: ignore[arg-type]
        names = [i.name for i in instruments]
        for position, name in enumerate(names):
            if names.index(name) != position:
                raise DataError(f"{source}, row {position + 2}: duplicate instrument {name!r} "
                                f"(first at row {names.index(name) + 2})")
        return cls(instruments)

    @classmethod
    def from_csv(cls, path: str | Path) -> Universe:
        """Read an instruments CSV (see :meth:`from_frame` for its columns)."""
        from cdshedge_cvx.io._files import read_csv_checked

        frame = read_csv_checked(path, what="instruments file", index_col=None)
        return cls.from_frame(frame, source=str(path))


def standard_universe() -> Universe:
    """The four indices of the prototype with its limits and coupons, and market specs.

    ============  ======  ========  ========  ===  =====  ======  ========  ========================  ======
    instrument    coupon  CS01 max  currency  R    names  b/a bp  calendar  roll                      quote
    ============  ======  ========  ========  ===  =====  ======  ========  ========================  ======
    CDX IG        100     0.25      USD       0.4  125    0.5     us        20 Mar / 20 Sep           spread
    CDX HY        500     0.10      USD       0.3  100    3.0     us        5 US business days later  price
    iTraxx Main   100     0.25      EUR       0.4  125    0.5     eu        20 Mar / 20 Sep           spread
    iTraxx Xover  500     0.10      EUR       0.4  75     2.0     eu        20 Mar / 20 Sep           spread
    ============  ======  ========  ========  ===  =====  ======  ========  ========================  ======

    Every index is the on-the-run 5Y series (``maturity_rule="on-the-run"``, ``tenor_years=5``):
    a series launched on 20 March matures on 20 June five years later, one launched on
    20 September on 20 December, so the remaining maturity slides from about 5.25 to 4.75
    years between rolls. Roll-down is 0.1 of the spread per year: the 3Y-5Y slope of the example market's
    credit curves (6, 36, 6 and 30 bp per year at long-run levels of 60, 345, 58 and 280 bp, see
    ``docs/example_market.md``), about the 5Y-minus-3Y differences divided by 2 of 2019-2024 on-the-run
    index curves in public market commentary (IG about 20-35 bp over 2 years at 50-90 bp, HY about 60-120 bp
    at 300-500 bp). CDX HY is quoted in price (its data series are prices in points of par, converted to
    conventional spreads per date). CS01 limits are in mm of the
    index's currency per bp; lower limits are 0 (protection bought only), as in the prototype.
    Bid/ask are typical on-the-run quotes in spread terms (HY is quoted in price: 1/8 point
    ≈ 3 bp at 5Y).
    """
    common = {"maturity_rule": "on-the-run", "tenor_years": 5, "roll_fraction": 0.1}
    return Universe([
        Instrument("CDX IG", 100.0, 0.0, 0.25, currency="USD", recovery=0.4, n_names=125,
                   bid_ask_bp=0.5, ticker="CDX IG CDSI GEN 5Y Corp", calendar="us", **common),
        Instrument("CDX HY", 500.0, 0.0, 0.10, currency="USD", recovery=0.3, n_names=100,
                   bid_ask_bp=3.0, ticker="CDX HY CDSI GEN 5Y Corp", roll_lag_days=5, calendar="us",
                   quote="price", **common),
        Instrument("iTraxx Main", 100.0, 0.0, 0.25, currency="EUR", recovery=0.4, n_names=125,
                   bid_ask_bp=0.5, ticker="ITRAXX EUR CDSI GEN 5Y Corp", calendar="eu", **common),
        Instrument("iTraxx Xover", 500.0, 0.0, 0.10, currency="EUR", recovery=0.4, n_names=75,
                   bid_ask_bp=2.0, ticker="ITRAXX XOVER CDSI GEN 5Y Corp", calendar="eu", **common),
    ])
