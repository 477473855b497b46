"""Every fast path against the plain one: OSQP on the condensed QP against CVXPY's own solve, the
rolling covariance against the estimators from scratch, the Cholesky factor against Σ, cheap
Parameter writes against CVXPY's setter, and calendar values computed on demand against the eager
formulas."""

from __future__ import annotations

import dataclasses
import pickle

import cvxpy as cp
import numpy as np
import pytest
from generated import generated_market, wide_universe
from hypothesis import given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx.analytics import rpv01
from cdshedge_cvx.credit import _calendars as calendars
from cdshedge_cvx.credit._conventions import get_conventions
from cdshedge_cvx.credit._rolls import remaining_maturity, roll_counts
from cdshedge_cvx.crosscheck._reference import _stationary
from cdshedge_cvx.model import covariance_root
from cdshedge_cvx.model._values import set_value
from cdshedge_cvx.periods import PeriodBuilder
from cdshedge_cvx.risk._estimators import EWMACovariance, RollingCovariance, SampleCovariance
from cdshedge_cvx.solve._direct_qp import DirectQP
from cdshedge_cvx.testing import period_data, universes

QUADRATIC = {
    "variance": lambda: ch.HedgePnL() - ch.Carry() - ch.Roll() - 3.0 * ch.VariancePenalty(),
    "min-variance": lambda: -ch.VariancePenalty(),
    "two penalties": lambda: (ch.HedgePnL() - ch.Carry() - 0.5 * ch.VariancePenalty()
                              - 2.0 * ch.VariancePenalty(estimator=EWMACovariance(half_life=10.0))),
    "ledoit-wolf": lambda: ch.HedgePnL() - ch.Roll() - ch.VariancePenalty(estimator="ledoit-wolf"),
}


def _both(universe, data, make_objective, box_qp=True, **kwargs):
    solutions = []
    for direct in (True, False):
        problem = ch.HedgeProblem(universe, make_objective(), direct_qp=direct, box_qp=box_qp, **kwargs).build()
        problem.update(data)
        solutions.append(problem.solve())
    return solutions


def _period(market, universe, index):
    builder = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, get_conventions("market"), "ME")
    return builder.build(builder.periods[index])


def _condensed_hessian(data, make_objective):
    """P = 2 Σ |w| γT Σ_hh from the numpy twins (independent of both paths)."""
    n = len(data["cs01_min"])
    P = np.zeros((n, n))
    for weight, term in make_objective():
        if isinstance(term, ch.VariancePenalty):
            P += -2.0 * weight * term.gamma * data["horizon_rows"] * term._covariance(data)[1:, 1:]
    return P


# OSQP on the condensed QP = CVXPY's solve -----------------------------------------------------------------
@pytest.mark.parametrize(("box_qp", "path", "solver"), [(True, "box-qp", "ACTIVE-SET"), (False, "direct-qp", "OSQP")])
@settings(max_examples=25)
@given(universes(max_size=5), st.data(), st.sampled_from(sorted(QUADRATIC)), st.sampled_from(["hindsight",
                                                                                               "walk-forward"]))
def test_direct_qp_gives_the_cvxpy_answer(box_qp, path, solver, universe, draw, kind, mode):
    data = draw.draw(period_data(universe, mode=mode))
    fast, plain = _both(universe, data, QUADRATIC[kind], box_qp=box_qp)
    assert (fast.path, plain.path) == (path, "solver")
    assert (fast.solver, plain.solver) == (solver, "OSQP")
    scale = 1.0 + abs(plain.objective)
    assert fast.objective == pytest.approx(plain.objective, abs=1e-7 * scale)
    for label, value in plain.terms.items():
        assert fast.terms[label] == pytest.approx(value, abs=1e-6 * scale)
    eigenvalues = np.linalg.eigvalsh(_condensed_hessian(data, QUADRATIC[kind]))
    if eigenvalues[0] > 1e-6 * max(eigenvalues[-1], 1e-12):  # a unique optimum: the hedges agree too
        width = max(1.0, float(np.max(universe.upper - universe.lower)))
        np.testing.assert_allclose(fast.h, plain.h, atol=1e-6 * width)
        np.testing.assert_allclose(fast.shadow_prices["BoxLimits"], plain.shadow_prices["BoxLimits"],
                                   atol=1e-5 * scale)


