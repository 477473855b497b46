"""The identification check's Cholesky shortcut never hides a flat direction (compared with the eigenvalues)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cdshedge_cvx.solve._min_norm import RANK_TOLERANCE, _clearly_identified


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), rank=st.integers(0, 40), floor=st.sampled_from([0.0, 1e-14, 1e-11, 1e-9, 1e-6, 1.0]),
       seed=st.integers(0, 2**32 - 1))
def test_the_shortcut_agrees_with_the_eigenvalues(n: int, rank: int, floor: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(n, min(rank, n))) * rng.lognormal(0, 2, size=min(rank, n))
    P = factor @ factor.T + floor * np.eye(n) * max(1.0, float(np.abs(factor).max(initial=0.0)) ** 2)
    eigenvalues = np.linalg.eigvalsh(P)
    top = float(np.max(np.abs(eigenvalues), initial=0.0))
    flat = 0 if top == 0.0 else int(np.sum(eigenvalues <= RANK_TOLERANCE * top))
    if _clearly_identified(P):
        assert flat == 0 and top > 0.0


def test_the_shortcut_answers_the_common_cases() -> None:
    rng = np.random.default_rng(0)
    returns = rng.normal(size=(252, 30))
    assert _clearly_identified(np.cov(returns, rowvar=False))  # a sample covariance of many observations
    assert not _clearly_identified(np.cov(returns[:10], rowvar=False))  # fewer observations than instruments
    assert not _clearly_identified(np.zeros((3, 3)))
