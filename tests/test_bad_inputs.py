"""Every file of the bad-input corpus (``tests/data/bad``) is refused by ``cdshedge run``.

Each case runs the real command in a subprocess with the other two inputs valid and asserts:
the exit code, a single line on standard error that names the file and the row, column,
instrument or line of the problem, no traceback, nothing on standard output, and no ``--out``
file (nor a temporary file) left behind.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"
VALID = {"spreads": DATA / "valid" / "spreads.csv", "desk": DATA / "valid" / "desk_pnl.csv",
         "instruments": DATA / "valid" / "instruments.csv"}

# file name -> (fragments the message must contain, extra command-line arguments)
CASES: dict[str, tuple[list[str], list[str]]] = {
    # --- spreads -------------------------------------------------------------------------
    "spreads_empty.csv": (["is empty"], []),
    "spreads_blank_lines.csv": (["is empty"], []),
    "spreads_header_only.csv": (["header but no data rows"], []),
    "spreads_one_row.csv": (["1 row(s)", "at least two dates"], []),
    "spreads_binary_garbage.csv": (["binary content"], []),
    "spreads_latin1.csv": (["not UTF-8", "byte 45"], []),
    "spreads_bad_date.csv": (["row 4", "'2021-13-45'", "unparseable date"], []),
    "spreads_text_date.csv": (["row 5", "'yesterday'", "not a fixed date"], []),
    "spreads_now_date.csv": (["row 5", "'now'", "not a fixed date"], []),
    "spreads_ambiguous_dates.csv": (["row 2", "'01/02/2021'", "ambiguous date", "YYYY-MM-DD"], []),
    "spreads_no_dates.csv": (["row 2", "'50.1'", "unparseable date", "first column must hold dates"], []),
    "spreads_duplicate_date.csv": (["row 6", "2021-01-07", "duplicate date", "also at row 5"], []),
    "spreads_unsorted_dates.csv": (["row 5", "2021-01-06", "not in ascending order", "refused"], []),
    "spreads_descending_dates.csv": (["row 3", "not in ascending order"], []),
    "spreads_non_numeric.csv": (["row 5", "column 'CDX HY'", "'n/a bp' is not a number"], []),
    "spreads_comma_decimal.csv": (["row 4", "column 'CDX IG'", "'50,3' is not a number"], []),
    "spreads_nan_cell.csv": (["1 missing spread", "row 7", "column 'iTraxx Main'", "--missing ffill",
                              "--missing drop"], []),
    "spreads_nan_literal.csv": (["1 missing spread", "row 7", "column 'iTraxx Xover'", "--missing ffill"], []),
    "spreads_all_missing_column.csv": (["8 missing spread", "row 2", "column 'CDX HY'"], []),
    "spreads_gap_of_two.csv": (["row 6", "column 'CDX HY'", "more than 1 missing", "gap starts at row 5"],
                               ["--missing", "ffill", "--max-gap", "1"]),
    "spreads_missing_first_row.csv": (["row 2", "column 'CDX IG'", "cannot be forward-filled"],
                                      ["--missing", "ffill"]),
    "spreads_inf.csv": (["row 6", "column 'CDX HY'", "infinite spread"], []),
    "spreads_minus_inf.csv": (["row 6", "column 'iTraxx Main'", "infinite spread"], []),
    "spreads_overflow.csv": (["row 6", "column 'CDX IG'", "infinite spread"], []),
    "spreads_negative.csv": (["row 8", "column 'CDX IG'", "-3.2 bp is not positive"], []),
    "spreads_zero.csv": (["row 8", "column 'iTraxx Xover'", "0 bp is not positive"], []),
    "spreads_blank_line_before_error.csv": (["row 9", "column 'CDX IG'", "-51.2 bp is not positive"], []),
    "spreads_decimals.csv": (["column 'CDX IG'", "4 of 4", "look like decimals", "multiply by 10 000"], []),
    "spreads_one_column_decimals.csv": (["column 'CDX IG'", "1 of 4", "look like decimals"], []),
    "spreads_too_large.csv": (["row 4", "column 'CDX HY'", "above 100,000 bp"], []),
    "spreads_missing_instrument.csv": (["no column for instrument 'iTraxx Xover'"], []),
    "spreads_unknown_column.csv": (["column 'CDX EM' matches no instrument"], []),
    "spreads_duplicate_column.csv": (["duplicate column 'CDX IG'"], []),
    "spreads_alias_twice.csv": (["columns 'CDX IG' and 'CDX IG CDSI GEN 5Y Corp' both map to instrument"], []),
    "spreads_unnamed_column.csv": (["instrument column 5", "has no name"], []),
    "spreads_only_dates.csv": (["no instrument columns"], []),
    "spreads_ragged_row.csv": (["line 5", "7 fields", "header has 5"], []),
    "spreads_semicolon.csv": (["semicolon-separated", "comma-separated"], []),
    # --- desk PnL ------------------------------------------------------------------------
    "desk_empty.csv": (["is empty"], []),
    "desk_header_only.csv": (["header but no data rows"], []),
    "desk_no_overlap.csv": (["do not overlap the spreads", "2019-03-04"], []),
    "desk_partial.csv": (["no desk PnL for 2 spread date(s)", "2021-01-12", "--missing drop"], []),
    "desk_non_numeric.csv": (["row 4", "column 'pnl'", "'twelve' is not a number"], []),
    "desk_nan.csv": (["row 5", "desk PnL is missing", "--missing drop"], []),
    "desk_inf.csv": (["row 5", "-inf", "infinite"], []),
    "desk_duplicate_date.csv": (["row 4", "duplicate date", "also at row 3"], []),
    "desk_unsorted_dates.csv": (["row 3", "not in ascending order"], []),
    "desk_bad_date.csv": (["row 3", "'05/45/2021'", "unparseable date"], []),
    "desk_two_value_columns.csv": (["one PnL column", "'other'"], []),
    "desk_no_value_column.csv": (["one PnL column"], []),
    # --- instruments ---------------------------------------------------------------------
    "instruments_empty.csv": (["is empty"], []),
    "instruments_binary_garbage.csv": (["binary content"], []),
    "instruments_header_only.csv": (["header but no data rows"], []),
    "instruments_lower_gt_upper.csv": (["row 3", "'CDX HY'", "cs01_min 0.5 > cs01_max 0.1"], []),
    "instruments_missing_limit.csv": (["row 4", "column 'cs01_max'", "missing value", "'iTraxx Main'"], []),
    "instruments_missing_limit_column.csv": (["missing column(s) ['cs01_max']"], []),
    "instruments_negative_coupon.csv": (["row 2", "'CDX IG'", "coupon_bp must be >= 0"], []),
    "instruments_duplicate.csv": (["row 6", "duplicate instrument 'CDX IG'", "first at row 2"], []),
    "instruments_unknown_column.csv": (["unknown column(s) ['rating']"], []),
    "instruments_non_numeric_limit.csv": (["row 5", "column 'cs01_max'", "'ten' is not a number"], []),
    "instruments_inf_limit.csv": (["row 5", "'cs01_max'", "finite number"], []),
    "instruments_recovery_out_of_range.csv": (["row 3", "'CDX HY'", "recovery must be in [0, 1)"], []),
    "instruments_fractional_names.csv": (["row 4", "column 'n_names'", "whole number"], []),
    "instruments_empty_name.csv": (["row 4", "column 'instrument'", "empty instrument name"], []),
    "instruments_ticker_clash.csv": (["row 3", "'CDX HY'", "ticker 'CDX IG'", "ambiguous"], []),
    "instruments_negative_bid_ask.csv": (["row 2", "'CDX IG'", "bid_ask_bp must be >= 0, got -0.5"], []),
    # --- issue 14: units and plausibility ----------------------------------------------------
    "spreads_percent.csv": (["column 'CDX IG'", "look like percent", "multiply by 100", "--spread-units percent"],
                            []),
    "spreads_outlier.csv": (["row 5 (2021-01-07)", "column 'CDX IG'", "6000 bp", "more than 10 times",
                             "50 and 50.9 bp", "--missing ffill"], []),
    "spreads_implausible_ig.csv": (["row 2", "column 'CDX IG'", "3006 bp is outside 5-2,000 bp",
                                    "investment grade"], []),
    "desk_in_dollars.csv": (["desk PnL moves like a CS01 of", "in $ rather than $mm", "divide it by 1 000 000"], []),
    "desk_1e300.csv": (["1e+300", "too large to compute with"], []),
}


def run_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m cdshedge_cvx`` with ``args``; the environment (PYTHONPATH) is inherited."""
    return subprocess.run([sys.executable, "-m", "cdshedge_cvx", *map(str, args)], capture_output=True,
                          text=True, timeout=120, cwd=cwd)


