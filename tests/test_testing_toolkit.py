"""cdshedge_cvx.testing: the strategies, check_term and check_constraint (plain calls and inside @given)."""

from __future__ import annotations

import re

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_named_checks import builtin_expected_failures  # built-ins' known failures until issue 11's model rewrite

import cdshedge_cvx as ch
from cdshedge_cvx.testing import (
    ContractViolation,
    check_constraint,
    check_term,
    cs01_vectors,
    limits,
    markets,
    period_data,
    universes,
)
from cdshedge_cvx.testing._generation import RandomSource, make_period_data, make_universe

BUILTIN_TERMS = [ch.HedgePnL, ch.Carry, ch.Roll, ch.VariancePenalty, ch.TransactionCost]
BUILTIN_CONSTRAINTS = [ch.BoxLimits, ch.GrossLimit, ch.NetLimit, ch.JumpToDefaultLimit, ch.TurnoverLimit]


# --------------------------------------------------------------------------------------------
# terms and constraints used as specimens
# --------------------------------------------------------------------------------------------
class Funding(ch.Term):
    def setup(self, n):         self.f_ = cp.Parameter(n, nonneg=True)
    def update(self, data):     self.f_.value = np.full(self.f_.shape, 2e-4)
    def expr(self, h):          return self.f_ @ h
    def value(self, h, data):   return float(2e-4 * np.sum(h))


class TwinOffByHalfPercent(Funding):
    """The numpy twin is 0.5 % off its CVXPY expression."""

    def value(self, h, data):
        return float(2.01e-4 * np.sum(h))


class TwinForgetsAnInstrument(ch.LinearTerm):
    """expr uses every instrument, the twin drops the last one."""

    requires = ("expected_change", "pnl_scale")

    def coefficients(self, data):
        return data["pnl_scale"] * np.asarray(data["expected_change"], dtype=float)

    def value(self, h, data):
        return float(np.dot(self.gradient(h, data), h))

    def gradient(self, h, data):  # consistent with the (wrong) twin
        c = self.coefficients(data).copy()
        c[-1] = 0.0
        return c


class GradientTwiceTooLarge(ch.TransactionCost):
    def gradient(self, h, data):
        return 2.0 * super().gradient(h, data)


class Quadratic(ch.Term):
    """Σ (h − h_prev)²: convex."""

    requires = ("h_prev",)

    def setup(self, n):
        self.prev_ = cp.Parameter(n)

    def update(self, data):
        self.prev_.value = np.asarray(data["h_prev"], dtype=float)

    def expr(self, h):
        return cp.sum_squares(h - self.prev_)

    def value(self, h, data):
        return float(np.sum((np.asarray(h) - data["h_prev"]) ** 2))

    def gradient(self, h, data):
        return 2.0 * (np.asarray(h) - data["h_prev"])


class NotDpp(ch.Term):
    def setup(self, n):
        self.a_ = cp.Parameter(nonneg=True, value=1.0)
        self.c_ = cp.Parameter(n, value=np.ones(n))

    def expr(self, h):
        return self.a_ * (self.c_ @ h)

    def value(self, h, data):
        return float(np.sum(h))


class NotDcp(ch.Term):
    def expr(self, h):
        return cp.sum_squares(h) - cp.sum(cp.abs(h))

    def value(self, h, data):
        return float(np.sum(np.square(h)) - np.sum(np.abs(h)))


class SilentFallback(ch.LinearTerm):
    """Reads a key with a default: a missing key passes unnoticed."""

    def coefficients(self, data):
        return np.full(len(data["cs01_min"]), 1e-4 * data.get("funding_bp", 2.0))


class UndeclaredKey(ch.LinearTerm):
    requires = ("pnl_scale",)

    def coefficients(self, data):
        return data["pnl_scale"] * np.asarray(data["expected_change"], dtype=float)


class RefusesEverything(Funding):
    def update(self, data):
        raise ch.DataError("no funding curve for this period")


class LooseGross(ch.GrossLimit):
    """The twin allows twice the limit."""

    def violation(self, h, data):
        return float(max(0.0, np.sum(np.abs(h)) - 2.0 * self.max_gross))


class TightGross(ch.GrossLimit):
    """The twin reports a violation at half the limit."""

    def violation(self, h, data):
        return float(max(0.0, np.sum(np.abs(h)) - 0.5 * self.max_gross))


class NeverViolated(ch.NetLimit):
    def violation(self, h, data):
        return 0.0


# --------------------------------------------------------------------------------------------
# the strategies
# --------------------------------------------------------------------------------------------
@given(universes())
def test_generated_universes_have_lower_below_upper(universe):
    assert 1 <= len(universe) <= 6
    assert np.all(universe.lower <= universe.upper)
    assert np.all(np.isfinite(universe.lower)) and np.all(np.isfinite(universe.upper))


