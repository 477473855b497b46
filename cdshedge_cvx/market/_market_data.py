"""MarketData: validated daily spreads and desk PnL, optional roll jumps and FX rates.

Spreads are in bp (one column per instrument, dates as index); desk PnL in mm of the reporting
currency per day ($mm by default). Generic-series roll jumps (bp) are removed from the daily
changes; FX rates convert the amounts of instruments in other currencies (iTraxx: EUR) into the
reporting currency. The constructor refuses anything a hedge should not be computed from, with a
one-line message that names the source, the row (file line for CSV input), the date and the
column.
"""

from __future__ import annotations

import copy
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from cdshedge_cvx.errors import DataError, Hint, naming
from cdshedge_cvx.market._aliases import TERMINAL_TICKERS, column_key, fx_header
from cdshedge_cvx.market._instruments import Universe
from cdshedge_cvx.market._plausibility import (
    MAX_IMPLIED_CS01_MM,
    OUTLIER_RATIO,
    SPREAD_UNITS,
    implied_cs01,
    isolated_prints,
    low_prints,
    plausible_range,
    unit_suggestion,
)
from cdshedge_cvx.market._rates import RateQuotes
from cdshedge_cvx.market._tenor_spreads import TenorSeries, align_tenor_spreads, tenor_series

__all__ = ["MAX_FX_RATE", "MAX_SPREAD_BP", "MIN_COLUMN_MAX_BP", "MISSING_POLICIES", "MarketData"]

MISSING_POLICIES = ("error", "ffill", "drop")
MissingPolicy = Literal["error", "ffill", "drop"]
#: A column whose largest spread is below this (bp) looks like decimals (0.0050 for 50 bp).
MIN_COLUMN_MAX_BP = 0.5
#: A spread above this (bp, i.e. 1000 % running) looks like the wrong unit.
MAX_SPREAD_BP = 100_000.0
#: An FX rate outside [1/this, this] is not a rate between two currencies (a unit or a typo).
MAX_FX_RATE = 1e6
#: Row positions in messages: ``True`` = CSV file lines (header on line 1), a sequence = the
#: file line of each row, ``False`` = 0-based positions in a DataFrame.
RowNumbers = bool | Sequence[int]
_RELATIVE_DATES = {"now", "today", "tomorrow", "yesterday"}
#: Numeric day/month orders tried, each for a whole column at once.
_DAY_MONTH_FORMATS = ("%m/%d/%Y", "%d/%m/%Y", "%m.%d.%Y", "%d.%m.%Y", "%m-%d-%Y", "%d-%m-%Y",
                      "%m/%d/%y", "%d/%m/%y", "%d.%m.%y")


def _row_number(position: int, csv_rows: RowNumbers) -> str:
    if not isinstance(csv_rows, bool) and position < len(csv_rows):
        return f"row {csv_rows[position]}"
    return f"row {position + 2}" if csv_rows else f"row {position}"


def _row_label(source: str, position: int, date: object, csv_rows: RowNumbers) -> str:
    return f"{source}, {_row_number(position, csv_rows)} ({date})"


def _cell(value: object) -> str:
    """A cell as the user wrote it (no numpy reprs in messages)."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return repr(value) if isinstance(value, str) else str(value)


def _date_hint(csv_rows: RowNumbers) -> str:
    where = "the first column" if csv_rows is not False else "the index (e.g. frame.set_index('date'))"
    return f"{where} must hold dates like 2021-01-31"


def _parse_one(text: str, dayfirst: bool = False) -> pd.Timestamp:
    try:
        stamp = pd.to_datetime(text, dayfirst=dayfirst)
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    if stamp is pd.NaT or not isinstance(stamp, pd.Timestamp):
        return pd.NaT
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


def _parse_all(text: list[str], dayfirst: bool) -> pd.DatetimeIndex:
    """Every string as a naive timestamp (NaT when unparseable); mixed time zones keep their wall time."""
    try:
        dates = pd.DatetimeIndex(pd.to_datetime(pd.Index(text), errors="coerce", format="mixed", dayfirst=dayfirst))
        return dates.tz_localize(None) if dates.tz is not None else dates
    except (ValueError, TypeError, OverflowError):
        return pd.DatetimeIndex([_parse_one(t, dayfirst) for t in text])


def _text_dates(index: pd.Index, source: str, csv_rows: RowNumbers) -> pd.DatetimeIndex:
    text = [("" if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v).strip()) for v in index]
    for what, bad in (("missing date (empty cell)", [i for i, t in enumerate(text) if not t]),
                      ("not a fixed date", [i for i, t in enumerate(text) if t.lower() in _RELATIVE_DATES])):
        if bad:
            raise DataError(f"{_row_label(source, bad[0], repr(text[bad[0]]), csv_rows)}: {what} "
                            f"({len(bad)} such row(s)); {_date_hint(csv_rows)}")
    serial = _excel_serials(text)
    if serial is not None:
        return serial
    _refuse_mixed_formats(text, source, csv_rows)
    dates = None
    try:
        dates = pd.DatetimeIndex(pd.to_datetime(pd.Index(text), format="ISO8601"))
        if dates.tz is not None:
            dates = dates.tz_localize(None)
    except (ValueError, TypeError, OverflowError):
        pass
    if dates is not None:
        _refuse_nat(dates, text, source, csv_rows)
        return dates
    dates = _numeric_day_month(text, source, csv_rows)
    if dates is not None:
        return dates
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pandas' "could not infer format" / dayfirst notes
        dates = _parse_all(text, dayfirst=False)
        if any("/" in t or "." in t for t in text):
            day_first = _parse_all(text, dayfirst=True)
            both = ~(pd.isna(dates) | pd.isna(day_first))
            differ = np.flatnonzero(both & (dates != day_first))
            if both.all() and differ.size:
                i = int(differ[0])
                raise DataError(f"{_row_label(source, i, repr(text[i]), csv_rows)}: ambiguous date: it reads as "
                                f"{dates[i].date()} (month first) and {day_first[i].date()} (day first); "
                                "write dates as YYYY-MM-DD")
    _refuse_nat(dates, text, source, csv_rows)
    return dates


#: Excel serial day numbers read as dates: 1 Jan 1955 … 31 Dec 2118 (day 0 is 30 Dec 1899).
_EXCEL_SERIALS = (20090, 80000)
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
#: Coarse shapes of a written date; a column mixing two of them is refused at the first odd row.
_DATE_SHAPES = (("YYYY-MM-DD", re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([ T].*)?$")),
                ("an Excel serial number", re.compile(r"^\d+(\.\d+)?$")),
                ("DD/MM/YYYY or MM/DD/YYYY", re.compile(r"^\d{1,2}/\d{1,2}/\d{2,4}$")),
                ("DD.MM.YYYY", re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2,4}$")),
                ("DD-MM-YYYY", re.compile(r"^\d{1,2}-\d{1,2}-\d{2,4}$")))


def _excel_serials(text: list[str]) -> pd.DatetimeIndex | None:
    """Dates written as Excel serial day numbers (``43467`` = 2019-01-02; a fraction is a time of
    day), or ``None`` unless every row is such a number in :data:`_EXCEL_SERIALS`."""
    numbers = []
    for t in text:
        if not _DATE_SHAPES[1][1].match(t):
            return None
        numbers.append(float(t))
    values = np.asarray(numbers)
    if not ((values >= _EXCEL_SERIALS[0]) & (values <= _EXCEL_SERIALS[1])).all():
        return None
    return pd.DatetimeIndex(_EXCEL_EPOCH + pd.to_timedelta(np.floor(values), unit="D"))


def _shape(text: str) -> str | None:
    return next((name for name, pattern in _DATE_SHAPES if pattern.match(text)), None)


def _refuse_mixed_formats(text: list[str], source: str, csv_rows: RowNumbers) -> None:
    """Refuse a date column written in two formats (``2019-01-02`` then ``04/02/2019``), naming the
    first row whose format differs from most rows'."""
    shapes = [_shape(t) for t in text]
    known = [s for s in shapes if s is not None]
    if len(set(known)) < 2:
        return
    common = max(set(known), key=known.count)
    odd = [i for i, s in enumerate(shapes) if s is not None and s != common]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        readable = [i for i in odd if not (pd.isna(_parse_one(text[i])) and pd.isna(_parse_one(text[i], True)))]
    if not readable:
        return  # unreadable rows are refused as unparseable dates
    i = readable[0]
    example = text[shapes.index(common)]
    raise DataError(f"{_row_label(source, i, repr(text[i]), csv_rows)}: date written as {shapes[i]}, unlike the "
                    f"other rows ({known.count(common)} of {len(text)} written as {common}, e.g. {example!r}); "
                    "write every date in one format, preferably YYYY-MM-DD")


