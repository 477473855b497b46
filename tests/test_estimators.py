"""Covariance estimators against independent references (numpy weighted covariance, scikit-learn's
Ledoit-Wolf), and the variance penalty's numpy twin against its CVXPY expression for each of them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.covariance import ledoit_wolf

import cdshedge_cvx as ch
from cdshedge_cvx.risk._estimators import EWMACovariance, LedoitWolfCovariance, SampleCovariance, get_estimator
from cdshedge_cvx.testing import cs01_vectors, period_data, universes


def _data(seed: int, rows: int = 80, k: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(k, k))
    scales = np.array([3.0, 1.0, 6.0, 1.2, 0.01])[:k]  # $mm next to bp, like desk PnL and spread changes
    return (rng.standard_t(5, size=(rows, k)) @ mixing) * scales


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sample_covariance_is_numpy_cov(seed):
    x = _data(seed)
    np.testing.assert_allclose(SampleCovariance().covariance(x), np.cov(x, rowvar=False), rtol=1e-12)


@pytest.mark.parametrize(("seed", "half_life"), [(0, 5.0), (1, 20.0), (2, 63.0)])
def test_ewma_is_numpy_weighted_cov_with_halving_weights(seed, half_life):
    x = _data(seed)
    rows = x.shape[0]
    ages = np.arange(rows)[::-1]                          # 0 for the latest row
    weights = np.exp(-np.log(2.0) * ages / half_life)     # halves every half_life rows
    expected = np.cov(x, rowvar=False, aweights=weights)  # unbiased with reliability weights
    np.testing.assert_allclose(EWMACovariance(half_life).covariance(x), expected, rtol=1e-10)


def test_ewma_weights_halve_over_one_half_life_and_long_half_life_is_the_sample():
    w = EWMACovariance(half_life=10).weights(50)
    assert w.sum() == pytest.approx(1.0)
    assert w[-11] / w[-1] == pytest.approx(0.5)
    x = _data(3)
    np.testing.assert_allclose(EWMACovariance(1e12).covariance(x), np.cov(x, rowvar=False), rtol=1e-8)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_ledoit_wolf_matches_sklearn(seed):
    x = _data(seed, rows=40 + 10 * seed)
    expected, shrinkage = ledoit_wolf(x)
    ours, rho = LedoitWolfCovariance.shrink(x)
    assert rho == pytest.approx(shrinkage, rel=1e-10)
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(LedoitWolfCovariance(standardise=False).covariance(x), expected, rtol=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_standardised_ledoit_wolf_is_sklearn_on_standardised_data_scaled_back(seed):
    x = _data(seed)
    scale = x.std(axis=0)
    correlation, _ = ledoit_wolf(x / scale)
    expected = correlation * np.outer(scale, scale)
    got = LedoitWolfCovariance().covariance(x)
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    np.testing.assert_allclose(np.diag(got), x.var(axis=0), rtol=1e-12)  # variances kept


def test_estimators_by_name_and_errors():
    assert isinstance(get_estimator("sample"), SampleCovariance)
    assert isinstance(get_estimator("ewma"), EWMACovariance)
    assert isinstance(get_estimator("ledoit-wolf"), LedoitWolfCovariance)
    assert isinstance(get_estimator("Ledoit_Wolf"), LedoitWolfCovariance)
    custom = EWMACovariance(half_life=7)
    assert get_estimator(custom) is custom
    with pytest.raises(ch.SpecificationError, match="unknown covariance estimator 'garch'"):
        get_estimator("garch")
    with pytest.raises(ch.SpecificationError, match="half_life must be a finite number > 0"):
        EWMACovariance(half_life=0).covariance(_data(0))
    with pytest.raises(ch.DataError, match="at least 2 daily observations, got 1"):
        LedoitWolfCovariance().covariance(np.ones((1, 3)))
    with pytest.raises(ch.DataError, match="NaN or infinite"):
        EWMACovariance().covariance(np.array([[1.0, np.nan], [2.0, 3.0]]))


ESTIMATORS = {"sample": "sample", "ewma": EWMACovariance(half_life=5), "ledoit-wolf": "ledoit-wolf",
              "ledoit-wolf-raw": LedoitWolfCovariance(standardise=False)}


@settings(max_examples=25)
@given(universes(max_size=4), st.sampled_from(sorted(ESTIMATORS)), st.sampled_from(["hindsight", "walk-forward"]),
       st.floats(min_value=0.0, max_value=50.0), st.data())
def test_variance_twin_equals_its_cvxpy_expression(universe, name, mode, gamma, draw):
    """VariancePenalty.value (numpy) and its DPP expression (eigen-root factor) agree for every estimator."""
    data = draw.draw(period_data(universe, mode=mode))
    term = ch.VariancePenalty(gamma=gamma, estimator=ESTIMATORS[name])
    problem = ch.HedgeProblem(universe, -term).build()
    problem.update(data)
    compiled = problem.entries_[0][1]
    for _ in range(3):
        h = draw.draw(cs01_vectors(universe))
        problem.h_.value = h
        expected = term.value(h, data)
        assert problem.term_exprs_[0].value == pytest.approx(expected, rel=1e-8, abs=1e-10)
        assert compiled.value(h, data) == pytest.approx(expected, rel=1e-12, abs=1e-14)
        # gradient twin against a central difference
        step = 1e-6
        fd = [(term.value(h + step * e, data) - term.value(h - step * e, data)) / (2 * step)
              for e in np.eye(len(universe))]
        np.testing.assert_allclose(term.gradient(h, data), fd, rtol=1e-5, atol=1e-6 * (1 + abs(expected)))
