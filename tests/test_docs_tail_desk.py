"""The numbers of docs/tail_risk.md and docs/desk_data.md recomputed (issue 15).

tail_risk.md: the defaults it quotes, the variance-vs-CVaR table on the stress market (seed 0, the run of
notebook 04: two runs whose attribution prices 273 periods, 10–20 s), and the seed-2 / 5-day-scenario paragraph
(four more runs). The factor
benchmark's output is benchmark output (one timed run) and is not checked. desk_data.md: the serial-date
example and range, the terminal-ticker table, the FX headers, and the output thresholds.
"""

from __future__ import annotations

import inspect
import re

import numpy as np
import pandas as pd
import pytest
from docs_text import doc, flat, grab, table, to_float

import cdshedge_cvx as ch

TAIL = doc("tail_risk.md")
DESK = doc("desk_data.md")


# --- tail_risk.md ---------------------------------------------------------------------------------------
def test_cvar_and_factor_defaults() -> None:
    shown = grab(TAIL, r"`ch\.CVaR\(([^)]*)\)` is the Rockafellar")
    params = inspect.signature(ch.CVaR).parameters
    for item in shown.split(", "):
        name, value = item.split("=")
        assert repr(params[name].default) == value, item
    assert inspect.signature(ch.CVaRLimit).parameters["alpha"].default == to_float(
        grab(TAIL, r"`ch\.CVaRLimit\(max_loss, alpha=([\d.]+), \.\.\.\)`"))
    factor = inspect.signature(ch.FactorCovariance).parameters
    assert factor["explained"].default * 100 == to_float(grab(TAIL, r"explaining ≥ (\d+) % \(`explained`\)"))
    assert factor["max_k"].default == int(grab(TAIL, r"at most `max_k` \((\d+)\)"))


def test_lots_constants() -> None:
    from cdshedge_cvx.crosscheck import _lots

    source = inspect.getsource(_lots)
    instruments = int(grab(TAIL, r"for small universes \(≤ (\d+) instruments"))
    vectors = int(grab(TAIL, r"≤ ([\d,]+) lot vectors in the").replace(",", ""))
    assert re.search(rf"\b{instruments}\b", source) and re.search(rf"\b{vectors:_}\b|\b{vectors}\b", source), (
        instruments, vectors)


def test_mip_gap_tolerance() -> None:
    from cdshedge_cvx.solve._mip_path import GAP_TOLERANCE

    absolute, relative = (to_float(v) for v in re.search(r"agree to ([\de.-]+) \$mm \(relative ([\de.-]+)\)",
                                                         flat(TAIL)).groups())
    assert GAP_TOLERANCE == {"abs": absolute, "rel": relative}


def _worst_5pct_loss(pnl: pd.Series) -> float:
    ordered = np.sort(pnl.to_numpy())
    return float(-ordered[: max(1, int(np.ceil(0.05 * len(ordered))))].mean())


def _stress_runs(seed: int, cvar: ch.CVaR):
    market, universe = ch.examples.stress_market(seed=seed)
    limits = [to_float(v) for v in re.split(r", ", grab(TAIL, r"limits widened to ([\d., ]+) \$mm/bp"))]
    wide = universe.with_limits(upper=limits)
    window = int(grab(TAIL, r"walk-forward \(window (\d+) days"))
    first = int(grab(TAIL, r"first decision after (\d+)\)"))
    weekly = dict(horizon="W-FRI", mode="walk-forward", window=window, min_history=first, progress=False)
    variance = ch.backtest(market, wide, -ch.VariancePenalty(), solver="CLARABEL", cross_check=False, **weekly)
    tail = ch.backtest(market, wide, -cvar, solver="HIGHS", cross_check=False, **weekly)
    return variance, tail


@pytest.fixture(scope="module")
def seed0():
    count = int(grab(TAIL, r"`-CVaR\(alpha=0\.95, count=(\d+)\)` \(HiGHS\)"))
    return _stress_runs(0, ch.CVaR(alpha=0.95, count=count))


def test_variance_vs_cvar_table(seed0) -> None:
    variance, tail = seed0
    desk = variance.pnl["desk_pnl"]
    assert f"{len(desk)} weeks;" in flat(TAIL)
    worst = int(np.ceil(0.05 * len(desk)))
    assert f"over its {worst} worst weeks" in flat(TAIL)
    rows = {row[0]: row[1:] for row in table(TAIL, "| | worst 5 % of weeks")}
    fmt = lambda v: f"{v:.1f}".replace("-", "−")  # noqa: E731
    for label, pnl, result in (("desk alone", desk, None), ("variance hedge", variance.pnl["hedged_pnl"], variance),
                               ("CVaR 95 % hedge", tail.pnl["hedged_pnl"], tail)):
        shown = [cell.strip("*") for cell in rows[label]]
        assert shown[:3] == [fmt(_worst_5pct_loss(pnl)), fmt(pnl.std()), fmt(pnl.min())], label
        if result is not None:
            assert shown[3] == f"{result.hedge_effectiveness():.2f}", label
    # "CVaR holds more CDX IG and iTraxx Main, less Xover"
    mean_var, mean_cvar = variance.allocations.mean(), tail.allocations.mean()
    assert mean_cvar["CDX IG"] > mean_var["CDX IG"] and mean_cvar["iTraxx Main"] > mean_var["iTraxx Main"]
    assert mean_cvar["iTraxx Xover"] < mean_var["iTraxx Xover"]


