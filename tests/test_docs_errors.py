"""Every example message of docs/errors.md is a message the package prints today (issue 15).

The messages are produced in-process (the loaders on the bad-input corpus ``tests/data/bad`` and on a
few files written here, the output-path checks, the objective parser, a solve), worded for the command
line (``message_for("cli")``), with the corpus file names shortened as the doc shortens them
(``bad/spreads_negative.csv`` → ``spreads.csv``). A doc message matches when it equals a produced one,
``…`` / ``...`` standing for any text. The constants and exit codes the doc names are the code's.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest
from docs_text import blocks, doc, flat, grab, run_cli, to_float

import cdshedge_cvx as ch

ERRORS = doc("errors.md")
DATA = Path(__file__).parent / "data"
VALID = {"spreads": DATA / "valid" / "spreads.csv", "desk": DATA / "valid" / "desk_pnl.csv",
         "instruments": DATA / "valid" / "instruments.csv"}


def _short(message: str) -> str:
    message = re.sub(r"[^\s'(]*?(spreads|desk|instruments)_[a-z0-9_]+\.csv", r"\1.csv", message)
    return re.sub(r"/[^\s'(]*/(\w+\.csv)", r"\1", message)


def _corpus_messages() -> list[str]:
    from test_bad_inputs import BAD, CASES

    universe = ch.Universe.from_csv(VALID["instruments"])
    out = []
    for name, (_, extra) in sorted(CASES.items()):
        role = name.split("_")[0]
        options = {}
        if "--missing" in extra:
            options["missing"] = extra[extra.index("--missing") + 1]
        if "--max-gap" in extra:
            options["max_gap"] = int(extra[extra.index("--max-gap") + 1])
        try:
            if role == "instruments":
                ch.Universe.from_csv(BAD / name)
            else:
                files = {"spreads": VALID["spreads"], "desk": VALID["desk"], role: BAD / name}
                ch.MarketData.from_csv(files["spreads"], desk_pnl=files["desk"], **options).for_universe(universe)
        except ch.CdsHedgeError as exc:
            out += [_short(exc.message_for("cli")), _short(exc.message_for("python"))]
    return out


def _raised(call) -> list[str]:
    try:
        call()
    except (ch.CdsHedgeError, ValueError) as exc:
        if isinstance(exc, ch.CdsHedgeError):
            return [_short(exc.message_for("cli")), _short(exc.message_for("python"))]
        return [_short(str(exc))]
    raise AssertionError(f"{call} raised nothing")


def _written_messages(tmp_path: Path) -> list[str]:
    """Messages of the rules the corpus has no file for (missing files, outputs, FX, solves)."""
    from cdshedge_cvx.io import check_output_path
    from cdshedge_cvx.model._parser import parse_objective

    out: list[str] = []
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        (tmp_path / "data").mkdir()
        out += _raised(lambda: ch.MarketData.from_csv("nowhere.csv", desk_pnl=VALID["desk"]))
        out += _raised(lambda: ch.MarketData.from_csv("data", desk_pnl=VALID["desk"]))
        lines = VALID["spreads"].read_text().splitlines()
        lines[3] = "," + lines[3].split(",", 1)[1]  # row 4: no date
        (tmp_path / "spreads.csv").write_text("\n".join(lines) + "\n")
        out += _raised(lambda: ch.MarketData.from_csv("spreads.csv", desk_pnl=VALID["desk"]))
        inputs = [tmp_path / "spreads.csv"]
        out += _raised(lambda: check_output_path("results/a.csv", flag="--out", inputs=inputs))
        (tmp_path / "results").mkdir()
        out += _raised(lambda: check_output_path("results", flag="--out", inputs=inputs))
        out += _raised(lambda: check_output_path("spreads.csv", flag="--out", inputs=inputs))
        # a column of no known kind in decimals
        spreads = pd.read_csv(VALID["spreads"])
        mine = spreads.rename(columns={spreads.columns[1]: "My index"})
        mine["My index"] = mine["My index"] / 1e4
        mine.to_csv(tmp_path / "spreads.csv", index=False)
        out += _raised(lambda: ch.MarketData.from_csv("spreads.csv", desk_pnl=VALID["desk"]))
        # a run of two prints in percent among bp (rows 22-23 of the file)
        from test_rel3_plausibility import _frames

        spreads, desk = _frames()
        spreads.iloc[[20, 21], 0] /= 100.0
        spreads.rename_axis("date").to_csv(tmp_path / "spreads.csv")
        desk.rename("desk_pnl").rename_axis("date").to_csv(tmp_path / "desk.csv")
        out += _raised(lambda: ch.MarketData.from_csv("spreads.csv", desk_pnl="desk.csv"))
        # a plausible range the wrong way round
        (tmp_path / "instruments.csv").write_text("instrument,coupon_bp,cs01_min,cs01_max,min_spread_bp,max_spread_bp\n"
                                                  "CDX IG,100,-1,1,50,40\n")
        out += _raised(lambda: ch.Universe.from_csv("instruments.csv"))
        # FX out of range on row 3
        dates = pd.read_csv(VALID["spreads"]).iloc[:, 0]
        fx = pd.DataFrame({"date": dates, "EUR": 1.1})
        fx.loc[1, "EUR"] = 1e200
        fx.to_csv(tmp_path / "fx.csv", index=False)
        out += _raised(lambda: ch.MarketData.from_csv(VALID["spreads"], desk_pnl=VALID["desk"], fx="fx.csv"))
    finally:
        os.chdir(cwd)
    out += _raised(lambda: parse_objective("pnl - carry +* roll"))
    market = ch.MarketData.from_csv(VALID["spreads"], desk_pnl=VALID["desk"])
    universe = ch.Universe.from_csv(VALID["instruments"])
    out += _raised(lambda: ch.backtest(market, universe, -ch.VariancePenalty(), horizon="D", cross_check=False))
    out += _raised(lambda: ch.backtest(market, universe, ch.HedgePnL(), horizon="W-FRI", solver="NOPE"))
    forced = universe.with_limits(lower=[0.1, 0.05, 0.1, 0.05], upper=[0.25, 0.1, 0.25, 0.1])
    dates = pd.to_datetime(pd.read_csv(VALID["spreads"]).iloc[:, 0])
    in_usd = ch.MarketData(market.spreads, market.desk_pnl, fx=pd.DataFrame({"EUR": 1.1}, index=dates))
    out += _raised(lambda: ch.backtest(in_usd, forced, ch.HedgePnL(), constraints=[ch.GrossLimit(0.2)],
                                       horizon="W-FRI", cross_check=False))
    return out


@pytest.fixture(scope="module")
def produced(tmp_path_factory) -> list[str]:
    return _corpus_messages() + _written_messages(tmp_path_factory.mktemp("errors"))


def _doc_messages() -> list[str]:
    """The backticked messages of the example-message column of every rule table, and the code blocks."""
    section = ERRORS[ERRORS.index("## Validation rules"):ERRORS.index("## The missing-data policy")]
    messages = []
    for line in section.splitlines():
        cells = re.split(r"(?<!\\)\|", line.strip())
        if len(cells) < 4 or line.startswith("| rule") or line.startswith("| ---"):
            continue
        messages += re.findall(r"`([^`]+)`", cells[2])
    return [m for m in messages if " " in m]


def _matches(doc_message: str, produced: list[str]) -> bool:
    pattern = ".*?".join(re.escape(part) for part in re.split(r"…|\.\.\.", doc_message))
    return any(re.fullmatch(pattern, message, flags=re.S) for message in produced)


UNREPRODUCIBLE = {
    # needs a file the test user cannot read: not reproducible as root (the CI container runs as root)
    "spreads file 'x.csv' cannot be read: Permission denied",
    # argparse's wording, checked through the command line below
    "cdshedge run: error: argument --max-gap: '0' must be at least 1 (see --help)",
}


def test_every_example_message_is_printed_today(produced) -> None:
    messages = _doc_messages()
    assert len(messages) >= 50
    stale = [m for m in messages if m not in UNREPRODUCIBLE and not _matches(m, produced)]
    assert not stale, "messages in docs/errors.md that the package no longer prints:\n" + "\n".join(stale)


def test_cli_usage_message_and_exit_code() -> None:
    shown = next(m for m in _doc_messages() if "--max-gap" in m)
    out = run_cli("run", "--max-gap", "0")
    assert out.returncode == 2 and out.stderr.strip().splitlines()[-1] == shown


def test_missing_policy_messages(produced) -> None:
    section = ERRORS[ERRORS.index("## The missing-data policy"):ERRORS.index("## Solver failures")]
    shown = [m for m in re.findall(r"`([^`]+)`", section) if ": " in m]
    assert len(shown) >= 3
    from cdshedge_cvx.reporting import describe_missing

    market = ch.MarketData.from_csv(DATA / "bad" / "spreads_nan_cell.csv", desk_pnl=VALID["desk"], missing="ffill")
    produced = [*produced, f"missing data: {describe_missing(market.missing_report)}"]  # as cdshedge run prints it
    stale = [m for m in shown if not _matches(m, produced)]
    assert not stale, stale
    python_fix = grab(ERRORS, r"\(in Python the fixes read `([^`]+)`\)")
    assert any(python_fix in m for m in produced)


def test_solver_messages(produced) -> None:
    infeasible = next(b for b in blocks(ERRORS, "") if "the limits cannot all hold" in b).strip()
    assert _matches(infeasible, produced), infeasible
    one_day = grab(ERRORS, r"two observations and says so: `([^`]+)`")
    assert _matches(one_day, produced), one_day


def test_constants_the_doc_names() -> None:
    from cdshedge_cvx.market._market_data import MAX_SPREAD_BP, MIN_COLUMN_MAX_BP
    from cdshedge_cvx.solve._compiled import DPP_TENSOR_BYTES, FALLBACK_SOLVERS
    from cdshedge_cvx.solve._diagnostics import BOX_PROJECTION_TOLERANCE, FEASIBILITY_TOLERANCE

    assert to_float(grab(ERRORS, r"`BOX_PROJECTION_TOLERANCE` = ([\de.-]+)")) == BOX_PROJECTION_TOLERANCE
    assert to_float(grab(ERRORS, r"`FEASIBILITY_TOLERANCE` = ([\de.-]+)")) == FEASIBILITY_TOLERANCE
    assert grab(ERRORS, r"`FALLBACK_SOLVERS = (\([^)]*\))`") == repr(FALLBACK_SOLVERS).replace("'", '"')
    assert to_float(grab(ERRORS, r"`DPP_TENSOR_BYTES` \((\d+) MB\)")) * 1e6 == DPP_TENSOR_BYTES
    assert to_float(grab(ERRORS, r"not above ([\d ]+) bp \(`MAX_SPREAD_BP`").replace(" ", "")) == MAX_SPREAD_BP
    assert to_float(grab(ERRORS, r"below ([\d.]+) bp \(`MIN_COLUMN_MAX_BP`\)")) == MIN_COLUMN_MAX_BP
    import inspect

    default_gap = inspect.signature(ch.MarketData.from_csv).parameters["max_gap"].default
    assert f"(default {default_gap}; a gap of exactly `max_gap` rows is filled)" in flat(ERRORS)


def test_plausible_ranges() -> None:
    from cdshedge_cvx.market._plausibility import spread_kind

    ig = [to_float(v) for v in grab(ERRORS, r"Japan, Australia\) ([\d,]+–[\d,]+) bp").split("–")]
    hy = [to_float(v) for v in grab(ERRORS, r"CDX EM\) ([\d,]+–[\d,]+) bp").split("–")]
    for name in ("CDX IG", "iTraxx Main", "iTraxx Europe", "iTraxx Senior Fin", "iTraxx Japan", "iTraxx Australia"):
        assert list(spread_kind(name)[1:]) == ig, name
    for name in ("CDX HY", "iTraxx Xover", "iTraxx Crossover", "iTraxx Sub Fin", "CDX EM"):
        assert list(spread_kind(name)[1:]) == hy, name


def test_exit_codes_table() -> None:
    from cdshedge_cvx.cli._common import exit_code

    rows = [(code, re.split(r"(?<!\\)\|", rest)[-2])
            for code, rest in re.findall(r"^\| (\d+) \|(.*)$", ERRORS, flags=re.M)]
    assert [code for code, _ in rows] == ["0", "1", "2", "3", "130", "141"]
    for code, raised in rows:
        for name in re.findall(r"`(\w+)`", raised):
            if hasattr(ch, name) or hasattr(ch.errors, name):
                error = getattr(ch, name, None) or getattr(ch.errors, name)
                assert exit_code(error("x")) == int(code), name
    assert exit_code(RuntimeError("a bug")) == 1
    assert exit_code(ch.DataError("x")) == 2


def test_the_desk_column_fix_names_an_existing_flag() -> None:
    from test_bad_inputs import BAD

    with pytest.raises(ch.DataError) as info:
        ch.MarketData.from_csv(VALID["spreads"], desk_pnl=BAD / "desk_two_value_columns.csv")
    flags = set(re.findall(r"--[a-z-]+", info.value.message_for("cli")))
    usage = run_cli("run", "--help").stdout
    assert flags and all(re.search(rf"{flag}\b(?!-)", usage) for flag in flags), flags
