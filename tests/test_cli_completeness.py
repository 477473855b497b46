"""The command line is as complete as the API (issue 15): --extra, --forecast, string objectives in
ch.backtest, no flag abbreviations, --reporting-currency with --example, --out "" refused, .xlsx
outputs, --term-module from a working directory without install. Each test failed on main."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.cli._main import build_parser
from cdshedge_cvx.datasets import _examples as examples

ROOT = Path(__file__).resolve().parent.parent
VALID = Path(__file__).parent / "data" / "valid"


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``cdshedge`` as the installed script runs it: ``-P`` keeps the working directory off sys.path."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-P", "-m", "cdshedge_cvx", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, check=False)


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


def test_no_parser_abbreviates_flags() -> None:
    parsers = _parsers(build_parser())
    assert len(parsers) >= 4 and all(p.allow_abbrev is False for p in parsers)
    # main: --report was taken for --reporting-currency
    proc = _cli("frontier", "--report", "f.html", "--gammas", "1")
    assert proc.returncode == 2 and "unrecognized arguments: --report f.html" in proc.stderr
    assert not (ROOT / "f.html").exists()


@pytest.mark.parametrize("flag", ["--out", "--plot", "--report"])
def test_empty_output_path_is_refused(flag: str) -> None:
    proc = _cli("run", flag, "")  # main: ran and wrote nothing, silently
    assert proc.returncode == 2 and f"argument {flag}: an empty path" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_cli_never_points_at_python_objects() -> None:
    text = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "cdshedge_cvx" / "cli").glob("*.py"))
    assert "result.solver_info" not in text


def test_reporting_currency_with_example() -> None:
    # main: ignored (amounts stayed in USD)
    from cdshedge_cvx.cli._extras import in_reporting_currency

    usd, universe = examples.market()
    eur = in_reporting_currency(usd, "EUR", "the market example")
    rate = usd.fx["EUR"]
    np.testing.assert_allclose(eur.desk_pnl * rate, usd.desk_pnl, rtol=1e-14)
    np.testing.assert_allclose(eur.fx["USD"] * rate, 1.0, rtol=1e-14)
    summary = ch.backtest(eur, universe, cross_check=False).summary()
    proc = _cli("run", "--example", "market", "--reporting-currency", "EUR", "--quiet", "--no-cross-check")
    assert proc.returncode == 0, proc.stderr
    assert f"realised PnL (EUR mm): desk {summary['desk_pnl_mm']:.4f}" in proc.stdout
    assert "converted at USDEUR" in proc.stdout
    refused = _cli("run", "--example", "seed", "--reporting-currency", "EUR")
    assert refused.returncode == 2 and "no FX rate for EUR" in refused.stderr


def test_backtest_takes_string_objectives() -> None:
    market, universe = examples.seed()
    text = ch.backtest(market, universe, "pnl - carry - roll", horizon="Q", cross_check=False)
    built = ch.backtest(market, universe, ch.HedgePnL() - ch.Carry() - ch.Roll(), horizon="Q", cross_check=False)
    pd.testing.assert_frame_equal(text.allocations, built.allocations)
    with pytest.raises(ch.SpecificationError):
        ch.backtest(market, universe, "pnl - nonsense", cross_check=False)


def test_out_xlsx_has_one_sheet_per_table(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    csv, xlsx = tmp_path / "a.csv", tmp_path / "a.xlsx"
    assert _cli("run", "--quiet", "--out", str(csv)).returncode == 0
    proc = _cli("run", "--quiet", "--out", str(xlsx))
    assert proc.returncode == 0, proc.stderr
    assert xlsx.read_bytes()[:2] == b"PK"  # main: CSV text in a .xlsx file
    assert openpyxl.load_workbook(xlsx).sheetnames == ["allocations", "attribution", "shadow_prices"]
    sheet = pd.read_excel(xlsx, sheet_name="allocations", index_col=0)
    reference = pd.read_csv(csv, index_col=0)
    np.testing.assert_allclose(sheet.to_numpy(), reference.to_numpy(), rtol=1e-9, atol=1e-12)
    assert [str(pd.Timestamp(d).date()) for d in sheet.index] == list(reference.index)


FUNDING_MODULE = textwrap.dedent('''
    import cvxpy as cp
    import numpy as np
    import cdshedge_cvx as ch


    class FundingCost(ch.Term):
        """margin · funding_bp · days/360 / rpv01 · |h| ($mm)."""

        requires = ("funding_bp", "rpv01", "calendar_days")
        weight_param = "margin"

        def __init__(self, margin=0.05):
            self.margin = margin

        def _c(self, data):
            return self.margin * np.asarray(data["funding_bp"], float) * data["calendar_days"] / 360.0 / np.asarray(
                data["rpv01"], float)

        def setup(self, n):
            self.c_ = cp.Parameter(n, nonneg=True, name="FundingCost.c")

        def update(self, data):
            self.c_.value = np.broadcast_to(self._c(data), self.c_.shape).copy()

        def expr(self, h):
            return self.c_ @ cp.abs(h)

        def value(self, h, data):
            return float(np.sum(self._c(data) * np.abs(h)))


    CDSHEDGE_TERMS = {"funding": FundingCost}
''')


def test_extra_and_term_module_from_working_directory(tmp_path: Path) -> None:
    # main: "--extra" unknown, and the module was not importable from the working directory
    (tmp_path / "desk_terms.py").write_text(FUNDING_MODULE, encoding="utf-8")
    funding = tmp_path / "funding.csv"
    funding.write_text("date,funding_bp\n2015-01-01,0\n2022-06-30,1e5\n", encoding="utf-8")
    base = ["run", "--horizon", "Q", "--quiet", "--term-module", "desk_terms",
            "--objective", "pnl - carry - roll - funding"]
    cheap, dear = tmp_path / "cheap.csv", tmp_path / "dear.csv"
    proc = _cli(*base, "--extra", "funding_bp=0", "--out", str(cheap), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = _cli(*base, "--extra", f"funding_bp={funding.name}", "--out", str(dear), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    a, b = pd.read_csv(cheap, index_col=0), pd.read_csv(dear, index_col=0)
    first_half = pd.to_datetime(a.index) <= pd.Timestamp("2022-06-30")
    assert a.abs().to_numpy().sum() > 0
    pd.testing.assert_frame_equal(a.loc[first_half], b.loc[first_half])  # rate 0 up to the base date 2022-06-30
    assert first_half.sum() >= 4 and np.abs(b.loc[~first_half].to_numpy()).max() < 1e-9  # 1e5 bp: no hedge
    bad = _cli(*base, "--extra", "funding_bp", cwd=tmp_path)
    assert bad.returncode == 2 and "--extra needs KEY=FILE" in bad.stderr


def test_forecast_file_matches_the_api(tmp_path: Path) -> None:
    market, universe = examples.seed()
    probe = ch.backtest(market, universe, horizon="Q", mode="walk-forward", conventions="seed", cross_check=False)
    ends = probe.allocations.index
    rng = np.random.default_rng(1)
    forecast = pd.DataFrame(rng.normal(0, 5, (len(ends), len(universe))), index=ends, columns=universe.names)
    forecast = forecast.rename(columns={"iTraxx Main": "ITRX EUR CDSI GEN 5Y Corp"})
    path = tmp_path / "forecast.csv"
    forecast.to_csv(path, index_label="period_end", float_format="%.17g")
    api = ch.backtest(market, universe, horizon="Q", mode="walk-forward", conventions="seed", cross_check=False,
                      forecast=forecast.rename(columns={"ITRX EUR CDSI GEN 5Y Corp": "iTraxx Main"}))
    assert api.allocations.abs().to_numpy().sum() > 0 and not api.allocations.equals(probe.allocations)
    out = tmp_path / "a.csv"
    proc = _cli("run", "--horizon", "Q", "--mode", "walk-forward", "--quiet", "--forecast", str(path),
                "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_allclose(pd.read_csv(out, index_col=0).to_numpy(), api.allocations.to_numpy(), atol=1e-9)
    path.write_text("period_end,Nope\n2018-03-30,1\n", encoding="utf-8")
    bad = _cli("run", "--mode", "walk-forward", "--forecast", str(path))
    assert bad.returncode == 2 and "column 'Nope' matches no instrument" in bad.stderr


def test_solver_output_never_reaches_python_stdout() -> None:
    """A Jupyter kernel's sys.stdout is a Python object, not fd 1: OSQP's "Polishing not needed" lines
    (written through PySys_WriteStdout) reached notebook 02 61 times on main (20 here)."""
    import contextlib
    import io

    market, universe = examples.market()
    universe = universe.with_limits(upper=[2.0] * 4)
    problem = ch.HedgeProblem(universe, -ch.VariancePenalty(), box_qp=False)  # OSQP's direct path, not the box QP
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        result = ch.backtest(market, universe, horizon="Q", mode="walk-forward",
                             cross_check=False, problem=problem)
    assert result.summary()["solver"] == "OSQP" and buffer.getvalue() == ""


def test_nbconvert_in_dev_extra() -> None:
    import tomllib

    dev = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    names = {d.split(">")[0].split("=")[0].split("[")[0].strip() for d in dev["dev"]}
    assert {"nbconvert", "openpyxl", "pyarrow"} <= names


def test_every_hint_in_the_package_names_an_existing_flag() -> None:
    """Each ``Hint(...)`` the package raises is worded on the command line as a flag that exists."""
    import re

    from cdshedge_cvx.errors import Hint

    package = Path(ch.__file__).parent
    hints = set()
    for source in package.rglob("*.py"):
        for match in re.finditer(r'Hint\(\s*"([a-z_]+)"(?:[^)]*flag="([^"]+)")?', source.read_text()):
            hints.add(Hint(match.group(1), None, match.group(2)))
    helps = "".join(subprocess.run([sys.executable, "-m", "cdshedge_cvx", command, "--help"], capture_output=True,
                                   text=True, check=True).stdout for command in ("run", "frontier", "convert"))
    assert len(hints) >= 5, hints
    missing = [hint.words("cli") for hint in hints if not re.search(re.escape(hint.words("cli")) + r"\b(?!-)", helps)]
    assert not missing, missing