@given(limits(allow_short=False))
def test_limits_without_shorts_stay_non_negative(box):
    lower, upper = box
    assert 0.0 <= lower <= upper


@settings(max_examples=25)
@given(markets())
def test_generated_markets_pass_the_market_data_validation(market):
    again = ch.MarketData(market.spreads.copy(), market.desk_pnl.copy())  # the constructor validates
    values = again.spreads.to_numpy()
    assert np.all(np.isfinite(values)) and np.all(values > 0)
    assert again.dates.is_monotonic_increasing and again.dates.is_unique
    assert np.all(np.isfinite(again.desk_pnl.to_numpy()))
    pd.testing.assert_frame_equal(again.spreads, market.spreads)


def _required_keys():
    keys = {"h_prev", "cs01_min", "cs01_max"}
    for cls in BUILTIN_TERMS + BUILTIN_CONSTRAINTS:
        keys |= set(cls.requires)
    return keys


@settings(max_examples=25)
@given(st.sampled_from(["market", "seed"]), st.sampled_from(["hindsight", "walk-forward"]), st.data())
def test_period_data_has_every_key_the_builtin_terms_require(conventions, mode, draw):
    universe = draw.draw(universes(max_size=4))
    data = draw.draw(period_data(universe, conventions=conventions, mode=mode))
    assert _required_keys() <= set(data)
    n = len(universe)
    for key in ("expected_change", "coupon_bp", "spread_start", "bid_ask_bp", "h_prev",
                "recovery", "n_names", "rpv01", "roll_fraction", "maturity_years", "roll_count", "fx_rate"):
        value = np.asarray(data[key], dtype=float)
        assert value.shape == (n,) and np.all(np.isfinite(value)), key
    assert np.asarray(data["risk_changes"]).shape[1] == n
    assert np.all(universe.lower <= data["h_prev"]) and np.all(data["h_prev"] <= universe.upper)
    assert data["mode"] == mode and data["conventions"].name == conventions


@given(st.data())
def test_cs01_vectors_stay_inside_the_box(draw):
    universe = draw.draw(universes())
    h = draw.draw(cs01_vectors(universe))
    assert h.shape == (len(universe),)
    assert np.all(universe.lower <= h) and np.all(h <= universe.upper)


@settings(max_examples=10)
@given(st.floats(min_value=0.0, max_value=50.0), st.data())
def test_period_data_adds_users_keys(rate, draw):
    extra = {"constant": 7.0, "from_data": lambda d: 2.0 * np.asarray(d["spread_start"]),
             "drawn": st.just(rate)}
    data = draw.draw(period_data(extra=extra))
    assert data["constant"] == 7.0
    np.testing.assert_array_equal(data["from_data"], 2.0 * data["spread_start"])
    assert data["drawn"] == rate


@pytest.mark.parametrize("seed", range(8))
def test_the_seeded_sampler_makes_valid_periods_too(seed):
    source = RandomSource(seed)
    universe = make_universe(source)
    data = make_period_data(source, universe, ch.MARKET)
    assert np.all(universe.lower <= universe.upper)
    assert _required_keys() <= set(data)
    assert np.all(universe.lower <= data["h_prev"]) and np.all(data["h_prev"] <= universe.upper)
    same_source = RandomSource(seed)
    again = make_period_data(same_source, make_universe(same_source), ch.MARKET)
    assert again["period"] == data["period"]
    np.testing.assert_array_equal(again["risk_changes"], data["risk_changes"])
    np.testing.assert_array_equal(again["h_prev"], data["h_prev"])


# --------------------------------------------------------------------------------------------
# every built-in passes
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("term", "sign"), [
    (ch.HedgePnL(), "+ or -"), (ch.Carry(), "+ or -"), (ch.Roll(), "+ or -"),
    (ch.VariancePenalty(), "-"), (ch.VariancePenalty(gamma=1e3), "-"), (ch.TransactionCost(), "-"),
], ids=["HedgePnL", "Carry", "Roll", "VariancePenalty", "VariancePenalty-1e3", "TransactionCost"])
def test_every_builtin_term_passes_check_term(term, sign):
    report = check_term(term, expected_failures=builtin_expected_failures(term))
    assert report.sign == sign
    assert report.examples >= 15  # VariancePenalty refuses one-day periods (no variance from one change)
    assert set(type(term).requires) <= set(report.keys_read)


def test_builtin_terms_pass_under_seed_conventions_and_walk_forward():
    check_term(ch.Carry(), conventions="seed", mode="walk-forward", max_examples=8,
               expected_failures=builtin_expected_failures(ch.Carry()))
    check_term(ch.VariancePenalty(), conventions="seed", mode="walk-forward", max_examples=8)


