"""The efficient frontier: monotone in γ, compiled once, the same on Dask as serially, and its CLI."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from generated import generated_market

import cdshedge_cvx as ch
from cdshedge_cvx.cli import main

GAMMAS = [0.0, 0.002, 0.01, 0.05, 0.2, 1.0, 10.0]
UNIVERSE = ch.examples.spread_quoted(ch.standard_universe()).with_limits(lower=[0.0] * 4, upper=[2.0] * 4)
KWARGS = {"horizon": "W-FRI", "mode": "walk-forward", "window": 40, "min_history": 30}


@pytest.fixture(scope="module")
def market():
    return generated_market(seed=41, days=150)


@pytest.fixture(scope="module")
def serial(market):
    return ch.frontier(market, UNIVERSE, ch.HedgePnL() - ch.Carry() - ch.Roll() - ch.VariancePenalty(), GAMMAS,
                       cross_check=False, **KWARGS)


def test_variance_falls_and_cost_rises_with_gamma(serial):
    table = serial.table
    assert list(table["gamma"]) == GAMMAS
    variance = table["model_variance_mm2"].to_numpy()
    cost = table["expected_cost_mm"].to_numpy()
    tolerance = 1e-7
    assert np.all(np.diff(variance) <= tolerance * (1 + variance[:-1]))
    assert np.all(np.diff(cost) >= -tolerance * (1 + np.abs(cost[:-1])))
    assert variance[0] > 2 * variance[-1] and cost[-1] > cost[0] + 0.1  # and the frontier is not flat
    assert table["mean_gross_cs01"].iloc[0] == pytest.approx(0.0, abs=1e-7)  # γ = 0: costs only, no hedge
    expected_cost = table[[c for c in table.columns if c.startswith("expected_cost_") and c != "expected_cost_mm"]]
    np.testing.assert_allclose(expected_cost.sum(axis=1), table["expected_cost_mm"], rtol=1e-12)


def test_each_row_is_an_independent_backtest_at_that_gamma(market, serial):
    """A row equals a plain backtest of the objective with that γ (numbers recomputed here)."""
    gamma = GAMMAS[3]
    result = ch.backtest(market, UNIVERSE, ch.HedgePnL() - ch.Carry() - ch.Roll() - gamma * ch.VariancePenalty(),
                         cross_check=False, **KWARGS)
    row = serial.table.iloc[3]
    variances = []
    for record in result.records:
        x = np.column_stack([record.data["risk_desk_pnl"], record.data["risk_changes"]])
        v = np.concatenate([[1.0], record.solution.h])
        variances.append(record.data["horizon_rows"] * v @ np.cov(x, rowvar=False) @ v)
    assert row["model_variance_mm2"] == pytest.approx(np.mean(variances), rel=1e-6)
    assert row["expected_cost_Carry_mm"] == pytest.approx(
        sum(float(ch.Carry().coefficients(r.data) @ r.solution.h) for r in result.records), rel=1e-6)
    hedged = result.pnl["desk_pnl"] + result.pnl["net_hedge"]
    assert row["realised_variance_mm2"] == pytest.approx(np.var(hedged, ddof=1), rel=1e-6)
    assert row["hedge_effectiveness"] == pytest.approx(1 - np.var(hedged, ddof=1) / np.var(result.pnl["desk_pnl"],
                                                                                            ddof=1), rel=1e-6)
    assert row["mean_gross_cs01"] == pytest.approx(result.allocations.abs().sum(axis=1).mean(), rel=1e-6)


def test_the_problem_is_compiled_once_for_the_whole_sweep(market, monkeypatch):
    compiles = []
    original = cp.Problem._construct_chain

    def counting(self, *args, **kwargs):
        compiles.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cp.Problem, "_construct_chain", counting)
    sweep = ch.frontier(market, UNIVERSE, "pnl - carry - roll - variance", [0.01, 0.1, 1.0], cross_check=False,
                        **KWARGS)
    assert len(compiles) == 1
    # the direct QP path compiles only the objective's linear part, to read its coefficients
    assert compiles[0] is getattr(sweep.problem, "affine_problem_", sweep.problem.problem_)
    assert sweep.problem.direct_qp_
    assert list(sweep.timings.index) == [0.01, 0.1, 1.0]
    assert (sweep.timings["build_time_s"].iloc[1:] == 0).all()


def test_frontier_refuses_objectives_without_one_subtracted_variance(market):
    with pytest.raises(ch.SpecificationError, match="exactly one VariancePenalty"):
        ch.frontier(market, UNIVERSE, "pnl - carry", [1.0], **KWARGS)
    with pytest.raises(ch.SpecificationError, match="gamma must be finite and >= 0"):
        ch.frontier(market, UNIVERSE, "-variance", [1.0, -2.0], **KWARGS)
    with pytest.raises(ch.SpecificationError, match="does not take problem"):
        ch.frontier(market, UNIVERSE, "-variance", [1.0], problem=None, **KWARGS)


def test_dask_local_cluster_gives_the_serial_table(market, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll() - ch.VariancePenalty()
    gammas = [0.005, 0.05, 0.5]
    serial = ch.frontier(market, UNIVERSE, objective, gammas, cross_check=False, **KWARGS)
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        on_dask = ch.frontier(market, UNIVERSE, objective, gammas, scheduler=cluster.scheduler_address,
                              cross_check=False, **KWARGS)
        # the CLI's --scheduler goes the same way and writes the same numbers
        spreads, desk, out = tmp_path / "s.csv", tmp_path / "d.csv", tmp_path / "f.csv"
        market.spreads.rename_axis("date").to_csv(spreads)
        market.desk_pnl.rename("desk_pnl").rename_axis("date").to_csv(desk)
        instruments = tmp_path / "instruments.csv"
        UNIVERSE.to_frame().to_csv(instruments, index=False)
        assert main(["frontier", "--spreads", str(spreads), "--desk-pnl", str(desk), "--instruments",
                     str(instruments), "--horizon", "W-FRI", "--window", "40", "--min-history", "30",
                     "--gammas", "0.005,0.05,0.5", "--no-cross-check", "--scheduler", cluster.scheduler_address,
                     "--out", str(out), "--quiet"]) == 0
    assert on_dask.problem is None
    pd.testing.assert_frame_equal(on_dask.table, serial.table, check_exact=True)
    written = pd.read_csv(out)
    np.testing.assert_allclose(written["model_variance_mm2"], serial.table["model_variance_mm2"], rtol=1e-9)


def test_cli_frontier_writes_the_table(tmp_path, capsys, market):
    spreads, desk = tmp_path / "spreads.csv", tmp_path / "desk.csv"
    market.spreads.rename_axis("date").to_csv(spreads)
    market.desk_pnl.rename("desk_pnl").rename_axis("date").to_csv(desk)
    instruments = tmp_path / "instruments.csv"
    UNIVERSE.to_frame().to_csv(instruments, index=False)
    out = tmp_path / "frontier.csv"
    code = main(["frontier", "--spreads", str(spreads), "--desk-pnl", str(desk), "--instruments", str(instruments),
                 "--horizon", "W-FRI", "--window", "40", "--min-history", "30", "--gammas", "0.01,0.1,1",
                 "--estimator", "ewma", "--half-life", "20", "--no-cross-check", "--out", str(out), "--quiet"])
    assert code == 0
    table = pd.read_csv(out)
    assert list(table["gamma"]) == [0.01, 0.1, 1.0]
    assert {"model_variance_mm2", "realised_variance_mm2", "expected_cost_mm", "hedge_effectiveness",
            "mean_gross_cs01"} <= set(table.columns)
    assert "build_time_s" not in table.columns  # timings are kept out of the deterministic table
    direct = ch.frontier(ch.MarketData.from_csv(str(spreads), str(desk)), UNIVERSE,
                         ch.HedgePnL() - ch.Carry() - ch.Roll()
                         - ch.VariancePenalty(estimator=ch.EWMACovariance(half_life=20)),
                         [0.01, 0.1, 1.0], cross_check=False, **KWARGS)
    np.testing.assert_allclose(table["model_variance_mm2"], direct.table["model_variance_mm2"], rtol=1e-8)
    printed = capsys.readouterr().out
    assert "Efficient frontier" in printed and "hedge_effectiveness" in printed
    assert main(["frontier", "--gammas", "1,x", "--quiet"]) == 2
    assert "--gammas: 'x' is not a number" in capsys.readouterr().err
    assert main(["frontier", "--spreads", str(spreads), "--instruments", str(instruments), "--objective",
                 "pnl - carry", "--quiet"]) == 2
    assert "exactly one VariancePenalty" in capsys.readouterr().err
