"""Transaction costs and holdings carried from period to period."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from generated import generated_market, wide_universe

import cdshedge_cvx as ch
from cdshedge_cvx.cli import main

START = np.array([0.3, 0.05, 0.2, 0.02])
KWARGS = {"horizon": "W-FRI", "mode": "walk-forward", "window": 30, "min_history": 20}


@pytest.fixture(scope="module")
def market():
    return generated_market(seed=21, days=110)


def test_a_huge_transaction_cost_freezes_the_hedge_at_the_initial_holdings(market):
    objective = -ch.VariancePenalty() - ch.TransactionCost(multiplier=1e6)
    result = ch.backtest(market, wide_universe(), objective, initial_holdings=START, **KWARGS)
    assert len(result.allocations) > 5
    for _, h in result.allocations.iterrows():
        np.testing.assert_allclose(h.to_numpy(), START, atol=1e-7)
    assert result.turnover().max() < 1e-6
    free = ch.backtest(market, wide_universe(), -ch.VariancePenalty(), initial_holdings=START, **KWARGS)
    assert free.turnover().iloc[0] > 0.1  # without the cost the hedge would have moved


def test_zero_transaction_cost_is_the_independent_per_period_answer(market):
    costly = ch.backtest(market, wide_universe(), -ch.VariancePenalty() - ch.TransactionCost(multiplier=0.0),
                         initial_holdings=START, **KWARGS)
    independent = ch.backtest(market, wide_universe(), -ch.VariancePenalty(), **KWARGS)
    np.testing.assert_allclose(costly.allocations.to_numpy(), independent.allocations.to_numpy(), atol=1e-7)
    # and each independent answer is the period's own solve, whatever the holdings carried in
    record = independent.records[3]
    alone = ch.HedgeProblem(wide_universe(), -ch.VariancePenalty()).build()
    alone.update(record.data.replace(h_prev=np.full(4, 7.0)))
    np.testing.assert_allclose(alone.solve().h, record.solution.h, atol=1e-7)


def test_moderate_costs_trade_less_and_carry_the_previous_holdings(market):
    base = -0.2 * ch.VariancePenalty()
    runs = {k: ch.backtest(market, wide_universe(), base - ch.TransactionCost(multiplier=k), **KWARGS)
            for k in (0.0, 2.0, 20.0)}
    turnover = [runs[k].turnover().sum() for k in (0.0, 2.0, 20.0)]
    assert turnover[0] > turnover[1] > turnover[2]
    result = runs[2.0]
    for previous, record in zip(result.records, result.records[1:]):
        np.testing.assert_array_equal(record.data["h_prev"], previous.solution.h)
    # realised tcost: half the instruments' bid/ask times the CS01 traded, computed independently
    bid_ask = wide_universe().vector("bid_ask_bp")
    traded = result.allocations.diff().abs()
    traded.iloc[0] = result.allocations.iloc[0].abs()
    np.testing.assert_allclose(result.pnl["tcost"].to_numpy(), (0.5 * traded * bid_ask).sum(axis=1).to_numpy(),
                               rtol=1e-12)
    # the model's cost term is the same formula at the term's multiplier
    np.testing.assert_allclose(-result.term_values["TransactionCost"].to_numpy(),
                               2.0 * result.pnl["tcost"].to_numpy(), rtol=1e-6, atol=1e-9)


def test_initial_holdings_are_validated(market):
    with pytest.raises(ch.SpecificationError, match="initial_holdings needs 4 finite values"):
        ch.backtest(market, wide_universe(), -ch.VariancePenalty(), initial_holdings=[0.1, 0.2], **KWARGS)


def test_cli_initial_holdings_and_tcost(tmp_path, market, capsys):
    spreads, desk = tmp_path / "spreads.csv", tmp_path / "desk.csv"
    market.spreads.rename_axis("date").to_csv(spreads)
    market.desk_pnl.rename("desk_pnl").rename_axis("date").to_csv(desk)
    instruments = tmp_path / "instruments.csv"
    wide_universe().to_frame().to_csv(instruments, index=False)
    out = tmp_path / "alloc.csv"
    code = main(["run", "--spreads", str(spreads), "--desk-pnl", str(desk), "--instruments", str(instruments),
                 "--mode", "walk-forward", "--horizon", "W-FRI", "--window", "30", "--objective",
                 "-variance - 1e6*tcost", "--initial-holdings", ",".join(map(str, START)), "--out", str(out),
                 "--quiet"])
    assert code == 0
    allocations = pd.read_csv(out, index_col=0)
    np.testing.assert_allclose(allocations.to_numpy(), np.tile(START, (len(allocations), 1)), atol=1e-6)
    printed = capsys.readouterr().out
    assert "mean turnover" in printed and "objective by term" in printed
    assert main(["run", "--example", "seed", "--initial-holdings", "0.1,0.2", "--quiet"]) == 2
    assert "--initial-holdings needs 4 values" in capsys.readouterr().err
