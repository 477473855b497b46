"""The command line's way to everything the API takes besides the data: ``--forecast FILE`` and
``--extra KEY=FILE|NUMBER`` for users' own terms, and ``--term-module`` modules found in the working
directory without being installed.

Import-light: pandas and the loaders are imported inside the functions.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any

__all__ = ["extra_options", "input_files", "term_modules_from_cwd"]


def term_modules_from_cwd(modules: list[str]) -> None:
    """Put the working directory on ``sys.path`` when a ``--term-module`` lives there (``my_terms.py``
    or ``my_pkg/terms.py``) but is not importable otherwise, as ``python -m`` would: the installed
    ``cdshedge`` script does not look in the working directory."""
    cwd = Path.cwd()
    for module in modules:
        top = module.split(":")[0].split(".")[0]
        if not top or importlib.util.find_spec(top) is not None:
            continue
        if (cwd / f"{top}.py").is_file() or (cwd / top).is_dir():
            if str(cwd) not in sys.path:
                sys.path.insert(0, str(cwd))
            return


def input_files(args: argparse.Namespace) -> list[str]:
    """Files named by ``--forecast`` and ``--extra KEY=FILE`` (an output must not overwrite them)."""
    files = [args.forecast] if getattr(args, "forecast", None) else []
    for item in getattr(args, "extra", None) or []:
        _, _, value = item.partition("=")
        if value and not _number(value.strip()):
            files.append(value.strip())
    return files


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _dated_frame(path: str, what: str) -> Any:
    """A dated file (first column dates, then values) read and checked: DatetimeIndex, float values."""
    from cdshedge_cvx.io._files import read_csv_checked
    from cdshedge_cvx.market._market_data import _numeric_frame, _parse_dates

    frame = read_csv_checked(path, what=what)
    rows = frame.attrs.get("csv_lines", True)
    dates = _parse_dates(frame.index, path, rows)
    columns = [str(c).strip() for c in frame.columns]
    return _numeric_frame(frame.set_axis(columns, axis=1), path, rows, dates)


def _forecast(path: str, universe: Any) -> Any:
    """``--forecast``: expected spread change (bp) per period, indexed by period end, one column per
    instrument (name, ticker or alias); periods left out expect 0."""
    from cdshedge_cvx.errors import DataError

    frame = _dated_frame(path, "forecast file")
    renamed = {}
    for column in frame.columns:
        target = universe.resolve(column)
        if target is None:
            raise DataError(f"{path}: column {column!r} matches no instrument of the universe "
                            f"({', '.join(universe.names)})")
        renamed[column] = target
    frame = frame.rename(columns=renamed)
    lacking = [n for n in universe.names if n not in frame.columns]
    if lacking:
        raise DataError(f"{path}: no column for instrument {lacking[0]!r}; give one column per instrument")
    bad = frame.isna().to_numpy().nonzero()
    if bad[0].size:
        r, c = int(bad[0][0]), int(bad[1][0])
        raise DataError(f"{path}, period {frame.index[r].date()}, column {frame.columns[c]!r}: empty forecast; "
                        "write 0 for no expected change")
    return frame[universe.names]


class _AsOf:
    """``--extra KEY=FILE``: the file's row as of the period's base date (latest on or before it), a
    scalar for a one-column file, else one value per instrument in universe order."""

    def __init__(self, key: str, path: str, frame: Any, universe: Any) -> None:
        self.key, self.path, self.frame, self.universe = key, path, frame, universe

    def __call__(self, data: Any) -> Any:
        from cdshedge_cvx.errors import DataError

        when = data.base if data.base is not None else data.period_end
        position = int(self.frame.index.searchsorted(when, side="right")) - 1
        if position < 0:
            raise DataError(f"--extra {self.key}: {self.path} starts on {self.frame.index[0].date()}, after the "
                            f"base date {when.date()} of period {data.period}")
        row = self.frame.iloc[position]
        return float(row.iloc[0]) if len(row) == 1 else row.to_numpy(dtype=float)


def _extra_frame(key: str, path: str, universe: Any) -> Any:
    from cdshedge_cvx.errors import DataError

    frame = _dated_frame(path, f"--extra {key} file")
    if frame.shape[1] > 1:
        renamed = {c: universe.resolve(c) for c in frame.columns}
        unknown = [c for c, t in renamed.items() if t is None]
        if unknown:
            raise DataError(f"{path}: column {unknown[0]!r} matches no instrument; an --extra file has one value "
                            "column, or one column per instrument")
        frame = frame.rename(columns=renamed)
        lacking = [n for n in universe.names if n not in frame.columns]
        if lacking:
            raise DataError(f"{path}: no column for instrument {lacking[0]!r}")
        frame = frame[universe.names]
    return frame


def extra_options(args: argparse.Namespace, universe: Any) -> dict[str, Any]:
    """``forecast`` and ``extra_data`` keyword arguments of :func:`~cdshedge_cvx.engine.backtest` from
    ``--forecast`` and ``--extra`` (empty when neither is given)."""
    from cdshedge_cvx.errors import SpecificationError

    options: dict[str, Any] = {}
    if getattr(args, "forecast", None):
        options["forecast"] = _forecast(args.forecast, universe)
    extra: dict[str, Any] = {}
    for item in getattr(args, "extra", None) or []:
        key, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not key.isidentifier() or not value:
            raise SpecificationError(f"--extra needs KEY=FILE or KEY=NUMBER with KEY a Python name, got {item!r}")
        if key in extra:
            raise SpecificationError(f"--extra {key} given twice")
        if _number(value):
            extra[key] = float(value)
        else:
            extra[key] = _AsOf(key, value, _extra_frame(key, value, universe), universe)
    if extra:
        options["extra_data"] = extra
    return options


def in_reporting_currency(market: Any, currency: str, what: str) -> Any:
    """The embedded example ``market`` re-expressed in ``currency`` (``--reporting-currency`` with
    ``--example``): desk PnL divided by that currency's rate, every other rate re-quoted in it, the old
    reporting currency added as a rate. Refused when the example has no rate for ``currency``."""

    from cdshedge_cvx.errors import SpecificationError
    from cdshedge_cvx.market._market_data import MarketData

    wanted = str(currency).strip().upper()
    if wanted == market.reporting_currency:
        return market
    if market.fx is None or wanted not in market.fx.columns:
        have = ", ".join([market.reporting_currency, *([] if market.fx is None else market.fx.columns)])
        raise SpecificationError(f"--reporting-currency {currency}: {what} has amounts in {have} only and no FX "
                                 f"rate for {wanted}; use one of those or give your own files with --fx")
    rate = market.fx[wanted]  # old reporting currency per unit of the new one
    fx = market.fx.drop(columns=[wanted]).div(rate, axis=0)
    fx[market.reporting_currency] = 1.0 / rate
    return MarketData(market.spreads, market.desk_pnl / rate, roll_jumps=market.roll_jumps, fx=fx,
                      reporting_currency=wanted, source=market.source, rates=getattr(market, "rates", None))
