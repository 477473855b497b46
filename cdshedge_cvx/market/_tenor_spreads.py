"""Spreads of other tenors of the indices (3Y, 7Y series), read and checked, for the roll-down slope.

A tenor-spreads table has the spreads file's layout: dates, then one column per instrument *and tenor*,
spreads in bp. A column is an instrument's name (or ticker, alias: as in the spreads file) followed by a
tenor, ``CDX IG 3Y``, ``iTraxx Main 7Y``, ``CDX HY 10y``, ``CDX IG 6M``; a terminal ticker with its tenor
changed (``CDX IG CDSI GEN 3Y Corp``) names the instrument too. The series of a tenor is the contract of
that tenor launched with the one held (the on-the-run 3Y series matures two years before the 5Y one; for
a fixed-maturity instrument the standard contract of that tenor traded on the date).
:mod:`cdshedge_cvx.credit._roll_down` turns them into each period's roll-down slope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdshedge_cvx.errors import DataError

__all__ = ["TenorSeries", "align_tenor_spreads", "has_tenor", "parse_tenor_column", "tenor_series"]

_TENOR = re.compile(r"^(\d+(?:\.\d+)?)([YyMm])$")


@dataclass(frozen=True)
class TenorSeries:
    """Other tenors of one instrument: months from the instrument's own tenor and spreads per date.

    Attributes
    ----------
    columns : tuple of str
        The data columns, one per tenor.
    months : numpy.ndarray, shape (k,)
        Tenor of each column in months (``3Y`` → 36).
    values : numpy.ndarray, shape (dates, k)
        Spreads (bp) on the market's dates.
    own_months : int
        Tenor in months of the contract the instrument holds (its spreads-file column).
    """

    columns: tuple[str, ...]
    months: np.ndarray
    values: np.ndarray
    own_months: int


def has_tenor(column: object) -> bool:
    """Whether a column name holds a tenor token (``3Y``, ``6M``)."""
    return any(_TENOR.match(t) for t in str(column).split())


def parse_tenor_column(column: str, resolve: object) -> tuple[str, int] | None:
    """``(instrument, months)`` a tenor-spreads column names, or ``None``.

    ``resolve`` maps a data-column name to an instrument name or ``None`` (:meth:`Universe.resolve`). The
    tenor is a token ``<n>Y`` or ``<n>M``: the last one (``CDX IG 3Y``), or one inside a terminal ticker
    whose 5Y version names the instrument (``CDX IG CDSI GEN 3Y Corp``).
    """
    tokens = str(column).split()
    for i in range(len(tokens) - 1, -1, -1):
        match = _TENOR.match(tokens[i])
        if match is None:
            continue
        number, unit = float(match.group(1)), match.group(2).upper()
        months = number * (12 if unit == "Y" else 1)
        if months <= 0 or months != round(months):
            continue
        for candidate in (" ".join(tokens[:i] + tokens[i + 1:]), " ".join([*tokens[:i], "5Y", *tokens[i + 1:]])):
            name = resolve(candidate)  # type: ignore[operator]
            if name is not None:
                return name, round(months)
    return None


def tenor_series(frame: pd.DataFrame, universe: object, own_months: dict[str, int],
                 source: str) -> dict[str, TenorSeries]:
    """Group the checked columns of ``frame`` (dates × columns, bp, on the market's dates) by instrument.

    Parameters
    ----------
    frame : DataFrame
        Checked spreads (finite, > 0) on the market's dates.
    universe : Universe
        Resolves each column's instrument.
    own_months : dict
        Tenor in months of the contract each instrument holds (a column of that tenor is refused: it is
        the spreads file's column).
    source : str
        Name of the table in messages.

    Raises
    ------
    DataError
        A column naming no instrument or no tenor, an instrument's own tenor, two columns for one tenor.
    """
    out: dict[str, list[tuple[str, int, np.ndarray]]] = {}
    for column in frame.columns:
        parsed = parse_tenor_column(column, universe.resolve)  # type: ignore[attr-defined]
        if parsed is None:
            names = ", ".join(universe.names)  # type: ignore[attr-defined]
            if not has_tenor(column):
                raise DataError(f"{source}, column {column!r}: no tenor in the name; name columns by instrument "
                                f"and tenor, e.g. 'CDX IG 3Y' or 'iTraxx Main 7Y' (instruments: {names})")
            raise DataError(f"{source}, column {column!r}: names no instrument of the universe ({names}) with a "
                            "tenor such as 3Y or 7Y")
        name, months = parsed
        if months == own_months[name]:
            raise DataError(f"{source}, column {column!r}: {months // 12 if months % 12 == 0 else months}"
                            f"{'Y' if months % 12 == 0 else 'M'} is the tenor of the contract {name!r} holds; its "
                            "spreads are the spreads file's column: give other tenors only")
        for other, other_months, _ in out.get(name, []):
            if other_months == months:
                raise DataError(f"{source}: columns {other!r} and {column!r} are both the {months}-month tenor of "
                                f"{name!r}; keep one")
        out.setdefault(name, []).append((str(column), months, frame[column].to_numpy(dtype=float)))
    return {name: TenorSeries(columns=tuple(c for c, _, _ in items),
                              months=np.array([m for _, m, _ in items], dtype=np.int64),
                              values=np.column_stack([v for _, _, v in items]), own_months=own_months[name])
            for name, items in out.items()}


def align_tenor_spreads(frame: pd.DataFrame, dates: pd.DatetimeIndex, source: str, csv_rows: bool) -> pd.DataFrame:
    """The tenor spreads checked and on the market's ``dates`` (the spreads kept by the missing-data policy).

    Every column must name a tenor; every value must be a finite spread in (0, 100 000] bp; every market
    date needs a row with a value in every column (rows of other dates are ignored: the roll-down reads the
    base dates only). ``csv_rows``: rows are numbered as file lines.

    Raises
    ------
    DataError
        Naming the table, the row (file line) and date, and the column.
    """
    from cdshedge_cvx.market._market_data import MAX_SPREAD_BP, _cell, _numeric_frame, _parse_dates, _row_label

    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{source}: expected a DataFrame of spreads (bp) by instrument and tenor, got "
                        f"{type(frame).__name__}")
    columns = [str(c).strip() for c in frame.columns]
    if not columns:
        raise DataError(f"{source}: no columns; the header must be a date column, then one column per instrument "
                        "and tenor ('CDX IG 3Y')")
    if len(set(columns)) != len(columns):
        dup = next(c for c in columns if columns.count(c) > 1)
        raise DataError(f"{source}: duplicate column {dup!r}")
    for column in columns:
        if not has_tenor(column):
            raise DataError(f"{source}, column {column!r}: no tenor in the name; name columns by instrument and "
                            "tenor, e.g. 'CDX IG 3Y' or 'iTraxx Main 7Y'")
    own = _parse_dates(frame.index, source, csv_rows)
    values = _numeric_frame(frame.set_axis(columns, axis=1), source, csv_rows, own)
    array = values.to_numpy()
    bad = np.argwhere(np.isinf(array) | (array <= 0) | (array > MAX_SPREAD_BP))
    if bad.size:
        r, c = (int(x) for x in bad[0])
        raise DataError(f"{_row_label(source, r, own[r].date(), csv_rows)}, column {columns[c]!r}: spread "
                        f"{_cell(array[r, c])} bp; give a finite spread in bp, 0 < s <= {MAX_SPREAD_BP:,.0f} "
                        f"({len(bad)} such cell(s))")
    absent = np.flatnonzero(~pd.DatetimeIndex(dates).isin(own))
    if absent.size:
        day = dates[int(absent[0])].date()
        raise DataError(f"{source}: no row for {day}, a date of the spreads ({absent.size} such date(s)); the "
                        "roll-down needs the other tenors on every spreads date")
    where = own.get_indexer(dates)
    aligned = array[where]
    missing = np.argwhere(np.isnan(aligned))
    if missing.size:
        r, c = (int(x) for x in missing[0])
        row = int(where[r])
        raise DataError(f"{_row_label(source, row, own[row].date(), csv_rows)}, column {columns[c]!r}: missing "
                        f"spread ({len(missing)} such cell(s) on spreads dates); fill it in")
    return pd.DataFrame(aligned, index=pd.DatetimeIndex(dates), columns=columns)