@pytest.mark.parametrize("constraint", [
    ch.BoxLimits(), ch.GrossLimit(0.5), ch.NetLimit(-0.3, 0.4), ch.NetLimit(upper=0.1), ch.JumpToDefaultLimit(3.0),
    ch.TurnoverLimit(0.3),
], ids=["BoxLimits", "GrossLimit", "NetLimit", "NetLimit-upper", "JumpToDefaultLimit", "TurnoverLimit"])
def test_every_builtin_constraint_passes_check_constraint(constraint):
    report = check_constraint(constraint, expected_failures=builtin_expected_failures(constraint))
    assert report.examples == 20
    assert report.infeasible_examples < report.examples
    assert report.max_value_gap <= 1e-7  # the solver's answers satisfy the numpy twins


def test_the_issue_funding_term_passes_and_works_either_way():
    report = check_term(Funding())
    assert (report.curvature, report.sign, report.examples) == ("affine", "+ or -", 20)
    assert report.max_value_gap < 1e-15


def test_check_term_on_a_fixed_universe():
    universe = ch.examples.spread_quoted(ch.standard_universe())
    report = check_term(ch.Roll(), universe=universe, max_examples=5,
                        expected_failures=builtin_expected_failures(ch.Roll()))
    assert report.examples == 5


def test_a_plain_call_is_deterministic():
    first, second = check_term(ch.VariancePenalty(), max_examples=6), check_term(ch.VariancePenalty(), max_examples=6)
    assert first == second


# --------------------------------------------------------------------------------------------
# wrong terms are caught, with the check, the data and the h
# --------------------------------------------------------------------------------------------
def test_a_twin_that_disagrees_with_its_expression_is_caught():
    with pytest.raises(ContractViolation) as caught:
        check_term(TwinOffByHalfPercent())
    failure = caught.value
    assert isinstance(failure, AssertionError)
    assert failure.check == "expr == value"
    message = str(failure)
    assert message.startswith("term TwinOffByHalfPercent: check 'expr == value' failed")
    assert f"period {failure.period}" in message and "cs01_min = " in message
    assert "\n  h = " in message and failure.h is not None
    # the numbers in the message are the two formulas at that h: 2e-4 Σh and 2.01e-4 Σh
    expression, value = (float(x) for x in re.search(r"expr\(h\)\.value = (\S+) but value\(h, data\) = (\S+) ",
                                                     message).groups())
    assert expression == pytest.approx(2e-4 * failure.h.sum(), rel=1e-12)
    assert value == pytest.approx(2.01e-4 * failure.h.sum(), rel=1e-12)


def test_a_twin_missing_an_instrument_is_caught_naming_the_data_it_read():
    with pytest.raises(ContractViolation, match=r"check 'expr == value' failed") as caught:
        check_term(TwinForgetsAnInstrument())
    assert "expected_change = " in str(caught.value) and "pnl_scale = " in str(caught.value)


def test_a_wrong_gradient_is_caught():
    with pytest.raises(ContractViolation, match=r"check 'gradient' failed: gradient\(h, data\)\[\d\]") as caught:
        check_term(GradientTwiceTooLarge())
    assert caught.value.check == "gradient"


def test_a_convex_term_with_a_plus_sign_is_refused_by_name():
    with pytest.raises(ContractViolation, match="term Quadratic: check 'sign' failed: Quadratic is convex: "
                                                "in the maximised objective it needs a - sign"):
        check_term(Quadratic(), sign=+1)
    assert check_term(Quadratic(), max_examples=5).sign == "-"
    with pytest.raises(ch.SpecificationError, match=r"term Quadratic is convex, not concave, and enters the "
                                                    r"maximised objective with a \+ sign"):
        ch.HedgeProblem(3, ch.HedgePnL() + Quadratic()).build()


def test_non_dpp_and_non_dcp_terms_are_refused_by_name():
    with pytest.raises(ContractViolation, match="term NotDpp: check 'DPP' failed"):
        check_term(NotDpp())
    with pytest.raises(ContractViolation, match=r"term NotDcp: check 'DCP' failed: expr\(h\) is neither "
                                                r"convex nor concave"):
        check_term(NotDcp())
    with pytest.raises(ch.SpecificationError, match="term NotDpp: expression is not DPP"):
        ch.HedgeProblem(3, ch.HedgePnL() - NotDpp()).build()
    with pytest.raises(ch.SpecificationError, match=r"term NotDcp: expression is not DCP"):
        ch.HedgeProblem(3, ch.HedgePnL() - NotDcp()).build()