def _numeric_day_month(text: list[str], source: str, csv_rows: RowNumbers) -> pd.DatetimeIndex | None:
    """Dates written as numbers in day/month/year or month/day/year order, read with ONE format for
    the whole column (never day-first on one row and month-first on the next); ``None`` if no
    format fits every row. Two fitting formats that disagree are refused as ambiguous."""
    readings = {}
    for fmt in _DAY_MONTH_FORMATS:
        parsed = pd.DatetimeIndex(pd.to_datetime(pd.Index(text), format=fmt, errors="coerce"))
        if not pd.isna(parsed).any():
            readings[fmt] = parsed
    if not readings:
        return None
    (first_format, first), *others = readings.items()
    for other_format, other in others:
        differ = np.flatnonzero(first != other)
        if differ.size:
            i = int(differ[0])
            order = {"%m": "month first", "%d": "day first"}
            raise DataError(f"{_row_label(source, i, repr(text[i]), csv_rows)}: ambiguous date: it reads as "
                            f"{first[i].date()} ({order[first_format[:2]]}) and {other[i].date()} "
                            f"({order[other_format[:2]]}); write dates as YYYY-MM-DD")
    return first


def _refuse_nat(dates: pd.DatetimeIndex, text: list[str], source: str, csv_rows: RowNumbers) -> None:
    bad = np.flatnonzero(pd.isna(dates))
    if bad.size:
        first = int(bad[0])
        raise DataError(f"{_row_label(source, first, repr(text[first]), csv_rows)}: unparseable date "
                        f"({bad.size} such row(s)); {_date_hint(csv_rows)}")


def _parse_dates(index: pd.Index, source: str, csv_rows: RowNumbers) -> pd.DatetimeIndex:
    """Dates of ``index`` as midnight timestamps; refuse missing, unparseable, duplicate or unsorted ones."""
    if isinstance(index, pd.DatetimeIndex):
        dates = index.tz_localize(None) if index.tz is not None else index
        if pd.isna(dates).any():
            first = int(np.flatnonzero(pd.isna(dates))[0])
            raise DataError(f"{_row_label(source, first, 'NaT', csv_rows)}: missing date")
    else:
        dates = _text_dates(pd.Index(index), source, csv_rows)
    dates = pd.DatetimeIndex(dates).normalize()  # daily data: a time of day is dropped
    duplicated = np.flatnonzero(dates.duplicated())
    if duplicated.size:
        first = int(duplicated[0])
        earlier = int(np.flatnonzero(dates == dates[first])[0])
        raise DataError(f"{_row_label(source, first, dates[first].date(), csv_rows)}: duplicate date "
                        f"(also at {_row_number(earlier, csv_rows)}); keep one row per date")
    steps = np.flatnonzero(np.diff(dates.asi8) < 0)
    if steps.size:
        first = int(steps[0]) + 1
        descending = bool((np.diff(dates.asi8) < 0).all())
        what = "not in ascending order" + (" (newest first)" if descending else "")
        raise DataError(f"{_row_label(source, first, dates[first].date(), csv_rows)}: dates are {what} "
                        f"(comes after {dates[first - 1].date()}); sort the file by date or ask for the rows "
                        "to be sorted (unsorted files are refused, not sorted silently)",
                        hints=[Hint("sort_dates")])
    return pd.DatetimeIndex(dates)


def _jump_columns(columns: list[str], spreads_columns: list[str]) -> list[str]:
    """Roll-jumps columns renamed to the spreads column of the same instrument: a column may name it by
    another spelling (case), or by a name/terminal ticker of :data:`TERMINAL_TICKERS` the spreads use
    another of. Columns that match nothing are returned unchanged (and refused by the caller)."""
    groups = {column_key(name): {column_key(a) for a in (name, *tickers)} for name, tickers in TERMINAL_TICKERS.items()}
    folded = {column_key(c): c for c in spreads_columns}
    out = []
    for column in columns:
        key = column_key(column)
        match = folded.get(key)
        if match is None:
            same = next((g for g in groups.values() if key in g), set())
            match = next((c for c in spreads_columns if column_key(c) in same), None)
        out.append(match if match is not None else column)
    return out


def _numeric_frame(frame: pd.DataFrame, source: str, csv_rows: RowNumbers, dates: pd.DatetimeIndex) -> pd.DataFrame:
    out = {}
    for column in frame.columns:
        raw = frame[column]
        if raw.dtype == bool:
            raise DataError(f"{source}, column {column!r}: holds True/False, not numbers")
        values = pd.to_numeric(raw, errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy() & raw.notna().to_numpy())
        if bad.size:
            first = int(bad[0])
            raise DataError(f"{_row_label(source, first, dates[first].date(), csv_rows)}, column {column!r}: "
                            f"{_cell(raw.iloc[first])} is not a number ({bad.size} such cell(s)); write plain "
                            "numbers (dot decimal, no units or thousands separators)")
        out[column] = values.astype(float).to_numpy()
    return pd.DataFrame(out, index=dates)


