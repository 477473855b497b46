"""Presentation written once: error hints per audience, the currency table, the missing-data
summary, hedge effectiveness; the command line's inputs and outputs; the one simple market
generator."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.cli import main
from cdshedge_cvx.datasets import make_market
from cdshedge_cvx.reporting import cs01_unit, describe_missing, money_text, money_unit

DATA = Path(__file__).parent / "data"
SPREADS = DATA / "valid" / "spreads.csv"
DESK = DATA / "valid" / "desk_pnl.csv"
BAD = DATA / "bad"

# --- errors: keyword arguments in Python, flags on the command line ---------------------------
#: (spreads, desk, missing, max_gap) of each missing-data refusal, and the fix each one suggests.
REFUSALS = {
    "missing value": (BAD / "spreads_nan_cell.csv", DESK, "error", 5, [("missing", "ffill"), ("missing", "drop")]),
    "missing first row": (BAD / "spreads_missing_first_row.csv", DESK, "ffill", 5, [("missing", "drop")]),
    "gap too long": (BAD / "spreads_gap_of_two.csv", DESK, "ffill", 1, [("max_gap", 2), ("missing", "drop")]),
    "desk value missing": (SPREADS, BAD / "desk_nan.csv", "error", 5, [("missing", "drop")]),
    "desk dates missing": (SPREADS, BAD / "desk_partial.csv", "error", 5, [("missing", "drop")]),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_python_errors_name_keywords_and_the_cli_names_flags(case: str, capsys) -> None:
    spreads, desk, missing, max_gap, fixes = REFUSALS[case]
    with pytest.raises(ch.DataError) as info:
        ch.MarketData.from_csv(spreads, desk, missing=missing, max_gap=max_gap)
    python = str(info.value)
    assert not re.search(r"--[a-z]", python), python
    for option, value in fixes:
        assert f"{option}={value!r}" in python
    args = ["run", "--spreads", str(spreads), "--desk-pnl", str(desk), "--missing", missing, "--max-gap",
            str(max_gap), "--quiet", "--no-cross-check"]
    assert main(args) == 2
    cli = capsys.readouterr().err
    assert "=" not in cli.split("; try ")[-1], cli
    for option, value in fixes:
        assert f"--{option.replace('_', '-')} {value}" in cli


def test_following_the_hint_of_a_long_gap_loads_the_file() -> None:
    with pytest.raises(ch.DataError) as info:
        ch.MarketData.from_csv(BAD / "spreads_gap_of_two.csv", DESK, missing="ffill", max_gap=1)
    max_gap = next(h.value for h in info.value.hints if h.option == "max_gap")
    market = ch.MarketData.from_csv(BAD / "spreads_gap_of_two.csv", DESK, missing="ffill", max_gap=max_gap)
    assert market.missing_report["filled"] == 2


def test_output_path_check_names_no_flag_in_python(tmp_path: Path) -> None:
    with pytest.raises(ch.DataError, match=r"^output '.*': folder .* does not exist") as info:
        ch.io.check_output_path(tmp_path / "missing" / "out.csv")
    assert "--" not in str(info.value)


# --- one currency table -----------------------------------------------------------------------
def test_one_currency_table_for_report_plots_and_units() -> None:
    assert [money_unit(c) for c in ("USD", "eur", "GBP", "JPY", "CHF", "SEK")] == [
        "$mm", "€mm", "£mm", "¥mm", "CHF mm", "SEK mm"]
    assert cs01_unit("CHF") == "CHF mm/bp"
    assert [money_text(v, c) for v, c in ((-12.34, "USD"), (0.004, "EUR"), (1.5, "CHF"), (-0.001, "SEK"))] == [
        "−$12.3mm", "€0.00mm", "CHF 1.50mm", "0.00 SEK mm"]
    import cdshedge_cvx.reporting._plots as plots
    import cdshedge_cvx.reporting._report as report

    for module in (plots, report):
        assert not [k for k, v in vars(module).items() if isinstance(v, dict) and "USD" in v], module.__name__


def _chf_result() -> ch.HedgeResult:
    names = ["A", "B"]
    universe = ch.Universe([ch.Instrument(name, coupon_bp=100.0, cs01_min=0.0, cs01_max=1.0, currency="CHF",
                                          maturity_years=5.0) for name in names])
    generated = make_market(names, 90, 3, levels=[80.0, 120.0], volatility=[1.0, 2.0], correlation=0.6,
                            exposure=[0.4, 0.2], noise=0.2)
    market = ch.MarketData(generated.spreads, generated.desk_pnl, reporting_currency="CHF")
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll() - 0.1 * ch.VariancePenalty()
    return ch.backtest(market, universe, objective, horizon="M", cross_check=False)


def test_report_writes_chf_amounts_like_the_other_symbols() -> None:
    html = ch.report_html(_chf_result())
    assert re.search(r"CHF −?[\d,]+\.\d+mm", html)
    assert not re.search(r"\d CHF mm(?!/bp)", html)  # an amount, not a limit range in CHF mm/bp


# --- one missing-data summary ----------------------------------------------------------------
def test_missing_summary_covers_the_same_facts_everywhere() -> None:
    report = {"policy": "ffill", "max_gap": 5, "filled": 1, "dropped_rows": 0, "first": "row 7",
              "desk_dates_ignored": 2, "fx_as_of": 3}
    line, sentence = describe_missing(report), describe_missing(report, explain=True)
    for fact in ("1 value(s) forward-filled", "first missing at row 7", "2 desk PnL date(s) without spreads ignored",
                 "3 date(s) without an FX fixing"):
        assert fact in line and fact in sentence
    assert line.startswith("policy 'ffill' (max gap 5 rows)")
    assert sentence.startswith("missing spreads are carried forward from the last value, at most 5 consecutive")


def test_report_says_where_the_first_missing_spread_was() -> None:
    market = ch.MarketData.from_csv(BAD / "spreads_nan_cell.csv", DESK, missing="ffill")
    universe = ch.Universe.from_csv(DATA / "valid" / "instruments.csv")
    result = ch.backtest(market, universe, horizon="W-FRI", cross_check=False)
    html = ch.report_html(result)
    assert "first missing at row 7 (2021-01-11), column &#x27;iTraxx Main&#x27;" in html


# --- one hedge effectiveness ------------------------------------------------------------------
def test_report_effectiveness_is_the_results(monkeypatch) -> None:
    """The report's table by year shows HedgeResult.hedge_effectiveness of each year's rows."""
    result = _chf_result()
    assert result.hedge_effectiveness(result.pnl) == result.hedge_effectiveness()
    asked = []

    def effectiveness(self, pnl=None):
        asked.append(None if pnl is None else len(pnl))
        return 0.4321

    monkeypatch.setattr(ch.HedgeResult, "hedge_effectiveness", effectiveness)
    html = ch.report_html(result)
    section = html[html.index('id="effectiveness"'):]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", section[:section.index("</table>")])
    shown = {cells[0]: cells[6] for cells in (re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows) if cells}
    assert set(shown) == {*map(str, sorted(set(result.pnl.index.year))), "all periods"}
    assert set(shown.values()) == {"43"}
    assert len(result.pnl) in asked


# --- the command line's inputs and outputs ----------------------------------------------------
def test_example_market_honours_the_instruments_file(tmp_path: Path, capsys) -> None:
    instruments = tmp_path / "instruments.csv"
    universe = ch.examples.spread_quoted(ch.standard_universe())
    universe.with_limits(lower=[0.0] * 4, upper=[0.05] * 4).to_frame().to_csv(
        instruments, index=False)
    out = tmp_path / "alloc.csv"
    assert main(["run", "--example", "market", "--instruments", str(instruments), "--horizon", "Q",
                 "--no-cross-check", "--quiet", "--out", str(out)]) == 0
    allocations = pd.read_csv(out, index_col=0)
    assert (allocations.to_numpy() <= 0.05 + 1e-9).all() and (allocations.to_numpy() >= -1e-9).all()


def test_an_output_may_not_overwrite_the_fx_or_roll_jump_file(tmp_path: Path, capsys) -> None:
    for flag in ("--fx", "--roll-jumps"):
        target = tmp_path / f"{flag[2:]}.csv"
        target.write_text("date,EUR\n2021-01-04,1.2\n")
        assert main(["run", "--spreads", str(SPREADS), flag, str(target), "--out", str(target), "--quiet"]) == 2
        assert "is also an input file" in capsys.readouterr().err
        assert target.read_text() == "date,EUR\n2021-01-04,1.2\n"


def test_frontier_refuses_fx_without_spreads(tmp_path: Path, capsys) -> None:
    fx = tmp_path / "fx.csv"
    fx.write_text("date,EUR\n2021-01-04,1.2\n")
    assert main(["frontier", "--fx", str(fx), "--quiet"]) == 2
    assert "--fx needs --spreads" in capsys.readouterr().err


# --- the one simple market generator ----------------------------------------------------------
def test_make_market_is_a_seeded_correlated_random_walk() -> None:
    exposure = np.array([0.5, 0.2, 0.1])
    market = make_market(3, days=400, seed=7, levels=100.0, volatility=[1.0, 2.0, 3.0], correlation=0.8,
                         exposure=exposure)
    again = make_market(["IDX0", "IDX1", "IDX2"], days=400, seed=7, levels=100.0, volatility=[1.0, 2.0, 3.0],
                        correlation=0.8, exposure=exposure)
    pd.testing.assert_frame_equal(market.spreads, again.spreads)
    assert list(market.spreads.columns) == ["IDX0", "IDX1", "IDX2"] and len(market.spreads) == 400
    assert (market.spreads.index.day_of_week < 5).all()
    changes = market.spreads.diff().iloc[1:]
    assert np.allclose(changes.std(), [1.0, 2.0, 3.0], rtol=0.15)
    assert np.allclose(np.corrcoef(changes.T.to_numpy())[np.triu_indices(3, 1)], 0.8, atol=0.08)
    assert market.desk_pnl.iloc[0] == 0.0
    assert np.allclose(market.desk_pnl.iloc[1:], -changes.to_numpy() @ exposure)  # noise 0: the exposure exactly
    log = make_market(2, days=50, seed=1, levels=[50.0, 500.0], volatility=0.02, log=True)
    assert (log.spreads > 0).all().all() and np.allclose(log.spreads.iloc[0], [50.0, 500.0])


def test_prototype_is_the_seed_example() -> None:
    assert ch.examples.prototype is ch.examples.seed
