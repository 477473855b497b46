"""Covariance estimators for the variance penalty.

An estimator maps a (T × k) matrix of daily observations to a (k × k) covariance. They are
plain objects (hyperparameters in ``__init__``) so they can be swapped like terms.
"""

from __future__ import annotations

import numpy as np

from .errors import DataError

__all__ = ["CovarianceEstimator", "SampleCovariance", "get_estimator"]


class CovarianceEstimator:
    """Base class: subclasses implement :meth:`covariance`."""

    def covariance(self, observations: np.ndarray) -> np.ndarray:
        """Covariance of the columns of ``observations`` (T × k)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_"))
        return f"{type(self).__name__}({params})"


class SampleCovariance(CovarianceEstimator):
    """Unbiased sample covariance: Σ = (X − x̄)ᵀ(X − x̄) / (T − 1)."""

    def covariance(self, observations: np.ndarray) -> np.ndarray:
        x = np.asarray(observations, dtype=float)
        if x.ndim != 2 or x.shape[0] < 2:
            raise DataError(f"the sample covariance needs at least 2 daily observations, got {x.shape[0]}")
        centred = x - x.mean(axis=0)
        return centred.T @ centred / (x.shape[0] - 1)


def get_estimator(estimator: str | CovarianceEstimator) -> CovarianceEstimator:
    """Resolve an estimator name (``"sample"``) or return the object given."""
    if isinstance(estimator, CovarianceEstimator):
        return estimator
    table = {"sample": SampleCovariance}
    try:
        return table[str(estimator)]()
    except KeyError:
        from .errors import SpecificationError

        raise SpecificationError(f"unknown covariance estimator {estimator!r}; use one of {', '.join(table)}") from None
