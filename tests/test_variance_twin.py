"""The variance term's numpy twin from the estimator's factor (issue 13, goal 5: the cross-check's cost).

Σv = Fᵀ(Fv) with FᵀF = Σ: checked against ``numpy.cov`` (sample and weighted) and against the twin forming Σ.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx.model.terms import _variance
from cdshedge_cvx.risk._estimators import EWMACovariance, LedoitWolfCovariance, SampleCovariance


@settings(max_examples=20, deadline=None)
@given(rows=st.integers(3, 60), cols=st.integers(1, 12), seed=st.integers(0, 10_000),
       half_life=st.floats(0.5, 200.0))
def test_factors_give_numpy_cov(rows, cols, seed, half_life):
    x = np.random.default_rng(seed).normal(size=(rows, cols)) * np.linspace(0.1, 3.0, cols)
    f = SampleCovariance().covariance_factor(x)
    np.testing.assert_allclose(f.T @ f, np.cov(x, rowvar=False).reshape(cols, cols), rtol=1e-10, atol=1e-12)
    ewma = EWMACovariance(half_life)
    w = ewma.weights(rows)
    f = ewma.covariance_factor(x)
    expected = np.cov(x, rowvar=False, aweights=w).reshape(cols, cols)
    np.testing.assert_allclose(f.T @ f, expected, rtol=1e-9, atol=1e-12)


def test_an_estimator_without_a_factor_has_none():
    assert LedoitWolfCovariance().covariance_factor(np.ones((5, 2))) is None


@pytest.mark.parametrize("uses", [0, 1000])  # Σ formed at once / the factor's products only
@pytest.mark.parametrize("estimator", ["sample", EWMACovariance(20.0), LedoitWolfCovariance()])
def test_the_twin_equals_the_quadratic_form_of_the_estimated_covariance(estimator, uses, monkeypatch):
    monkeypatch.setattr(_variance, "_FACTOR_USES", uses)
    rng = np.random.default_rng(4)
    t, n = 80, 6
    data = {"pnl_scale": 1.0, "fx_rate": rng.uniform(0.9, 1.1, n), "risk_desk_pnl": rng.normal(size=t),
            "risk_changes": rng.normal(size=(t, n)), "horizon_rows": 21}
    term = ch.VariancePenalty(gamma=2.0, estimator=estimator)
    covariance = term._covariance(data)  # from scratch, as the twin estimated it before
    for _ in range(3):
        h = rng.normal(size=n)
        v = np.concatenate([[1.0], h])
        assert term.value(h, data) == pytest.approx(2.0 * 21 * v @ covariance @ v, rel=1e-12)
        np.testing.assert_allclose(term.gradient(h, data), 4.0 * 21 * (covariance @ v)[1:], rtol=1e-11, atol=1e-14)


def test_repeated_and_alternating_hedges_on_one_period_give_the_formula():
    """The twin remembers its last product per period (the certificate's value and gradient at one hedge share
    it): every call, repeated or alternating between hedges, must still be the quadratic form of np.cov."""
    rng = np.random.default_rng(8)
    names = ["A", "B", "C"]
    dates = pd.bdate_range("2022-01-03", periods=60)
    levels = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, (60, 3)), axis=0))
    market = ch.MarketData(pd.DataFrame(levels, index=dates, columns=names),
                           pd.Series(rng.normal(0, 0.1, 60), index=dates))
    universe = ch.Universe([ch.Instrument(name, 100.0, -1.0, 1.0, maturity_years=5.0) for name in names])
    result = ch.backtest(market, universe, -2.0 * ch.VariancePenalty(), horizon="W-FRI", mode="walk-forward",
                         window=20, min_history=20, cross_check=False)
    data = result.records[-1].data
    term = ch.VariancePenalty(gamma=2.0)
    joint = np.column_stack([np.asarray(data["risk_desk_pnl"], dtype=float),
                             data["pnl_scale"] * np.asarray(data["fx_rate"], dtype=float)
                             * np.asarray(data["risk_changes"], dtype=float)])
    covariance = np.cov(joint, rowvar=False)
    hedges = [rng.normal(size=3) for _ in range(3)]
    for h in [hedges[0], hedges[0], hedges[1], hedges[0], hedges[2], hedges[2], hedges[1]] * 2:
        v = np.concatenate([[1.0], h])
        rows = data["horizon_rows"]
        assert term.value(h, data) == pytest.approx(2.0 * rows * v @ covariance @ v, rel=1e-12)
        gradient = term.gradient(h, data)
        np.testing.assert_allclose(gradient, 4.0 * rows * (covariance @ v)[1:], rtol=1e-11, atol=1e-14)
        gradient *= 0.0  # a caller writing into the gradient must not change the remembered product
        np.testing.assert_allclose(term.gradient(h, data), 4.0 * rows * (covariance @ v)[1:], rtol=1e-11,
                                   atol=1e-14)
