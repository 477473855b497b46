"""Loaders take what desks export (Bloomberg, Excel, risk systems) and still refuse what they cannot read.

Every "reads" case below was refused on main before issue 15 (noted per test); each reference is the
same data written as a plain ISO UTF-8 CSV, so an export must load to exactly the same MarketData.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdshedge_cvx.errors import DataError
from cdshedge_cvx.market import MarketData
from cdshedge_cvx.market._instruments import Instrument, Universe

VALID = Path(__file__).parent / "data" / "valid"
SPREADS = pd.read_csv(VALID / "spreads.csv", index_col=0)
DESK = pd.read_csv(VALID / "desk_pnl.csv", index_col=0)["pnl"]


def _reference() -> MarketData:
    return MarketData.from_csv(VALID / "spreads.csv", VALID / "desk_pnl.csv")


def _same(market: MarketData) -> None:
    ref = _reference()
    pd.testing.assert_frame_equal(market.spreads, ref.spreads, check_names=False, check_freq=False)
    np.testing.assert_array_equal(market.desk_pnl.to_numpy(), ref.desk_pnl.to_numpy())
    assert list(market.dates) == list(ref.dates)


def _csv_text(frame: pd.DataFrame, index_label: str = "date") -> str:
    return frame.to_csv(index_label=index_label, lineterminator="\n")


def _excel_serial(dates: pd.Index) -> list[int]:
    return [(pd.Timestamp(d) - pd.Timestamp("1899-12-30")).days for d in dates]


# --- encodings and CSV dialects (each refused on main) -------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig"])
def test_unicode_exports_read(tmp_path: Path, encoding: str) -> None:
    # main: UTF-16 was "not a text CSV (binary content)"
    path = tmp_path / "spreads.csv"
    path.write_bytes(_csv_text(SPREADS).encode(encoding))
    _same(MarketData.from_csv(path, VALID / "desk_pnl.csv"))


def test_excel_sep_line_and_semicolons(tmp_path: Path) -> None:
    # main: "sep=," leaked a pandas message; a sep=; file was refused as semicolon-separated
    path = tmp_path / "spreads.csv"
    path.write_text("sep=;\n" + _csv_text(SPREADS).replace(",", ";"), encoding="utf-8")
    _same(MarketData.from_csv(path, VALID / "desk_pnl.csv"))
    path.write_text("sep=,\n" + _csv_text(SPREADS), encoding="utf-8")
    _same(MarketData.from_csv(path, VALID / "desk_pnl.csv"))


def test_sep_line_keeps_file_lines_in_messages(tmp_path: Path) -> None:
    text = "sep=,\n" + _csv_text(SPREADS).replace("2021-01-06,50.0", "2021-01-06,abc")
    path = tmp_path / "spreads.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=r"row 5 \(2021-01-06\), column 'CDX IG': 'abc' is not a number"):
        MarketData.from_csv(path, VALID / "desk_pnl.csv")


def test_trailing_separator_on_every_row(tmp_path: Path) -> None:
    # main: "instrument column 5 (counting after the dates) has no name"
    path = tmp_path / "spreads.csv"
    path.write_text("\n".join(line + "," for line in _csv_text(SPREADS).splitlines()) + "\n", encoding="utf-8")
    _same(MarketData.from_csv(path, VALID / "desk_pnl.csv"))


# --- dates --------------------------------------------------------------------------------------
def test_excel_serial_dates(tmp_path: Path) -> None:
    # main: "unparseable date"
    frame = SPREADS.copy()
    frame.index = _excel_serial(frame.index)
    assert frame.index[0] == 44200  # 2021-01-04
    path = tmp_path / "spreads.csv"
    path.write_text(_csv_text(frame), encoding="utf-8")
    _same(MarketData.from_csv(path, VALID / "desk_pnl.csv"))


def test_mixed_date_formats_name_the_odd_row(tmp_path: Path) -> None:
    # main: blamed row 2 (which is ISO) as "ambiguous"
    text = _csv_text(SPREADS).replace("2021-01-07", "07/01/2021")
    path = tmp_path / "spreads.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        MarketData.from_csv(path, VALID / "desk_pnl.csv")
    message = str(info.value)
    assert str(path) in message and "row 5 ('07/01/2021')" in message and "YYYY-MM-DD" in message
    assert "row 2" not in message and len(message.splitlines()) == 1


def test_descending_dates_sorted_on_request(tmp_path: Path) -> None:
    # main: no opt-in existed
    path = tmp_path / "spreads.csv"
    path.write_text(_csv_text(SPREADS.iloc[::-1]), encoding="utf-8")
    desk = tmp_path / "desk.csv"
    desk.write_text(_csv_text(DESK.iloc[::-1].to_frame()), encoding="utf-8")
    with pytest.raises(DataError, match=r"not in ascending order.*sort_dates"):
        MarketData.from_csv(path, desk)
    _same(MarketData.from_csv(path, desk, sort_dates=True))


def test_sorted_rows_keep_their_file_lines(tmp_path: Path) -> None:
    frame = SPREADS.iloc[::-1].astype(object)
    frame.iloc[1, 2] = "oops"  # 2021-01-14? whatever date sits on file line 3
    path = tmp_path / "spreads.csv"
    path.write_text(_csv_text(frame), encoding="utf-8")
    with pytest.raises(DataError, match=rf"row 3 \({frame.index[1]}\), column 'iTraxx Main'"):
        MarketData.from_csv(path, VALID / "desk_pnl.csv", sort_dates=True)


# --- headers, tickers, FX -------------------------------------------------------------------------
def test_terminal_tickers_and_case_insensitive_headers(tmp_path: Path) -> None:
    # main: "column 'ITRX EUR CDSI GEN 5Y Corp' matches no instrument"
    frame = SPREADS.set_axis(["cdx ig", "CDX HY CDSI GEN 5Y Corp", "ITRX EUR CDSI GEN 5Y Corp",
                              "ITRX XOVER CDSI GEN 5Y Corp"], axis=1)
    path = tmp_path / "spreads.csv"
    path.write_text(_csv_text(frame, "Date"), encoding="utf-8")
    market = MarketData.from_csv(path, VALID / "desk_pnl.csv")
    universe = Universe.from_csv(VALID / "instruments.csv")  # spread-quoted (standard: CDX HY in price)
    pd.testing.assert_frame_equal(market.for_universe(universe), _reference().for_universe(universe))


def test_aliases_extend_per_instrument(tmp_path: Path) -> None:
    instruments = tmp_path / "instruments.csv"
    instruments.write_text("Instrument,Coupon_BP,CS01_min,CS01_max,aliases\n"
                           "Desk IG,100,0,0.25,MY IG 5Y|ig_generic\n", encoding="utf-8")
    universe = Universe.from_csv(instruments)
    assert universe[0].aliases == ("MY IG 5Y", "ig_generic")
    assert universe.resolve("IG_GENERIC") == "Desk IG" and universe.resolve("nothing") is None
    assert Universe.from_frame(universe.to_frame()) == universe
    with pytest.raises(DataError, match="aliases must be a tuple"):
        Instrument("X", 100, 0, 1, aliases="abc")  # type: ignore[arg-type]


def test_fx_terminal_header(tmp_path: Path) -> None:
    # main: "column 'EURUSD Curncy' is not a currency code"
    fx = tmp_path / "fx.csv"
    fx.write_text("date,EURUSD Curncy\n" + "".join(f"{d},1.2\n" for d in SPREADS.index), encoding="utf-8")
    market = MarketData.from_csv(VALID / "spreads.csv", VALID / "desk_pnl.csv", fx=fx)
    assert list(market.fx.columns) == ["EUR"] and (market.fx["EUR"] == 1.2).all()


def test_roll_jumps_accept_ticker_aliases(tmp_path: Path) -> None:
    # main: "column 'ITRX EUR CDSI GEN 5Y Corp' is not a spreads column"
    jumps = tmp_path / "jumps.csv"
    jumps.write_text(f"date,ITRX EUR CDSI GEN 5Y Corp,cdx ig\n{SPREADS.index[2]},1.5,-0.5\n", encoding="utf-8")
    market = MarketData.from_csv(VALID / "spreads.csv", VALID / "desk_pnl.csv", roll_jumps=jumps)
    frame = market.roll_jumps_for_universe(Universe.from_csv(VALID / "instruments.csv"))
    assert frame.loc[SPREADS.index[2], "iTraxx Main"] == 1.5 and frame.loc[SPREADS.index[2], "CDX IG"] == -0.5
    assert frame.to_numpy().sum() == 1.0
    jumps.write_text(f"date,Nope\n{SPREADS.index[2]},1.5\n", encoding="utf-8")
    with pytest.raises(DataError, match="column 'Nope' is not a spreads column"):
        MarketData.from_csv(VALID / "spreads.csv", VALID / "desk_pnl.csv", roll_jumps=jumps)


# --- desk exports with several columns -----------------------------------------------------------
def _desk_export(tmp_path: Path) -> Path:
    path = tmp_path / "desk.csv"
    books = pd.DataFrame({"Date": DESK.index, "Book": "CREDIT", "PnL (USD mm)": DESK.to_numpy() * 0.25,
                          "Rates PnL": DESK.to_numpy() * 0.75})
    path.write_text(books.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    return path


def test_desk_column_chosen_and_summed(tmp_path: Path) -> None:
    # main: "expected a date column and one PnL column"
    path = _desk_export(tmp_path)
    with pytest.raises(DataError, match=r"expected a date column and one PnL column.*desk_columns"):
        MarketData.from_csv(VALID / "spreads.csv", path)
    one = MarketData.from_csv(VALID / "spreads.csv", path, desk_columns="pnl (usd mm)")
    np.testing.assert_allclose(one.desk_pnl.to_numpy(), DESK.to_numpy() * 0.25)
    _same_values = MarketData.from_csv(VALID / "spreads.csv", path, desk_columns=["PnL (USD mm)", "Rates PnL"])
    np.testing.assert_allclose(_same_values.desk_pnl.to_numpy(), DESK.to_numpy(), rtol=1e-15)
    with pytest.raises(DataError, match="no column 'Equity'"):
        MarketData.from_csv(VALID / "spreads.csv", path, desk_columns=["Equity"])
    with pytest.raises(DataError, match=r"row \d+ .*column 'Book': 'CREDIT' is not a number"):
        MarketData.from_csv(VALID / "spreads.csv", path, desk_columns=["Book", "Rates PnL"])


# --- spreadsheet and columnar inputs -------------------------------------------------------------
def test_xlsx_input(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    # main: "not a text CSV (binary content)"
    path = tmp_path / "spreads.xlsx"
    frame = SPREADS.copy()
    frame.index = pd.to_datetime(frame.index)
    frame.to_excel(path, index_label="date")
    _same(MarketData.from_csv(path, VALID / "desk_pnl.csv"))
    serial = SPREADS.copy()
    serial.index = _excel_serial(serial.index)
    serial.to_excel(path, index_label="date")
    _same(MarketData.from_csv(path, VALID / "desk_pnl.csv"))
    bad = SPREADS.astype(object).copy()
    bad.iloc[3, 1] = "n/a"
    bad.to_excel(path, index_label="date")
    with pytest.raises(DataError, match=rf"{path.name}, row 5 \(2021-01-07\), column 'CDX HY': 'n/a' is not"):
        MarketData.from_csv(path, VALID / "desk_pnl.csv")


def test_parquet_input(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "spreads.parquet"
    frame = SPREADS.copy()
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index), name="date")
    frame.to_parquet(path)
    _same(MarketData.from_csv(path, VALID / "desk_pnl.csv"))
    path.write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match=r"is not a readable \.parquet file"):
        MarketData.from_csv(path, VALID / "desk_pnl.csv")


def test_xlsx_named_csv_is_refused_clearly(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    xlsx = tmp_path / "spreads.xlsx"
    SPREADS.to_excel(xlsx, index_label="date")
    path = tmp_path / "spreads.csv"
    path.write_bytes(xlsx.read_bytes())
    with pytest.raises(DataError, match=r"is a spreadsheet .* name it \.xlsx"):
        MarketData.from_csv(path, VALID / "desk_pnl.csv")


# --- the command line --------------------------------------------------------------------------
def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cdshedge_cvx", *args], capture_output=True, text=True,
                          cwd=cwd, env=None, check=False)


def test_cli_sort_dates_and_desk_column(tmp_path: Path) -> None:
    spreads = tmp_path / "spreads.csv"
    spreads.write_bytes(_csv_text(SPREADS.iloc[::-1]).encode("utf-16"))
    desk = _desk_export(tmp_path)
    base = ["run", "--spreads", str(spreads), "--desk-pnl", str(desk), "--horizon", "W-FRI", "--quiet",
            "--instruments", str(VALID / "instruments.csv")]
    refused = _cli(*base, "--desk-column", "PnL (USD mm)")
    assert refused.returncode == 2 and "--sort-dates" in refused.stderr and "Traceback" not in refused.stderr
    ok = _cli(*base, "--sort-dates", "--desk-column", "PnL (USD mm)", "--desk-column", "Rates PnL",
              "--out", str(tmp_path / "a.csv"))
    assert ok.returncode == 0, ok.stderr
    made = _cli("run", "--spreads", str(VALID / "spreads.csv"), "--desk-pnl", str(VALID / "desk_pnl.csv"),
                "--instruments", str(VALID / "instruments.csv"),
                "--horizon", "W-FRI", "--quiet", "--out", str(tmp_path / "b.csv"))
    assert made.returncode == 0 and (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
