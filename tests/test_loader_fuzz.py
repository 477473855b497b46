"""Fuzz the CSV loaders: on random bytes, random text and random malformed tables,
``MarketData.from_csv`` and ``Universe.from_csv`` either return a valid object or raise
:class:`~cdshedge_cvx.errors.DataError` -- never another exception. Tables that are valid by
construction load, and load exactly what was written."""

from __future__ import annotations

import csv
import io
import math
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx.market._instruments import INSTRUMENT_COLUMNS
from cdshedge_cvx.market._market_data import MAX_SPREAD_BP, MIN_COLUMN_MAX_BP
from cdshedge_cvx.market._plausibility import isolated_prints, spread_kind

FUZZ = settings(max_examples=150)


@contextmanager
def csv_files(*contents: bytes | None) -> Iterator[list[Path | None]]:
    """Write each content to its own file in a fresh folder (``None`` stays ``None``)."""
    with tempfile.TemporaryDirectory() as folder:
        paths: list[Path | None] = []
        for i, content in enumerate(contents):
            if content is None:
                paths.append(None)
                continue
            path = Path(folder) / f"file{i}.csv"
            path.write_bytes(content)
            paths.append(path)
        yield paths


def to_csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def assert_valid_market(market: ch.MarketData, policy: str) -> None:
    spreads = market.spreads
    dates = market.dates
    assert len(dates) >= 2
    assert np.all(np.diff(dates.asi8) > 0), "dates must be strictly increasing"
    assert (dates == dates.normalize()).all()
    values = spreads.to_numpy()
    assert values.dtype == float and np.all(np.isfinite(values))
    assert np.all(values > 0) and np.all(values <= MAX_SPREAD_BP)
    assert np.all(values.max(axis=0) >= MIN_COLUMN_MAX_BP)
    names = list(spreads.columns)
    assert all(isinstance(c, str) and c for c in names) and len(set(names)) == len(names)
    assert market.desk_pnl.index.equals(spreads.index)
    assert np.all(np.isfinite(market.desk_pnl.to_numpy()))
    assert market.missing_report["policy"] == policy
    # issue 14: no isolated bad print survives, arithmetic on what loaded stays finite
    assert not isolated_prints(spreads).any()
    with np.errstate(over="raise"):
        assert np.isfinite((market.desk_pnl.to_numpy() ** 2).sum() * len(dates))


def assert_valid_universe(universe: ch.Universe) -> None:
    assert len(universe) >= 1
    names = universe.names
    assert len(set(names)) == len(names) and all(n.strip() == n and n for n in names)
    assert np.all(universe.lower <= universe.upper)
    for instrument in universe:
        for column in ("coupon_bp", "cs01_min", "cs01_max", "recovery", "bid_ask_bp"):
            assert math.isfinite(getattr(instrument, column))
        # maturity_years is None under the on-the-run rule (maturity from the roll calendar)
        assert instrument.maturity_years is None or 0 < instrument.maturity_years <= 100
        assert instrument.coupon_bp >= 0 and 0 <= instrument.recovery < 1 and instrument.n_names >= 1
    labels = names + [i.ticker for i in universe if i.ticker]
    assert len(set(labels)) == len(labels) or all(i.ticker in ("", i.name) for i in universe)


def load_market(spreads: bytes, desk: bytes | None, policy: str, max_gap: int) -> None:
    with csv_files(spreads, desk) as (spreads_path, desk_path):
        try:
            market = ch.MarketData.from_csv(spreads_path, desk_path, missing=policy, max_gap=max_gap)
        except ch.DataError as exc:
            assert str(exc) and "\n" not in str(exc).strip()
            return
    assert_valid_market(market, policy)


def load_universe(content: bytes) -> None:
    with csv_files(content) as (path,):
        try:
            universe = ch.Universe.from_csv(path)
        except ch.DataError as exc:
            assert str(exc)
            return
    assert_valid_universe(universe)


POLICIES = st.sampled_from(["error", "ffill", "drop"])
CSV_TEXT = st.text(alphabet=st.sampled_from(list("0123456789-.,;:/ \n\t\"eE+naifNIFTZ")), max_size=300)


