"""Term algebra, build-time checks that name the term, and the --objective parser."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.model._parser import parse_objective


class Convex(ch.Term):
    def setup(self, n):
        self.p_ = cp.Parameter(n)

    def update(self, data):
        self.p_.value = np.ones(self.p_.shape)

    def expr(self, h):
        return cp.sum_squares(h - self.p_)

    def value(self, h, data):
        return float(np.sum((h - 1.0) ** 2))


class NotDpp(ch.Term):
    def setup(self, n):
        self.a_ = cp.Parameter(nonneg=True)
        self.c_ = cp.Parameter(n)

    def expr(self, h):
        return self.a_ * (self.c_ @ h)


def test_algebra_builds_weighted_entries():
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll() - 5.0 * ch.VariancePenalty()
    weights = [w for w, _ in objective]
    assert weights == [1.0, -1.0, -1.0, -1.0]
    assert objective.terms[-1].gamma == 5.0  # the scalar is absorbed into γ
    doubled = 2 * (ch.HedgePnL() - ch.Carry())
    assert [w for w, _ in doubled] == [2.0, -2.0]
    assert sum([ch.HedgePnL(), ch.Carry()]).labels() == ["HedgePnL", "Carry"]


def test_a_convex_term_with_a_plus_sign_is_refused_by_name():
    with pytest.raises(ch.SpecificationError, match="term Convex is convex"):
        ch.HedgeProblem(3, ch.HedgePnL() + Convex()).build()
    ch.HedgeProblem(3, ch.HedgePnL() - Convex()).build()  # subtracted: fine


def test_a_non_dpp_term_is_refused_by_name():
    with pytest.raises(ch.SpecificationError, match="term NotDpp: expression is not DPP"):
        ch.HedgeProblem(3, ch.HedgePnL() - NotDpp()).build()


def test_variance_gamma_changes_without_recompiling():
    market, universe = ch.examples.seed()
    result = ch.backtest(market, universe, ch.HedgePnL() - ch.VariancePenalty(gamma=1.0), conventions="seed",
                         horizon="Q", cross_check=False)
    problem = result.problem
    compiled = problem.problem_
    term = problem.entries_[1][1]
    term.gamma = 1e6
    data = result.records[0].data
    problem.update(data)
    heavy = problem.solve()
    assert problem.problem_ is compiled
    assert np.abs(heavy.h - result.allocations.iloc[0].to_numpy()).max() > 1e-6


@pytest.mark.parametrize(("text", "expected"), [
    ("pnl - carry - roll", [(1.0, "HedgePnL"), (-1.0, "Carry"), (-1.0, "Roll")]),
    ("-variance", [(-1.0, "VariancePenalty")]),
    ("pnl - carry - roll - 5*variance",
     [(1.0, "HedgePnL"), (-1.0, "Carry"), (-1.0, "Roll"), (-1.0, "VariancePenalty")]),
    ("2 * pnl - tcost*3", [(2.0, "HedgePnL"), (-1.0, "TransactionCost")]),  # 3 goes into multiplier
    ("+pnl-1e-1*carry", [(1.0, "HedgePnL"), (-0.1, "Carry")]),
])
def test_parser_reads_weighted_sums(text, expected):
    objective = parse_objective(text)
    assert [(w, t.name) for w, t in objective] == expected


def test_parser_absorbs_weights_into_gamma_and_multiplier():
    objective = parse_objective("pnl - 5*variance - tcost*3")
    assert objective.terms[1].gamma == 5.0
    assert objective.terms[2].multiplier == 3.0


@pytest.mark.parametrize("text", ["", "pnl -", "pnl * carry", "5", "pnl + foo", "pnl; import os", "__import__('os')",
                                  "pnl ** 2", "pnl - (carry)"])
def test_parser_refuses_anything_else(text):
    with pytest.raises(ch.SpecificationError):
        parse_objective(text)


def test_unknown_horizon_is_a_specification_error():
    market, universe = ch.examples.seed()
    with pytest.raises(ch.SpecificationError, match="unknown horizon"):
        ch.backtest(market, universe, horizon="fortnightly")


@pytest.mark.parametrize(("alias", "pandas_alias"), [("M", "ME"), ("ME", "ME"), ("Q", "QE"), ("A", "YE"),
                                                     ("W-FRI", "W-FRI"), ("2W", "2W")])
def test_horizons_accept_prototype_and_pandas_aliases(alias, pandas_alias):
    market, universe = ch.examples.seed()
    result = ch.backtest(market, universe, horizon=alias, conventions="market", cross_check=False)
    # every non-empty pandas bin of the dates after the first one is a period, ending on its last date
    after_first = market.desk_pnl.iloc[1:]
    ends = after_first.index.to_series().resample(pandas_alias).max().dropna()
    assert list(result.allocations.index) == list(ends)
