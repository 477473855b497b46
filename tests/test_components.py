"""The one component contract of terms and limits: clone, capabilities, every limit a Parameter
refreshed at update (bug 3), numpy twins written independently of the Parameter-filling code."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.periods import PeriodBuilder


@pytest.fixture(scope="module")
def seed():
    return ch.examples.seed()


def _compiled_limits(problem):
    return getattr(getattr(problem, "compiled", None), "limits", None) or problem.constraints_


def test_a_changed_gross_limit_on_a_built_problem_takes_effect_without_recompiling(seed):
    """Bug 3: the limit was baked in at build, so a re-run kept 0.3 and then refused its own answer
    with 'SolverError: ... hedge breaks GrossLimit(max_gross=0.1)'."""
    market, universe = seed
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll()
    kwargs = {"conventions": "seed", "horizon": "Q"}
    first = ch.backtest(market, universe, objective, constraints=[ch.GrossLimit(0.3, allow_mixed_currency=True)],
                        **kwargs)
    gross = next(c for c in _compiled_limits(first.problem) if isinstance(c, ch.GrossLimit))
    gross.max_gross = 0.1
    again = ch.backtest(market, universe, problem=first.problem, **kwargs)
    fresh = ch.backtest(market, universe, objective, constraints=[ch.GrossLimit(0.1, allow_mixed_currency=True)],
                        **kwargs)
    assert (again.allocations.abs().sum(axis=1) <= 0.1 + 1e-8).all()
    np.testing.assert_allclose(again.allocations.to_numpy(), fresh.allocations.to_numpy(), atol=1e-7)
    np.testing.assert_allclose(again.term_values.to_numpy(), fresh.term_values.to_numpy(), atol=1e-7)


@pytest.mark.parametrize(("make", "attribute", "new"), [
    (lambda: ch.NetLimit(lower=-0.5, upper=0.5, allow_mixed_currency=True), "upper", 0.05),
    (lambda: ch.JumpToDefaultLimit(50.0), "max_jtd", 2.0),
    (lambda: ch.TurnoverLimit(2.0), "max_turnover", 0.05),
], ids=["net", "jtd", "turnover"])
def test_every_limit_is_a_parameter_written_at_update(seed, make, attribute, new):
    market, universe = seed
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll()
    kwargs = {"conventions": "seed", "horizon": "Q"}
    first = ch.backtest(market, universe, objective, constraints=[make()], **kwargs)
    limit = next(c for c in _compiled_limits(first.problem) if type(c) is type(make()))
    setattr(limit, attribute, new)
    again = ch.backtest(market, universe, problem=first.problem, **kwargs)
    changed = make()
    setattr(changed, attribute, new)
    fresh = ch.backtest(market, universe, objective, constraints=[changed], **kwargs)
    np.testing.assert_allclose(again.allocations.to_numpy(), fresh.allocations.to_numpy(), atol=1e-7)


def test_an_open_side_of_a_net_limit_stays_open(seed):
    market, universe = seed
    first = ch.backtest(market, universe, constraints=[ch.NetLimit(upper=0.5, allow_mixed_currency=True)],
                        conventions="seed", horizon="Q")
    limit = next(c for c in _compiled_limits(first.problem) if isinstance(c, ch.NetLimit))
    limit.lower = -1.0
    with pytest.raises(ch.SpecificationError, match="built with only the upper side"):
        ch.backtest(market, universe, problem=first.problem, conventions="seed", horizon="Q")


def test_a_negative_limit_set_after_build_is_refused_by_name(seed):
    market, universe = seed
    first = ch.backtest(market, universe, constraints=[ch.GrossLimit(0.3, allow_mixed_currency=True)],
                        conventions="seed", horizon="Q")
    next(c for c in _compiled_limits(first.problem) if isinstance(c, ch.GrossLimit)).max_gross = -1.0
    with pytest.raises(ch.SpecificationError, match="GrossLimit: max_gross must be >= 0"):
        ch.backtest(market, universe, problem=first.problem, conventions="seed", horizon="Q")


@pytest.mark.parametrize("component", [ch.GrossLimit(0.3), ch.TurnoverLimit(1.0), ch.VariancePenalty(2.0),
                                       ch.TransactionCost(0.5)], ids=lambda c: type(c).__name__)
def test_clone_copies_hyperparameters_and_leaves_out_fitted_state(component):
    """Terms and limits clone alike: Constraint.clone used to deep-copy the built Parameters."""
    component.setup(3)
    if isinstance(component, ch.Constraint):
        component.build(cp.Variable(3))
    copy = component.clone()
    assert repr(copy) == repr(component)
    assert not [key for key in vars(copy) if key.endswith("_")]
    assert type(copy) is type(component)


def test_capabilities_are_declared_by_overriding():
    assert ch.VariancePenalty().has("quadratic_form") and ch.VariancePenalty().has("gradient")
    assert ch.RidgePenalty().has("quadratic_form")
    assert ch.TransactionCost().has("scipy_form") and not ch.TransactionCost().has("quadratic_form")
    assert ch.Carry().has("contributions") and not ch.Carry().has("scipy_form")
    assert ch.GrossLimit(1.0).has("scipy_form") and not ch.BoxLimits().has("scipy_form")
    assert ch.GrossLimit.capabilities == frozenset({"scipy_form"})

    class Plain(ch.Term):
        def expr(self, h):
            return cp.sum(h)

        def value(self, h, data):
            return float(np.sum(h))

    assert Plain.capabilities == frozenset()
    with pytest.raises(ch.SpecificationError, match="unknown capability 'hessian'"):
        Plain().has("hessian")


@pytest.mark.parametrize("cls", [ch.HedgePnL, ch.Carry, ch.Roll], ids=lambda c: c.__name__)
def test_a_wrong_parameter_fill_of_a_builtin_linear_term_is_caught_by_its_twin(monkeypatch, cls):
    """The twin used to call coefficients() too, so a wrong coefficients() passed the cross-check."""
    market, universe = ch.examples.seed()
    data = next(iter(PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, ch.SEED, "Q")))
    h = np.linspace(0.1, 0.4, len(universe))
    right = cls().value(h, data)
    original = cls.coefficients
    monkeypatch.setattr(cls, "coefficients", lambda self, d: 2.0 * original(self, d))
    assert cls().value(h, data) == right  # the twin does not read the Parameter-filling code
    term = cls()
    term.setup(len(universe))
    term.update(data)
    variable = cp.Variable(len(universe))
    variable.value = h
    assert term.expr(variable).value == pytest.approx(2.0 * right, rel=1e-12)  # so expr == value fails
