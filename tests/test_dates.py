"""How the date column is read: ISO, one day/month order per file, time zones, times of day."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cdshedge_cvx as ch

READABLE = {
    "iso": (["2021-01-04", "2021-01-05"], ["2021-01-04", "2021-01-05"]),
    "compact iso": (["20210104", "20210105"], ["2021-01-04", "2021-01-05"]),
    "time of day dropped": (["2021-01-04 17:00", "2021-01-05 17:30"], ["2021-01-04", "2021-01-05"]),
    "offset: wall-clock date kept": (["2021-01-04T23:00:00-05:00", "2021-01-05T00:30:00+01:00"],
                                     ["2021-01-04", "2021-01-05"]),
    "day first, told by a day above 12": (["12.01.2021", "13.01.2021", "14.01.2021"],
                                          ["2021-01-12", "2021-01-13", "2021-01-14"]),
    "month first, told by a day above 12": (["01/12/2021", "01/13/2021"], ["2021-01-12", "2021-01-13"]),
    "day first with slashes": (["31/12/2020", "04/01/2021"], ["2020-12-31", "2021-01-04"]),
    "words": (["4 Jan 2021", "5 Jan 2021"], ["2021-01-04", "2021-01-05"]),
}

REFUSED = {
    # a European file whose first days are <= 12: the first rows would silently be read month-first
    "ambiguous dots": (["01.02.2021", "02.02.2021"], "row 2 ('01.02.2021'): ambiguous date"),
    "ambiguous slashes": (["01/02/2021", "01/03/2021"], "ambiguous date: it reads as 2021-01-02 (month first) and "
                                                        "2021-02-01 (day first)"),
    "unparseable": (["2021-01-04", "2021-02-30"], "row 3 ('2021-02-30'): unparseable date"),
    "relative": (["today", "2021-01-05"], "row 2 ('today'): not a fixed date"),
    "same day twice": (["2021-01-04 09:00", "2021-01-04 17:00"], "row 3 (2021-01-04): duplicate date (also at row 2)"),
}


def _load(tmp_path: Path, dates: list[str]) -> ch.MarketData:
    path = tmp_path / "spreads.csv"
    rows = [f'"{d}",{100 + i}' for i, d in enumerate(dates)]
    path.write_text("date,CDX IG\n" + "\n".join(rows) + "\n")
    return ch.MarketData.from_csv(path)


@pytest.mark.parametrize("case", sorted(READABLE))
def test_readable_dates(case: str, tmp_path: Path) -> None:
    written, expected = READABLE[case]
    assert list(_load(tmp_path, written).dates) == list(pd.to_datetime(expected))


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_dates(case: str, tmp_path: Path) -> None:
    written, fragment = REFUSED[case]
    with pytest.raises(ch.DataError) as info:
        _load(tmp_path, written)
    assert fragment in str(info.value)
    assert str(tmp_path / "spreads.csv") in str(info.value)