def _inputs(bad: Path) -> list[str | Path]:
    role = bad.name.split("_", 1)[0]
    files = dict(VALID)
    files[role] = bad
    return ["--spreads", files["spreads"], "--desk-pnl", files["desk"], "--instruments", files["instruments"]]


def assert_refused(proc: subprocess.CompletedProcess[str], code: int, names: list[str], out_dir: Path) -> None:
    """Exit ``code``, one error line naming every string in ``names``, no traceback, no output files."""
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert re.match(r"cdshedge( run)?: error: ", lines[0]), lines[0]
    for fragment in names:
        assert fragment in lines[0], (fragment, lines[0])
    assert proc.stdout == "", proc.stdout
    assert sorted(p.name for p in out_dir.iterdir()) == [], "a failed run left a file behind"


def test_every_corpus_file_has_a_case() -> None:
    assert sorted(p.name for p in BAD.glob("*.csv")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file_is_refused(name: str, tmp_path: Path) -> None:
    fragments, extra = CASES[name]
    bad = BAD / name
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = run_cli("run", *_inputs(bad), "--horizon", "W-FRI", "--quiet", "--no-cross-check", *extra,
                   "--out", out_dir / "allocations.csv")
    assert_refused(proc, 2, [str(bad), *fragments], out_dir)


def test_valid_inputs_run(tmp_path: Path) -> None:
    """The valid trio the corpus is built from runs: the refusals above are about the bad file."""
    out = tmp_path / "allocations.csv"
    proc = run_cli("run", *_inputs(VALID["spreads"]), "--horizon", "W-FRI", "--quiet", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert out.read_text().splitlines()[0] == "period_end,CDX IG,CDX HY,iTraxx Main,iTraxx Xover"


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    proc = run_cli("run", *_inputs(BAD / "spreads_negative.csv"), "--debug", "--quiet")
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "DataError" in proc.stderr


USAGE: dict[str, tuple[list[str], int, list[str]]] = {
    # case -> (arguments after `run`, exit code, fragments); {tmp} is the temporary folder
    "missing file": (["--spreads", "{tmp}/nowhere.csv"], 2, ["{tmp}/nowhere.csv", "does not exist"]),
    "directory as file": (["--spreads", "{tmp}"], 2, ["{tmp}", "is a directory"]),
    "out folder missing": (["--spreads", "{spreads}", "--out", "{tmp}/no/such/dir/a.csv"], 2,
                           ["--out", "{tmp}/no/such/dir", "does not exist"]),
    "out is a directory": (["--spreads", "{spreads}", "--out", "{tmp}"], 2, ["--out", "is a directory"]),
    "max gap zero": (["--spreads", "{spreads}", "--missing", "ffill", "--max-gap", "0"], 2,
                     ["--max-gap", "must be at least 1"]),
    "bad objective": (["--spreads", "{spreads}", "--objective", "pnl - carry +* roll"], 2, ["objective"]),
    "unknown term": (["--spreads", "{spreads}", "--objective", "pnl - funding"], 2, ["funding"]),
    "unknown solver": (["--spreads", "{spreads}", "--solver", "NOPE"], 2, ["NOPE", "not installed"]),
    "unknown horizon": (["--spreads", "{spreads}", "--horizon", "fortnightly"], 2, ["fortnightly"]),
    "desk without spreads": (["--desk-pnl", "{spreads}"], 2, ["--desk-pnl needs --spreads"]),
    # issue 14
    "one file for two outputs": (["--spreads", "{spreads}", "--out", "{tmp}/x.csv", "--report", "{tmp}/x.csv"], 2,
                                 ["--out and --report both write", "{tmp}/x.csv"]),
    "plot to stdout": (["--spreads", "{spreads}", "--plot", "-"], 2, ["--plot -", "cannot be streamed"]),
    "spread units unknown": (["--spreads", "{spreads}", "--spread-units", "bps"], 2, ["--spread-units", "bps"]),
    "percent read as bp": (["--spreads", "{spreads}", "--spread-units", "percent"], 2,
                           ["column 'CDX IG'", "outside 5-2,000 bp"]),
}


@pytest.mark.parametrize("case", sorted(USAGE))
def test_usage_errors_are_one_line(case: str, tmp_path: Path) -> None:
    args, code, fragments = USAGE[case]
    out_dir = tmp_path / "work"
    out_dir.mkdir()

    def fill(text: str) -> str:
        return text.format(tmp=out_dir, spreads=VALID["spreads"])

    # the valid files' CDX HY column holds spreads: their instruments file says so (the standard universe
    # quotes CDX HY in price)
    universe = ["--instruments", str(VALID["instruments"])] if "--spreads" in args else []
    proc = run_cli("run", *map(fill, args), *universe, "--quiet", "--no-cross-check")
    assert_refused(proc, code, [fill(f) for f in fragments], out_dir)


def test_out_may_not_overwrite_an_input(tmp_path: Path) -> None:
    spreads = tmp_path / "spreads.csv"
    original = VALID["spreads"].read_bytes()
    spreads.write_bytes(original)
    proc = run_cli("run", "--spreads", spreads, "--desk-pnl", VALID["desk"], "--out", spreads, "--quiet")
    assert proc.returncode == 2
    assert "is also an input file" in proc.stderr and str(spreads) in proc.stderr
    assert spreads.read_bytes() == original


@pytest.mark.parametrize(("error", "code"), [
    ("DataError", 2), ("SpecificationError", 2), ("SolverError", 3), ("InfeasibleError", 3),
    ("CrossCheckError", 3), ("RuntimeError", 1), ("ZeroDivisionError", 1),
])
def test_exit_code_by_error_kind(error: str, code: int, monkeypatch, capsys) -> None:
    """The mapping of the error tree to exit codes; a multi-line message is printed as one line."""
    import builtins

    from cdshedge_cvx import cli, errors
    from cdshedge_cvx.cli import _run

    kind = getattr(errors, error, None) or getattr(builtins, error)

    def fail(args):
        raise kind("first line\n  second line")

    monkeypatch.setattr(_run, "load_inputs", fail)
    assert cli.main(["run", "--quiet"]) == code
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "first line second line" in err
    if code == 1:
        assert f"internal error ({error})" in err and "--debug" in err


def test_warnings_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "noisy_terms.py").write_text("import warnings\nwarnings.warn('this module is\\nnoisy')\n")
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-m", "cdshedge_cvx", "run", "--spreads", str(VALID["spreads"]),
                           "--instruments", str(VALID["instruments"]), "--term-module", "noisy_terms", "--quiet",
                           "--no-cross-check", "--horizon", "W-FRI"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "cdshedge: warning: this module is noisy (UserWarning)\n"
