"""Figures: what each panel draws (checked against the result's numbers recomputed by hand),
units on every axis, one set of font sizes, and files written atomically and deterministically."""

from __future__ import annotations

import hashlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import StepPatch
from matplotlib.text import Text

import cdshedge_cvx as ch
from cdshedge_cvx.errors import DataError, SpecificationError
from cdshedge_cvx.reporting._plots import FONT, figure_bytes, plot_frontier, plot_result, save_figure


@pytest.fixture(scope="module")
def result():
    market, universe = ch.examples.market()
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll() - ch.RollDateCost() - 0.05 * ch.VariancePenalty()
    return ch.backtest(market, universe, objective, horizon="Q", mode="walk-forward", cross_check=False)


@pytest.fixture()
def figure(result):
    fig = plot_result(result)
    yield fig
    plt.close(fig)


def _axes_by_title(fig, start: str):
    found = [ax for ax in fig.axes if ax.get_title(loc="left").startswith(start)]
    assert len(found) == 1, [ax.get_title(loc="left") for ax in fig.axes]
    return found[0]


def test_allocation_panels_draw_the_holdings_and_the_limits(result, figure):
    currencies = {"CDX IG": "$", "CDX HY": "$", "iTraxx Main": "€", "iTraxx Xover": "€"}
    for i, name in enumerate(result.universe.names):
        ax = _axes_by_title(figure, f"{name}: CS01 held")
        assert ax.get_ylabel() == f"{currencies[name]}mm/bp"
        steps = [p for p in ax.patches if isinstance(p, StepPatch)]
        assert len(steps) == 1
        values, edges = steps[0].get_data().values, steps[0].get_data().edges
        np.testing.assert_array_equal(values, [r.solution.h[i] for r in result.records])
        # each step spans its holding period: from the period's base date to its end
        expected_edges = [r.data["base"] for r in result.records] + [result.records[-1].data["period_end"]]
        np.testing.assert_array_equal(edges, matplotlib.dates.date2num(pd.DatetimeIndex(expected_edges)))
        levels = sorted({round(line.get_ydata()[0], 12) for line in ax.lines})
        assert levels == sorted({float(result.universe.lower[i]), float(result.universe.upper[i])})


def test_pnl_panel_is_the_cumulative_realised_pnl_in_dollars(result, figure):
    ax = _axes_by_title(figure, "Cumulative realised PnL")
    assert ax.get_ylabel() == "$mm"
    lines = {line.get_label(): line.get_ydata() for line in ax.lines if not line.get_label().startswith("_")}
    desk = np.array([float(np.sum(r.data.realised()["desk_pnl"])) for r in result.records])  # by hand, the data
    np.testing.assert_allclose(lines["desk, unhedged"], np.concatenate([[0.0], np.cumsum(desk)]), rtol=1e-12)
    np.testing.assert_allclose(lines["desk + hedge"][-1], desk.sum() + result.pnl["net_hedge"].sum(), rtol=1e-12)
    expected = 1 - np.var(result.pnl["hedged_pnl"], ddof=1) / np.var(desk, ddof=1)
    assert f"hedge effectiveness {expected:.0%}" in ax.get_title(loc="left")


def test_cost_panel_shows_each_term_with_its_total(result, figure):
    ax = _axes_by_title(figure, "Cumulative costs of the hedge")
    assert ax.get_ylabel() == "$mm"
    carry = 0.0
    for r in result.records:    # carry: −fx · (ISDA value change per CS01 with the spread unchanged) · h
        data = r.data
        carry += float(np.sum(-np.asarray(data["fx_rate"]) * data["figures"].carry * r.solution.h))
    lines = {line.get_label().split(" (")[0]: line.get_ydata() for line in ax.lines
             if not line.get_label().startswith("_")}
    assert set(lines) == {"carry paid", "transaction cost", "roll-date cost", "roll-down, model estimate"}
    assert lines["carry paid"][-1] == pytest.approx(carry, rel=1e-10)
    assert np.all(np.diff(lines["carry paid"]) >= 0) and np.all(np.diff(lines["transaction cost"]) >= 0)


def test_every_axis_has_a_unit_and_fonts_are_consistent(figure):
    figure.canvas.draw()
    for ax in figure.axes:
        assert "mm" in ax.get_ylabel(), ax.get_title(loc="left")
    sizes = {round(t.get_fontsize(), 2) for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()}
    assert sizes <= {float(v) for v in FONT.values()}, sizes
    assert len(sizes) <= 5


def test_the_figure_names_conventions_mode_and_objective(result, figure):
    title = figure._suptitle.get_text()
    assert "market conventions" in title and "walk-forward" in title and "quarterly" in title
    assert "VariancePenalty(gamma=0.05" in figure._supxlabel.get_text()


