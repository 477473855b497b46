"""The per-period shortcuts of the solve layer (issue 13, goal 4) give the numbers of the longer ways.

Each shortcut is checked against an independent reference: the box-QP free solve against scipy's
``cho_factor``/``cho_solve`` on ``np.ix_`` blocks (bitwise), the identification check read from the
path's P against the eigenvalues, the rolling covariance against ``np.cov``, the term values against
CVXPY's ``Expression.value`` (bitwise).
"""

from __future__ import annotations

import warnings

import cvxpy as cp
import numpy as np
import pytest
import scipy.linalg as sla
from generated import generated_market, wide_universe
from hypothesis import given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx.model._values import set_value
from cdshedge_cvx.risk import RollingCovariance
from cdshedge_cvx.solve._box_qp import _free_solve, _Singular
from cdshedge_cvx.solve._compiled import numeric_evaluator
from cdshedge_cvx.solve._min_norm import RANK_TOLERANCE, _clearly_identified, quadratic_matrix, rank_deficiency


def _reference_free_solve(P, q, x, free):
    """The free solve as written before: boolean ix_ blocks and scipy's Cholesky."""
    out = x.copy()
    fixed = ~free
    rhs = -(q[free] + P[np.ix_(free, fixed)] @ x[fixed])
    factor = sla.cho_factor(P[np.ix_(free, free)], lower=False, check_finite=False)
    out[free] = sla.cho_solve(factor, rhs, check_finite=False)
    return out


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), seed=st.integers(0, 2**32 - 1), share=st.sampled_from([0.0, 0.3, 0.9, 1.0]))
def test_the_free_solve_is_scipys_cholesky_to_the_bit(n: int, seed: int, share: float) -> None:
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n + 5, n)) * rng.lognormal(0, 1, n)
    P, q, x = A.T @ A, rng.normal(size=n), rng.normal(size=n)
    free = rng.random(n) >= share
    got = _free_solve(P, q, x, free)
    if not free.any():
        assert np.array_equal(got, x)
        return
    assert got.tobytes() == _reference_free_solve(P, q, x, free).tobytes()


def test_a_singular_inconsistent_free_block_still_says_so() -> None:
    P = np.array([[1.0, 1.0], [1.0, 1.0]])
    with pytest.raises(_Singular):
        _free_solve(P, np.array([1.0, -1.0]), np.zeros(2), np.ones(2, dtype=bool))


def _eigen_flat(P: np.ndarray) -> int:
    eigenvalues = np.linalg.eigvalsh(0.5 * (P + P.T))
    top = float(np.max(np.abs(eigenvalues), initial=0.0))
    return P.shape[0] if top == 0.0 else int(np.sum(eigenvalues <= RANK_TOLERANCE * top))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 30), rank=st.integers(0, 30), seed=st.integers(0, 2**32 - 1))
def test_the_in_place_shortcut_decides_as_the_copying_one(n: int, rank: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(n, min(rank, n)))
    P = factor @ factor.T
    P = 0.5 * (P + P.T)
    kept = P.copy()
    expected = _clearly_identified(P)
    assert np.array_equal(P, kept)  # without overwrite: left as it was
    assert _clearly_identified(P.copy(), overwrite=True) == expected
    assert _clearly_identified(np.asfortranarray(P), overwrite=True) == expected
    if expected:
        assert _eigen_flat(P) == 0


def _variance_problem(n_obs: int):
    market = generated_market(0, days=n_obs + 40)
    universe = wide_universe()
    problem = ch.HedgeProblem(universe, ch.HedgePnL() - 5.0 * ch.VariancePenalty()).build()
    return market, universe, problem


@pytest.mark.parametrize("window", [60, 3])  # identified; fewer observations than instruments (flat directions)
def test_identification_from_the_paths_p_counts_what_the_eigenvalues_count(window: int) -> None:
    market, universe, problem = _variance_problem(120)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = ch.backtest(market, universe, problem=problem, horizon="M", mode="walk-forward", window=window,
                             min_history=window, cross_check=False, progress=False)
    compiled = problem.compiled
    P = quadratic_matrix(compiled)  # the last period's curvature
    assert P is not None
    flat = _eigen_flat(P)
    assert rank_deficiency(compiled) == flat
    assert rank_deficiency(compiled, P.copy()) == flat
    assert (flat > 0) == (window == 3)
    assert all(record.solution.curvature is None for record in result.records)  # not kept per period
    assert set(result.solver_info["path"]) == {"box-qp"}


def test_identification_reads_the_path_p_without_building_it_again(monkeypatch: pytest.MonkeyPatch) -> None:
    market, universe, problem = _variance_problem(120)
    from cdshedge_cvx.solve import _min_norm

    def refuse(compiled):
        raise AssertionError("quadratic_matrix built again although the path gave P")

    monkeypatch.setattr(_min_norm, "quadratic_matrix", refuse)
    ch.backtest(market, universe, problem=problem, horizon="M", mode="walk-forward", window=60, min_history=60,
                cross_check=False, progress=False)


