"""Output that scales (issue 15): at 150 instruments the terminal summary stays short (aggregates and
top contributors; the full table goes to --out), unit lines and report cards give counts, the heat
map names at most MAX_HEATMAP_LABELS instruments; a hedge stuck at zero is explained; long runs
announce their expected duration, also under --quiet. Each test failed on main."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.cli._main import main
from cdshedge_cvx.cli._run import print_run_report
from cdshedge_cvx.datasets import _examples as examples
from cdshedge_cvx.datasets._random_walk import make_market
from cdshedge_cvx.market._instruments import Instrument, Universe

N = 150


@pytest.fixture(scope="module")
def large() -> ch.HedgeResult:
    universe = Universe([Instrument(f"IDX{i:03d}", 100.0, -0.05, 0.1) for i in range(N)])
    market = make_market(universe, days=130, seed=3, levels=300.0, volatility=1.0,
                         exposure=np.linspace(-0.2, 0.3, N), noise=0.05)
    return ch.backtest(market, universe, horizon="M", cross_check=False)


def test_summary_stays_readable(large: ch.HedgeResult, capsys: pytest.CaptureFixture[str]) -> None:
    print_run_report(large)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(out) < 8_000 and max(map(len, lines)) < 300, (len(out), max(map(len, lines)))
    assert f"Top 10 of {N} instruments" in out
    assert f"{N} instruments (IDX000, IDX001, IDX002, … and {N - 3} more)" in out
    assert sum(f"IDX{i:03d}" in out for i in range(N)) <= 40
    # the aggregates are right: gross and net per period, against the allocations themselves
    alloc = large.allocations
    first = next(line for line in lines if line.startswith(str(alloc.index[0].date())))
    fields = first.split()
    assert float(fields[3]) == pytest.approx(alloc.iloc[0].abs().sum(), abs=1e-6)
    assert float(fields[4]) == pytest.approx(alloc.iloc[0].sum(), abs=1e-6)
    assert int(fields[1]) == int((alloc.iloc[0].abs() > 1e-9).sum())


def test_report_headline_counts(large: ch.HedgeResult) -> None:
    from cdshedge_cvx.reporting._report import _headline

    html = _headline(large, "USD")
    card = html[html.index("Held on a CS01 limit"):]
    card = card[:card.index("</div></div>")]
    assert f" of {N} indices" in card and "more)" in card and sum(f"IDX{i:03d}" in card for i in range(N)) <= 3


def test_heatmap_labels_do_not_overlap(large: ch.HedgeResult) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from cdshedge_cvx.reporting._plots import MAX_HEATMAP_LABELS

    figure = large.plot()
    try:
        heat = figure.axes[0]
        labels = [t.get_text() for t in heat.get_yticklabels() if t.get_text()]
        assert 0 < len(labels) <= MAX_HEATMAP_LABELS and labels[0] == "IDX000"
    finally:
        plt.close(figure)


def test_small_universe_output_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    market, universe = examples.seed()
    result = ch.backtest(market, universe, horizon="Q", conventions="seed", cross_check=False)
    print_run_report(result)
    out = capsys.readouterr().out
    assert result.allocations.to_string(float_format=lambda v: f"{v:.6f}") in out
    assert "CDX IG, CDX HY, iTraxx Main, iTraxx Xover: USD mm/bp" in out or "iTraxx Main, iTraxx Xover: EUR" in out


def test_zero_hedge_is_explained(capsys: pytest.CaptureFixture[str]) -> None:
    from cdshedge_cvx.reporting._notes import stuck_hedge_note

    market, universe = examples.market()
    result = ch.backtest(market, universe, horizon="Q", mode="walk-forward", cross_check=False)
    assert (result.allocations == 0).all().all()  # the default objective, walk-forward: no hedge at all
    note = stuck_hedge_note(result)
    assert note is not None and "zero in every one of the" in note and "expected spread change is 0" in note
    # the carry number is the mean carry cost of one unit of CS01, from the term's value (not its gradient)
    carry = next(term for _, term in result.objective if type(term).__name__ == "Carry")
    unit = np.mean([[carry.value(np.eye(len(universe))[i], r.data) for i in range(len(universe))]
                    for r in result.records])
    assert f"Carry {-unit:+.3g}" in note
    hedged = ch.backtest(market, universe, "pnl - carry - roll - 0.05*variance", horizon="Q", mode="walk-forward",
                         cross_check=False)
    assert stuck_hedge_note(hedged) is None
    assert main(["run", "--example", "market", "--mode", "walk-forward", "--horizon", "Q", "--quiet",
                 "--no-cross-check"]) == 0
    assert "Note: the hedge is zero in every one of the" in capsys.readouterr().out


def test_expected_duration_announced_under_quiet(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import cdshedge_cvx.engine._eta as eta

    monkeypatch.setattr(eta, "ANNOUNCE_AFTER_S", 0.0)  # every run is "long"
    assert main(["run", "--horizon", "Q", "--quiet", "--no-cross-check"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("cdshedge: expected duration: about ") and "periods" in err[0]
    monkeypatch.setattr(eta, "ANNOUNCE_AFTER_S", 1e9)
    assert main(["run", "--horizon", "Q", "--quiet", "--no-cross-check"]) == 0
    assert capsys.readouterr().err == ""
    frame = pd.DataFrame({"a": [1]})
    assert list(eta.timed([frame], desc="x", unit="y")) == [frame]  # no callback: items pass through
