"""A statistical factor model of the covariance: PCA of the window plus diagonal idiosyncratic variance."""

from __future__ import annotations

import numbers

import numpy as np

from cdshedge_cvx.errors import SpecificationError
from cdshedge_cvx.risk._estimators import CovarianceEstimator, _observations

__all__ = ["FactorCovariance"]


class FactorCovariance(CovarianceEstimator):
    """Σ = B Bᵀ + diag(δ): k statistical factors and idiosyncratic variances.

    S is the sample covariance of the window (T observations × p variables) with eigenpairs
    (λ_j, v_j), λ descending; B = [√λ_1 v_1, …, √λ_k v_k] (p × k) and δ = max(diag(S − B Bᵀ), 0).
    With k = p (or k ≥ rank S) Σ equals the sample covariance. :class:`VariancePenalty` uses it in
    low-rank-plus-diagonal form, ‖Bᵀ v‖² + Σ δ_j v_j² with v = (1, h), so a solve costs O(p·k)
    instead of O(p²).

    Parameters
    ----------
    k : int or "auto"
        Number of factors. ``"auto"``: the smallest k whose factors explain at least ``explained``
        of the total variance (trace S), at most ``max_k`` and at most T − 1.
    explained : float
        Share of variance the automatic rule keeps (0.9).
    max_k : int
        Cap of the automatic rule; also the number of factor rows compiled for ``"auto"``.
    """

    def __init__(self, k: int | str = "auto", explained: float = 0.9, max_k: int = 10) -> None:
        self.k = k
        self.explained = explained
        self.max_k = max_k

    def rows(self, p: int) -> int:
        """Rows of B compiled for p variables (the fixed Parameter shape)."""
        if self.k == "auto":
            return int(min(self.max_k, p))
        if isinstance(self.k, bool) or not isinstance(self.k, numbers.Integral) or self.k < 1:
            raise SpecificationError(f"FactorCovariance: k must be a whole number >= 1 or 'auto', got {self.k!r}")
        return int(min(self.k, p))

    def factors(self, observations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(B, δ): B of shape (p, rows(p)) (unused columns zero under ``"auto"``), δ of shape (p,).

        The eigenpairs of S come from the thin SVD of the centred window, X_c = U diag(σ) Vᵀ:
        λ_j = σ_j² / (T − 1), v_j = V_j, and diag S = Σ_t X_c² / (T − 1) — O(T·p·min(T, p)),
        never the p × p matrix S (O(p³) by an eigendecomposition).
        """
        x = _observations(observations, 2, "the factor covariance")
        centred = x - x.mean(axis=0)
        p, dof = x.shape[1], x.shape[0] - 1
        _, singular, vt = np.linalg.svd(centred, full_matrices=False)
        eigenvalues = np.zeros(p)
        eigenvalues[:singular.size] = singular ** 2 / dof
        diagonal = np.einsum("tj,tj->j", centred, centred) / dof
        rows = self.rows(p)
        if self.k == "auto":
            total = float(diagonal.sum())  # trace S
            share = np.cumsum(eigenvalues) / total if total > 0 else np.ones(p)
            k = int(np.searchsorted(share, self.explained - 1e-12) + 1)
            k = max(1, min(k, rows, x.shape[0] - 1))
        else:
            k = rows
        used = min(k, singular.size)
        loadings = np.zeros((p, rows))
        loadings[:, :used] = vt[:used].T * np.sqrt(eigenvalues[:used])
        idiosyncratic = np.clip(diagonal - np.sum(loadings ** 2, axis=1), 0.0, None)
        return loadings, idiosyncratic

    def covariance(self, observations: np.ndarray) -> np.ndarray:
        loadings, idiosyncratic = self.factors(observations)
        return loadings @ loadings.T + np.diag(idiosyncratic)

    def rolling(self) -> None:
        return None
