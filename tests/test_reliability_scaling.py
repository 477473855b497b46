"""Issue 14, items 1 and 8: realised figures on one scale (seed conventions keep the prototype's
arithmetic for the optimisation), a realised cost the objective does not model labelled, costs
written with one sign, ``--rate 3`` refused as a percent. Each test fails on the main before issue 14."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.model._parser import parse_objective
from cdshedge_cvx.reporting import _format

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def seed_result():
    market, universe = ch.examples.seed()
    return ch.backtest(market, universe, parse_objective("pnl - carry - roll"), conventions="seed",
                       cross_check=False)


def test_seed_costs_are_on_the_hedge_pnls_scale(seed_result) -> None:
    """Main: tcost in true $mm beside seed-scaled hedge PnL (−8.94 vs 1.89; effectiveness −4.36)."""
    pnl = seed_result.pnl
    h = seed_result.allocations.to_numpy()
    previous = np.vstack([np.zeros((1, h.shape[1])), h[:-1]])
    bid_ask = np.array([i.bid_ask_bp for i in seed_result.universe])
    # independent: ½ · bid/ask · |Δh| per period, times the prototype's 0.01 (its hedge PnL scale)
    expected = 0.01 * 0.5 * (np.abs(h - previous) * bid_ask).sum(axis=1)
    np.testing.assert_allclose(pnl["tcost"].to_numpy(), expected, rtol=1e-12)
    assert seed_result.summary()["hedge_effectiveness"] == pytest.approx(-0.506, abs=0.01)


def test_the_optimisation_keeps_the_prototypes_arithmetic(seed_result) -> None:
    reference = ch.examples.seed_reference()
    np.testing.assert_allclose(seed_result.allocations.to_numpy(), reference.to_numpy(), atol=1e-9)


def test_an_unmodelled_cost_is_labelled_and_costs_have_one_sign() -> None:
    summary = {"desk_pnl_mm": 1.0, "hedge_pnl_mm": 2.0, "carry_mm": -18.4811, "tcost_mm": 0.5, "rollcost_mm": 0.0,
               "hedged_pnl_mm": 3.0, "roll_mm": 0.1, "costs_not_in_objective": ["tcost"], "amount_scale": 1.0}
    line = _format.realised_pnl_line(summary, "USD")
    assert "carry +18.4811" in line and "--" not in line
    assert "tcost -0.5000 (realised, not in the objective)" in line


def test_the_cli_summary_says_the_scale_and_labels_tcost() -> None:
    proc = subprocess.run([sys.executable, "-m", "cdshedge_cvx", "run", "--quiet", "--no-cross-check"],
                          capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("realised PnL"))
    assert "x 0.01, the prototype's scale" in line and "tcost -0.0894 (realised, not in the objective)" in line
    assert "hedge effectiveness" in proc.stdout and " -0.506 " in proc.stdout


def test_rate_given_as_a_percent_is_refused() -> None:
    proc = subprocess.run([sys.executable, "-m", "cdshedge_cvx", "convert", "--rate", "3"], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 2
    assert "3 looks like a percent" in proc.stderr and "0.03" in proc.stderr