def _groups(text: str, pattern: str) -> tuple[str, ...]:
    found = re.search(pattern, flat(text))
    assert found, pattern
    return found.groups()


def _es(result) -> str:
    """Weekly ES 95 % of the hedged book from ``result.statistics()``, as the doc prints it."""
    return f"{ch.hedge_statistics(result.pnl).loc['es_95', 'hedged']:.1f}"


def test_seed_2_and_five_day_scenarios_paragraph(seed0) -> None:
    daily_count = int(grab(TAIL, r"`-CVaR\(alpha=0\.95, count=(\d+)\)` \(HiGHS\)"))
    cvar_es, var_es = _groups(TAIL, r"CVaR ([\d.]+) against variance ([\d.]+) \$mm\)")
    length, count = (int(v) for v in _groups(TAIL, r"\(`length=(\d+)`, `count=(\d+)`\)"))
    better = grab(TAIL, r"slightly better there \(([\d.]+) \$mm\)")
    seed0_five, seed0_variance = _groups(TAIL, r"still worse on seed 0 \(([\d.]+) against ([\d.]+) \$mm\)")
    variance2, daily2 = _stress_runs(2, ch.CVaR(alpha=0.95, count=daily_count))
    assert (_es(daily2), _es(variance2)) == (cvar_es, var_es)
    _, five2 = _stress_runs(2, ch.CVaR(alpha=0.95, count=count, length=length))
    assert _es(five2) == better and float(better) < float(var_es)
    _, five0 = _stress_runs(0, ch.CVaR(alpha=0.95, count=count, length=length))
    assert (_es(five0), _es(seed0[0])) == (seed0_five, seed0_variance)


# --- desk_data.md ---------------------------------------------------------------------------------------
def test_excel_serial_dates() -> None:
    from cdshedge_cvx.market._market_data import _EXCEL_SERIALS, _excel_serials

    serial, day = grab(DESK, r"Excel serial dates \(`(\d+)` = (\d{4}-\d\d-\d\d)\)", 0).split("` = ")
    serial = serial.split("`")[1]
    assert _excel_serials([serial, str(int(serial) + 1)])[0] == pd.Timestamp(day.rstrip(")"))
    low, high, first, last = re.search(r"when every row is one \(serials (\d+)–(\d+): (\S+) to (\S+)\)",
                                       flat(DESK)).groups()
    assert (int(low), int(high)) == _EXCEL_SERIALS
    epoch = pd.Timestamp("1899-12-30")
    assert _excel_serials([low, high]).equals(pd.DatetimeIndex([first, last]))
    assert (epoch + pd.Timedelta(days=int(high))) == pd.Timestamp(last)
    assert _excel_serials([str(int(low) - 1)]) is None and _excel_serials([str(int(high) + 1)]) is None


def test_terminal_ticker_table() -> None:
    from cdshedge_cvx.market._aliases import TERMINAL_TICKERS, fx_header

    rows = table(DESK, "| instrument | also accepted |")
    assert {row[0]: tuple(re.findall(r"`([^`]+)`", row[1])) for row in rows} == TERMINAL_TICKERS
    headers = re.findall(r"`([^`]+)`", grab(DESK, r"FX columns: (.*?) all mean USD per EUR"))
    headers += re.findall(r"`([^`]+)`", grab(DESK, r"\(also (`[^`]+`)\)"))
    assert {fx_header(h).replace("/", "") for h in headers} <= {"EUR", "EURUSD"}, headers
    dates = pd.bdate_range("2024-01-01", periods=5)
    for header in headers:
        market = ch.MarketData(pd.DataFrame({"iTraxx Main": 60.0}, index=dates), pd.Series(0.0, index=dates),
                               fx=pd.DataFrame({header: 1.1}, index=dates))
        assert market.fx is not None, header


def test_output_thresholds() -> None:
    from cdshedge_cvx.reporting._large import MAX_LISTED, TOP
    from cdshedge_cvx.reporting._plots import MAX_HEATMAP_LABELS, MAX_SMALL_MULTIPLES

    words = {"a dozen": 12, "eight": 8, "ten": 10}
    assert words[grab(DESK, r"Past (a dozen) instruments the terminal summary")] == MAX_LISTED
    assert words[grab(DESK, r"heat map past (\w+) instruments")] == MAX_SMALL_MULTIPLES
    assert int(grab(DESK, r"naming at most (\d+) of them")) == MAX_HEATMAP_LABELS
    assert words[grab(DESK, r"then the (\w+) largest holdings")] == TOP
