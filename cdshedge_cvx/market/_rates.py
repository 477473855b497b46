r"""Interest-rate input: rate quotes per date and currency, turned into ISDA discount curves.

A :class:`RateQuotes` holds either the money-market and swap quotes of the ISDA CDS Standard Model
curve per date and currency (read from a frame or a CSV file), or one flat rate. Its
:meth:`RateQuotes.curve` gives the :class:`~cdshedge_cvx.credit.YieldCurve` a CDS traded on a date is
priced with: the latest quotes on or before that date, bootstrapped with the currency's ISDA
conventions and anchored at the date.

Layout of a rates file (long, one quote a row; ``docs/conventions.md``, "Interest rates")::

    date,currency,tenor,rate
    2024-05-15,USD,1M,0.05320
    2024-05-15,USD,3M,0.05350
    ...
    2024-05-15,USD,2Y,0.04620
    2024-05-15,USD,30Y,0.03850
    2024-05-15,EUR,1M,0.03820

* ``tenor``: money-market deposits from ``1W`` to ``1Y`` (``1M, 2M, 3M, 6M, 9M, 1Y`` in the ISDA
  standard curve), par swaps from ``2Y`` to ``30Y``; nothing between 1Y and 2Y (the ISDA curve has no
  such instrument).
* ``rate``: a decimal (``0.0532`` = 5.32 %). A value above 0.5 in absolute terms looks like a percent
  (or bp) and is refused, naming the file, line, date, currency and tenor; the unit is never guessed
  (read a percent file with ``unit="percent"``).
* ``currency``: one with ISDA curve conventions (USD, EUR, GBP, CHF, JPY; see
  :data:`~cdshedge_cvx.credit.ISDA_CURVE_CONVENTIONS`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdshedge_cvx.credit._yield_curve import ISDA_CURVE_CONVENTIONS, YieldCurve, parse_tenor
from cdshedge_cvx.errors import DataError, naming

__all__ = ["MAX_DECIMAL_RATE", "RATE_COLUMNS", "RATE_UNITS", "RateQuotes"]

#: Columns of a rates file, in order.
RATE_COLUMNS = ("date", "currency", "tenor", "rate")
#: Largest absolute decimal rate accepted (50 %): anything above looks like a percent or bp.
MAX_DECIMAL_RATE = 0.5
#: Units a rates file may be read in.
RATE_UNITS = ("decimal", "percent")
_MONTHS_MM_MAX = 12  # money market up to 1Y
_MONTHS_SWAP_MIN = 24  # swaps from 2Y


def _tenor_kind(tenor: str, where: str) -> tuple[str, str, tuple[int, str]]:
    """``(kind, canonical tenor, length key)`` of a tenor: deposit up to 1Y, swap from 2Y."""
    try:
        n, unit = parse_tenor(tenor, where)
    except DataError as exc:
        raise DataError(f"{where}: tenor must look like '1M', '6M', '1Y' or '10Y', got {tenor!r}") from exc
    if unit in "DW":
        return "deposit", f"{n}{unit}", (n * (7 if unit == "W" else 1), "D")
    months = n * (12 if unit == "Y" else 1)
    if months <= _MONTHS_MM_MAX:
        return "deposit", f"{n}{unit}", (months, "M")
    if months >= _MONTHS_SWAP_MIN:
        return "swap", f"{n}{unit}", (months, "M")
    raise DataError(f"{where}: tenor {tenor!r} is between 1Y and 2Y; the ISDA curve has money-market tenors up "
                    "to 1Y and swaps from 2Y")


def _check_decimal(rate: float, where: str, unit: str) -> float:
    limit = MAX_DECIMAL_RATE * (100.0 if unit == "percent" else 1.0)
    if abs(rate) > limit:
        if unit == "percent":
            raise DataError(f"{where}: {rate!r} % is above {limit:g} %; is the file in bp? rates are read as percents "
                            "here (unit='percent')")
        raise DataError(f"{where}: {rate!r} looks like a percent or bp, rates are decimals (0.045 = 4.5 %); "
                        "convert the file or read it with unit='percent'")
    return rate / 100.0 if unit == "percent" else rate


class RateQuotes:
    r"""Interest-rate quotes per date and currency (or one flat rate), giving ISDA discount curves.

    Build it with :meth:`from_frame`, :meth:`from_csv` or :meth:`flat`.

    Parameters
    ----------
    quotes : dict
        ``{currency: (quote dates as datetime64[D] array, [(deposits, swaps, where), ...])}``, the
        validated quotes (use the constructors).
    flat_rates : dict, optional
        ``{currency or "*": rate}`` of a flat-rate input instead of quotes.
    source : str
        Name used in messages (file path, ``"rates frame"``, ``"flat rate"``).
    max_age_days : int or None
        Oldest quotes (calendar days before the date asked) :meth:`curve` accepts; ``None`` for any.
    """

    def __init__(self, quotes: Mapping[str, tuple[np.ndarray, list[tuple[dict, dict, str]]]] | None = None,
                 flat_rates: Mapping[str, float] | None = None, *, source: str = "rate quotes",
                 max_age_days: int | None = 31) -> None:
        self.quotes = dict(quotes or {})
        self.flat_rates = None if flat_rates is None else dict(flat_rates)
        self.source = source
        self.max_age_days = max_age_days
        self._curves: dict[tuple[int, str], YieldCurve] = {}

    # -- constructors ------------------------------------------------------------------
    @classmethod
    def flat(cls, rate: float | Mapping[str, float]) -> RateQuotes:
        r"""One flat continuously compounded rate (ACT/365F), :math:`P(t) = e^{-rt}`, on every date.

        Parameters
        ----------
        rate : float or mapping of str to float
            Decimal rate (0.04 = 4 %) for every currency, or one per currency (``{"USD": 0.045,
            "EUR": 0.03}``). ``abs(rate) > 0.5`` is refused as a percent.

        Examples
        --------
        >>> RateQuotes.flat(0.04).curve("2024-05-15", "USD")
        YieldCurve(flat 0.04, trade_date=2024-05-15)
        """
        items = rate.items() if isinstance(rate, Mapping) else [("*", rate)]
        rates: dict[str, float] = {}
        for currency, value in items:
            name = "flat rate" if currency == "*" else f"flat rate of {currency}"
            if isinstance(value, bool):
                raise DataError(f"{name} must be a number (decimal, 0.04 = 4 %), got {value!r}")
            try:
                r = float(value)
            except (TypeError, ValueError):
                raise DataError(f"{name} must be a number (decimal, 0.04 = 4 %), got {value!r}") from None
            if not math.isfinite(r):
                raise DataError(f"{name} must be finite, got {value!r}")
            rates[str(currency).strip().upper() if currency != "*" else "*"] = _check_decimal(r, name, "decimal")
        if not rates:
            raise DataError("flat rate: give a rate or one per currency")
        label = (f"flat {next(iter(rates.values())):g}" if "*" in rates
                 else "flat " + ", ".join(f"{c} {r:g}" for c, r in rates.items()))
        return cls(flat_rates=rates, source=label, max_age_days=None)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, source: str = "rates frame", unit: str = "decimal",
                   max_age_days: int | None = 31) -> RateQuotes:
        """Read quotes from a long table with columns ``date, currency, tenor, rate``.

        Parameters
        ----------
        frame : pandas.DataFrame
            One quote a row (see the module docstring for the layout).
        source : str
            Name used in messages.
        unit : {"decimal", "percent"}
            Unit of the ``rate`` column; never guessed: decimals above 0.5 are refused.
        max_age_days : int or None, default 31
            :meth:`curve` refuses quotes older than this (calendar days) for the date asked, so that a
            file that stops early is not silently extended; ``None`` accepts any age.

        Raises
        ------
        DataError
            Missing or unknown columns, an empty table, a bad date, currency, tenor or rate, a rate that
            looks like a percent, a duplicate quote; the message names ``source``, the line, the column,
            the date and the currency.
        """
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"{source}: expected a DataFrame, got {type(frame).__name__}")
        if unit not in RATE_UNITS:
            raise DataError(f"{source}: unit must be one of {', '.join(RATE_UNITS)}, got {unit!r}")
        if max_age_days is not None and (isinstance(max_age_days, bool) or not isinstance(max_age_days, int)
                                         or max_age_days < 0):
            raise DataError(f"{source}: max_age_days must be a whole number of days >= 0 or None, "
                            f"got {max_age_days!r}")
        lines = frame.attrs.get("csv_lines")
        frame = frame.rename(columns=lambda c: str(c).strip().lower())
        missing = [c for c in RATE_COLUMNS if c not in frame.columns]
        if missing:
            raise DataError(f"{source}: missing column(s) {missing}; a rates file has the columns "
                            f"{', '.join(RATE_COLUMNS)} (one quote a row)")
        unknown = [c for c in frame.columns if c not in RATE_COLUMNS]
        if unknown:
            raise DataError(f"{source}: unknown column(s) {unknown}; a rates file has the columns "
                            f"{', '.join(RATE_COLUMNS)}")
        if frame.empty:
            raise DataError(f"{source}: no rate quotes (header only)")

        rows: dict[tuple[str, int], list[tuple[str, str, float, str]]] = {}
        seen: dict[tuple[str, int, tuple[int, str]], str] = {}
        try:
            parsed = pd.to_datetime(frame["date"], errors="coerce", format="mixed")
        except (TypeError, ValueError):
            parsed = pd.Series([pd.NaT] * len(frame), index=frame.index)
        day_numbers = parsed.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
        tenors: dict[tuple[str, str], tuple[str, str, tuple[int, str]]] = {}
        for position, (date, currency, tenor, rate) in enumerate(
                frame[list(RATE_COLUMNS)].itertuples(index=False, name=None)):
            at = f"{source}, line {lines[position]}" if lines is not None else f"{source}, row {position + 2}"
            if pd.isna(parsed.iloc[position]) or isinstance(date, bool):
                raise DataError(f"{at}, column 'date': {date!r} is not a date (e.g. 2024-05-15)")
            day_number = int(day_numbers[position])
            day_text = str(np.datetime64(day_number, "D"))
            if not isinstance(currency, str) or not currency.strip():
                raise DataError(f"{at}, column 'currency': missing currency on {day_text}")
            ccy = currency.strip().upper()
            if ccy not in ISDA_CURVE_CONVENTIONS:
                raise DataError(f"{at}, column 'currency': {currency!r} on {day_text} has no ISDA curve convention "
                                f"(known: {', '.join(ISDA_CURVE_CONVENTIONS)})")
            where = f"{at}, column 'tenor', {ccy} {day_text}"
            if not isinstance(tenor, str) or not tenor.strip():
                raise DataError(f"{where}: missing tenor")
            if (tenor, ccy) not in tenors:
                tenors[(tenor, ccy)] = _tenor_kind(tenor, where)
            kind, canonical, key = tenors[(tenor, ccy)]
            where = f"{at}, column 'rate', {ccy} {canonical} {day_text}"
            if isinstance(rate, str):
                text = rate.strip()
                try:
                    rate = float(text)
                except ValueError:
                    hint = " (write 0.045 for 4.5 %)" if text.endswith("%") else ""
                    raise DataError(f"{where}: {text!r} is not a number{hint}") from None
            if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)):
                raise DataError(f"{where}: {rate!r} is not a number")
            if not math.isfinite(float(rate)):
                raise DataError(f"{where}: missing or non-finite rate ({rate!r})")
            value = _check_decimal(float(rate), where, unit)
            duplicate = seen.get((ccy, day_number, key))
            if duplicate is not None:
                raise DataError(f"{where}: a second {ccy} {canonical} quote on {day_text} (first at {duplicate})")
            seen[(ccy, day_number, key)] = at.removeprefix(f"{source}, ")
            rows.setdefault((ccy, day_number), []).append((kind, canonical, value, at))

        quotes: dict[str, tuple[np.ndarray, list[tuple[dict, dict, str]]]] = {}
        for ccy in sorted({c for c, _ in rows}):
            days = sorted(d for c, d in rows if c == ccy)
            sets = []
            for d in days:
                entries = rows[(ccy, d)]
                deposits = {tenor: value for kind, tenor, value, _ in entries if kind == "deposit"}
                swaps = {tenor: value for kind, tenor, value, _ in entries if kind == "swap"}
                first = entries[0][3].removeprefix(f"{source}, ")
                last = entries[-1][3].removeprefix(f"{source}, ")
                kind_of_row, first_number = first.split(" ", 1)
                span = first if first == last else f"{kind_of_row}s {first_number} to {last.split(' ', 1)[1]}"
                sets.append((deposits, swaps, span))
            quotes[ccy] = (np.asarray(days, dtype=np.int64), sets)
        return cls(quotes, source=source, max_age_days=max_age_days)

    @classmethod
    def from_csv(cls, path: str | Path, *, unit: str = "decimal", max_age_days: int | None = 31) -> RateQuotes:
        """Read a rates CSV (columns ``date, currency, tenor, rate``; see :meth:`from_frame`)."""
        from cdshedge_cvx.io._files import read_csv_checked

        frame = read_csv_checked(path, what="rates file", index_col=None)
        return cls.from_frame(frame, source=f"rates file {str(path)!r}", unit=unit, max_age_days=max_age_days)

    # -- views ---------------------------------------------------------------------------
    @property
    def is_flat(self) -> bool:
        """Whether this is a flat-rate input."""
        return self.flat_rates is not None

    @property
    def currencies(self) -> list[str]:
        """Currencies with quotes (``["*"]`` for one flat rate for all)."""
        return sorted(self.flat_rates) if self.flat_rates is not None else sorted(self.quotes)

    def to_frame(self) -> pd.DataFrame:
        """The quotes as a long table ``date, currency, tenor, rate`` (decimals; empty for a flat rate)."""
        records = [(np.datetime64(int(d), "D"), ccy, tenor, rate)
                   for ccy, (days, sets) in self.quotes.items()
                   for d, (deposits, swaps, _) in zip(days, sets)
                   for tenor, rate in (*deposits.items(), *swaps.items())]
        frame = pd.DataFrame(records, columns=list(RATE_COLUMNS))
        frame["date"] = pd.to_datetime(frame["date"])
        return frame

    def describe(self) -> str:
        """One line for summaries: ``"flat 0.04"`` or ``"USD, EUR ISDA curves, quotes 2019-01-02 to 2024-12-31
        (source)"``."""
        if self.flat_rates is not None:
            return self.source
        days = np.concatenate([d for d, _ in self.quotes.values()])
        first, last = np.datetime64(int(days.min()), "D"), np.datetime64(int(days.max()), "D")
        return f"{', '.join(self.quotes)} ISDA curves, quotes {first} to {last} ({self.source})"

    def __repr__(self) -> str:
        return f"RateQuotes({self.describe()})"

    # -- curves --------------------------------------------------------------------------
    def quote_date(self, date: Any, currency: str) -> pd.Timestamp:
        """Date of the quotes :meth:`curve` uses for ``date`` and ``currency`` (the latest on or before it).

        Raises
        ------
        DataError
            No quotes for the currency, none on or before the date, or the latest older than
            ``max_age_days``.
        """
        day, ccy = self._day(date), str(currency).strip().upper()
        if self.flat_rates is not None:
            return pd.Timestamp(np.datetime64(day, "D"))
        return pd.Timestamp(np.datetime64(int(self._quotes_for(day, ccy)[0]), "D"))

    def curve(self, date: Any, currency: str) -> YieldCurve:
        """The discount curve of ``currency`` for a CDS traded on ``date``.

        The latest quotes on or before ``date`` bootstrapped by
        :meth:`YieldCurve.isda <cdshedge_cvx.credit.YieldCurve.isda>` with the currency's conventions and
        anchored at ``date`` (a flat input gives :meth:`YieldCurve.flat`). Cached per (date, currency).

        Raises
        ------
        DataError
            No quotes for the currency, none on or before ``date``, quotes older than ``max_age_days``,
            or quotes no curve fits; the message names the source, the lines, the date and the currency.

        Examples
        --------
        >>> frame = pd.DataFrame({"date": ["2024-05-15"] * 3, "currency": "USD", "tenor": ["3M", "2Y", "5Y"],
        ...                       "rate": [0.0535, 0.0462, 0.0415]})
        >>> curve = RateQuotes.from_frame(frame).curve("2024-05-17", "USD")
        >>> round(float(curve.zero_rate(5.0)), 6)
        0.040875
        """
        day, ccy = self._day(date), str(currency).strip().upper()
        cached = self._curves.get((day, ccy))
        if cached is not None:
            return cached
        when = np.datetime64(day, "D")
        if self.flat_rates is not None:
            if ccy not in self.flat_rates and "*" not in self.flat_rates:
                raise DataError(f"{self.source}: no flat rate for currency {ccy} (have: "
                                f"{', '.join(self.flat_rates)})")
            curve = YieldCurve.flat(self.flat_rates.get(ccy, self.flat_rates.get("*")), when)
        else:
            quote_day, (deposits, swaps, where) = self._quotes_for(day, ccy)
            with naming(f"{self.source}, {where}: {ccy} rates of {np.datetime64(int(quote_day), 'D')} "
                        f"for {when}", "the curve bootstrap"):
                curve = YieldCurve.isda(when, deposits, swaps, ccy)
        self._curves[(day, ccy)] = curve
        return curve

    def _day(self, date: Any) -> int:
        if isinstance(date, np.datetime64) and not np.isnat(date):  # the fast path of per-date loops
            return int(date.astype("datetime64[D]").astype(np.int64))
        stamp = pd.to_datetime(date, errors="coerce") if np.ndim(date) == 0 else pd.NaT
        if pd.isna(stamp):
            raise DataError(f"{self.source}: date must be one date (e.g. 2024-05-15), got {date!r}")
        return int((np.datetime64(stamp.date(), "D") - np.datetime64("1970-01-01", "D")).astype(np.int64))

    def _quotes_for(self, day: int, ccy: str) -> tuple[int, tuple[dict, dict, str]]:
        if ccy not in self.quotes:
            raise DataError(f"{self.source}: no rate quotes for currency {ccy} (have: {', '.join(self.quotes)})")
        days, sets = self.quotes[ccy]
        position = int(np.searchsorted(days, day, side="right")) - 1
        when = np.datetime64(day, "D")
        if position < 0:
            raise DataError(f"{self.source}: no {ccy} rate quotes on or before {when} (the first are of "
                            f"{np.datetime64(int(days[0]), 'D')})")
        age = day - int(days[position])
        if self.max_age_days is not None and age > self.max_age_days:
            raise DataError(f"{self.source}: the latest {ccy} rate quotes before {when} are of "
                            f"{np.datetime64(int(days[position]), 'D')}, {age} days old (max_age_days="
                            f"{self.max_age_days}); extend the file or pass max_age_days=None")
        return int(days[position]), sets[position]