@pytest.mark.parametrize("limit", [10.0, 0.3])
def test_walk_forward_backtest_is_the_same_on_both_paths(limit):
    market = generated_market(seed=8, days=260)
    universe = wide_universe(limit)
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll() - 0.2 * ch.VariancePenalty()
    kwargs = {"horizon": "W-FRI", "mode": "walk-forward", "window": 60, "min_history": 40, "cross_check": False}
    fast = ch.backtest(market, universe, objective, **kwargs)
    plain = ch.backtest(market, universe, problem=ch.HedgeProblem(universe, objective, direct_qp=False).build(),
                        **kwargs)
    assert set(fast.solver_info["path"]) == {"box-qp"} and set(plain.solver_info["path"]) == {"solver"}
    assert len(fast.allocations) > 30
    if limit < 1.0:  # the tight box binds somewhere, so the duals are exercised
        assert np.any(np.isclose(np.abs(fast.allocations.to_numpy()), limit))
    np.testing.assert_allclose(fast.allocations, plain.allocations, atol=1e-7)
    np.testing.assert_allclose(fast.term_values, plain.term_values, atol=1e-8)
    np.testing.assert_allclose(fast.shadow_prices, plain.shadow_prices, atol=1e-6)


@pytest.mark.filterwarnings("ignore:Solution may be inaccurate")
def test_a_failed_direct_solve_falls_back_and_is_recorded():
    universe = wide_universe()
    data = _period(generated_market(seed=3, days=90), universe, 1)
    objective = ch.HedgePnL() - ch.Carry() - ch.VariancePenalty()
    problem = ch.HedgeProblem(universe, objective, solver_options={"max_iter": 1}, box_qp=False).build()
    problem.update(data)
    solution = problem.solve()
    assert solution.fallback_from[0].startswith("OSQP (direct QP): status")
    assert solution.solver == "CLARABEL" and solution.path == "solver"
    reference = ch.HedgeProblem(universe, objective).build()
    reference.update(data)
    np.testing.assert_allclose(solution.h, reference.solve().h, atol=1e-6)


class _WrongForm(ch.VariancePenalty):
    def quadratic_form(self):
        G, g, beta = super().quadratic_form()
        return 1.01 * G, g, beta


def test_a_quadratic_form_that_is_not_the_expression_is_refused():
    universe = wide_universe()
    data = _period(generated_market(seed=1), universe, 0)
    problem = ch.HedgeProblem(universe, ch.HedgePnL() - _WrongForm()).build()
    problem.update(data)
    with pytest.raises(ch.SpecificationError, match="quadratic_form"):
        problem.solve()


def test_other_limits_or_solvers_keep_the_cvxpy_path():
    objective = ch.HedgePnL() - ch.VariancePenalty()
    assert ch.HedgeProblem(4, objective).build().direct_qp_
    assert not ch.HedgeProblem(4, objective, [ch.GrossLimit(1.0)]).build().direct_qp_
    assert not ch.HedgeProblem(4, objective, solver="CLARABEL").build().direct_qp_
    assert not ch.HedgeProblem(4, ch.HedgePnL() - ch.VariancePenalty() - ch.TransactionCost()).build().direct_qp_


# rolling covariance = the estimator from scratch ---------------------------------------------------------
@st.composite
def window_sequences(draw):
    """A series and a walk-forward sequence of trailing windows (growing, then sliding by varying steps)."""
    k = draw(st.integers(1, 5))
    window = draw(st.integers(4, 60))
    steps = draw(st.lists(st.integers(1, 12), min_size=3, max_size=25))
    rows = window + sum(steps) + 5
    seed = draw(st.integers(0, 2**32 - 1))
    offset = draw(st.sampled_from([0.0, 1e3, -5e4]))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, k)) * rng.uniform(0.01, 10.0, k) + offset * rng.uniform(0, 1, k)
    end, bounds = draw(st.integers(2, window)), []
    for step in steps:
        bounds.append((max(0, end - window), end))
        end += step
    return x, bounds


@settings(max_examples=40)
@given(window_sequences(), st.sampled_from([None, 3.0, 63.0]))
def test_rolling_covariance_is_the_estimator_from_scratch(case, half_life):
    x, bounds = case
    estimator = SampleCovariance() if half_life is None else EWMACovariance(half_life)
    rolling = estimator.rolling()
    for lo, hi in bounds:
        expected = estimator.covariance(x[lo:hi])
        got = rolling.covariance(x[lo:hi])
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-11 * np.max(np.abs(expected)))


