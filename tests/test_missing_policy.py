"""The missing-data policy: refused by default with a count and the first place, ``ffill`` up
to a maximum gap, ``drop``; the policy used is recorded in the result and printed by the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx as ch

DATA = Path(__file__).parent / "data"
VALID_SPREADS = DATA / "valid" / "spreads.csv"
DESK = DATA / "valid" / "desk_pnl.csv"
NAN_CELL = DATA / "bad" / "spreads_nan_cell.csv"  # 2021-01-11 (file row 7), iTraxx Main is empty
GAP_OF_TWO = DATA / "bad" / "spreads_gap_of_two.csv"  # CDX HY empty on rows 5 and 6


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cdshedge_cvx", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_default_refuses_and_says_how_many_and_where() -> None:
    with pytest.raises(ch.DataError) as info:
        ch.MarketData.from_csv(GAP_OF_TWO, DESK)
    message = str(info.value)
    assert "2 missing spread(s) in 2 row(s)" in message
    assert "first at row 5 (2021-01-07), column 'CDX HY'" in message
    assert "missing='ffill'" in message and "at most 5 rows" in message and "missing='drop'" in message


def test_ffill_carries_the_previous_value() -> None:
    market = ch.MarketData.from_csv(NAN_CELL, DESK, missing="ffill")
    # by hand from the file: iTraxx Main is 48.8 on 2021-01-08, the row before the gap
    assert market.spreads.loc["2021-01-11", "iTraxx Main"] == 48.8
    assert market.missing_report == {"policy": "ffill", "filled": 1, "dropped_rows": 0, "max_gap": 5,
                                     "first": "row 7 (2021-01-11), column 'iTraxx Main'"}


def test_ffill_max_gap_is_inclusive() -> None:
    market = ch.MarketData.from_csv(GAP_OF_TWO, DESK, missing="ffill", max_gap=2)
    assert market.missing_report["filled"] == 2
    assert market.spreads.loc["2021-01-07":"2021-01-08", "CDX HY"].tolist() == [299.5, 299.5]
    with pytest.raises(ch.DataError, match="more than 1 missing rows in a row"):
        ch.MarketData.from_csv(GAP_OF_TWO, DESK, missing="ffill", max_gap=1)


@pytest.mark.parametrize("max_gap", [0, -1, 2.5, True])
def test_max_gap_must_be_a_positive_whole_number(max_gap) -> None:
    with pytest.raises(ch.DataError, match="max_gap"):
        ch.MarketData.from_csv(VALID_SPREADS, DESK, missing="ffill", max_gap=max_gap)


def test_drop_equals_deleting_the_row_by_hand(tmp_path: Path) -> None:
    lines = NAN_CELL.read_text().splitlines()
    by_hand = tmp_path / "spreads.csv"
    by_hand.write_text("\n".join(line for line in lines if not line.startswith("2021-01-11")) + "\n")
    dropped = ch.MarketData.from_csv(NAN_CELL, DESK, missing="drop")
    assert dropped.missing_report["dropped_rows"] == 1
    assert pd.Timestamp("2021-01-11") not in dropped.dates
    # the desk PnL of the dropped date is dropped with it
    reference = ch.MarketData.from_csv(by_hand, DESK, missing="drop")
    pd.testing.assert_frame_equal(dropped.spreads, reference.spreads)
    pd.testing.assert_series_equal(dropped.desk_pnl, reference.desk_pnl)
    universe = ch.Universe.from_csv(DATA / "valid" / "instruments.csv")
    a = ch.backtest(dropped, universe, horizon="W-FRI")
    b = ch.backtest(reference, universe, horizon="W-FRI")
    pd.testing.assert_frame_equal(a.allocations, b.allocations)
    assert a.missing["policy"] == "drop" and a.summary()["missing_policy"] == "drop"


def test_desk_gaps_follow_the_policy() -> None:
    with pytest.raises(ch.DataError, match="missing='drop'"):
        ch.MarketData.from_csv(VALID_SPREADS, DATA / "bad" / "desk_nan.csv", missing="ffill")
    market = ch.MarketData.from_csv(VALID_SPREADS, DATA / "bad" / "desk_nan.csv", missing="drop")
    assert pd.Timestamp("2021-01-07") not in market.dates and market.missing_report["dropped_rows"] == 1
    market = ch.MarketData.from_csv(VALID_SPREADS, DATA / "bad" / "desk_partial.csv", missing="drop")
    assert list(market.dates[-2:]) == [pd.Timestamp("2021-01-08"), pd.Timestamp("2021-01-11")]
    assert market.missing_report["dropped_rows"] == 2


def test_desk_dates_without_spreads_are_counted(tmp_path: Path) -> None:
    desk = tmp_path / "desk.csv"
    desk.write_text(DESK.read_text() + "2021-01-16,0.5\n")  # a Saturday the spreads do not have
    market = ch.MarketData.from_csv(VALID_SPREADS, desk)
    assert market.missing_report["desk_dates_ignored"] == 1
    assert np.isclose(market.desk_pnl.sum(), 0.019)  # the eight weekday values of the file, by hand


def test_cli_prints_the_policy(tmp_path: Path) -> None:
    common = ["run", "--spreads", NAN_CELL, "--desk-pnl", DESK, "--instruments", DATA / "valid" / "instruments.csv",
              "--horizon", "W-FRI", "--quiet"]
    ffill = run_cli(*common, "--missing", "ffill")
    assert ffill.returncode == 0, ffill.stderr
    assert ("missing data: policy 'ffill' (max gap 5 rows), 1 value(s) forward-filled, first missing at "
            "row 7 (2021-01-11), column 'iTraxx Main'") in ffill.stdout
    drop = run_cli(*common, "--missing", "drop")
    assert drop.returncode == 0, drop.stderr
    assert "missing data: policy 'drop', 1 date(s) dropped" in drop.stdout
    clean = run_cli("run", "--spreads", VALID_SPREADS, "--desk-pnl", DESK, "--instruments",
                    DATA / "valid" / "instruments.csv", "--horizon", "W-FRI", "--quiet")
    assert "missing data: policy 'error', nothing missing" in clean.stdout
