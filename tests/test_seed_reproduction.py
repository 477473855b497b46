"""The prototype reproduced exactly under seed conventions (API and CLI), for M, Q and A."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx as ch
from benchmarks.prototype import run_prototype
from cdshedge_cvx.cli import main

SEED_REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "data" / "seed_reference_monthly.csv"


@pytest.fixture(scope="module")
def seed_example():
    return ch.examples.seed()


@pytest.fixture(scope="module", params=["M", "Q", "A"])
def horizon_and_prototype(request):
    alias = {"M": "ME", "Q": "QE", "A": "YE"}[request.param]
    return request.param, run_prototype(alias)


def _assert_on_bounds(frame: pd.DataFrame, universe: ch.Universe) -> None:
    values = frame.to_numpy()
    distance = np.minimum(np.abs(values - universe.lower), np.abs(values - universe.upper))
    assert distance.max() <= 1e-6, f"allocations off the bounds by {distance.max()}"


def test_monthly_matches_the_prototypes_measured_output(seed_example):
    market, universe = seed_example
    reference = pd.read_csv(SEED_REFERENCE, index_col=0, parse_dates=True)
    result = ch.backtest(market, universe, horizon="M", conventions="seed")
    assert len(result.allocations) == 48
    assert list(result.allocations.index) == list(reference.index)
    assert list(result.allocations.columns) == list(reference.columns)
    np.testing.assert_allclose(result.allocations.to_numpy(), reference.to_numpy(), atol=1e-6, rtol=0)
    _assert_on_bounds(result.allocations, universe)


def test_example_data_is_the_prototypes_data(seed_example):
    market, _ = seed_example
    np.random.seed(42)
    dates = pd.date_range("2021-01-01", "2025-01-01", freq="D")
    desk = np.random.normal(0, 0.01, len(dates))
    spreads = np.column_stack([np.random.normal(100, 10, len(dates)) for _ in range(4)])
    np.testing.assert_array_equal(market.desk_pnl.to_numpy(), desk)
    np.testing.assert_array_equal(market.spreads.to_numpy(), spreads)


@pytest.mark.parametrize("closed_form", [True, False], ids=["closed-form", "lp-solver"])
def test_every_horizon_matches_the_prototype(seed_example, horizon_and_prototype, closed_form):
    market, universe = seed_example
    horizon, prototype = horizon_and_prototype
    result = ch.backtest(market, universe, horizon=horizon, conventions="seed", closed_form=closed_form)
    assert list(result.allocations.index) == list(prototype.index)
    np.testing.assert_allclose(result.allocations.to_numpy(), prototype.to_numpy(), atol=1e-6, rtol=0)
    _assert_on_bounds(result.allocations, universe)
    assert result.cross_check["ok"].all()
    expected_path = "closed-form" if closed_form else "solver"
    assert set(result.solver_info["path"]) == {expected_path}


def test_the_degenerate_february_2021_coefficient_is_negative_and_tiny(seed_example):
    """The iTraxx Main coefficient in 2021-02 is −9.1e−6: the answer must still be exactly 0."""
    market, universe = seed_example
    result = ch.backtest(market, universe, horizon="M", conventions="seed", closed_form=False)
    record = next(r for r in result.records if r.data["period"] == "2021-02-28")
    data = record.data
    coefficient = (ch.HedgePnL().coefficients(data) - ch.Carry().coefficients(data) - ch.Roll().coefficients(data))[2]
    assert -1e-5 < coefficient < -8e-6
    assert record.solution.h[2] == pytest.approx(0.0, abs=1e-9)


def test_cli_on_csv_files_reproduces_the_prototype(tmp_path, seed_example, horizon_and_prototype, capsys):
    market, universe = seed_example
    horizon, prototype = horizon_and_prototype
    spreads_csv, desk_csv, instruments_csv = tmp_path / "spreads.csv", tmp_path / "desk.csv", tmp_path / "inst.csv"
    market.spreads.rename_axis("date").to_csv(spreads_csv, float_format="%.17g")
    market.desk_pnl.rename_axis("date").rename("pnl").to_csv(desk_csv, float_format="%.17g")
    universe.to_frame()[["instrument", "coupon_bp", "cs01_min", "cs01_max"]].to_csv(instruments_csv, index=False)
    out = tmp_path / "alloc.csv"
    code = main(["run", "--spreads", str(spreads_csv), "--desk-pnl", str(desk_csv), "--instruments",
                 str(instruments_csv), "--conventions", "seed", "--horizon", horizon, "--out", str(out), "--quiet"])
    assert code == 0, capsys.readouterr().err
    written = pd.read_csv(out, index_col=0, parse_dates=True)
    assert list(written.columns) == list(prototype.columns)
    np.testing.assert_allclose(written.to_numpy(), prototype.to_numpy(), atol=1e-6, rtol=0)


def test_cli_without_data_flags_says_so_and_prints_48_rows(capsys):
    assert main(["run", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "embedded prototype example" in out.splitlines()[0]
    rows = [line for line in out.splitlines() if line[:4].isdigit() and line[4] == "-"]
    assert len(rows) == 48
    reference = pd.read_csv(SEED_REFERENCE, index_col=0)
    first = rows[0].split()
    assert first[0] == "2021-01-31"
    np.testing.assert_allclose([float(v) for v in first[1:]], reference.iloc[0].to_numpy(), atol=1e-6)


def test_seed_and_market_differ_in_data_not_code():
    """Market conventions take whole-series changes: the period's hedge coefficient is S_end − S_base."""
    spreads, desk = ch.examples.seed_frames()
    market = ch.MarketData(spreads, desk)
    universe = ch.examples.spread_quoted(ch.standard_universe())
    result = ch.backtest(market, universe, ch.HedgePnL(), horizon="M", conventions="market", cross_check=False)
    first = result.records[0].data
    assert first["base"] == pd.Timestamp("2021-01-01")
    np.testing.assert_allclose(first["expected_change"],
                               spreads.loc["2021-01-31"].to_numpy() - spreads.loc["2021-01-01"].to_numpy())
    second = result.records[1].data
    np.testing.assert_allclose(second["expected_change"],
                               spreads.loc["2021-02-28"].to_numpy() - spreads.loc["2021-01-31"].to_numpy())
    assert first["pnl_scale"] == 1.0
    assert len(result.allocations) == 49  # the one-day January 2025 stub has one daily change
