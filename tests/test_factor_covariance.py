"""FactorCovariance: equal to the sample covariance when k = p; the low-rank-plus-diagonal VariancePenalty."""

from __future__ import annotations

import numpy as np
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.testing import check_term


def _data(n=4, rows=60, seed=0):
    rng = np.random.default_rng(seed)
    common = rng.normal(size=(rows, 1))
    changes = common @ rng.normal(size=(1, n)) + 0.3 * rng.normal(size=(rows, n))
    desk = changes @ rng.normal(size=n) + rng.normal(size=rows)
    return ch.PeriodData({"risk_changes": changes, "risk_desk_pnl": desk, "pnl_scale": 1.0, "fx_rate": np.ones(n),
                          "horizon_rows": 21, "cs01_min": -np.ones(n) * 5, "cs01_max": np.ones(n) * 5, "period": "p"})


def test_full_rank_factor_model_is_the_sample_covariance():
    x = np.random.default_rng(1).normal(size=(50, 6))
    assert np.allclose(ch.FactorCovariance(k=6).covariance(x), np.cov(x, rowvar=False), atol=1e-12)


def test_auto_rule_explains_ninety_percent():
    x = np.random.default_rng(2).normal(size=(80, 8)) * np.array([10, 5, 1, 1, 1, 1, 1, 1])
    loadings, _ = ch.FactorCovariance().factors(x)
    k = int((np.abs(loadings).sum(axis=0) > 0).sum())
    eig = np.sort(np.linalg.eigvalsh(np.cov(x, rowvar=False)))[::-1]
    share = np.cumsum(eig) / eig.sum()
    assert share[k - 1] >= 0.9 and (k == 1 or share[k - 2] < 0.9)


def test_variance_penalty_with_full_factor_model_gives_the_full_hedge():
    data = _data()
    answers = []
    for estimator in ("sample", ch.FactorCovariance(k=5)):
        problem = ch.HedgeProblem(4, -ch.VariancePenalty(estimator=estimator), solver="CLARABEL").build()
        problem.update(data)
        answers.append(problem.solve().h)
    assert np.allclose(answers[0], answers[1], atol=1e-6)


def test_factor_variance_keeps_the_term_contract():
    check_term(ch.VariancePenalty(estimator=ch.FactorCovariance(k=2)), max_examples=6)


@pytest.mark.parametrize("k", [1, 3])
def test_factor_term_value_matches_expr(k):
    data = _data()
    term = ch.VariancePenalty(gamma=2.0, estimator=ch.FactorCovariance(k=k))
    problem = ch.HedgeProblem(4, -term, solver="CLARABEL").build()
    problem.update(data)
    h = problem.solve().h
    compiled_term = problem.compiled.entries[0][1]
    assert compiled_term.expr(problem.compiled.h).value == pytest.approx(compiled_term.value(h, data), rel=1e-7)


@pytest.mark.parametrize("rows,p,k", [(40, 12, 3), (30, 80, 5), (30, 80, "auto"), (252, 501, 10)])
def test_factors_equal_numpy_cov_eigendecomposition(rows, p, k):
    """B Bᵀ and δ from the thin SVD of the window equal those of numpy's covariance eigendecomposed (O(p³)),
    the sign of each factor aside; the factor path never forms the p × p covariance."""
    rng = np.random.default_rng(rows + p)
    x = rng.normal(size=(rows, 4)) @ rng.normal(size=(4, p)) + 0.3 * rng.normal(size=(rows, p))
    model = ch.FactorCovariance(k=k)
    loadings, idiosyncratic = model.factors(x)
    sample = np.cov(x, rowvar=False)
    values, vectors = np.linalg.eigh(sample)
    values, vectors = np.clip(values[::-1], 0.0, None), vectors[:, ::-1]
    if k == "auto":
        used = int(np.argmax(np.cumsum(values) / values.sum() >= 0.9 - 1e-12)) + 1
    else:
        used = k
    expected = vectors[:, :used] * np.sqrt(values[:used])
    np.testing.assert_allclose(loadings[:, :used] @ loadings[:, :used].T, expected @ expected.T, atol=1e-9)
    np.testing.assert_allclose(loadings[:, used:], 0.0)
    np.testing.assert_allclose(idiosyncratic, np.clip(np.diag(sample) - np.sum(expected ** 2, axis=1), 0, None),
                               atol=1e-9)