@st.composite
def moving_windows(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    k = draw(st.integers(1, 6))
    x = rng.normal(size=(400, k)) * rng.uniform(0.1, 10.0, k)
    if draw(st.booleans()):
        x[:, 0] = np.round(x[:, 0])  # repeated values in the first column: several candidate rows
    if draw(st.booleans()):
        x[:, 0] = 0.0  # every row a candidate on the first column
    steps = draw(st.lists(st.integers(0, 9), min_size=3, max_size=25))
    return x, steps, draw(st.sampled_from([None, 20.0]))


@settings(max_examples=40, deadline=None)
@given(moving_windows())
def test_the_rolling_covariance_is_the_windows_covariance(case) -> None:
    x, steps, half_life = case
    rolling = RollingCovariance(half_life)
    estimator = ch.SampleCovariance() if half_life is None else ch.EWMACovariance(half_life)
    start = 0
    for step in steps:
        start += step
        window = x[start:start + 60]
        got, expected = rolling.covariance(window), estimator.covariance(window)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12 * float(np.abs(expected).max()))
        assert np.array_equal(got, got.T)
    if half_life is None:
        np.testing.assert_allclose(got, np.cov(window, rowvar=False), rtol=1e-10,
                                   atol=1e-12 * float(np.abs(got).max()))


def test_a_nan_entering_the_window_is_refused_and_the_next_window_is_right() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(120, 3))
    rolling = RollingCovariance()
    rolling.covariance(x[0:60])
    bad = x[5:65].copy()
    bad[-1, 2] = np.nan  # a new row only: the rows kept were checked before
    with pytest.raises(ch.DataError, match="NaN or infinite"):
        rolling.covariance(bad)
    np.testing.assert_allclose(rolling.covariance(x[10:70]), np.cov(x[10:70], rowvar=False), rtol=1e-10)


def test_term_values_are_cvxpys_values_to_the_bit() -> None:
    n = 7
    rng = np.random.default_rng(0)
    h = cp.Variable(n)
    A, b, c = cp.Parameter((n + 1, n)), cp.Parameter(n + 1), cp.Parameter(n)
    s = cp.Parameter(n, nonneg=True)
    A.value, b.value, c.value, s.value = rng.normal(size=(n + 1, n)), rng.normal(size=n + 1), rng.normal(size=n), \
        rng.uniform(0, 1, n)
    expressions = [c @ h, cp.sum_squares(A @ h + b), cp.sum_squares(A @ h + b) + cp.sum_squares(cp.multiply(s, h)),
                   cp.norm1(h - c), cp.sum(cp.pos(c - h)) + 2.0, cp.Constant(3.5), c @ c]
    h.value = rng.normal(size=n)
    for expression in expressions:
        value = numeric_evaluator(expression)()
        assert np.asarray(value).tobytes() == np.asarray(expression.value).tobytes(), expression
    missing = cp.Parameter(n)
    assert numeric_evaluator(missing @ h)() is None and (missing @ h).value is None


def test_the_compiled_problem_keeps_one_split_and_term_values_name_every_entry() -> None:
    problem = ch.HedgeProblem(4, ch.HedgePnL() - ch.Carry() - 2.0 * ch.VariancePenalty()).build()
    compiled = problem.compiled
    assert compiled.split is compiled.split
    affine, squares = compiled.split
    assert squares == (2,) and affine is not None


def test_set_value_stores_an_owned_array_without_copying() -> None:
    leaf = cp.Parameter(3)
    value = np.arange(3.0)
    set_value(leaf, value, copy=False)
    assert leaf.value is value
    set_value(leaf, value)
    assert leaf.value is not value and np.array_equal(leaf.value, value)
    set_value(leaf, [1, 2, 3], copy=False)  # not a float64 array: copied as before
    assert leaf.value.dtype == np.float64


def test_atoms_with_their_own_value_keep_it() -> None:
    """lambda_max checks its argument in ``value``: the evaluator leaves the whole expression to it."""
    X = cp.Parameter((2, 2))
    X.value = np.array([[1.0, 2.0], [0.0, 1.0]])  # not symmetric
    expression = cp.lambda_max(X)
    with pytest.raises(ValueError, match="symmetric"):
        numeric_evaluator(expression)()
    X.value = np.array([[2.0, 1.0], [1.0, 2.0]])
    assert numeric_evaluator(expression)() == expression.value
    inner = cp.lambda_max(X) + 1.0  # inside a sum CVXPY itself skips the check (its _value_impl)
    assert numeric_evaluator(inner)() == inner.value
