"""Backtests price with the ISDA model: a period's carry, notional and jump-to-default per CS01 equal
QuantLib's IsdaCdsEngine figures for the same contract (base date, on-the-run maturity, spread, curve, days)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_contract_figures import _ql_figures
from test_isda import USD_HIGH, _ql

import cdshedge_cvx as ch

DATES = pd.bdate_range("2024-04-30", "2024-07-31")


def _rates() -> ch.RateQuotes:
    deposits, swaps = USD_HIGH
    rows = [("2024-04-01", "USD", tenor, rate) for tenor, rate in {**deposits, **swaps}.items()]
    return ch.RateQuotes.from_frame(pd.DataFrame(rows, columns=["date", "currency", "tenor", "rate"]),
                                    max_age_days=None)


def _result(conventions: str = "market") -> ch.HedgeResult:
    steps = np.arange(len(DATES))
    spreads = pd.DataFrame({"CDX IG": 55.0 + 0.1 * np.sin(steps), "CDX HY": 350.0 + 2.0 * np.cos(steps)}, index=DATES)
    market = ch.MarketData(spreads, pd.Series(0.0, index=DATES), rates=_rates())
    standard = ch.standard_universe()
    universe = ch.Universe([standard["CDX IG"], standard["CDX HY"].replace(quote="spread")])
    return ch.backtest(market, universe, ch.HedgePnL() - ch.Carry() - ch.Roll(), conventions=conventions,
                       constraints=[ch.JumpToDefaultLimit(5.0)], cross_check=True)


@pytest.mark.parametrize("conventions", ["market", "market-cash"])
def test_a_periods_carry_notional_and_jtd_are_quantlibs(conventions):
    ql = _ql()
    result = _result(conventions)
    assert result.cross_check["ok"].all()
    for record in result.records[:2]:
        data = record.data
        carry = ch.Carry().coefficients(data)
        jtd = ch.model.jump_to_default_per_cs01(data)
        for i, (coupon, recovery, names) in enumerate([(100.0, 0.4, 125), (500.0, 0.3, 100)]):
            reference = _ql_figures(ql, str(data.base.date()), "USD_HIGH", str(data.contract_maturity[i]),
                                    float(data.spread_start[i]), coupon, recovery, names, 1.0,
                                    int(data.calendar_days))
            assert data.figures.notional[i] == pytest.approx(reference["notional"], rel=1e-8)
            assert jtd[i] == pytest.approx(reference["jtd"], rel=1e-8)
            if conventions == "market":
                assert carry[i] == pytest.approx(-reference["carry"], rel=1e-8)
            else:  # premium only: the coupon over the period's days per unit of ISDA CS01
                assert carry[i] == pytest.approx(coupon * 1e-4 * data.calendar_days / 360 / reference["cs01"],
                                                 rel=1e-8)


def test_the_contract_is_the_on_the_run_series_with_the_hy_lag():
    data = _result().records[0].data
    assert data.base == pd.Timestamp("2024-04-30")
    np.testing.assert_array_equal(data.contract_maturity, np.array(["2029-06-20", "2029-06-20"], dtype="datetime64[D]"))
    assert "USD ISDA curves" in data.rates_note


def test_figures_are_computed_once_per_period_and_shared():
    data = _result().records[0].data
    assert data.figures is data.figures is data["figures"]


def test_prices_are_converted_to_spreads_with_the_markets_rates():
    """CDX HY quoted in price: a backtest sees the conventional spread of each date's price."""
    prices = pd.DataFrame({"CDX HY": np.full(len(DATES), 104.5)}, index=DATES)
    market = ch.MarketData(prices, rates=ch.RateQuotes.flat(0.045))
    universe = ch.Universe([ch.standard_universe()["CDX HY"]])
    assert universe["CDX HY"].quote == "price"
    spreads = market.for_universe(universe)
    expected = ch.prices_to_spreads(prices["CDX HY"], None, universe["CDX HY"], ch.RateQuotes.flat(0.045))
    np.testing.assert_allclose(spreads["CDX HY"].to_numpy(), expected.to_numpy())
    assert 380.0 < spreads["CDX HY"].iloc[0] < 400.0
    result = ch.backtest(market, universe, ch.HedgePnL() - ch.Carry(), cross_check=True)
    assert result.records[0].data.spread_start[0] == pytest.approx(spreads["CDX HY"].iloc[0])


def test_without_rates_r_is_zero_and_said():
    market = ch.MarketData(pd.DataFrame({"CDX IG": np.full(len(DATES), 55.0)}, index=DATES))
    result = ch.backtest(market, ch.Universe([ch.standard_universe()["CDX IG"]]), ch.HedgePnL() - ch.Carry())
    data = result.records[0].data
    assert "r = 0 assumed" in data.rates_note
    assert data.curves[0].zero_rate(5.0) == 0.0
    from cdshedge_cvx.reporting._units import units_lines

    assert any("r = 0 assumed" in line for line in units_lines(data, result.conventions))
    # seed conventions: no rates line, nothing priced
    seed = ch.backtest(market, ch.Universe([ch.standard_universe()["CDX IG"]]), ch.HedgePnL(), conventions="seed")
    assert not any("Interest rates" in line for line in units_lines(seed.records[0].data, seed.conventions))


def test_cli_rate_flags(tmp_path):
    import subprocess
    import sys

    def run(*args):
        return subprocess.run([sys.executable, "-m", "cdshedge_cvx", "run", "--example", "market", "--quiet",
                               "--no-cross-check", "--horizon", "Q", *args], capture_output=True, text=True)

    flat = run("--rate", "0.04")
    assert flat.returncode == 0, flat.stderr
    assert "Interest rates: flat 0.04." in flat.stdout
    percent = run("--rate", "4")
    assert percent.returncode == 2 and "looks like a percent" in percent.stderr
    assert len(percent.stderr.strip().splitlines()) == 1
    path = tmp_path / "rates.csv"
    _rates().to_frame().assign(date=lambda f: f["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    both = run("--rates", str(path), "--rate", "0.04")
    assert both.returncode == 2 and "not allowed with" in both.stderr


def test_a_swap_node_whose_newton_steps_oscillate_by_one_ulp_is_accepted():
    """The example market's USD quotes of 2023-03-31 (a month-end base date): Newton on the 30Y node
    alternated between two neighbouring floats 1.2e-15 apart and the curve was refused."""
    from cdshedge_cvx.datasets._synthetic import generate_market, generate_rates

    rates = generate_rates(generate_market(0).spreads.index, 0)
    curve = rates.curve("2023-03-31", "USD")
    assert 0.02 < curve.zero_rate(30.0) < 0.05
