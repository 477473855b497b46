"""Issue 14, item 7: gross and net CS01 limits in the reporting currency when FX is given; mixing
currencies without FX refused unless allowed; the standard indices' currencies known by name.
Each test fails on the main before issue 14."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.cli import main
from cdshedge_cvx.model._parser import parse_objective


@pytest.fixture(scope="module")
def example():
    market, universe = ch.examples.market()
    spreads = market.spreads.loc["2021-01-01":"2022-12-31"]
    return ch.MarketData(spreads, market.desk_pnl.loc[spreads.index], fx=market.fx), universe


@pytest.mark.parametrize("limit", ["gross", "net"])
def test_limits_add_cs01_in_the_reporting_currency(example, limit: str) -> None:
    """Main: Σ|h| in USD and EUR units added unconverted although EURUSD was given."""
    market, universe = example
    wide = ch.Universe([i.replace(cs01_min=0.0, cs01_max=2.0) for i in universe])
    constraint = ch.GrossLimit(0.6) if limit == "gross" else ch.NetLimit(upper=0.6)
    result = ch.backtest(market, wide, parse_objective("-variance"), constraints=[constraint], horizon="QE",
                         mode="walk-forward", cross_check=True)
    for record in result.records:
        usd = float(record.data["fx_rate"] @ np.abs(record.solution.h))
        assert usd <= 0.6 + 1e-7
    binding = [float(r.data["fx_rate"] @ np.abs(r.solution.h)) > 0.6 - 1e-6 for r in result.records]
    assert any(binding)
    assert all(np.abs(r.solution.h).sum() < 0.6 - 1e-3 for r, b in zip(result.records, binding) if b)


def test_mixing_currencies_without_fx_is_refused_unless_allowed() -> None:
    market, universe = ch.examples.seed()
    objective = parse_objective("pnl - carry - roll")
    with pytest.raises(ch.SpecificationError, match=r"GrossLimit: the instruments' CS01 are in several currencies "
                                                    r"\(CDX IG USD.*iTraxx Main EUR.*allow_mixed_currency"):
        ch.backtest(market, universe, objective, constraints=[ch.GrossLimit(0.3, allow_mixed_currency=False)],
                    conventions="seed", cross_check=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ch.backtest(market, universe, objective, constraints=[ch.GrossLimit(0.3, allow_mixed_currency=True)],
                    conventions="seed", cross_check=False)


@pytest.mark.parametrize("limit", [lambda: ch.GrossLimit(0.3), lambda: ch.NetLimit(upper=0.3)], ids=["gross", "net"])
def test_mixing_currencies_without_fx_is_an_error_by_default(limit) -> None:
    """Main (wave 2): the library's default (``allow_mixed_currency=None``) added EUR and USD CS01
    unconverted with only a MixedCurrencyWarning. Now an error naming the limit, the currencies and
    the two fixes (fx, allow_mixed_currency), as the command line already was."""
    market, universe = ch.examples.seed()
    name = type(limit()).__name__
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused, not warned
        with pytest.raises(ch.SpecificationError, match=rf"{name}: the instruments' CS01 are in several currencies "
                                                        r"\(CDX IG USD.*iTraxx Main EUR.*\) and no FX series") as info:
            ch.backtest(market, universe, parse_objective("pnl - carry - roll"), constraints=[limit()],
                        conventions="seed", cross_check=False)
    assert [h.option for h in info.value.hints] == ["fx", "allow_mixed_currency"]
    # with FX the same limit converts, no error
    fx = pd.DataFrame({"EUR": 1.1}, index=market.spreads.index)
    converted = ch.MarketData(market.spreads, market.desk_pnl, fx=fx)
    ch.backtest(converted, universe, parse_objective("pnl - carry - roll"), constraints=[limit()],
                conventions="seed", cross_check=False)


def test_the_cli_refuses_mixed_currency_limits_without_fx(capsys) -> None:
    assert main(["run", "--quiet", "--gross-limit", "0.3", "--no-cross-check"]) == 2
    err = capsys.readouterr().err
    assert "several currencies" in err and "--allow-mixed-currency" in err and "--fx" in err
    assert main(["run", "--quiet", "--gross-limit", "0.3", "--no-cross-check", "--allow-mixed-currency"]) == 0


def test_standard_indices_currencies_are_known_by_name(tmp_path: Path) -> None:
    """Main: an instruments file without `currency` made iTraxx USD."""
    path = tmp_path / "instruments.csv"
    path.write_text("instrument,coupon_bp,cs01_min,cs01_max\nCDX IG,100,0,1\niTraxx Main,100,0,1\n"
                    "iTraxx Xover,500,0,1\nmy basket,100,0,1\n")
    universe = ch.Universe.from_csv(path)
    assert [i.currency for i in universe] == ["USD", "EUR", "EUR", "USD"]
