"""``cdshedge convert`` against hand-computed numbers, ``cdshedge run --example market`` and the FX /
roll-jump flags, run as a user runs them (a subprocess)."""

from __future__ import annotations

import datetime as dt
import math
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx as ch

K_ACT360 = 365.25 / 360.0


def cdshedge(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cdshedge_cvx", *args], capture_output=True, text=True,
                          timeout=120, check=False)


def annuity_by_hand(spread_bp: float, years: float, recovery: float) -> float:
    lam = spread_bp * 1e-4 / (1.0 - recovery)
    return K_ACT360 * (1.0 - math.exp(-lam * years)) / lam


def number(output: str, label: str) -> float:
    match = re.search(rf"^{re.escape(label)}\s+(-?[0-9.]+)", output, flags=re.MULTILINE)
    assert match, f"no {label!r} line in:\n{output}"
    return float(match.group(1))


def _isda(instrument: str, spread: float, date: str, rate: float = 0.0, tenor: str | None = None, **fields):
    """The ISDA figures per CS01 of the contract ``convert`` prices (computed here through the library API)."""
    universe = ch.standard_universe()
    spec = universe[instrument].replace(**fields) if instrument in universe.names else ch.Instrument(
        instrument, **fields)
    maturity = (ch.cds_quote(date, tenor, spread, curve=ch.YieldCurve.flat(rate, date)).maturity if tenor
                else ch.market.contract_maturities([date], spec).to_numpy().astype("datetime64[D]")[0])
    return ch.per_cs01_figures(date, maturity, spread, spec.coupon_bp, spec.recovery, ch.YieldCurve.flat(rate, date),
                               n_names=spec.n_names, days=0)


def test_convert_cs01_to_notional_is_the_isda_figures():
    done = cdshedge("convert", "--instrument", "CDX IG", "--cs01", "0.25", "--spread", "55", "--date", "2024-05-15")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    figures = _isda("CDX IG", 55.0, "2024-05-15")
    assert number(out, "RPV01") == pytest.approx(float(figures.rpv01), abs=1e-6)
    assert number(out, "notional") == pytest.approx(0.25 * float(figures.notional), abs=1e-4)
    assert number(out, "jump-to-default") == pytest.approx(0.25 * float(figures.jtd), abs=1e-4)
    assert number(out, "CS01") == pytest.approx(0.25)
    # the flat-hazard, par-contract approximation of earlier versions is some 4 % off here
    annuity = annuity_by_hand(55.0, 5.0979, 0.4)
    assert number(out, "notional") != pytest.approx(0.25 / (annuity * 1e-4), rel=0.01)
    assert "USD mm per bp" in out and "maturing 2029-06-20" in out


def test_convert_notional_to_cs01_and_jump_to_default_for_hy_in_price():
    # $100mm CDX HY at a price of 104.5 with 4.5 % rates: conventional spread 388.12 bp
    done = cdshedge("convert", "--instrument", "CDX HY", "--notional", "100", "--price", "104.5", "--rate", "0.045",
                    "--date", "2024-05-15")
    assert done.returncode == 0, done.stderr
    assert number(done.stdout, "spread") == pytest.approx(388.1233, abs=1e-3)
    figures = _isda("CDX HY", number(done.stdout, "spread"), "2024-05-15", rate=0.045)
    assert number(done.stdout, "CS01") == pytest.approx(100.0 / float(figures.notional), abs=1e-5)


def test_convert_default_maturity_is_the_on_the_run_series_on_the_date():
    # iTraxx Main on 30 June 2024 holds the March 2024 series, maturing 20 June 2029
    done = cdshedge("convert", "--instrument", "iTraxx Main", "--cs01", "0.1", "--spread", "60",
                    "--date", "2024-06-30")
    assert done.returncode == 0, done.stderr
    years = (dt.date(2029, 6, 20) - dt.date(2024, 6, 30)).days / 365.25
    assert number(done.stdout, "maturity") == pytest.approx(years, abs=1e-4)
    assert number(done.stdout, "RPV01") == pytest.approx(float(_isda("iTraxx Main", 60.0, "2024-06-30").rpv01),
                                                         abs=1e-6)
    assert "EUR mm per bp" in done.stdout and "maturing 2029-06-20" in done.stdout


def test_convert_reads_an_instruments_file(tmp_path):
    path = tmp_path / "instruments.csv"
    path.write_text("instrument,coupon_bp,cs01_min,cs01_max,recovery,n_names,ticker\n"
                    "CDX EM,100,0,0.1,0.25,20,CDX EM CDSI GEN 5Y Corp\n", encoding="utf-8")
    done = cdshedge("convert", "--instrument", "CDX EM CDSI GEN 5Y Corp", "--cs01", "0.05", "--spread", "180",
                    "--maturity-years", "5", "--date", "2024-05-15", "--instruments", str(path))
    assert done.returncode == 0, done.stderr
    figures = _isda("CDX EM", 180.0, "2024-05-15", tenor="5Y", coupon_bp=100.0, cs01_min=0.0, cs01_max=0.1,
                    recovery=0.25, n_names=20)
    assert number(done.stdout, "notional") == pytest.approx(0.05 * float(figures.notional), abs=1e-4)
    assert number(done.stdout, "jump-to-default") == pytest.approx(0.05 * float(figures.jtd), abs=1e-4)


