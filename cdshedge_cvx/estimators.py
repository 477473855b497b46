"""Covariance estimators for the variance penalty.

An estimator maps a (T × k) matrix of daily observations (rows oldest first) to a (k × k)
covariance. They are plain objects (hyperparameters in ``__init__``) so they can be swapped
like terms, by object or by name:

==================  =====================================  ==========================================
name                class                                  estimate
==================  =====================================  ==========================================
``"sample"``        :class:`SampleCovariance`              unbiased sample covariance
``"ewma"``          :class:`EWMACovariance`                exponentially weighted (half-life in rows)
``"ledoit-wolf"``   :class:`LedoitWolfCovariance`          shrinkage towards a scaled identity
==================  =====================================  ==========================================
"""

from __future__ import annotations

import numbers

import numpy as np

from .errors import DataError, SpecificationError

__all__ = [
    "ESTIMATORS",
    "CovarianceEstimator",
    "EWMACovariance",
    "LedoitWolfCovariance",
    "SampleCovariance",
    "get_estimator",
]


def _observations(observations: np.ndarray, minimum: int, who: str) -> np.ndarray:
    x = np.asarray(observations, dtype=float)
    if x.ndim != 2:
        raise DataError(f"{who}: observations must be a (days × variables) matrix, got shape {x.shape}")
    if x.shape[0] < minimum:
        raise DataError(f"{who} needs at least {minimum} daily observations, got {x.shape[0]}")
    if not np.all(np.isfinite(x)):
        raise DataError(f"{who}: the observations contain NaN or infinite values")
    return x


class CovarianceEstimator:
    """Base class: subclasses implement :meth:`covariance`."""

    def covariance(self, observations: np.ndarray) -> np.ndarray:
        """Covariance of the columns of ``observations`` (T × k, oldest row first)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_"))
        return f"{type(self).__name__}({params})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(vars(self).items()))))


class SampleCovariance(CovarianceEstimator):
    """Unbiased sample covariance: Σ = (X − x̄)ᵀ(X − x̄) / (T − 1)."""

    def covariance(self, observations: np.ndarray) -> np.ndarray:
        x = _observations(observations, 2, "the sample covariance")
        centred = x - x.mean(axis=0)
        return centred.T @ centred / (x.shape[0] - 1)


class EWMACovariance(CovarianceEstimator):
    """Exponentially weighted covariance with a half-life in observations.

    Row t of T (t = 0 oldest) gets the weight w_t = 2^(−(T−1−t)/half_life), normalised to
    Σ w_t = 1, so the latest row weighs 1 and a row ``half_life`` rows older weighs ½::

        x̄ = Σ_t w_t x_t
        Σ = Σ_t w_t (x_t − x̄)(x_t − x̄)ᵀ / (1 − Σ_t w_t²)

    The denominator makes it unbiased for independent rows (it is ``numpy.cov`` with
    ``aweights=w``); a very long half-life gives the sample covariance.

    Parameters
    ----------
    half_life : float
        Half-life of the weights in observations (rows), > 0. Default 63 (about a quarter of
        business days).
    """

    def __init__(self, half_life: float = 63.0) -> None:
        self.half_life = half_life

    def weights(self, rows: int) -> np.ndarray:
        """The normalised weights w_0 … w_{rows−1} (oldest first)."""
        half_life = self.half_life
        if (isinstance(half_life, bool) or not isinstance(half_life, numbers.Real)
                or not np.isfinite(half_life) or half_life <= 0):
            raise SpecificationError(f"EWMACovariance: half_life must be a finite number > 0, got {half_life!r}")
        raw = 0.5 ** (np.arange(rows - 1, -1, -1, dtype=float) / float(half_life))
        return raw / raw.sum()

    def covariance(self, observations: np.ndarray) -> np.ndarray:
        x = _observations(observations, 2, "the EWMA covariance")
        w = self.weights(x.shape[0])
        centred = x - w @ x
        return (centred * w[:, None]).T @ centred / (1.0 - float(np.sum(w * w)))


class LedoitWolfCovariance(CovarianceEstimator):
    """Ledoit-Wolf (2004) shrinkage of the covariance towards a scaled identity.

    With S = (X − x̄)ᵀ(X − x̄)/T (maximum likelihood), μ = tr(S)/k, and the centred rows
    x_t::

        δ² = ‖S − μI‖²_F / k,   β̄² = min(δ², Σ_t ‖x_t x_tᵀ − S‖²_F / (k · T²))
        ρ = β̄² / δ²,            Σ = (1 − ρ) S + ρ μ I

    This is :func:`sklearn.covariance.ledoit_wolf` (the tests check it against it).

    The desk's PnL ($mm) and the spread changes (bp) have different units, so shrinking them
    towards one common variance mixes units. With ``standardise=True`` (default) the shrinkage
    is applied to the standardised data (a correlation-matrix shrinkage) and the result is
    scaled back, Σ = D C D with D the sample standard deviations (ML, 1/T): every variance is
    kept and only the correlations, hence the hedge ratios, shrink. ``standardise=False`` is the
    textbook estimator above.

    Parameters
    ----------
    standardise : bool
        Shrink the correlations of standardised data (default) or the raw covariance.
    """

    def __init__(self, standardise: bool = True) -> None:
        self.standardise = standardise

    @staticmethod
    def shrink(x: np.ndarray) -> tuple[np.ndarray, float]:
        """The textbook Ledoit-Wolf estimate of ``x`` (T × k) and its shrinkage ρ."""
        rows, k = x.shape
        centred = x - x.mean(axis=0)
        sample = centred.T @ centred / rows
        mu = float(np.trace(sample)) / k
        target_gap = sample - mu * np.eye(k)
        delta = float(np.sum(target_gap**2)) / k
        if delta <= 0.0:  # already a multiple of the identity (or a single variable)
            return sample, 0.0
        outer = centred[:, :, None] * centred[:, None, :]
        beta = min(delta, float(np.sum((outer - sample) ** 2)) / (k * rows**2))
        shrinkage = beta / delta
        return (1.0 - shrinkage) * sample + shrinkage * mu * np.eye(k), shrinkage

    def covariance(self, observations: np.ndarray) -> np.ndarray:
        x = _observations(observations, 2, "the Ledoit-Wolf covariance")
        if not self.standardise:
            return self.shrink(x)[0]
        scale = x.std(axis=0)
        safe = np.where(scale > 0, scale, 1.0)
        shrunk, _ = self.shrink(x / safe)
        scale = np.where(scale > 0, scale, 0.0)
        return shrunk * np.outer(scale, scale)


#: Names accepted wherever an estimator is expected.
ESTIMATORS: dict[str, type[CovarianceEstimator]] = {
    "sample": SampleCovariance,
    "ewma": EWMACovariance,
    "ledoit-wolf": LedoitWolfCovariance,
}


def get_estimator(estimator: str | CovarianceEstimator) -> CovarianceEstimator:
    """Resolve an estimator name (``"sample"``, ``"ewma"``, ``"ledoit-wolf"``) or return the object given.

    Names take the estimator's default hyperparameters; pass an object
    (``EWMACovariance(half_life=20)``) to choose them.
    """
    if isinstance(estimator, CovarianceEstimator):
        return estimator
    name = str(estimator).strip().lower().replace("_", "-")
    try:
        return ESTIMATORS[name]()
    except KeyError:
        raise SpecificationError(f"unknown covariance estimator {estimator!r}; use one of "
                                 f"{', '.join(ESTIMATORS)} or a CovarianceEstimator object") from None