@FUZZ
@given(spreads=st.binary(max_size=1500), desk=st.one_of(st.none(), st.binary(max_size=300)), policy=POLICIES)
def test_random_bytes(spreads: bytes, desk: bytes | None, policy: str) -> None:
    load_market(spreads, desk, policy, 5)
    load_universe(spreads)


@FUZZ
@given(text=CSV_TEXT, policy=POLICIES)
def test_random_csv_like_text(text: str, policy: str) -> None:
    load_market(text.encode(), None, policy, 2)
    load_universe(text.encode())


VALID_DATES = st.dates(min_value=date(1995, 1, 1), max_value=date(2035, 12, 31)).map(str)
ODD_DATES = st.sampled_from(["", "now", "today", "2021-13-45", "01/02/2021", "13/01/2021", "2021-01-04 17:00",
                             "2021-01-04T00:00:00+05:00", "2021-01-05T00:00:00Z", "nan", "NaT", "2021", "20210104",
                             "1e5", "44200", "0001-01-01", "9999-12-31", "2021-02-29", "Jan 4 2021"])
DATE_CELLS = st.one_of(VALID_DATES, ODD_DATES, st.text(max_size=8))
NUMBERS = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: f"{x:.6g}")
ODD_VALUES = st.sampled_from(["", "NaN", "nan", "inf", "-inf", "n/a", "1,5", "0", "-0", "1e400", "-1e400", "0x10",
                              "True", "  12 ", "#N/A", "null", "1e-320", "5e-5", "99999999999999999999999",
                              "20000", "0.5", "150000", "1e300", "-1e300", "6000", "0.006", "0.6", "3.4"])
VALUE_CELLS = st.one_of(NUMBERS, st.floats(min_value=0.5, max_value=20_000).map(repr), ODD_VALUES,
                        st.text(max_size=6))
HEADERS = st.one_of(st.sampled_from(["CDX IG", "CDX HY", "iTraxx Main", "", "date", "Unnamed: 1", "a,b", 'q"uote',
                                     "CDX IG ", " x"]), st.text(max_size=8))


GOOD_NAMES = ["CDX IG", "CDX HY", "iTraxx Main", "iTraxx Xover", "CDX EM"]
GOOD_VALUES = st.floats(min_value=0.5, max_value=20_000).map(repr)


def _mostly(draw: st.DrawFn, good: st.SearchStrategy[str], odd: st.SearchStrategy[str], odds: int = 8) -> str:
    """A cell from ``good``, except about one time in ``odds`` from ``odd`` (hypothesis favours the
    bounds of a range, so the odd pick is a middle value)."""
    return draw(odd) if draw(st.integers(0, odds - 1)) == odds // 2 else draw(good)


@st.composite
def malformed_tables(draw: st.DrawFn, max_columns: int = 4) -> bytes:
    """Mostly well-formed tables with a few wrong headers, dates, cells or ragged rows, so the
    loader's later checks (values, missing data, desk alignment) are reached too."""
    n_columns = int(_mostly(draw, st.integers(1, max_columns).map(str), st.just("0")))
    n_rows = int(_mostly(draw, st.integers(2, 8).map(str), st.integers(0, 1).map(str)))
    if draw(st.integers(0, 3)):
        header = ["date", *draw(st.permutations(GOOD_NAMES))[:n_columns]]
    else:
        header = [draw(HEADERS) for _ in range(n_columns + 1)]
    rows = [header]
    start = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)))
    sorted_dates = draw(st.integers(0, 3)) > 0
    for i in range(n_rows):
        good_date = st.just(str(start + timedelta(days=i))) if sorted_dates else VALID_DATES
        row = [_mostly(draw, good_date, DATE_CELLS)] + [_mostly(draw, GOOD_VALUES, VALUE_CELLS)
                                                        for _ in range(n_columns)]
        if draw(st.integers(0, 19)) == 0:  # ragged
            row = row[:-1] if draw(st.booleans()) else [*row, draw(VALUE_CELLS)]
        rows.append(row)
    return to_csv_bytes(rows)