def test_many_instruments_are_drawn_as_a_heat_map():
    rng = np.random.default_rng(3)
    dates = pd.bdate_range("2022-01-03", periods=130)
    names = [f"IDX{i}" for i in range(10)]
    spreads = pd.DataFrame(100 + rng.normal(0, 1, (len(dates), len(names))).cumsum(axis=0), index=dates,
                           columns=names)
    universe = ch.Universe([ch.Instrument(name=n, coupon_bp=100.0, cs01_min=-0.1, cs01_max=0.2) for n in names])
    market = ch.MarketData(spreads, pd.Series(rng.normal(0, 1, len(dates)), index=dates))
    result = ch.backtest(market, universe, horizon="M", cross_check=False)
    fig = plot_result(result)
    try:
        images = [ax.images[0] for ax in fig.axes if ax.images]
        assert len(images) == 1
        np.testing.assert_array_equal(images[0].get_array(), result.allocations.to_numpy().T)
        low, high = images[0].get_clim()
        assert low == -high  # white is zero
        assert any("mm/bp" in ax.get_ylabel() for ax in fig.axes)   # the colour bar carries the unit
    finally:
        plt.close(fig)


def test_frontier_plot_labels_every_gamma_and_draws_both_panels():
    table = pd.DataFrame({"gamma": [0.01, 0.1, 1.0, 10.0], "model_variance_mm2": [300.0, 150.0, 101.0, 100.0],
                          "realised_variance_mm2": [500.0, 250.0, 170.0, 169.0],
                          "expected_cost_mm": [0.0, 150.0, 250.0, 251.0],
                          "realised_cost_mm": [0.0, 80.0, 130.0, 131.0]})
    fig = plot_frontier(table, money="€mm")
    try:
        model, realised = fig.axes[0], fig.axes[1]
        np.testing.assert_array_equal(model.lines[0].get_xdata(), table["expected_cost_mm"])
        np.testing.assert_array_equal(realised.lines[0].get_ydata(), table["realised_variance_mm2"])
        labels = [t.get_text() for t in model.texts]
        # the last two points are within 7 % of each axis: one label for both
        assert labels == ["γ=0.01", "γ=0.1", "γ=1…10"]
        assert "€mm" in model.get_xlabel() and "(€mm)²" in model.get_ylabel()
    finally:
        plt.close(fig)


def test_frontier_plot_refuses_a_table_without_its_columns():
    with pytest.raises(SpecificationError, match="no column 'expected_cost_mm'"):
        plot_frontier(pd.DataFrame({"gamma": [1.0], "model_variance_mm2": [1.0]}))


def test_frontier_plot_method_uses_the_market_currency():
    frontier = ch.Frontier(table=pd.DataFrame({"gamma": [1.0, 2.0], "model_variance_mm2": [2.0, 1.0],
                                               "realised_variance_mm2": [2.0, 1.5], "expected_cost_mm": [0.0, 1.0],
                                               "realised_cost_mm": [0.0, 1.2]}),
                           timings=pd.DataFrame(), reporting_currency="EUR")
    fig = frontier.plot(realised=False)
    try:
        assert len([ax for ax in fig.axes if ax.lines]) == 1
        assert fig.axes[0].get_xlabel().startswith("expected cost of the hedge, €mm")
    finally:
        plt.close(fig)


@pytest.mark.parametrize("suffix", ["png", "svg", "pdf"])
def test_saved_figures_are_byte_identical_on_rerun(result, tmp_path, suffix):
    first, second = tmp_path / f"a.{suffix}", tmp_path / f"b.{suffix}"
    fig = plot_result(result)
    save_figure(fig, first)
    plt.close(fig)
    fig = plot_result(result)       # a new figure of the same result
    save_figure(fig, second)
    plt.close(fig)
    assert first.read_bytes() == second.read_bytes()
    assert first.stat().st_size > 10_000
    if suffix == "png":
        assert first.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"matplotlib" not in first.read_bytes().lower()    # no version stamp


def test_a_failed_save_leaves_no_file_and_keeps_the_old_one(result, tmp_path, monkeypatch):
    fig = plot_result(result)
    target = tmp_path / "hedge.png"
    target.write_bytes(b"previous figure")

    def broken(self, fname, **kwargs):
        Path(fname).write_bytes(b"\x89PNG partial")
        raise OSError("disk full")

    monkeypatch.setattr(type(fig), "savefig", broken)
    with pytest.raises((OSError, DataError)):
        save_figure(fig, target)
    plt.close(fig)
    assert target.read_bytes() == b"previous figure"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hedge.png"]     # no temporary file left


def test_unknown_figure_format_is_refused_before_writing(result, tmp_path):
    fig = plot_result(result)
    try:
        with pytest.raises(SpecificationError, match="unknown format 'xyz'"):
            save_figure(fig, tmp_path / "hedge.xyz")
    finally:
        plt.close(fig)
    assert list(tmp_path.iterdir()) == []


def test_the_same_figure_gives_the_same_bytes_every_time(result, tmp_path):
    fig = plot_result(result)
    try:
        save_figure(fig, tmp_path / "x.png", dpi=80)
        encoded = [hashlib.sha256(figure_bytes(fig, "png", dpi=dpi)).hexdigest() for dpi in (80, 120, 80)]
        assert encoded[0] == encoded[2] == hashlib.sha256((tmp_path / "x.png").read_bytes()).hexdigest()
        assert encoded[1] != encoded[0]
    finally:
        plt.close(fig)