def _desk_series(frame: pd.DataFrame, source: str, desk_columns: Sequence[str] | None) -> pd.Series:
    """The desk PnL column of a desk file (or the sum of ``desk_columns``), indexed by its date column."""
    lowered = [column_key(c) for c in frame.columns]
    date_col = lowered.index("date") if "date" in lowered else 0
    value_cols = [c for i, c in enumerate(frame.columns) if i != date_col]
    if desk_columns is not None:
        wanted = []
        for name in desk_columns:
            hits = [c for c in value_cols if column_key(c) == column_key(name)]
            if not hits:
                raise DataError(f"desk PnL file {source!r}: no column {name!r}; columns are {list(frame.columns)}",
                                hints=[Hint("desk_columns", c, flag="--desk-column") for c in value_cols[:3]])
            if hits[0] in wanted:
                raise DataError(f"desk PnL file {source!r}: column {name!r} chosen twice")
            wanted.append(hits[0])
        value_cols = wanted
    elif len(value_cols) != 1:
        raise DataError(f"desk PnL file {source!r}: expected a date column and one PnL column, got "
                        f"{list(frame.columns)}; choose the PnL column(s) to use (several are summed)",
                        hints=[Hint("desk_columns", c, flag="--desk-column") for c in value_cols[:3]])
    rows = frame.attrs.get("csv_lines", True)
    dates = frame.iloc[:, date_col].to_numpy()
    if len(value_cols) == 1:
        desk = pd.Series(frame[value_cols[0]].to_numpy(), index=dates)
    else:
        parsed = _parse_dates(pd.Index(dates), source, rows)  # dates first: a value error then names its date
        values = _numeric_frame(frame[value_cols].set_axis(value_cols, axis=1), source, rows, parsed)
        desk = pd.Series(values.sum(axis=1, min_count=len(value_cols)).to_numpy(), index=dates)
    desk.attrs["csv_lines"] = rows
    return desk


def _sort_rows(frame: pd.DataFrame | pd.Series, source: str) -> pd.DataFrame | pd.Series:
    """``frame``'s rows in ascending date order (stable), the file line of each row kept with it."""
    rows = frame.attrs.get("csv_lines", True)
    index = frame.index
    dates = (index.tz_localize(None) if getattr(index, "tz", None) is not None else index) \
        if isinstance(index, pd.DatetimeIndex) else _text_dates(pd.Index(index), source, rows)
    order = np.argsort(dates.asi8, kind="stable")
    out = frame.iloc[order]
    lines = list(rows) if not isinstance(rows, bool) else list(range(2, len(frame) + 2))
    out.attrs["csv_lines"] = [lines[i] for i in order]
    return out