@st.composite
def desk_tables(draw: st.DrawFn) -> bytes:
    """Desk PnL files: a date column and a value column, with the same kinds of faults."""
    start = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)))
    rows = [[_mostly(draw, st.just("date"), HEADERS), _mostly(draw, st.just("pnl"), HEADERS)]]
    for i in range(draw(st.integers(0, 8))):
        rows.append([_mostly(draw, st.just(str(start + timedelta(days=i))), DATE_CELLS),
                     _mostly(draw, NUMBERS, VALUE_CELLS)])
    return to_csv_bytes(rows)


@FUZZ
@given(spreads=malformed_tables(), desk=st.one_of(st.none(), desk_tables()), policy=POLICIES,
       max_gap=st.integers(1, 3))
def test_random_malformed_tables(spreads: bytes, desk: bytes | None, policy: str, max_gap: int) -> None:
    load_market(spreads, desk, policy, max_gap)


INSTRUMENT_HEADERS = st.one_of(st.sampled_from(list(INSTRUMENT_COLUMNS)), st.sampled_from(["rating", "", "CS01_MAX"]))
INSTRUMENT_CELLS = st.one_of(VALUE_CELLS, st.sampled_from(["CDX IG", "CDX HY", "USD", "EUR", "0.4", "125", "0.25"]))


@st.composite
def instrument_tables(draw: st.DrawFn) -> bytes:
    required = ["instrument", "coupon_bp", "cs01_min", "cs01_max"]
    headers = [c for c in required if draw(st.integers(0, 9)) > 0]
    headers += draw(st.lists(INSTRUMENT_HEADERS, max_size=3))
    rows = [headers]
    for i in range(draw(st.integers(0, 5))):
        row = [draw(st.sampled_from([f"IDX{i}", "IDX0", "", " CDX IG "])) if h == "instrument"
               else draw(INSTRUMENT_CELLS) for h in headers]
        rows.append(row)
    return to_csv_bytes(rows)


@FUZZ
@given(content=instrument_tables())
def test_random_instrument_tables(content: bytes) -> None:
    load_universe(content)


@st.composite
def valid_tables(draw: st.DrawFn) -> tuple[bytes, list[str], list[str], np.ndarray]:
    n_columns = draw(st.integers(1, 4))
    names = draw(st.lists(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ abcxyz", min_size=1, max_size=10)
                          .map(str.strip).filter(bool).filter(lambda n: spread_kind(n)[0] == "any other"),
                          min_size=n_columns, max_size=n_columns, unique=True))
    n_rows = draw(st.integers(2, 10))
    start = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)))
    steps = draw(st.lists(st.integers(1, 5), min_size=n_rows, max_size=n_rows))
    dates = [str(start + timedelta(days=int(d))) for d in np.cumsum(steps)]
    # a level per column, then day-on-day moves of at most 1.5x: a valid table has no isolated bad print
    # (a value more than OUTLIER_RATIO times both neighbours is refused since issue 14) and no print
    # OUTLIER_RATIO times below the median of the 11 around it (refused since wave 3: 3x a day could do that)
    first = np.array(draw(st.lists(st.floats(min_value=0.5, max_value=20_000), min_size=n_columns,
                                   max_size=n_columns)))
    moves = np.array(draw(st.lists(st.lists(st.floats(min_value=1 / 1.5, max_value=1.5), min_size=n_columns,
                                            max_size=n_columns), min_size=n_rows - 1, max_size=n_rows - 1)))
    values = first * np.vstack([np.ones((1, n_columns)), np.cumprod(moves.reshape(n_rows - 1, n_columns), axis=0)])
    values = np.array([[float(repr(float(v))) for v in row] for row in np.clip(values, 0.5, 20_000)])
    rows = [["date", *names]] + [[d, *map(repr, map(float, v))] for d, v in zip(dates, values)]
    return to_csv_bytes(rows), names, dates, values


@FUZZ
@given(table=valid_tables())
def test_valid_tables_load_exactly(table) -> None:
    content, names, dates, values = table
    with csv_files(content) as (path,):
        market = ch.MarketData.from_csv(path)
    assert list(market.spreads.columns) == names
    assert [str(d.date()) for d in market.dates] == dates
    np.testing.assert_array_equal(market.spreads.to_numpy(), values)
    assert (market.desk_pnl == 0).all()
    pd.testing.assert_index_equal(market.desk_pnl.index, market.spreads.index)
