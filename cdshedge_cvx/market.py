"""MarketData: validated daily spreads and desk PnL, optional roll jumps and FX rates.

Spreads are in bp (one column per instrument, dates as index); desk PnL in mm of the reporting
currency per day ($mm by default). Generic-series roll jumps (bp) are removed from the daily
changes; FX rates convert the amounts of instruments in other currencies (iTraxx: EUR) into the
reporting currency. The constructor refuses anything a hedge should not be computed from, with a
one-line message that names the source, the row (file line for CSV input), the date and the
column.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from .errors import DataError
from .instruments import Universe

__all__ = ["MISSING_POLICIES", "MarketData"]

MISSING_POLICIES = ("error", "ffill", "drop")
MissingPolicy = Literal["error", "ffill", "drop"]


def _row_label(source: str, position: int, date: object, csv_rows: bool) -> str:
    row = f"row {position + 2}" if csv_rows else f"row {position}"
    return f"{source}, {row} ({date})"


def _parse_dates(index: pd.Index, source: str, csv_rows: bool) -> pd.DatetimeIndex:
    if isinstance(index, pd.DatetimeIndex):
        dates = index
    else:
        dates = pd.to_datetime(pd.Index(index).astype(str), errors="coerce", format="mixed")
        bad = np.flatnonzero(pd.isna(dates))
        if bad.size:
            first = int(bad[0])
            raise DataError(f"{_row_label(source, first, repr(index[first]), csv_rows)}: unparseable date "
                            f"({bad.size} such row(s)); use ISO dates like 2021-01-31")
    if dates.tz is not None:
        dates = dates.tz_localize(None)
    if pd.isna(dates).any():
        first = int(np.flatnonzero(pd.isna(dates))[0])
        raise DataError(f"{_row_label(source, first, 'NaT', csv_rows)}: missing date")
    duplicated = np.flatnonzero(dates.duplicated())
    if duplicated.size:
        first = int(duplicated[0])
        earlier = int(np.flatnonzero(dates == dates[first])[0])
        raise DataError(f"{_row_label(source, first, dates[first].date(), csv_rows)}: duplicate date "
                        f"(also at row {earlier + 2 if csv_rows else earlier}); keep one row per date")
    steps = np.flatnonzero(np.diff(dates.asi8) < 0)
    if steps.size:
        first = int(steps[0]) + 1
        raise DataError(f"{_row_label(source, first, dates[first].date(), csv_rows)}: dates are not in "
                        f"ascending order (comes after {dates[first - 1].date()}); sort the file by date")
    return pd.DatetimeIndex(dates)


def _numeric_frame(frame: pd.DataFrame, source: str, csv_rows: bool, dates: pd.DatetimeIndex) -> pd.DataFrame:
    out = {}
    for column in frame.columns:
        raw = frame[column]
        values = pd.to_numeric(raw, errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy() & raw.notna().to_numpy())
        if bad.size:
            first = int(bad[0])
            raise DataError(f"{_row_label(source, first, dates[first].date(), csv_rows)}, column {column!r}: "
                            f"{raw.iloc[first]!r} is not a number ({bad.size} such cell(s))")
        out[column] = values.astype(float).to_numpy()
    return pd.DataFrame(out, index=dates)


class MarketData:
    """Daily CDS index spreads (bp) and desk PnL ($mm), validated.

    Parameters
    ----------
    spreads : DataFrame
        Index: dates (ascending, unique); one numeric column per instrument, spreads in bp
        (> 0). Values that all sit below 1 look like decimals and are refused.
    desk_pnl : Series, optional
        Daily desk PnL in mm of ``reporting_currency``. Must cover every spread date (``missing="drop"`` drops the
        dates it lacks). ``None`` means a flat book (zero PnL).
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
    source, desk_source, roll_jumps_source, fx_source : str
        Names used in error messages (file paths when read from CSV).

    Attributes
    ----------
    spreads : DataFrame
        Clean spreads, float, ascending dates.
    desk_pnl : Series
        Desk PnL aligned on the spreads' dates.
    missing_report : dict
        The policy used and how many values it filled or rows it dropped.
    roll_jumps : DataFrame or None
        Roll jumps on the spreads' dates and columns (0 where none), or ``None``.
    fx : DataFrame or None
        FX rates on the spreads' dates, one column per currency, or ``None``.
    reporting_currency : str
    """

    def __init__(self, spreads: pd.DataFrame, desk_pnl: pd.Series | None = None, *,
                 missing: MissingPolicy = "error", max_gap: int = 5, source: str = "spreads",
                 desk_source: str = "desk PnL", roll_jumps: pd.DataFrame | None = None,
                 fx: pd.DataFrame | pd.Series | None = None, reporting_currency: str = "USD",
                 roll_jumps_source: str = "roll jumps", fx_source: str = "FX rates",
                 _csv_rows: bool = False) -> None:
        if missing not in MISSING_POLICIES:
            raise DataError(f"unknown missing-data policy {missing!r}; use one of {', '.join(MISSING_POLICIES)}")
        if not isinstance(spreads, pd.DataFrame):
            raise DataError(f"{source}: expected a DataFrame of spreads, got {type(spreads).__name__}")
        if spreads.shape[1] == 0:
            raise DataError(f"{source}: no instrument columns")
        if spreads.shape[0] < 2:
            raise DataError(f"{source}: {spreads.shape[0]} row(s); at least two dates are needed "
                            "(a base level and one daily change)")
        columns = [str(c).strip() for c in spreads.columns]
        if any(not c or c.startswith("Unnamed:") for c in columns):
            raise DataError(f"{source}: a column has no name; the header must name every instrument")
        if len(set(columns)) != len(columns):
            dup = next(c for c in columns if columns.count(c) > 1)
            raise DataError(f"{source}: duplicate column {dup!r}")
        dates = _parse_dates(spreads.index, source, _csv_rows)
        input_dates = dates
        frame = _numeric_frame(spreads.set_axis(columns, axis=1), source, _csv_rows, dates)
        values = frame.to_numpy()
        infinite = np.argwhere(np.isinf(values))
        if infinite.size:
            r, c = infinite[0]
            raise DataError(f"{_row_label(source, int(r), dates[r].date(), _csv_rows)}, column {columns[c]!r}: "
                            f"infinite spread")
        self.missing_report: dict[str, object] = {"policy": missing, "filled": 0, "dropped_rows": 0}
        if np.isnan(values).any():
            frame = self._apply_missing(frame, missing, max_gap, source, _csv_rows)
            values = frame.to_numpy()
            dates = frame.index
        nonpositive = np.argwhere(values <= 0)
        if nonpositive.size:
            r, c = nonpositive[0]
            raise DataError(f"{_row_label(source, int(r), dates[r].date(), _csv_rows)}, column {columns[c]!r}: "
                            f"spread {values[r, c]!r} bp is not positive ({len(nonpositive)} such cell(s))")
        if np.nanmax(values) < 1.0:
            raise DataError(f"{source}: every spread is below 1 bp (max {np.nanmax(values):.4g}); spreads look like "
                            "decimals: give them in bp (multiply by 10 000)")
        if len(frame) < 2:
            raise DataError(f"{source}: fewer than two dates left after the missing-data policy")
        self.spreads = frame
        self.source = source
        self.desk_source = desk_source
        self.has_desk = desk_pnl is not None
        self.desk_pnl = self._align_desk(desk_pnl, missing, desk_source, _csv_rows)
        if not isinstance(reporting_currency, str) or not re.fullmatch(r"[A-Za-z]{3}", reporting_currency.strip()):
            raise DataError(f"reporting_currency must be a three-letter code such as USD, got {reporting_currency!r}")
        self.reporting_currency = reporting_currency.strip().upper()
        self.roll_jumps = (None if roll_jumps is None
                           else self._align_jumps(roll_jumps, input_dates, roll_jumps_source, _csv_rows))
        self.fx = None if fx is None else self._align_fx(fx, fx_source, _csv_rows)

    # ------------------------------------------------------------------------------------
    def _apply_missing(self, frame: pd.DataFrame, missing: str, max_gap: int, source: str,
                       csv_rows: bool) -> pd.DataFrame:
        mask = frame.isna().to_numpy()
        count = int(mask.sum())
        r, c = np.argwhere(mask)[0]
        where = f"{_row_label(source, int(r), frame.index[r].date(), csv_rows)}, column {frame.columns[c]!r}"
        if missing == "error":
            raise DataError(f"{source}: {count} missing spread(s), first at {where}; fill them or rerun with "
                            f"--missing ffill (at most {max_gap} rows) or --missing drop")
        if missing == "drop":
            keep = ~mask.any(axis=1)
            self.missing_report.update(dropped_rows=int((~keep).sum()))
            return frame.loc[keep]
        if mask[0].any():
            raise DataError(f"{where}: missing spread on the first date cannot be forward-filled")
        run = np.zeros(mask.shape[1], dtype=int)
        for i, row in enumerate(mask):
            run = np.where(row, run + 1, 0)
            if (run > max_gap).any():
                col = int(np.argmax(run > max_gap))
                raise DataError(f"{_row_label(source, i, frame.index[i].date(), csv_rows)}, column "
                                f"{frame.columns[col]!r}: gap of more than {max_gap} missing rows; "
                                "raise --max-gap or fix the data")
        self.missing_report.update(filled=count, max_gap=max_gap)
        return frame.ffill()

    def _align_desk(self, desk_pnl: pd.Series | None, missing: str, desk_source: str,
                    csv_rows: bool) -> pd.Series:
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
        bad = np.flatnonzero(~np.isfinite(values.to_numpy()))
        if bad.size:
            first = int(bad[0])
            raise DataError(f"{_row_label(desk_source, first, dates[first].date(), csv_rows)}: desk PnL is "
                            f"{values.iloc[first]} ({bad.size} non-finite value(s)); give a number for every date")
        overlap = index.intersection(dates)
        if overlap.empty:
            raise DataError(f"{desk_source}: desk PnL dates ({dates[0].date()} … {dates[-1].date()}) do not overlap "
                            f"the spreads ({index[0].date()} … {index[-1].date()})")
        aligned = values.reindex(index)
        lacking = np.flatnonzero(aligned.isna().to_numpy())
        if lacking.size:
            if missing != "drop":
                raise DataError(f"{desk_source}: no desk PnL for {lacking.size} spread date(s), first "
                                f"{index[lacking[0]].date()}; supply them or rerun with --missing drop")
            keep = aligned.notna().to_numpy()
            self.spreads = self.spreads.loc[keep]
            self.missing_report["dropped_rows"] = int(self.missing_report["dropped_rows"]) + int(lacking.size)
            aligned = aligned.loc[keep]
            if len(aligned) < 2:
                raise DataError(f"{desk_source}: fewer than two dates in common with the spreads")
        return aligned.rename("desk_pnl")

    def _align_jumps(self, jumps: pd.DataFrame, input_dates: pd.DatetimeIndex, jumps_source: str,
                     csv_rows: bool) -> pd.DataFrame:
        if not isinstance(jumps, pd.DataFrame):
            raise DataError(f"{jumps_source}: expected a DataFrame of roll jumps (bp), got {type(jumps).__name__}")
        columns = [str(c).strip() for c in jumps.columns]
        if len(set(columns)) != len(columns):
            dup = next(c for c in columns if columns.count(c) > 1)
            raise DataError(f"{jumps_source}: duplicate column {dup!r}")
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
        bad = np.argwhere(~np.isfinite(values))
        if bad.size:
            r, c = bad[0]
            raise DataError(f"{_row_label(jumps_source, int(r), dates[r].date(), csv_rows)}, column {columns[c]!r}: "
                            f"roll jump is {values[r, c]}; write 0 where there is no jump")
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
            name = str(raw).strip().upper().replace("/", "")
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
                 fx: str | Path | None = None, reporting_currency: str = "USD") -> MarketData:
        """Read spreads (first column dates, one column per instrument, bp) and desk PnL.

        The desk PnL file has a date column (the first, or one named ``date``) and one value
        column in mm of ``reporting_currency``. The optional roll-jumps file has the spreads'
        layout (first column dates, bp); the optional FX file has dates then one column per
        currency (``EUR`` or ``EURUSD``: USD per EUR).
        """
        from .io import read_csv_checked

        jumps_frame = None if roll_jumps is None else read_csv_checked(roll_jumps, what="roll jumps file")
        fx_frame = None if fx is None else read_csv_checked(fx, what="FX file")
        frame = read_csv_checked(spreads, what="spreads file")
        desk = None
        if desk_pnl is not None:
            desk_frame = read_csv_checked(desk_pnl, what="desk PnL file", index_col=None)
            lowered = [str(c).strip().lower() for c in desk_frame.columns]
            date_col = lowered.index("date") if "date" in lowered else 0
            value_cols = [c for i, c in enumerate(desk_frame.columns) if i != date_col]
            if len(value_cols) != 1:
                raise DataError(f"desk PnL file {str(desk_pnl)!r}: expected a date column and one PnL column, "
                                f"got {list(desk_frame.columns)}")
            desk = pd.Series(desk_frame[value_cols[0]].to_numpy(), index=desk_frame.iloc[:, date_col].to_numpy())
        return cls(frame, desk, missing=missing, max_gap=max_gap, source=str(spreads),
                   desk_source=str(desk_pnl) if desk_pnl is not None else "desk PnL", roll_jumps=jumps_frame,
                   fx=fx_frame, reporting_currency=reporting_currency,
                   roll_jumps_source=str(roll_jumps) if roll_jumps is not None else "roll jumps",
                   fx_source=str(fx) if fx is not None else "FX rates", _csv_rows=True)

    # ------------------------------------------------------------------------------------
    @property
    def dates(self) -> pd.DatetimeIndex:
        """The observation dates."""
        return pd.DatetimeIndex(self.spreads.index)

    def for_universe(self, universe: Universe) -> pd.DataFrame:
        """The spreads with columns renamed to and ordered like ``universe``.

        Columns may be named by the instrument or by its ``ticker`` alias. Raises
        :class:`DataError` for an instrument with no column and for a column that matches no
        instrument.
        """
        return self.spreads.rename(columns=self._universe_columns(universe))[universe.names]

    def roll_jumps_for_universe(self, universe: Universe) -> pd.DataFrame | None:
        """The roll jumps with columns renamed to and ordered like ``universe`` (``None`` if none)."""
        if self.roll_jumps is None:
            return None
        return self.roll_jumps.rename(columns=self._universe_columns(universe))[universe.names]

    def _universe_columns(self, universe: Universe) -> dict[str, str]:
        """Map each spreads column to its instrument; refuse unmatched columns and instruments."""
        aliases = universe.aliases()
        renamed = {}
        for column in self.spreads.columns:
            if column not in aliases:
                raise DataError(f"{self.source}: column {column!r} matches no instrument of the universe "
                                f"({', '.join(universe.names)}); add it to the instruments file or drop the column")
            target = aliases[column]
            if target in renamed.values():
                raise DataError(f"{self.source}: two columns map to instrument {target!r}")
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