class MarketData:
    """Daily CDS index spreads (bp) and desk PnL ($mm), validated.

    Parameters
    ----------
    spreads : DataFrame
        Index: dates (ascending, unique; a time of day is dropped); one numeric column per
        instrument, spreads in bp (0 < s ≤ :data:`MAX_SPREAD_BP`). A column whose values all
        sit below :data:`MIN_COLUMN_MAX_BP` looks like decimals and is refused. Unsorted dates
        are refused, not sorted.
    desk_pnl : Series, optional
        Daily desk PnL in mm of ``reporting_currency``. Must cover every spread date
        (``missing="drop"`` drops the dates it lacks or leaves empty). Desk PnL is never dropped:
        the PnL of a date with no spreads (or one the missing-data policy dropped) moves to the
        next kept date, whose spread change spans the gap (``missing_report["desk_dates_moved"]``,
        ``["desk_pnl_moved"]``); only PnL dated before the first or after the last spread date,
        outside every period, is left out (``["desk_dates_ignored"]``, ``["desk_pnl_ignored"]``). ``None`` means a flat
        book (zero PnL).
    missing : {"error", "ffill", "drop"}
        What to do with missing spreads: refuse (default), carry the last value forward for at
        most ``max_gap`` consecutive rows, or drop the dates with any missing value.
    max_gap : int
        Longest run of missing values ``ffill`` may fill.
    roll_jumps : DataFrame, optional
        Part of each daily spread change (bp) that is the generic series switching to a new
        series on an index roll date, indexed by date, columns among the spreads' columns.
        Dates left out and columns left out have no jump; every date must be a spreads date;
        a jump on a date removed by the missing-data policy moves to the next date kept (the
        change across the gap contains it). A backtest removes these jumps from the daily
        changes, so the hedge PnL is that of the contract held the day before.
    fx : DataFrame or Series, optional
        FX rates, indexed by date: units of ``reporting_currency`` per unit of another
        currency, one column per currency named by its code (``EUR``) or by the pair
        (``EURUSD``: EUR in USD). A Series is one such column; unnamed, it is ``EUR``. On each
        spreads date the latest rate on or before it is used (FX trades on days credit does
        not); spreads dates before the first rate are refused.
    reporting_currency : str
        Currency of the desk PnL and of every amount the package reports ("USD").
    rates : RateQuotes, optional
        Interest-rate quotes per date and currency (or a flat rate), from which the market conventions
        price every contract with the ISDA CDS Standard Model (notional, carry and jump-to-default per
        CS01, price quotes into spreads). ``None``: r = 0 is assumed (summaries and reports say so).
    tenor_spreads : DataFrame, optional
        Spreads (bp) of other tenors of the indices, for the roll-down slope: dates, then one column per
        instrument and tenor (``CDX IG 3Y``, ``CDX IG 7Y``; the instrument named as in the spreads). Every
        spreads date needs a value in every column. Given for an instrument, the roll-down slope of each
        period comes from the curve through these tenors (:mod:`cdshedge_cvx.market._tenor_spreads`); it
        takes precedence over the instrument's ``roll_slope_bp_per_year``, which takes precedence over
        ``roll_fraction``.
    source, desk_source, roll_jumps_source, fx_source, tenor_spreads_source : str
        Names used in error messages (file paths when read from CSV).

    Attributes
    ----------
    spreads : DataFrame
        Clean spreads, float, ascending dates.
    desk_pnl : Series
        Desk PnL aligned on the spreads' dates.
    missing_report : dict
        ``policy``; ``filled`` values and ``dropped_rows``; ``max_gap`` (ffill); ``first``,
        where the first missing spread was; ``desk_dates_moved``/``desk_pnl_moved`` when desk
        PnL of dates without spreads moved to the next kept date; ``desk_dates_ignored``/
        ``desk_pnl_ignored`` for desk PnL after the last spread date.
    roll_jumps : DataFrame or None
        Roll jumps on the spreads' dates and columns (0 where none), or ``None``.
    fx : DataFrame or None
        FX rates on the spreads' dates, one column per currency, or ``None``.
    reporting_currency : str
    rates : RateQuotes or None
    """

    def __init__(self, spreads: pd.DataFrame, desk_pnl: pd.Series | None = None, *,
                 missing: MissingPolicy = "error", max_gap: int = 5, source: str = "spreads",
                 desk_source: str = "desk PnL", roll_jumps: pd.DataFrame | None = None,
                 fx: pd.DataFrame | pd.Series | None = None, reporting_currency: str = "USD",
                 roll_jumps_source: str = "roll jumps", fx_source: str = "FX rates",
                 rates: RateQuotes | None = None,
                 spread_units: str = "bp", spread_ranges: dict[str, tuple[float, float]] | None = None,
                 outlier_ratio: float = OUTLIER_RATIO, tenor_spreads: pd.DataFrame | None = None,
                 tenor_spreads_source: str = "tenor spreads",
                 _csv_rows: RowNumbers = False, _desk_rows: RowNumbers | None = None) -> None:
        if spread_units not in SPREAD_UNITS:
            raise DataError(f"unknown spread_units {spread_units!r}; use one of {', '.join(SPREAD_UNITS)}")
        if not (isinstance(outlier_ratio, (int, float)) and outlier_ratio > 1):
            raise DataError(f"outlier_ratio must be a number > 1, got {outlier_ratio!r}")
        if missing not in MISSING_POLICIES:
            raise DataError(f"unknown missing-data policy {missing!r}; use one of {', '.join(MISSING_POLICIES)}")
        if isinstance(max_gap, bool) or not isinstance(max_gap, (int, np.integer)) or max_gap < 1:
            raise DataError(f"max_gap must be a whole number of rows >= 1, got {max_gap!r}")
        if not isinstance(spreads, pd.DataFrame):
            raise DataError(f"{source}: expected a DataFrame of spreads, got {type(spreads).__name__}")
        if spreads.shape[1] == 0:
            raise DataError(f"{source}: no instrument columns; the header must be a date column, then one "
                            "column per instrument")
        if spreads.shape[0] < 2:
            raise DataError(f"{source}: {spreads.shape[0]} row(s); at least two dates are needed "
                            "(a base level and one daily change)")
        columns = [str(c).strip() for c in spreads.columns]
        unnamed = [i for i, c in enumerate(columns) if not c or c.startswith("Unnamed:")]
        if unnamed:
            raise DataError(f"{source}: instrument column {unnamed[0] + 1} (counting after the dates) has no name; "
                            "the header must name every instrument")
        if len(set(columns)) != len(columns):
            dup = next(c for c in columns if columns.count(c) > 1)
            raise DataError(f"{source}: duplicate column {dup!r}")
        dates = _parse_dates(spreads.index, source, _csv_rows)
        input_dates = dates
        frame = _numeric_frame(spreads.set_axis(columns, axis=1), source, _csv_rows, dates)
        frame = frame * SPREAD_UNITS[spread_units]
        self.spread_units = spread_units
        self._check_values(frame, source, _csv_rows, ranges=spread_ranges, units=spread_units)
        self.missing_report: dict[str, object] = {"policy": missing, "filled": 0, "dropped_rows": 0}
        if missing == "ffill":
            self.missing_report["max_gap"] = int(max_gap)
        frame = self._isolated_prints(frame, missing, float(outlier_ratio), source, _csv_rows)
        frame = self._low_prints(frame, missing, float(outlier_ratio), source, _csv_rows, spread_ranges)
        self._check_ranges(frame, source, _csv_rows, spread_ranges)
        if frame.isna().to_numpy().any():
            frame = self._apply_missing(frame, missing, int(max_gap), source, _csv_rows)
        if len(frame) < 2:
            raise DataError(f"{source}: fewer than two dates left after the missing-data policy "
                            f"({self.missing_report['dropped_rows']} row(s) dropped)")
        self.spreads = frame
        #: the observation dates as given, before the missing-data policy dropped any
        self.calendar = pd.DatetimeIndex(input_dates)
        self.source = source
        self.desk_source = desk_source
        self.has_desk = desk_pnl is not None
        desk_rows = _csv_rows if _desk_rows is None else _desk_rows
        if not isinstance(reporting_currency, str) or not re.fullmatch(r"[A-Za-z]{3}", reporting_currency.strip()):
            raise DataError(f"reporting_currency must be a three-letter code such as USD, got {reporting_currency!r}")
        self.reporting_currency = reporting_currency.strip().upper()
        self.desk_pnl = self._align_desk(desk_pnl, missing, desk_source, desk_rows)
        file_rows = _csv_rows is not False  # roll-jumps and FX files: row = file line when read from CSV
        self.roll_jumps = (None if roll_jumps is None
                           else self._align_jumps(roll_jumps, input_dates, roll_jumps_source, file_rows))
        self.fx = None if fx is None else self._align_fx(fx, fx_source, file_rows)
        if rates is not None and not isinstance(rates, RateQuotes):
            raise DataError(f"rates must be a RateQuotes (RateQuotes.from_csv, RateQuotes.flat), got "
                            f"{type(rates).__name__}")
        self.rates = rates
        self._converted: dict[Universe, pd.DataFrame] = {}
        self.tenor_spreads_source = tenor_spreads_source
        self.tenor_spreads = (None if tenor_spreads is None  # see market/_tenor_spreads.py
                              else align_tenor_spreads(tenor_spreads, self.spreads.index, tenor_spreads_source,
                                                       file_rows))

    # ------------------------------------------------------------------------------------
    @classmethod
    def _check_values(cls, frame: pd.DataFrame, source: str, csv_rows: RowNumbers, *,
                      ranges: dict[str, tuple[float, float]] | None = None, units: str = "bp") -> None:
        """Refuse infinite, non-positive, percent- or decimal-looking and implausibly large spreads (NaN passes)."""
        values = frame.to_numpy()
        dates = frame.index
        columns = list(frame.columns)
        for mask, what in ((np.isinf(values), "infinite spread; give a finite number in bp"),
                           (values <= 0, "spread {value} bp is not positive; CDS index spreads are > 0 bp"),
                           (values > MAX_SPREAD_BP, f"spread {{value}} bp is above {MAX_SPREAD_BP:,.0f} bp; the "
                                                   "unit looks wrong: give spreads in bp")):
            cells = np.argwhere(mask)
            if cells.size:
                r, c = (int(x) for x in cells[0])
                text = what.format(value=_cell(values[r, c]))
                raise DataError(f"{_row_label(source, r, dates[r].date(), csv_rows)}, column {columns[c]!r}: "
                                f"{text} ({len(cells)} such cell(s))")
        cls._check_units(frame, source, ranges, units)
        maxima = frame.max(axis=0, skipna=True)
        small = [c for c in columns if maxima[c] < MIN_COLUMN_MAX_BP]
        if small:
            column = small[0]
            raise DataError(f"{source}, column {column!r}: every spread is below {MIN_COLUMN_MAX_BP:g} bp "
                            f"(max {maxima[column]:.4g}; {len(small)} of {len(columns)} column(s) like this); "
                            "spreads look like decimals: give them in bp (multiply by 10 000)")

    @staticmethod
    @staticmethod
    def _check_units(frame: pd.DataFrame, source: str, ranges: dict[str, tuple[float, float]] | None,
                     units: str) -> None:
        """Refuse a column whose typical level is implausible for its kind in bp but plausible in
        percent or decimals (see :mod:`cdshedge_cvx.market._plausibility`), with the conversion."""
        if units != "bp":
            return
        found = []
        for column in frame.columns:
            known = plausible_range(column, ranges)
            if known is None or not frame[column].notna().any():
                continue
            what, low, high = known
            median = float(np.nanmedian(frame[column].to_numpy()))
            unit = unit_suggestion(median, low, high)
            if unit is not None:
                found.append((column, unit, median, what, low, high))
        if found:
            column, unit, median, what, low, high = found[0]
            plural = "s" if unit == "decimal" else ""
            factor = "100" if unit == "percent" else "10 000"
            raise DataError(f"{source}, column {column!r}: spreads look like {unit}{plural}, not bp (median "
                            f"{median:.4g}, where {low:g}-{high:,.0f} bp is plausible for {what}; {len(found)} of "
                            f"{len(frame.columns)} column(s) like this); convert them to bp (multiply by {factor}) "
                            "or say the unit", hints=[Hint("spread_units", unit)])

    def _isolated_prints(self, frame: pd.DataFrame, missing: str, ratio: float, source: str,
                         csv_rows: RowNumbers) -> pd.DataFrame:
        """A print more than ``ratio`` times both neighbours (or below 1/``ratio`` of both) is refused
        under ``missing="error"``; under ``ffill``/``drop`` it becomes a missing value the policy
        handles, counted in ``missing_report["outliers"]`` (first in ``["outlier_first"]``)."""
        mask = isolated_prints(frame, ratio)
        if not mask.any():
            return frame
        r, c = (int(x) for x in np.argwhere(mask)[0])
        value = frame.iat[r, c]
        before = frame.iloc[:r, c].dropna().iloc[-1]
        after = frame.iloc[r + 1:, c].dropna().iloc[0]
        where = f"{_row_number(r, csv_rows)} ({frame.index[r].date()}), column {frame.columns[c]!r}"
        if missing == "error":
            raise DataError(f"{source}, {where}: spread {_cell(value)} bp is more than {ratio:g} times away from "
                            f"both neighbouring prints ({_cell(before)} and {_cell(after)} bp; {int(mask.sum())} "
                            "such cell(s)): a bad print; fix it, or treat such prints as missing",
                            hints=[Hint("missing", "ffill"), Hint("missing", "drop")])
        self.missing_report.update(outliers=int(mask.sum()), outlier_first=f"{where}: {_cell(value)} bp")
        return frame.mask(mask)

    def _low_prints(self, frame: pd.DataFrame, missing: str, ratio: float, source: str, csv_rows: RowNumbers,
                    ranges: dict[str, tuple[float | None, float | None]] | None) -> pd.DataFrame:
        """A print below its column's plausible low, or ``ratio`` times below the prints around it
        (:func:`~cdshedge_cvx.market._plausibility.low_prints`), is refused under ``missing="error"``;
        under ``ffill``/``drop`` it becomes a missing value, counted with the bad prints."""
        mask, reasons = low_prints(frame, ranges, ratio)
        if not mask.any():
            return frame
        r, c = (int(x) for x in np.argwhere(mask)[0])
        where = f"{_row_number(r, csv_rows)} ({frame.index[r].date()}), column {frame.columns[c]!r}"
        if missing == "error":
            raise DataError(f"{source}, {where}: spread {_cell(frame.iat[r, c])} bp {reasons[0]} ({int(mask.sum())} "
                            "such cell(s)): a bad print, or a value in percent among bp; fix it, give the column "
                            "its own range, or treat such prints as missing",
                            hints=[Hint("missing", "ffill"), Hint("missing", "drop")])
        count = int(self.missing_report.get("outliers", 0)) + int(mask.sum())
        self.missing_report["outliers"] = count
        self.missing_report.setdefault("outlier_first", f"{where}: {_cell(frame.iat[r, c])} bp")
        return frame.mask(mask)

    @staticmethod
    def _check_ranges(frame: pd.DataFrame, source: str, csv_rows: RowNumbers,
                      ranges: dict[str, tuple[float, float]] | None) -> None:
        """Refuse a spread outside its instrument kind's plausible range (or the one given)."""
        for column in frame.columns:
            known = plausible_range(column, ranges)
            if known is None:
                continue
            what, low, high = known
            values = frame[column].to_numpy()
            bad = np.flatnonzero(values > high)  # the low side: the unit check (a whole column) and bad prints
            if bad.size:
                r = int(bad[0])
                raise DataError(f"{_row_label(source, r, frame.index[r].date(), csv_rows)}, column {column!r}: "
                                f"spread {_cell(values[r])} bp is outside {low:g}-{high:,.0f} bp, plausible for "
                                f"{what} ({bad.size} such cell(s)); fix the data, or give this column its own "
                                "range (MarketData's spread_ranges, or the instruments' min_spread_bp/max_spread_bp)")

    def _apply_missing(self, frame: pd.DataFrame, missing: str, max_gap: int, source: str,
                       csv_rows: RowNumbers) -> pd.DataFrame:
        mask = frame.isna().to_numpy()
        count = int(mask.sum())
        r, c = (int(x) for x in np.argwhere(mask)[0])
        where = f"{_row_number(r, csv_rows)} ({frame.index[r].date()}), column {frame.columns[c]!r}"
        self.missing_report["first"] = where
        if missing == "error":
            raise DataError(f"{source}: {count} missing spread(s) in {int(mask.any(axis=1).sum())} row(s), first at "
                            f"{where}; fill them, forward-fill them (gaps of at most {max_gap} rows) or drop those "
                            "dates", hints=[Hint("missing", "ffill"), Hint("missing", "drop")])
        if missing == "drop":
            keep = ~mask.any(axis=1)
            self.missing_report.update(dropped_rows=int((~keep).sum()))
            return frame.loc[keep]
        first_row = np.flatnonzero(mask[0])
        if first_row.size:
            raise DataError(f"{source}, {_row_number(0, csv_rows)} ({frame.index[0].date()}), column "
                            f"{frame.columns[int(first_row[0])]!r}: missing spread on the first date cannot be "
                            "forward-filled: fill it or drop that date", hints=[Hint("missing", "drop")])
        run = np.zeros(mask.shape[1], dtype=int)
        for i, row in enumerate(mask):
            run = np.where(row, run + 1, 0)
            if (run > max_gap).any():
                col = int(np.argmax(run > max_gap))
                start = i - max_gap
                length = int(np.argmin(np.append(mask[start:, col], False)))  # the whole gap, to its end
                raise DataError(f"{_row_label(source, i, frame.index[i].date(), csv_rows)}, column "
                                f"{frame.columns[col]!r}: more than {max_gap} missing rows in a row (gap starts at "
                                f"{_row_number(start, csv_rows)}, {length} rows long): fix the data, fill longer "
                                "gaps or drop those dates", hints=[Hint("max_gap", length), Hint("missing", "drop")])
        self.missing_report.update(filled=count)
        return frame.ffill()

    def _align_desk(self, desk_pnl: pd.Series | None, missing: str, desk_source: str,
                    csv_rows: RowNumbers) -> pd.Series:
        index = self.spreads.index
        if desk_pnl is None:
            return pd.Series(0.0, index=index, name="desk_pnl")
        if isinstance(desk_pnl, pd.DataFrame):
            if desk_pnl.shape[1] != 1:
                raise DataError(f"{desk_source}: expected one PnL column, got {list(desk_pnl.columns)}")
            desk_pnl = desk_pnl.iloc[:, 0]
        if not isinstance(desk_pnl, pd.Series):
            raise DataError(f"{desk_source}: expected a Series of daily PnL, got {type(desk_pnl).__name__}")
        if desk_pnl.empty:
            raise DataError(f"{desk_source}: no rows")
        dates = _parse_dates(desk_pnl.index, desk_source, csv_rows)
        values = _numeric_frame(pd.DataFrame({"pnl": desk_pnl.to_numpy()}), desk_source, csv_rows, dates)["pnl"]
        infinite = np.flatnonzero(np.isinf(values.to_numpy()))
        if infinite.size:
            first = int(infinite[0])
            raise DataError(f"{_row_label(desk_source, first, dates[first].date(), csv_rows)}: desk PnL is "
                            f"{values.iloc[first]:g} ({infinite.size} infinite value(s)); give a finite number in $mm")
        self._check_desk_scale(values.to_numpy(), desk_source)
        empty = np.flatnonzero(np.isnan(values.to_numpy()))
        if empty.size and missing != "drop":
            first = int(empty[0])
            raise DataError(f"{_row_label(desk_source, first, dates[first].date(), csv_rows)}: desk PnL is missing "
                            f"({empty.size} empty cell(s)): fill them or drop those dates",
                            hints=[Hint("missing", "drop")])
        overlap = index.intersection(dates)
        if overlap.empty:
            raise DataError(f"{desk_source}: desk PnL dates ({dates[0].date()} … {dates[-1].date()}) do not overlap "
                            f"the spreads ({index[0].date()} … {index[-1].date()}); check both files cover the "
                            "same period")
        known = values.dropna()
        lacking = np.flatnonzero(~index.isin(known.index))
        if lacking.size:
            if missing != "drop":
                raise DataError(f"{desk_source}: no desk PnL for {lacking.size} spread date(s), first "
                                f"{index[lacking[0]].date()}: supply them or drop those dates",
                                hints=[Hint("missing", "drop")])
            keep = index.isin(known.index)
            self.spreads = self.spreads.loc[keep]
            self.missing_report["dropped_rows"] = int(self.missing_report["dropped_rows"]) + int(lacking.size)
            if keep.sum() < 2:
                raise DataError(f"{desk_source}: fewer than two dates in common with the spreads")
        aligned = self._carry_desk(known)
        return aligned.rename("desk_pnl")

    def _check_desk_scale(self, desk: np.ndarray, desk_source: str) -> None:
        """Refuse desk PnL too large to compute with, or moving like a CS01 above
        :data:`MAX_IMPLIED_CS01_MM` $mm per bp of the typical daily spread move (a file in $, not $mm)."""
        changes = np.diff(self.spreads.to_numpy(dtype=float), axis=0)
        implied = implied_cs01(desk, changes)
        currency = "$" if self.reporting_currency == "USD" else self.reporting_currency + " "
        if implied == float("inf"):
            largest = float(np.nanmax(np.abs(desk)))
            raise DataError(f"{desk_source}: desk PnL values up to {largest:g} are too large to compute with (their "
                            f"squares overflow); give the PnL in {currency}mm")
        if np.isfinite(implied) and implied > MAX_IMPLIED_CS01_MM:
            raise DataError(f"{desk_source}: desk PnL moves like a CS01 of {implied:,.0f} {currency}mm per bp of the "
                            f"typical daily spread move (above {MAX_IMPLIED_CS01_MM:,.0f}); it looks like it is in "
                            f"{currency} rather than {currency}mm: divide it by 1 000 000")

    def _carry_desk(self, known: pd.Series) -> pd.Series:
        """Desk PnL on the kept spread dates, never dropped: the PnL of a date the spreads lack (a
        holiday of the spreads, a date dropped by the missing-data policy) moves to the next kept
        date, whose spread change spans the gap (as roll jumps do).

        ``missing_report["desk_dates_moved"]`` counts the moved dates and ``desk_pnl_moved`` sums
        them; PnL dated before the first or after the last spread date (outside every period) is
        counted in ``desk_dates_ignored`` and summed in ``desk_pnl_ignored``.
        """
        kept = self.spreads.index
        target = kept.searchsorted(known.index, side="left")
        inside = (target < len(kept)) & (known.index >= kept[0])  # before the first date: no change holds it
        moved = inside & ~known.index.isin(kept)
        if moved.any():
            self.missing_report["desk_dates_moved"] = int(moved.sum())
            self.missing_report["desk_pnl_moved"] = float(known.to_numpy()[moved].sum())
        if (~inside).any():
            self.missing_report["desk_dates_ignored"] = int((~inside).sum())
            self.missing_report["desk_pnl_ignored"] = float(known.to_numpy()[~inside].sum())
        placed = pd.Series(known.to_numpy()[inside], index=kept[target[inside]])
        return placed.groupby(level=0).sum().reindex(kept, fill_value=0.0).astype(float)


    def _align_jumps(self, jumps: pd.DataFrame, input_dates: pd.DatetimeIndex, jumps_source: str,
                     csv_rows: bool) -> pd.DataFrame:
        if not isinstance(jumps, pd.DataFrame):
            raise DataError(f"{jumps_source}: expected a DataFrame of roll jumps (bp), got {type(jumps).__name__}")
        columns = [str(c).strip() for c in jumps.columns]
        if len(set(columns)) != len(columns):
            dup = next(c for c in columns if columns.count(c) > 1)
            raise DataError(f"{jumps_source}: duplicate column {dup!r}")
        columns = _jump_columns(columns, list(self.spreads.columns))  # tickers/aliases → spreads columns
        unknown = [c for c in columns if c not in self.spreads.columns]
        if unknown:
            raise DataError(f"{jumps_source}: column {unknown[0]!r} is not a spreads column "
                            f"({', '.join(self.spreads.columns)})")
        index = jumps.index
        if len(index) == 0:
            return pd.DataFrame(0.0, index=self.spreads.index, columns=self.spreads.columns)
        dates = _parse_dates(index, jumps_source, csv_rows)
        frame = _numeric_frame(jumps.set_axis(columns, axis=1), jumps_source, csv_rows, dates)
        values = frame.to_numpy()
        bad = np.argwhere(~np.isfinite(values) | (np.abs(values) > MAX_SPREAD_BP))
        if bad.size:
            r, c = bad[0]
            raise DataError(f"{_row_label(jumps_source, int(r), dates[r].date(), csv_rows)}, column {columns[c]!r}: "
                            f"roll jump is {_cell(values[r, c])}; give a finite jump in bp (|jump| <= "
                            f"{MAX_SPREAD_BP:,.0f}); write 0 where there is no jump")
        outside = np.flatnonzero(~dates.isin(input_dates))
        if outside.size:
            r = int(outside[0])
            raise DataError(f"{_row_label(jumps_source, r, dates[r].date(), csv_rows)}: {dates[r].date()} is not a "
                            f"date of the spreads ({self.source})")
        kept = self.spreads.index
        # a jump on a dropped date belongs to the change into the next kept date
        target = kept.searchsorted(dates, side="left")
        inside = target < len(kept)
        frame = frame.loc[inside]
        frame.index = kept[target[inside]]
        aligned = frame.groupby(level=0).sum().reindex(index=kept, columns=self.spreads.columns, fill_value=0.0)
        return aligned.fillna(0.0)

    def _align_fx(self, fx: pd.DataFrame | pd.Series, fx_source: str, csv_rows: bool) -> pd.DataFrame:
        if isinstance(fx, pd.Series):
            fx = fx.to_frame(name="EUR" if fx.name is None else fx.name)
        if not isinstance(fx, pd.DataFrame):
            raise DataError(f"{fx_source}: expected a DataFrame or Series of FX rates, got {type(fx).__name__}")
        if fx.shape[1] == 0 or fx.shape[0] == 0:
            raise DataError(f"{fx_source}: no FX rates")
        reporting = self.reporting_currency
        columns = []
        for raw in fx.columns:
            name = fx_header(raw).upper().replace("/", "")  # "EURUSD Curncy" → EURUSD
            if re.fullmatch(r"[A-Z]{6}", name):
                base, quote = name[:3], name[3:]
                if base == reporting and quote != reporting:
                    raise DataError(f"{fx_source}: column {raw!r} is {quote} per {base}; give {quote}{reporting} "
                                    f"({reporting} per {quote}, i.e. 1/{base}{quote})")
                if quote != reporting:
                    raise DataError(f"{fx_source}: column {raw!r} quotes {base} in {quote}, not in the reporting "
                                    f"currency {reporting}; give {base}{reporting} ({reporting} per {base})")
                name = base
            if not re.fullmatch(r"[A-Z]{3}", name):
                raise DataError(f"{fx_source}: column {raw!r} is not a currency code (EUR) or pair (EUR{reporting})")
            if name == reporting:
                raise DataError(f"{fx_source}: column {raw!r} is the reporting currency itself")
            if name in columns:
                raise DataError(f"{fx_source}: two columns for currency {name}")
            columns.append(name)
        dates = _parse_dates(fx.index, fx_source, csv_rows)
        frame = _numeric_frame(fx.set_axis(columns, axis=1), fx_source, csv_rows, dates)
        values = frame.to_numpy()
        bad = np.argwhere(~(np.isfinite(values) & (values > 0)))
        if bad.size:
            r, c = bad[0]
            raise DataError(f"{_row_label(fx_source, int(r), dates[r].date(), csv_rows)}, column {columns[c]!r}: "
                            f"FX rate {values[r, c]!r} is not a positive number")
        bad = np.argwhere((values > MAX_FX_RATE) | (values < 1 / MAX_FX_RATE))
        if bad.size:
            r, c = bad[0]
            raise DataError(f"{_row_label(fx_source, int(r), dates[r].date(), csv_rows)}, column {columns[c]!r}: "
                            f"FX rate {_cell(values[r, c])} is outside 1e-06 … 1e+06; check the unit")
        kept = self.spreads.index
        if kept[0] < dates[0]:
            raise DataError(f"{fx_source}: first rate on {dates[0].date()}, after the first spreads date "
                            f"{kept[0].date()}; FX must start on or before it")
        self.missing_report["fx_as_of"] = int((~kept.isin(dates)).sum())
        return frame.reindex(kept, method="ffill")

    # ------------------------------------------------------------------------------------
    @classmethod
    def from_csv(cls, spreads: str | Path, desk_pnl: str | Path | None = None, *,
                 missing: MissingPolicy = "error", max_gap: int = 5, roll_jumps: str | Path | None = None,
                 fx: str | Path | None = None, reporting_currency: str = "USD",
                 rates: str | Path | RateQuotes | None = None, sort_dates: bool = False,
                 desk_columns: Sequence[str] | str | None = None, spread_units: str = "bp",
                 spread_ranges: dict[str, tuple[float, float]] | None = None,
                 outlier_ratio: float = OUTLIER_RATIO, tenor_spreads: str | Path | None = None) -> MarketData:
        """Read spreads (first column dates, one column per instrument, bp) and desk PnL.

        Files are read as desks export them (see :func:`~cdshedge_cvx.io.read_csv_checked`):
        CSV in UTF-8/UTF-16 with Excel's ``sep=`` line and trailing separators, ``.xlsx`` or
        ``.parquet``; dates ISO, day/month numbers (one order per column) or Excel serial numbers.

        The desk PnL file has a date column (the first, or one named ``date`` in any case) and one
        value column in mm of ``reporting_currency``; with several value columns, ``desk_columns``
        names the one to use, or several to sum (books). The optional roll-jumps file has the
        spreads' layout (first column dates, bp; columns named like the spreads' or by another
        ticker of the same index); the optional FX file has dates then one column per currency
        (``EUR``, ``EURUSD`` or ``EURUSD Curncy``: USD per EUR). ``rates`` is a rates file (columns
        ``date, currency, tenor, rate``, see :meth:`RateQuotes.from_csv`) or a :class:`RateQuotes`. The
        optional tenor-spreads file has the spreads' layout with columns named by instrument and tenor
        (``CDX IG 3Y``, ``CDX IG 7Y``): the roll-down slope comes from the curve through those tenors
        (see :meth:`with_tenor_spreads`).

        Parameters
        ----------
        sort_dates : bool, default False
            Sort every file's rows by date (Bloomberg exports newest first); otherwise unsorted
            dates are refused.
        desk_columns : str or sequence of str, optional
            Desk PnL column(s) to use, matched ignoring case; several are summed per date.
        """
        from cdshedge_cvx.io._files import read_csv_checked

        jumps_frame = None if roll_jumps is None else read_csv_checked(roll_jumps, what="roll jumps file")
        fx_frame = None if fx is None else read_csv_checked(fx, what="FX file")
        frame = read_csv_checked(spreads, what="spreads file")
        if rates is not None and not isinstance(rates, RateQuotes):
            rates = RateQuotes.from_csv(rates)
        desk = None
        desk_frame = None
        desk_source = str(desk_pnl) if desk_pnl is not None else "desk PnL"
        if isinstance(desk_columns, str):
            desk_columns = [desk_columns]
        if desk_columns is not None and desk_pnl is None:
            raise DataError("desk_columns given without a desk PnL file")
        if desk_pnl is not None:
            desk_frame = read_csv_checked(desk_pnl, what="desk PnL file", index_col=None)
            desk = _desk_series(desk_frame, desk_source, desk_columns)
        if sort_dates:
            frame = _sort_rows(frame, str(spreads))
            jumps_frame = None if jumps_frame is None else _sort_rows(jumps_frame, str(roll_jumps))
            fx_frame = None if fx_frame is None else _sort_rows(fx_frame, str(fx))
            if desk is not None:
                desk = _sort_rows(desk, desk_source)
        market = cls(frame, desk, missing=missing, max_gap=max_gap, source=str(spreads),
                   desk_source=desk_source, roll_jumps=jumps_frame,
                   fx=fx_frame, reporting_currency=reporting_currency,
                   roll_jumps_source=str(roll_jumps) if roll_jumps is not None else "roll jumps",
                   fx_source=str(fx) if fx is not None else "FX rates", rates=rates, spread_units=spread_units,
                   spread_ranges=spread_ranges, outlier_ratio=outlier_ratio,
                   _csv_rows=frame.attrs.get("csv_lines", True),
                   _desk_rows=desk.attrs.get("csv_lines", True) if desk is not None else None)
        if tenor_spreads is not None:
            market = market.with_tenor_spreads(tenor_spreads, sort_dates=sort_dates)
        return market

    # ------------------------------------------------------------------------------------
    @property
    def dates(self) -> pd.DatetimeIndex:
        """The observation dates."""
        return pd.DatetimeIndex(self.spreads.index)

    def with_tenor_spreads(self, tenor_spreads: pd.DataFrame | str | Path | None, source: str | None = None, *,
                           sort_dates: bool = False) -> MarketData:
        """A copy of this market with other tenors' spreads (a frame, or a file read like the spreads file:
        CSV, .xlsx, .parquet; ``sort_dates`` sorts its rows). See the ``tenor_spreads`` parameter."""
        other = copy.copy(self)
        if tenor_spreads is None:
            other.tenor_spreads = None
            return other
        file_rows: RowNumbers = False
        if isinstance(tenor_spreads, (str, Path)):
            from cdshedge_cvx.io._files import read_csv_checked

            source = str(tenor_spreads) if source is None else source
            tenor_spreads = read_csv_checked(tenor_spreads, what="tenor spreads file")
            if sort_dates:
                tenor_spreads = _sort_rows(tenor_spreads, source)
            file_rows = tenor_spreads.attrs.get("csv_lines", True)
        other.tenor_spreads_source = "tenor spreads" if source is None else source
        other.tenor_spreads = align_tenor_spreads(tenor_spreads, self.spreads.index, other.tenor_spreads_source,
                                                  file_rows)
        return other

    def tenor_spreads_for_universe(self, universe: Universe) -> dict[str, TenorSeries] | None:
        """The other tenors' spreads per instrument of ``universe`` (``None`` when none were given)."""
        if self.tenor_spreads is None:
            return None
        own = {i.name: (12 * int(i.tenor_years) if i.rule == "on-the-run"
                        else 3 * round(float(i.maturity_years) * 4)) for i in universe}  # type: ignore[arg-type]
        return tenor_series(self.tenor_spreads, universe, own, self.tenor_spreads_source)

    def with_rates(self, rates: RateQuotes | None) -> MarketData:
        """A copy of this market with other interest-rate quotes (``None``: r = 0)."""
        if rates is not None and not isinstance(rates, RateQuotes):
            raise DataError(f"rates must be a RateQuotes, got {type(rates).__name__}")
        other = copy.copy(self)
        other.rates = rates
        other._converted = {}
        return other

    @property
    def rates_note(self) -> str:
        """What the market's rates are, for summaries: their description, or that r = 0 is assumed."""
        if self.rates is None:
            return "none given: r = 0 assumed (flat zero discount curve); give --rates or --rate"
        return self.rates.describe()

    def for_universe(self, universe: Universe) -> pd.DataFrame:
        """The spreads (bp) with columns renamed to and ordered like ``universe``.

        Columns may be named by the instrument or by its ``ticker`` alias. The columns of instruments
        quoted in price (``quote="price"``) are converted to conventional spreads date by date through the
        ISDA model with the market's rates (r = 0 without them), :func:`~cdshedge_cvx.market.prices_to_spreads`;
        the conversion is done once per universe. Raises :class:`DataError` for an instrument with no column,
        for a column that matches no instrument and for a price no hazard rate reproduces.
        """
        frame = self.spreads.rename(columns=self._universe_columns(universe))[universe.names]
        priced = [i for i in universe if i.quote == "price"]
        if not priced:
            return frame
        if universe not in self._converted:
            from cdshedge_cvx.market._quotes import prices_to_spreads

            rates = self.rates if self.rates is not None else RateQuotes.flat(0.0)
            converted = {}
            for instrument in priced:
                column = frame[instrument.name]
                if float(column.max()) > 200.0:  # no index trades above 200 points of par: these are spreads
                    raise DataError(f"{self.source}, column {instrument.name!r}: the instrument is quoted in price "
                                    f"(points of par) but the column reaches {float(column.max()):.4g}, a spread in "
                                    "bp; give prices, or mark the instrument quote='spread' (instruments file "
                                    "column 'quote', or ch.examples.spread_quoted(universe))")
                with naming(f"{self.source}, column {instrument.name!r} (quoted in price)", "the price conversion"):
                    converted[instrument.name] = prices_to_spreads(column, None, instrument, rates)
            self._converted[universe] = pd.DataFrame(converted, index=frame.index)
        return frame.assign(**self._converted[universe])

    def roll_jumps_for_universe(self, universe: Universe) -> pd.DataFrame | None:
        """The roll jumps with columns renamed to and ordered like ``universe`` (``None`` if none)."""
        if self.roll_jumps is None:
            return None
        return self.roll_jumps.rename(columns=self._universe_columns(universe))[universe.names]

    def _universe_columns(self, universe: Universe) -> dict[str, str]:
        """Map each spreads column to its instrument; refuse unmatched columns and instruments."""
        renamed = {}
        for column in self.spreads.columns:
            target = universe.resolve(column)  # name, ticker or alias, ignoring case
            if target is None:
                raise DataError(f"{self.source}: column {column!r} matches no instrument of the universe "
                                f"({', '.join(universe.names)}); add it to the instruments file (or to its "
                                "aliases) or drop the column")
            if target in renamed.values():
                other = next(c for c, t in renamed.items() if t == target)
                raise DataError(f"{self.source}: columns {other!r} and {column!r} both map to instrument {target!r} "
                                "(its name and its ticker); keep one of them")
            renamed[column] = target
        present = set(renamed.values())
        lacking = [i for i in universe if i.name not in present]
        if lacking:
            first = lacking[0]
            alias = f" (or its ticker {first.ticker!r})" if first.ticker else ""
            raise DataError(f"{self.source}: no column for instrument {first.name!r}{alias}; columns are "
                            f"{list(self.spreads.columns)}")
        return renamed

    def __repr__(self) -> str:
        d = self.dates
        extras = ", roll jumps" if self.roll_jumps is not None else ""
        if self.fx is not None:
            extras += f", FX {'/'.join(self.fx.columns)} in {self.reporting_currency}"
        return (f"MarketData({len(d)} dates {d[0].date()} … {d[-1].date()}, "
                f"instruments={list(self.spreads.columns)}, desk={'yes' if self.has_desk else 'flat'}{extras})")
