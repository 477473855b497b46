"""Roll-down from other tenors (issue 12, item 7): ``MarketData(tenor_spreads=...)`` and ``--tenor-spreads``.

The slope of each period is checked against a hand computation with Python dates on a small market (the
on-the-run CDX IG series of March 2024 matures 2029-06-20, its 3Y and 7Y siblings 2027-06-20 and 2031-06-20);
the precedence tenors > ``roll_slope_bp_per_year`` > ``roll_fraction``; the CLI flag end to end; the refusals
naming file, row, date and column. All fail on the main branch before the feature (no such argument).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdshedge_cvx.credit._conventions import get_conventions
from cdshedge_cvx.credit._roll_down import curve_roll_slope
from cdshedge_cvx.errors import DataError
from cdshedge_cvx.market._instruments import Universe, standard_universe
from cdshedge_cvx.market._market_data import MarketData
from cdshedge_cvx.periods._builder import PeriodBuilder
from cdshedge_cvx.periods._figures import contract_figures

DATES = pd.bdate_range("2024-04-01", "2024-07-31")


def _universe() -> Universe:
    std = standard_universe()
    return Universe([std["CDX IG"], std["iTraxx Main"],
                     std["CDX HY"].replace(quote="spread", roll_slope_bp_per_year=7.0),
                     std["iTraxx Xover"]])


def _spreads() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    base = {"CDX IG": 55.0, "iTraxx Main": 60.0, "CDX HY": 350.0, "iTraxx Xover": 320.0}
    return pd.DataFrame({k: v * np.exp(np.cumsum(rng.normal(0.0, 0.01, len(DATES)))) for k, v in base.items()},
                        index=DATES)


def _tenors(spreads: pd.DataFrame) -> pd.DataFrame:
    # CDX HY also gets a curve (it wins over its roll_slope_bp_per_year); iTraxx Main only a longer tenor
    return pd.DataFrame({"CDX IG 3Y": spreads["CDX IG"] * 0.62, "CDX IG 7Y": spreads["CDX IG"] * 1.25,
                         "iTraxx Main 10Y": spreads["iTraxx Main"] * 1.5, "CDX HY 3y": spreads["CDX HY"] * 0.8},
                        index=spreads.index)


def _market(tenors: pd.DataFrame | None = None) -> MarketData:
    spreads = _spreads()
    return MarketData(spreads, pd.Series(0.0, index=spreads.index),
                      tenor_spreads=_tenors(spreads) if tenors is None else tenors)


def _years(end: dt.date, start: pd.Timestamp) -> float:
    return (end - start.date()).days / 365.0


def test_slope_is_the_hand_computed_segment_slope() -> None:
    universe = _universe()
    market = _market()
    conventions = get_conventions("market")
    builder = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, conventions, horizon="ME",
                            tenor_spreads=market.tenor_spreads_for_universe(universe))
    tenors = market.tenor_spreads
    checked = 0
    for period in builder.periods:
        data = builder.build(period)
        base = period.base
        row = market.spreads.index.get_loc(base)
        s = market.spreads.loc[base]
        d = period.calendar_days
        # CDX IG: the contract (2029-06-20) rolls down towards the 3Y point (2027-06-20)
        x0, x3 = _years(dt.date(2029, 6, 20), base), _years(dt.date(2027, 6, 20), base)
        ig = (s["CDX IG"] - tenors["CDX IG 3Y"].iloc[row]) / (x0 - x3)
        # iTraxx Main: only a 10Y point (2034-06-20): the segment beyond, extended below the contract
        x10 = _years(dt.date(2034, 6, 20), base)
        main = (tenors["iTraxx Main 10Y"].iloc[row] - s["iTraxx Main"]) / (x10 - x0)
        # CDX HY: its 3Y sibling matures 2027-06-20 too (March 2024 series, launched 27 March)
        hy = (s["CDX HY"] - tenors["CDX HY 3y"].iloc[row]) / (x0 - x3)
        slopes = np.asarray(data.roll_slope_bp_per_year)
        np.testing.assert_allclose(slopes[:3], [ig, main, hy], rtol=1e-12)
        assert np.isnan(slopes[3])  # iTraxx Xover: nothing given, roll_fraction x spread
        figures = contract_figures(data)
        np.testing.assert_allclose(figures.roll_down[:3], -np.array([ig, main, hy]) * d / 365.0, rtol=1e-12)
        np.testing.assert_allclose(figures.roll_down[3], -0.1 * s["iTraxx Xover"] * d / 365.0, rtol=1e-12)
        checked += 1
    assert checked >= 3


def test_precedence_tenors_then_slope_then_fraction() -> None:
    universe = _universe()
    spreads = _spreads()
    only_ig = _tenors(spreads)[["CDX IG 3Y"]]
    market = _market(only_ig)
    builder = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, get_conventions("market"),
                            horizon="ME", tenor_spreads=market.tenor_spreads_for_universe(universe))
    data = builder.build(builder.periods[0])
    slopes = np.asarray(data.roll_slope_bp_per_year)
    assert np.isfinite(slopes[0]) and slopes[0] != 7.0
    assert np.isnan(slopes[1])  # no tenors, no slope: the fraction
    assert slopes[2] == 7.0  # CDX HY without tenors here: its roll_slope_bp_per_year
    # without any tenor series the builder is what it was
    plain = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, get_conventions("market"),
                          horizon="ME").build(builder.periods[0])
    np.testing.assert_array_equal(np.asarray(plain.roll_slope_bp_per_year)[1:], slopes[1:])


def test_curve_roll_slope_crossing_segments_and_extrapolating() -> None:
    # points (1, 10), (2, 30), (3, 40); the contract at x0 = 3 rolls 2 years down to x = 1: (40 - 10)/2
    assert curve_roll_slope([3.0], [40.0], [[1.0, 2.0]], [[10.0, 30.0]], days=730)[0] == pytest.approx(15.0)
    # a month: the last segment, (40 - 30)/1
    assert curve_roll_slope([3.0], [40.0], [[1.0, 2.0]], [[10.0, 30.0]], days=30)[0] == pytest.approx(10.0)
    # only longer tenors: the first segment extended below the contract, (50 - 40)/(5 - 3)
    assert curve_roll_slope([3.0], [40.0], [[5.0, np.nan]], [[50.0, np.nan]], days=30)[0] == pytest.approx(5.0)
    # an inverted curve gives a negative slope (protection bought gains)
    assert curve_roll_slope([3.0], [40.0], [[2.0]], [[60.0]], days=30)[0] == pytest.approx(-20.0)
    with pytest.raises(DataError, match="same maturity"):
        curve_roll_slope([3.0], [40.0], [[3.0]], [[50.0]], days=30)
    with pytest.raises(DataError, match="no other tenor"):
        curve_roll_slope([3.0], [40.0], [[np.nan]], [[np.nan]], days=30)


def test_backtest_uses_the_tenor_curve() -> None:
    import cdshedge_cvx as ch

    universe = _universe()
    plain = MarketData(_spreads(), pd.Series(0.0, index=DATES))
    with_tenors = _market()
    a = ch.backtest(plain, universe, "pnl - carry - roll", cross_check="off")
    b = ch.backtest(with_tenors, universe, "pnl - carry - roll", cross_check="off")
    slopes_a = np.array([r.data.roll_slope_bp_per_year for r in a.records])
    slopes_b = np.array([r.data.roll_slope_bp_per_year for r in b.records])
    assert np.isnan(slopes_a[:, 0]).all() and np.isfinite(slopes_b[:, 0]).all()
    assert not np.allclose(slopes_b[:, 0], 0.1 * np.array([r.data.spread_start[0] for r in b.records]))


def _set(frame: pd.DataFrame, row: int, value: float) -> pd.DataFrame:
    out = frame.copy()
    out.iloc[row, 0] = value
    return out


@pytest.mark.parametrize(("columns", "edit", "match"), [
    (["CDX XX 3Y"], None, r"tenor spreads, column 'CDX XX 3Y': names no instrument of the universe"),
    (["CDX IG three"], None, r"tenor spreads, column 'CDX IG three': no tenor in the name"),
    (["CDX IG 5Y"], None, r"column 'CDX IG 5Y': 5Y is the tenor of the contract 'CDX IG' holds"),
    (["CDX IG 3Y", "cdx ig 36M"], None, r"columns 'CDX IG 3Y' and 'cdx ig 36M' are both the 36-month tenor"),
    (["CDX IG 3Y"], lambda f: f.drop(f.index[4]), r"tenor spreads: no row for 2024-04-05, a date of the spreads"),
    (["CDX IG 3Y"], lambda f: _set(f, 6, np.nan),
     r"tenor spreads, row 6 \(2024-04-09\), column 'CDX IG 3Y': missing spread"),
    (["CDX IG 3Y"], lambda f: _set(f, 2, np.inf),
     r"tenor spreads, row 2 \(2024-04-03\), column 'CDX IG 3Y': spread inf bp"),
    (["CDX IG 3Y"], lambda f: _set(f, 2, -1.0),
     r"tenor spreads, row 2 \(2024-04-03\), column 'CDX IG 3Y': spread -1 bp"),
])
def test_bad_tenor_spreads_are_refused_with_one_line(columns, edit, match) -> None:
    spreads = _spreads()
    frame = pd.DataFrame({c: spreads["CDX IG"] * 0.7 for c in columns}, index=spreads.index)
    if edit is not None:
        frame = edit(frame)
    with pytest.raises(DataError, match=match) as info:
        _market(frame).tenor_spreads_for_universe(_universe())
    assert "\n" not in str(info.value)


def test_bad_file_names_its_line(tmp_path: Path) -> None:
    spreads = _spreads()
    frame = pd.DataFrame({"CDX IG 3Y": (spreads["CDX IG"] * 0.7).round(3)}, index=spreads.index)
    frame.index.name = "date"
    text = frame.to_csv().splitlines()
    text[5] = text[5].split(",")[0] + ",abc"
    path = tmp_path / "tenors.csv"
    path.write_text("\n".join(text) + "\n")
    market = MarketData(spreads, pd.Series(0.0, index=spreads.index))
    match = r"tenors.csv'?, row 6 \(2024-04-05\), column 'CDX IG 3Y': 'abc' is not a number"
    with pytest.raises(DataError, match=match):
        market.with_tenor_spreads(path)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cdshedge_cvx", "run", "--quiet", "--no-cross-check", *args],
                          capture_output=True, text=True)


def test_cli_flag_end_to_end(tmp_path: Path) -> None:
    spreads = _spreads()
    spreads.index.name = "date"
    spreads.to_csv(tmp_path / "spreads.csv")
    universe = _universe()
    universe.to_frame().to_csv(tmp_path / "instruments.csv", index=False)
    tenors = _tenors(spreads)
    tenors.index.name = "date"
    tenors.to_csv(tmp_path / "tenors.csv")
    common = ["--spreads", str(tmp_path / "spreads.csv"), "--instruments", str(tmp_path / "instruments.csv"),
              "--objective", "pnl - carry - roll - 5*variance"]
    plain = _cli(*common, "--out", str(tmp_path / "plain.csv"))
    assert plain.returncode == 0, plain.stderr
    done = _cli(*common, "--tenor-spreads", str(tmp_path / "tenors.csv"), "--out", str(tmp_path / "tenors_out.csv"))
    assert done.returncode == 0, done.stderr
    a = pd.read_csv(tmp_path / "plain.csv", index_col=0)
    b = pd.read_csv(tmp_path / "tenors_out.csv", index_col=0)
    assert a.shape == b.shape and not np.allclose(a.to_numpy(), b.to_numpy())
    # a bad file: one line naming file, row and column, non-zero exit, no output written
    bad = tenors.rename(columns={"CDX IG 3Y": "CDX IG soon"})
    bad.to_csv(tmp_path / "bad.csv")
    failed = _cli(*common, "--tenor-spreads", str(tmp_path / "bad.csv"), "--out", str(tmp_path / "never.csv"))
    assert failed.returncode != 0
    assert "Traceback" not in failed.stderr and len(failed.stderr.strip().splitlines()) == 1
    assert "bad.csv" in failed.stderr and "'CDX IG soon'" in failed.stderr and "no tenor" in failed.stderr
    assert not (tmp_path / "never.csv").exists()
    # with the example market too
    example = _cli("--example", "market", "--horizon", "Q", "--tenor-spreads", str(tmp_path / "tenors.csv"))
    assert example.returncode != 0 and "no row for" in example.stderr  # the example's dates are not covered
    assert "--tenor-spreads" in subprocess.run([sys.executable, "-m", "cdshedge_cvx", "run", "--help"],
                                               capture_output=True, text=True).stdout


@settings(max_examples=40, deadline=None)
@given(level=st.floats(50.0, 500.0), slope=st.floats(-20.0, 40.0), x0=st.floats(3.5, 6.0),
       offsets=st.lists(st.floats(0.5, 3.0), min_size=1, max_size=3, unique=True),
       above=st.booleans(), days=st.integers(1, 400))
def test_a_straight_curve_rolls_down_at_its_slope(level, slope, x0, offsets, above, days) -> None:
    """Points on a line s = level + slope·(x − x0): whatever the tenors and the period, b = slope."""
    xs = np.array([x0 + o if above else x0 - o for o in offsets])
    xs = xs[xs > 0.05]
    if xs.size == 0 or np.min(np.abs(np.diff(np.sort(np.r_[xs, x0])))) < 1e-6:
        return
    spreads = level + slope * (xs - x0)
    if np.any(spreads <= 0):
        return
    b = curve_roll_slope([x0], [level], xs[None, :], spreads[None, :], days=days)[0]
    assert b == pytest.approx(slope, rel=1e-9, abs=1e-9)