def test_rolling_covariance_updates_and_notices_changed_rows():
    x = np.random.default_rng(0).normal(size=(400, 4))
    rolling = RollingCovariance()
    for hi in range(100, 400, 5):
        np.testing.assert_allclose(rolling.covariance(x[hi - 100:hi]), np.cov(x[hi - 100:hi], rowvar=False),
                                   rtol=1e-10)
    assert rolling.updates_ > 40 and rolling.full_ >= 3  # mostly updates, a full recomputation per turnover
    edited = x[300:400].copy()
    edited[50, 2] += 1.0  # a row inside the overlap differs: the sums must not be reused
    updates = rolling.updates_
    np.testing.assert_allclose(rolling.covariance(edited), np.cov(edited, rowvar=False), rtol=1e-10)
    assert rolling.updates_ == updates
    back = x[10:110]  # moving backwards: from scratch
    np.testing.assert_allclose(rolling.covariance(back), np.cov(back, rowvar=False), rtol=1e-10)


def test_variance_penalty_factor_is_the_covariance_from_scratch_with_fx():
    market, universe = ch.examples.market()
    builder = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, get_conventions("market"),
                            "W-FRI", "walk-forward", window=120, fx=market.fx)
    term = ch.VariancePenalty(gamma=2.0)
    term.setup(len(universe))
    fx_moves = set()
    for data in list(builder)[:40]:
        term.update(data)
        A, b = term.A_.value, term.b_.value
        G, g, beta = term.quadratic_form()
        expected = 2.0 * data["horizon_rows"] * term._covariance(data)
        tolerance = {"rtol": 1e-9, "atol": 1e-12 * np.abs(expected).max()}
        for factor_part, form_part, scratch in ((A.T @ A, G, expected[1:, 1:]), (A.T @ b, g, expected[1:, 0]),
                                                (b @ b, beta, expected[0, 0])):
            np.testing.assert_allclose(factor_part, scratch, **tolerance)
            np.testing.assert_allclose(form_part, scratch, **tolerance)
        fx_moves.add(float(data["fx_rate"][2]))
    assert term.rolling_.updates_ > 20 and len(fx_moves) > 20  # updated while EURUSD moved


def test_covariance_root_is_cholesky_or_the_eigen_root():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(50, 6))
    full = np.cov(x, rowvar=False)
    root = covariance_root(full)
    np.testing.assert_allclose(root.T @ root, full, rtol=1e-12, atol=1e-15)
    assert np.allclose(root, np.triu(root))  # the Cholesky factor
    singular = np.cov(x[:4], rowvar=False)  # 4 rows, 6 variables: rank 3
    root = covariance_root(singular)
    np.testing.assert_allclose(root.T @ root, singular, atol=1e-12 * np.abs(singular).max())


# cheap writes, calendar values on demand, the cross-check's stopping test ------------------------------
def test_set_value_stores_what_the_setter_stores_and_validates_the_rest():
    plain, fast = cp.Parameter((2, 3)), cp.Parameter((2, 3))
    value = np.arange(6.0).reshape(2, 3)
    plain.value = value
    set_value(fast, value)
    np.testing.assert_array_equal(fast.value, plain.value)
    value[0, 0] = 99.0  # the stored value is a copy
    assert fast.value[0, 0] == 0.0
    with pytest.raises(ValueError, match="dimensions"):
        set_value(fast, np.zeros(3))
    with pytest.raises(ValueError):
        set_value(cp.Parameter(2, nonneg=True), [-1.0, 1.0])


def test_calendar_values_are_computed_on_demand_and_equal_the_formulas():
    market, universe = ch.examples.market()
    builder = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, get_conventions("market"),
                            "ME", fx=market.fx)
    period = builder.periods[7]
    data = builder.build(period)
    assert "rpv01" in data and data.get("no such key", 5) == 5
    expected = np.array([remaining_maturity(i, [period.base])[0] for i in universe])
    np.testing.assert_allclose(data["maturity_years"], expected, rtol=1e-15)
    np.testing.assert_allclose(data["rpv01"], rpv01(data["spread_start"], expected, universe.vector("recovery")))
    flat = data.replace(conventions=get_conventions("market").replace(contract_model="flat-hazard"))
    carry = data["fx_rate"] * data["spread_start"] / data["rpv01"] * data["calendar_days"] / 360.0  # flat hazard
    np.testing.assert_allclose(ch.Carry().coefficients(flat), carry, rtol=1e-15)
    np.testing.assert_allclose(ch.Carry().coefficients(data), -data["fx_rate"] * data["figures"].carry, rtol=1e-15)
    rolls = [roll_counts(i, [period.base], [period.end])[0] for i in universe]
    np.testing.assert_array_equal(data["roll_count"], rolls)
    copy = pickle.loads(pickle.dumps(builder.build(period)))
    np.testing.assert_allclose(copy["rpv01"], data["rpv01"])