def test_a_silent_default_for_a_missing_key_is_caught():
    with pytest.raises(ContractViolation, match=r"check 'missing key' failed: without key 'funding_bp' "
                                                r"update\(\) did not raise DataError"):
        check_term(SilentFallback(), extra={"funding_bp": 3.0})


def test_reading_a_key_missing_from_requires_is_caught():
    with pytest.raises(ContractViolation, match=r"check 'requires' failed: .*\['expected_change'\] not listed"):
        check_term(UndeclaredKey())


def test_a_key_the_generated_data_lacks_is_a_usage_error():
    class NeedsFunding(Funding):
        requires = ("funding_bp",)

    with pytest.raises(ch.SpecificationError, match=r"has no key\(s\) \['funding_bp'\] that NeedsFunding requires; "
                                                    r"pass extra="):
        check_term(NeedsFunding())
    check_term(NeedsFunding(), extra={"funding_bp": 1.0}, max_examples=3)


def test_a_term_refusing_every_period_fails_the_data_check():
    with pytest.raises(ContractViolation, match="check 'data' failed: RefusesEverything refused every one of the"):
        check_term(RefusesEverything(), max_examples=4)


def test_wrong_constraint_twins_are_caught():
    with pytest.raises(ContractViolation, match=r"constraint LooseGross: check '(rejected point|optimum)' failed"):
        check_constraint(LooseGross(0.5))
    with pytest.raises(ContractViolation, match=r"constraint TightGross: check '(feasible point|solver answer)'"):
        check_constraint(TightGross(0.5))
    with pytest.raises(ContractViolation, match=r"constraint NeverViolated: check '(infeasible|rejected point)'"):
        check_constraint(NeverViolated(lower=0.5, upper=0.8))


def test_a_constraint_that_never_holds_fails_the_feasible_examples_check():
    universe = ch.Universe([ch.Instrument("A", 100.0, 0.5, 1.0), ch.Instrument("B", 100.0, 0.5, 1.0)])
    with pytest.raises(ContractViolation, match="check 'feasible examples' failed"):
        check_constraint(ch.GrossLimit(0.2), universe=universe, max_examples=3)


# --------------------------------------------------------------------------------------------
# inside @given: no nested search (hypothesis would fail its nested_given health check)
# --------------------------------------------------------------------------------------------
@settings(max_examples=3)
@given(st.floats(min_value=0.1, max_value=50.0))
def test_check_term_inside_a_given_test_uses_its_own_seeded_examples(gamma):
    report = check_term(ch.VariancePenalty(gamma=gamma), max_examples=3)
    assert report.examples + report.refused_examples == 3


@settings(max_examples=5)
@given(period_data())
def test_check_term_on_the_periods_hypothesis_draws(data):
    report = check_term(ch.TransactionCost(multiplier=3.0), data=data)
    assert report.examples == 1


@settings(max_examples=3)
@given(st.floats(min_value=0.05, max_value=2.0))
def test_check_constraint_inside_a_given_test(max_gross):
    limit, twin = (ch.GrossLimit(max_gross, allow_mixed_currency=True) for _ in range(2))
    report = check_constraint(limit, universe=ch.examples.spread_quoted(ch.standard_universe()),
                              max_examples=3, expected_failures=builtin_expected_failures(twin))
    assert report.examples == 3


@settings(max_examples=2)
@given(st.integers(min_value=0, max_value=3))
def test_failures_are_reported_inside_a_given_test_too(seed):
    with pytest.raises(ContractViolation, match="check 'expr == value' failed"):
        check_term(TwinOffByHalfPercent(), max_examples=3, seed=seed)


@settings(max_examples=2)
@given(st.integers(min_value=0, max_value=3))
def test_the_seeded_sampler_is_deterministic(seed):
    known = builtin_expected_failures(ch.Carry())
    assert check_term(ch.Carry(), max_examples=3, seed=seed, expected_failures=known) == check_term(
        ch.Carry(), max_examples=3, seed=seed, expected_failures=known)


def test_check_term_refuses_what_is_not_a_term():
    with pytest.raises(ch.SpecificationError, match="check_term needs a Term"):
        check_term(ch.GrossLimit(1.0))
    with pytest.raises(ch.SpecificationError, match="check_constraint needs a Constraint"):
        check_constraint(ch.Carry())


@settings(max_examples=1)
@given(st.just(None))
def test_a_strategy_in_extra_needs_the_plain_call(_):
    with pytest.raises(ch.SpecificationError, match="can only be drawn when the check runs its own hypothesis search"):
        check_term(Funding(), extra={"funding_bp": st.floats(0.0, 1.0)}, max_examples=1)
    assert check_term(Funding(), extra={"funding_bp": lambda d: 1.0}, max_examples=1).examples == 1