@pytest.mark.parametrize(("args", "message"), [
    (["--instrument", "CDX XX", "--cs01", "0.1", "--spread", "50"], "'CDX XX' is not in the universe"),
    (["--instrument", "CDX IG", "--cs01", "0.1", "--spread", "0.0055"], "looks like a decimal"),
    (["--instrument", "CDX IG", "--cs01", "0.1", "--notional", "5", "--spread", "50"], "not allowed with"),
    (["--instrument", "CDX IG", "--cs01", "0.1", "--spread", "50", "--maturity-years", "0"], "maturity-years"),
    (["--instrument", "CDX IG", "--cs01", "0.1", "--spread", "50", "--date", "someday"], "is not a date"),
    (["--instrument", "CDX IG", "--cs01", "0.1", "--spread", "50", "--rate", "3"], "looks like a percent"),
    (["--instrument", "CDX HY", "--cs01", "0.1", "--spread", "350", "--price", "101"], "not allowed with"),
])
def test_convert_refuses_bad_input_with_exit_2(args, message):
    done = cdshedge("convert", *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_run_example_market_prints_a_hedge_with_units():
    done = cdshedge("run", "--example", "market", "--quiet")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "CDX IG, CDX HY: USD mm/bp; iTraxx Main, iTraxx Xover: EUR mm/bp" in out
    assert "in USD mm; iTraxx Main, iTraxx Xover converted at EURUSD" in out
    assert "carry = h·(premium + pull-to-par)/CS01 (ISDA, days/360)" in out
    assert "Interest rates: EUR, USD ISDA curves" in out
    rows = [line.split() for line in out.splitlines() if re.match(r"\d{4}-\d{2}-\d{2} ", line)]
    assert len(rows) == 72  # month ends of 2019-2024
    values = np.array([[float(v) for v in row[1:]] for row in rows])
    assert np.all(values >= -1e-9) and np.all(values <= np.array([0.25, 0.10, 0.25, 0.10]) + 1e-9)
    assert "realised PnL (USD mm)" in out


def test_run_reads_fx_and_roll_jumps_files(tmp_path):
    dates = pd.to_datetime(["2024-02-29", "2024-03-01", "2024-03-15", "2024-03-28"])
    spreads = pd.DataFrame({"CDX IG": [60.0, 61.0, 64.0, 66.0], "iTraxx Main": [55.0, 55.0, 58.0, 57.0]},
                           index=pd.Index(dates, name="date"))
    universe = tmp_path / "instruments.csv"
    universe.write_text("instrument,coupon_bp,cs01_min,cs01_max,currency\nCDX IG,100,0,0.25,USD\n"
                        "iTraxx Main,100,0,0.25,EUR\n", encoding="utf-8")
    spreads.to_csv(tmp_path / "spreads.csv")
    pd.DataFrame({"date": dates, "pnl": [0.0, 0.1, -0.2, 0.3]}).to_csv(tmp_path / "desk.csv", index=False)
    pd.DataFrame({"date": dates, "EURUSD": [1.08, 1.09, 1.1, 1.12]}).to_csv(tmp_path / "fx.csv", index=False)
    # a 7 bp roll jump on 15 March turns iTraxx Main's +2 bp into −5 bp: protection is no longer bought
    pd.DataFrame({"date": ["2024-03-15"], "iTraxx Main": [7.0]}).to_csv(tmp_path / "jumps.csv", index=False)
    common = ["run", "--spreads", str(tmp_path / "spreads.csv"), "--desk-pnl", str(tmp_path / "desk.csv"),
              "--instruments", str(universe), "--objective", "pnl", "--quiet"]
    plain = cdshedge(*common, "--out", str(tmp_path / "plain.csv"))
    assert plain.returncode == 0, plain.stderr
    assert "iTraxx Main in EUR mm (no FX series given: not converted)" in plain.stdout
    done = cdshedge(*common, "--fx", str(tmp_path / "fx.csv"), "--roll-jumps", str(tmp_path / "jumps.csv"),
                    "--out", str(tmp_path / "out.csv"))
    assert done.returncode == 0, done.stderr
    assert "iTraxx Main converted at EURUSD" in done.stdout
    np.testing.assert_allclose(pd.read_csv(tmp_path / "plain.csv", index_col=0).to_numpy(), [[0.25, 0.25]])
    np.testing.assert_allclose(pd.read_csv(tmp_path / "out.csv", index_col=0).to_numpy(), [[0.25, 0.0]])
    bad = cdshedge("run", "--fx", str(tmp_path / "fx.csv"), "--quiet")
    assert bad.returncode == 2 and "--fx needs --spreads" in bad.stderr


def test_help_does_not_import_pandas_or_cvxpy():
    code = ("import sys, contextlib, io\n"
            "from cdshedge_cvx.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main(['convert', '--help'])\n    except SystemExit:\n        pass\n"
            "print(sorted(m for m in ('pandas', 'cvxpy', 'numpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