def test_a_seed_backtest_never_builds_holiday_calendars():
    calendars._holidays.cache_clear()
    calendars._business_days_cached.cache_clear()
    market, universe = ch.examples.seed()
    ch.backtest(market, universe, conventions="seed", cross_check=False)
    assert calendars._holidays.cache_info().currsize == 0
    ch.backtest(market, universe, conventions="market", cross_check=False)  # RPV01 needs the roll dates
    assert calendars._holidays.cache_info().currsize > 0


def test_stationary_is_the_projected_gradient_test():
    lower, upper = np.zeros(2), np.ones(2)

    def gradient(h):  # minimising −(h₁ + h₂): optimum at the upper corner
        return -np.ones(2)

    assert _stationary(np.ones(2), gradient, lower, upper, gtol=1e-12)
    assert not _stationary(np.array([1.0, 0.5]), gradient, lower, upper, gtol=1e-12)
    assert not _stationary(np.ones(2), None, lower, upper, gtol=1e-12)


def test_a_reused_problem_answers_exactly_as_a_fresh_one():
    """reset() at the start of a backtest: no rolling sums or OSQP warm start carried from an earlier run."""
    market = generated_market(seed=12, days=200)
    universe = wide_universe(0.5)
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll() - 0.3 * ch.VariancePenalty(estimator="ewma")
    kwargs = {"horizon": "W-FRI", "mode": "walk-forward", "window": 50, "min_history": 30, "cross_check": False}
    problem = ch.HedgeProblem(universe, objective).build()
    later = ch.backtest(market, universe, problem=problem, **{**kwargs, "horizon": "2W"})  # leaves state behind
    assert later.problem is problem
    again = ch.backtest(market, universe, problem=problem, **kwargs)
    fresh = ch.backtest(market, universe, objective, **kwargs)
    np.testing.assert_array_equal(again.allocations.to_numpy(), fresh.allocations.to_numpy())
    np.testing.assert_array_equal(again.term_values.to_numpy(), fresh.term_values.to_numpy())


def test_a_pickled_walk_forward_result_shares_its_series():
    """Trailing windows pickle as views of the whole series: written once, equal after loading."""
    market = generated_market(seed=2, days=400)
    universe = wide_universe()
    result = ch.backtest(market, universe, -ch.VariancePenalty(), horizon="W-FRI", mode="walk-forward", window=200,
                         min_history=100, cross_check=False).detach()
    windows = sum(r.data["risk_changes"].nbytes for r in result.records)
    payload = pickle.dumps(result)
    assert len(payload) < windows / 3  # a copy of every window would be far larger
    loaded = pickle.loads(payload)
    for before, after in zip(result.records, loaded.records):
        for key in ("risk_changes", "risk_desk_pnl", "spread_start", "rpv01"):
            np.testing.assert_array_equal(after.data[key], before.data[key])
        # the sealed realised data (issue 14) pickles too
        np.testing.assert_array_equal(after.data.realised()["spread_changes"], before.data.realised()["spread_changes"])
    assert np.shares_memory(loaded.records[0].data["risk_changes"], loaded.records[1].data["risk_changes"])


@pytest.mark.parametrize(("corruption", "recorded"), [
    (lambda r: dataclasses.replace(r, x=r.x + 1.0), "outside its CS01 limits"),
    (lambda r: dataclasses.replace(r, x=r.x * np.nan), "non-finite hedge"),
    (lambda r: dataclasses.replace(r, x=0.999 * r.x), "not optimal for this period's data"),  # e.g. stale data
    (lambda r: dataclasses.replace(r, y=r.y + 1.0), "not optimal for this period's data"),
], ids=["outside", "nan", "not-optimal", "wrong-duals"])
def test_a_wrong_direct_answer_is_refused_and_recorded(monkeypatch, corruption, recorded):
    original = DirectQP.solve
    monkeypatch.setattr(DirectQP, "solve", lambda self, *args: corruption(original(self, *args)))
    market = generated_market(seed=4, days=120)
    universe = wide_universe(0.3)
    objective = ch.HedgePnL() - ch.Carry() - ch.VariancePenalty()
    kwargs = {"horizon": "M", "cross_check": False}
    result = ch.backtest(market, universe, problem=ch.HedgeProblem(universe, objective, box_qp=False), **kwargs)
    assert set(result.solver_info["path"]) == {"solver"}
    assert all(text.startswith("OSQP (direct QP): ") and recorded in text for text in result.solver_info["fallback"])
    monkeypatch.setattr(DirectQP, "solve", original)
    clean = ch.backtest(market, universe, problem=ch.HedgeProblem(universe, objective, box_qp=False), **kwargs)
    assert set(clean.solver_info["path"]) == {"direct-qp"}
    np.testing.assert_allclose(result.allocations, clean.allocations, atol=1e-7)
