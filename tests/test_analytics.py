"""Tests of the CDS analytics: hand calculations, closed forms, QuantLib's ISDA
engine (live when QuantLib is installed, and a pasted reference table that
needs no QuantLib), properties and input validation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdshedge_cvx.analytics import (
    cs01_to_notional,
    jump_to_default,
    notional_to_cs01,
    premium_accrued,
    rpv01,
)

K = 365.25 / 360.0  # ACT/360 accrual of one model year

# ---------------------------------------------------------------------------
# hand calculations
# ---------------------------------------------------------------------------


def test_premium_accrued_hand_example() -> None:
    # $10mm at 100 bp for 94 days, ACT/360: 10 * 0.01 * 94 / 360
    assert premium_accrued(10.0, 100.0, 94) == pytest.approx(0.0261111, abs=5e-8)
    assert premium_accrued(10.0, 100.0, 94) == pytest.approx(10 * 0.01 * 94 / 360)


def test_premium_accrued_basis_and_vectorised() -> None:
    assert premium_accrued(10.0, 100.0, 365, basis=365) == pytest.approx(0.1)
    out = premium_accrued(np.array([10.0, 20.0]), 500.0, [90, 0])
    np.testing.assert_allclose(out, [10 * 0.05 * 90 / 360, 0.0])


def test_jump_to_default_index_example() -> None:
    # one of 125 names defaults at 40 % recovery on $125mm of protection
    assert jump_to_default(125.0, 0.4, 125) == pytest.approx(0.6)
    assert jump_to_default(10.0) == pytest.approx(10.0 * 0.6 / 125)
    # protection sold loses, a single name loses the whole (1 - R)
    assert jump_to_default(-125.0, 0.4, 125) == pytest.approx(-0.6)
    assert jump_to_default(10.0, 0.25, 1) == pytest.approx(7.5)


@pytest.mark.parametrize("maturity", [0.25, 1.0, 2.6, 5.0, 10.0])
@pytest.mark.parametrize("frequency", [1, 2, 4, 12])
def test_rpv01_zero_hazard_and_rate_limit(maturity: float, frequency: int) -> None:
    # with (almost) no hazard and no discounting the annuity is the sum of
    # the accrual fractions: maturity * 365.25 / 360
    value = rpv01(1e-9, maturity, recovery=0.4, rate=0.0, frequency=frequency)
    assert value == pytest.approx(maturity * K, rel=1e-10)


def test_rpv01_decreasing_in_spread_and_rate() -> None:
    spreads = np.array([1.0, 30.0, 60.0, 100.0, 250.0, 500.0, 1000.0, 3000.0])
    for maturity in (1.0, 5.0, 10.0):
        by_spread = rpv01(spreads, maturity, 0.4, 0.02)
        assert np.all(np.diff(by_spread) < 0)
    rates = np.array([-0.01, 0.0, 0.01, 0.02, 0.04, 0.08])
    by_rate = rpv01(100.0, 5.0, 0.4, rates)
    assert np.all(np.diff(by_rate) < 0)


def test_rpv01_continuous_premium_closed_form() -> None:
    # continuous premium: annuity = k (1 - exp(-(r + lam) T)) / (r + lam).
    # With accrued on default, quarterly premium equals it exactly at r = 0
    # and is below it by at most a relative r / 4 (pay-date discounting).
    for spread in (30.0, 100.0, 1000.0):
        for maturity in (1.0, 3.7, 5.0, 10.0):
            for rate in (0.0, 0.02, 0.04):
                lam = spread * 1e-4 / (1 - 0.4)
                c = rate + lam
                closed = K * (1 - math.exp(-c * maturity)) / c
                value = rpv01(spread, maturity, 0.4, rate)
                if rate == 0.0:
                    assert value == pytest.approx(closed, rel=1e-12)
                else:
                    assert value <= closed
                    assert value == pytest.approx(closed, rel=rate / 4)


def test_cs01_notional_round_trip() -> None:
    notional = cs01_to_notional(0.005, 100.0, 5.0)
    assert notional_to_cs01(notional, 100.0, 5.0) == pytest.approx(0.005)
    # CS01 = N * RPV01 * 1e-4
    assert notional_to_cs01(10.0, 100.0, 5.0) == pytest.approx(
        10.0 * rpv01(100.0, 5.0) * 1e-4
    )
    cs01 = np.array([-0.01, 0.002, 0.05])
    spreads = np.array([60.0, 250.0, 1000.0])
    back = notional_to_cs01(
        cs01_to_notional(cs01, spreads, 3.0, 0.3, 0.03), spreads, 3.0, 0.3, 0.03
    )
    np.testing.assert_allclose(back, cs01, rtol=1e-13)


def test_rpv01_broadcasts_and_returns_float_for_scalars() -> None:
    assert isinstance(rpv01(100.0, 5.0), float)
    spreads = np.array([30.0, 100.0, 1000.0])
    maturities = np.array([[1.0], [4.3], [10.0]])
    grid = rpv01(spreads, maturities, 0.4, 0.02)
    assert isinstance(grid, np.ndarray)
    assert grid.shape == (3, 3)
    for i, t in enumerate(maturities[:, 0]):
        for j, s in enumerate(spreads):
            assert grid[i, j] == pytest.approx(rpv01(s, t, 0.4, 0.02), rel=1e-14)


# ---------------------------------------------------------------------------
# QuantLib IsdaCdsEngine
# ---------------------------------------------------------------------------


def _quantlib_rpv01(
    ql: Any, spread_bp: float, maturity: int, recovery: float, rate: float
) -> float:
    """RPV01 from QuantLib's ISDA engine on the same flat hazard rate.

    Valuation and accrual start on the IMM date 20 Mar 2024 (no accrued at
    trade, no accrual rebate); quarterly CDS-rule dates to the maturity
    anniversary, Following on a weekends-only calendar, ACT/360 coupons with
    the last period ACT/360 including the maturity day; flat hazard rate
    s/(1-R) and flat continuously-compounded rate, both ACT/365F. The RPV01
    is the coupon leg (premium plus accrued on default) per unit notional
    and unit coupon: |couponLegBPS| / notional / 1e-4.
    """
    today = ql.Date(20, ql.March, 2024)
    ql.Settings.instance().evaluationDate = today
    hazard = spread_bp * 1e-4 / (1.0 - recovery)
    probability = ql.DefaultProbabilityTermStructureHandle(
        ql.FlatHazardRate(
            today, ql.QuoteHandle(ql.SimpleQuote(hazard)), ql.Actual365Fixed()
        )
    )
    discount = ql.YieldTermStructureHandle(
        ql.FlatForward(today, rate, ql.Actual365Fixed(), ql.Continuous)
    )
    schedule = ql.Schedule(
        today,
        today + ql.Period(maturity, ql.Years),
        ql.Period(ql.Quarterly),
        ql.WeekendsOnly(),
        ql.Following,
        ql.Unadjusted,
        ql.DateGeneration.CDS,
        False,
    )
    notional = 10_000_000.0
    cds = ql.CreditDefaultSwap(
        ql.Protection.Buyer,
        notional,
        spread_bp * 1e-4,
        schedule,
        ql.Following,
        ql.Actual360(),
        True,  # settlesAccrual: accrued premium paid on default
        True,  # paysAtDefaultTime
        today,  # protectionStart
        ql.FaceValueClaim(),
        ql.Actual360(True),  # last period includes the maturity day
        False,  # rebatesAccrual: nothing accrued before the valuation date
        today,  # tradeDate
        3,
    )
    cds.setPricingEngine(ql.IsdaCdsEngine(probability, recovery, discount))
    return abs(cds.couponLegBPS()) / notional / 1e-4


QL_GRID = [
    (s, t, r)
    for s in (30.0, 60.0, 100.0, 250.0, 500.0, 1000.0)
    for t in (1, 3, 5, 7, 10)
    for r in (0.0, 0.02, 0.04)
]


@pytest.mark.parametrize(("spread", "maturity", "rate"), QL_GRID)
def test_rpv01_matches_quantlib_isda_engine(
    spread: float, maturity: int, rate: float
) -> None:
    ql = pytest.importorskip("QuantLib")
    reference = _quantlib_rpv01(ql, spread, maturity, 0.4, rate)
    assert rpv01(spread, maturity, 0.4, rate) == pytest.approx(reference, rel=0.01)


# Computed once with QuantLib 1.44 (Python wheel) by ``_quantlib_rpv01`` above:
# IsdaCdsEngine with its defaults (Taylor fix, HalfDayBias, Piecewise), flat
# hazard s/(1-R) and flat continuous rate on ACT/365F curves, CDS from the
# IMM date 20 Mar 2024 to the maturity anniversary, quarterly CDS dates,
# Following / weekends-only, ACT/360 (last period including maturity day),
# no accrual rebate; RPV01 = |couponLegBPS| / notional / 1e-4.
# Columns: spread_bp, maturity_years, recovery, rate, QuantLib RPV01.
QUANTLIB_REFERENCE = [
    (30.0, 1.0, 0.4, 0.00, 1.0141430908),
    (60.0, 10.0, 0.4, 0.00, 9.6563652028),
    (100.0, 5.0, 0.4, 0.00, 4.8694092828),
    (100.0, 5.0, 0.4, 0.02, 4.6252526299),
    (250.0, 3.0, 0.4, 0.04, 2.6868575944),
    (500.0, 7.0, 0.4, 0.02, 5.0436270191),
    (1000.0, 1.0, 0.4, 0.00, 0.9368938379),
    (1000.0, 10.0, 0.4, 0.04, 4.2675080140),
    (100.0, 5.0, 0.25, 0.03, 4.5454980015),
]


@pytest.mark.parametrize(
    ("spread", "maturity", "recovery", "rate", "reference"), QUANTLIB_REFERENCE
)
def test_rpv01_matches_pasted_quantlib_values(
    spread: float, maturity: float, recovery: float, rate: float, reference: float
) -> None:
    assert rpv01(spread, maturity, recovery, rate) == pytest.approx(reference, rel=0.01)


def test_pasted_quantlib_values_still_reproduced() -> None:
    # guards the pasted table against a transcription slip
    ql = pytest.importorskip("QuantLib")
    for spread, maturity, recovery, rate, reference in QUANTLIB_REFERENCE:
        live = _quantlib_rpv01(ql, spread, int(maturity), recovery, rate)
        assert live == pytest.approx(reference, rel=1e-6)


# ---------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------

spreads_st = st.floats(min_value=0.01, max_value=1000.0)
recoveries_st = st.floats(min_value=0.0, max_value=0.6)
rates_st = st.floats(min_value=-0.01, max_value=0.05)
maturities_st = st.floats(min_value=1e-3, max_value=10.0)


@settings(max_examples=200, deadline=None)
@given(spreads_st, maturities_st, recoveries_st, rates_st)
def test_rpv01_bounded_by_accrual_sum(
    spread: float, maturity: float, recovery: float, rate: float
) -> None:
    value = rpv01(spread, maturity, recovery, max(rate, 0.0))
    assert 0.0 < value <= maturity * K * (1 + 1e-12)


@settings(max_examples=200, deadline=None)
@given(spreads_st, maturities_st, maturities_st, recoveries_st, rates_st)
def test_rpv01_monotone_in_maturity(
    spread: float, t1: float, t2: float, recovery: float, rate: float
) -> None:
    short, long_ = sorted((t1, t2))
    v_short = rpv01(spread, short, recovery, rate)
    v_long = rpv01(spread, long_, recovery, rate)
    assert v_long >= v_short - 1e-12


@settings(max_examples=100, deadline=None)
@given(
    st.floats(min_value=0.01, max_value=5000.0),
    st.integers(min_value=1, max_value=120),
    st.floats(min_value=0.0, max_value=0.9),
    st.floats(min_value=0.0, max_value=0.2),
)
def test_rpv01_non_decreasing_on_coupon_grid(
    spread: float, quarters: int, recovery: float, rate: float
) -> None:
    # maturities on the quarterly grid only add a period at the end (whose
    # value can underflow against the sum at very high hazard)
    v_short = rpv01(spread, quarters / 4, recovery, rate)
    assert rpv01(spread, (quarters + 1) / 4, recovery, rate) >= v_short * (1 - 1e-14)


# ---------------------------------------------------------------------------
# input validation
# ---------------------------------------------------------------------------

BAD_INPUTS: list[tuple[Any, dict[str, Any], str]] = [
    (rpv01, {"spread_bp": 0.0, "maturity_years": 5.0}, "spread_bp"),
    (rpv01, {"spread_bp": -10.0, "maturity_years": 5.0}, "spread_bp"),
    (rpv01, {"spread_bp": [100.0, -1.0], "maturity_years": 5.0}, "spread_bp"),
    (rpv01, {"spread_bp": float("nan"), "maturity_years": 5.0}, "spread_bp"),
    (rpv01, {"spread_bp": 100.0, "maturity_years": 0.0}, "maturity_years"),
    (rpv01, {"spread_bp": 100.0, "maturity_years": -1.0}, "maturity_years"),
    (rpv01, {"spread_bp": 100.0, "maturity_years": 1826.0}, "maturity_years"),
    (rpv01, {"spread_bp": 100.0, "maturity_years": 5.0, "recovery": 1.0}, "recovery"),
    (rpv01, {"spread_bp": 100.0, "maturity_years": 5.0, "recovery": -0.1}, "recovery"),
    (rpv01, {"spread_bp": 100.0, "maturity_years": 5.0, "rate": np.inf}, "rate"),
    (rpv01, {"spread_bp": 100.0, "maturity_years": 5.0, "frequency": 0}, "frequency"),
    (rpv01, {"spread_bp": 100.0, "maturity_years": 5.0, "frequency": 2.5}, "frequency"),
    (rpv01, {"spread_bp": "abc", "maturity_years": 5.0}, "spread_bp"),
    (
        cs01_to_notional,
        {"cs01_mm": 0.01, "spread_bp": 0.0, "maturity_years": 5.0},
        "spread_bp",
    ),
    (
        cs01_to_notional,
        {"cs01_mm": float("nan"), "spread_bp": 100.0, "maturity_years": 5.0},
        "cs01_mm",
    ),
    (
        notional_to_cs01,
        {"notional_mm": 10.0, "spread_bp": 100.0, "maturity_years": -2.0},
        "maturity_years",
    ),
    (
        notional_to_cs01,
        {
            "notional_mm": 10.0,
            "spread_bp": 100.0,
            "maturity_years": 5.0,
            "recovery": 1.5,
        },
        "recovery",
    ),
    (jump_to_default, {"notional_mm": 10.0, "recovery": 1.0}, "recovery"),
    (jump_to_default, {"notional_mm": 10.0, "n_names": 0}, "n_names"),
    (jump_to_default, {"notional_mm": 10.0, "n_names": True}, "n_names"),
    (jump_to_default, {"notional_mm": float("inf")}, "notional_mm"),
    (premium_accrued, {"notional_mm": 10.0, "rate_bp": -1.0, "days": 30}, "rate_bp"),
    (premium_accrued, {"notional_mm": 10.0, "rate_bp": 100.0, "days": -1}, "days"),
    (
        premium_accrued,
        {"notional_mm": 10.0, "rate_bp": 100.0, "days": 30, "basis": 0},
        "basis",
    ),
]


@pytest.mark.parametrize(("func", "kwargs", "name"), BAD_INPUTS)
def test_bad_inputs_raise_value_error_naming_argument(
    func: Any, kwargs: dict[str, Any], name: str
) -> None:
    with pytest.raises(ValueError, match=name):
        func(**kwargs)


def test_error_message_shows_offending_value() -> None:
    with pytest.raises(ValueError, match=r"maturity_years must be > 0, got -3\.0"):
        rpv01(100.0, [5.0, -3.0])
    with pytest.raises(ValueError, match=r"recovery must be in \[0, 1\), got 1\.2"):
        jump_to_default(10.0, 1.2)
