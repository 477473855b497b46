"""Hedge statistics against numpy computations written here independently."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.engine._statistics import hedge_statistics


def _pnl(seed=0, n=40):
    rng = np.random.default_rng(seed)
    desk = rng.standard_t(3, n)
    hedge = -0.7 * desk + 0.3 * rng.normal(size=n)
    tcost = np.abs(rng.normal(size=n)) * 0.01
    net = hedge - tcost
    return pd.DataFrame({"desk_pnl": desk, "net_hedge": net, "hedged_pnl": desk + net, "tcost": tcost})


def _drawdown_loop(x):
    peak, wealth, worst = 0.0, 0.0, 0.0
    for v in x:
        wealth += v
        peak = max(peak, wealth)
        worst = max(worst, peak - wealth)
    return worst


def test_statistics_match_independent_numpy():
    pnl = _pnl()
    turnover = pd.Series(np.linspace(0.1, 0.5, len(pnl)))
    table = hedge_statistics(pnl, turnover)
    for column, key in (("desk", "desk_pnl"), ("hedge", "net_hedge"), ("hedged", "hedged_pnl")):
        x = pnl[key].to_numpy()
        assert table.loc["volatility", column] == pytest.approx(pd.Series(x).std())
        assert table.loc["max_drawdown", column] == pytest.approx(_drawdown_loop(x))
        assert table.loc["worst_period", column] == pytest.approx(x.min())
        losses = np.sort(-x)
        for level in (95, 99):
            var = np.percentile(-x, level)
            assert table.loc[f"var_{level}", column] == pytest.approx(var)
            assert table.loc[f"es_{level}", column] == pytest.approx(losses[losses >= var].mean())
    desk, hedged, hedge = pnl["desk_pnl"].to_numpy(), pnl["hedged_pnl"].to_numpy(), pnl["net_hedge"].to_numpy()
    assert table.loc["hit_ratio", "desk"] == pytest.approx((desk > 0).sum() / len(desk))
    assert table.loc["hit_ratio", "hedge"] == pytest.approx(np.mean(hedge * desk < 0))
    worst = np.argsort(desk)[:4]  # 10 % of 40 periods
    expected = 1 - np.var(hedged[worst], ddof=1) / np.var(desk[worst], ddof=1)
    assert table.loc["effectiveness_worst_10pct", "hedged"] == pytest.approx(expected)
    assert table.loc["turnover", "hedge"] == pytest.approx(0.3)
    removed = np.var(desk, ddof=1) - np.var(hedged, ddof=1)
    assert table.loc["cost_per_variance_removed", "hedge"] == pytest.approx(pnl["tcost"].sum() / removed)


def test_result_statistics_in_summary():
    market, universe = ch.examples.seed()
    result = ch.backtest(market, universe, horizon="Q")
    table = result.statistics()
    summary = result.summary()
    assert summary["hedged_max_drawdown"] == pytest.approx(table.loc["max_drawdown", "hedged"])
    assert summary["desk_es_95"] == pytest.approx(table.loc["es_95", "desk"])
    assert table.loc["volatility", "desk"] == pytest.approx(result.pnl["desk_pnl"].std())


# --------------------------------------------------------------------------
# the drawdown panel of result.plot() and the statistics section of the report
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def walk_forward():
    market, universe = ch.examples.market()
    objective = ch.HedgePnL() - ch.Carry() - 0.05 * ch.VariancePenalty()
    return ch.backtest(market, universe, objective, horizon="Q", mode="walk-forward", cross_check=False,
                       progress=False)


def test_drawdown_panel_is_cumulative_pnl_below_its_peak(walk_forward):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = walk_forward.plot()
    try:
        panels = [ax for ax in fig.axes if ax.get_title(loc="left").startswith("Drawdown")]
        assert len(panels) == 1
        ax = panels[0]
        assert ax.get_ylabel() == "$mm"
        lines = {line.get_label().split(" (")[0]: (line.get_label(), line.get_ydata()) for line in ax.lines
                 if not line.get_label().startswith("_")}
        assert set(lines) == {"desk, unhedged", "desk + hedge"}
        for label, column in (("desk, unhedged", "desk_pnl"), ("desk + hedge", "hedged_pnl")):
            x = walk_forward.pnl[column].to_numpy()
            expected, peak, wealth = [0.0], 0.0, 0.0   # by a loop, independently of numpy's accumulate
            for v in x:
                wealth += v
                peak = max(peak, wealth)
                expected.append(wealth - peak)
            np.testing.assert_allclose(lines[label][1], expected, atol=1e-12)
            assert -min(expected) == pytest.approx(_drawdown_loop(x))
            assert f"max {_drawdown_loop(x):,.1f}" in lines[label][0]
            stats_column = "desk" if column == "desk_pnl" else "hedged"
            assert walk_forward.statistics().loc["max_drawdown", stats_column] == pytest.approx(-min(expected))
    finally:
        plt.close(fig)


def test_report_has_a_hedge_statistics_section(walk_forward):
    import re

    from cdshedge_cvx.reporting._report import REPORT_SECTIONS, report_html

    assert REPORT_SECTIONS.index("statistics") == REPORT_SECTIONS.index("effectiveness") + 1
    html = report_html(walk_forward)
    section = re.search(r'<section id="statistics">(.*?)</section>', html, re.S)
    assert section is not None
    text = section.group(1)
    assert "<h2>Hedge statistics</h2>" in text
    for header in ("desk alone", "hedge, net of costs", "desk + hedge"):
        assert f">{header}<" in text
    table = walk_forward.statistics()
    rows = dict(re.findall(r"<tr><td>([^<]+)</td>(.*?)</tr>", text))
    cells = re.findall(r'<td class="num">([^<]+)</td>', rows["expected shortfall 95 % (loss), $mm"])
    expected = [f"{v:,.2f}".replace("-", "−") for v in table.loc["es_95"]]
    assert cells == expected
    worst = re.findall(r"<td[^>]*>([^<]+)</td>", rows["worst period, $mm"])
    assert worst == [f"{v:,.2f}".replace("-", "−") for v in table.loc["worst_period"]]
    # undefined cells (turnover of the desk) are a dash, not "nan"
    assert "nan" not in text.lower()
