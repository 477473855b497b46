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

A walk-forward backtest asks for the covariance of a trailing window that moves forward by a
few rows per period. :meth:`CovarianceEstimator.rolling` gives an updater
(:class:`RollingCovariance`, for the sample and EWMA estimators) that keeps running weighted
sums and updates them with the rows that enter and leave the window, O((added + dropped)·k²)
instead of O(T·k²) per period; it checks bitwise that the rows it keeps are the window's own
rows and recomputes from scratch whenever they are not (and after every full turnover of the
window, which bounds the rounding drift).
"""

from __future__ import annotations

import numbers

import numpy as np

from cdshedge_cvx.errors import DataError, SpecificationError

__all__ = [
    "ESTIMATORS",
    "CovarianceEstimator",
    "EWMACovariance",
    "LedoitWolfCovariance",
    "RollingCovariance",
    "SampleCovariance",
    "get_estimator",
]


def _observations(observations: np.ndarray, minimum: int, who: str, finite: bool = True) -> np.ndarray:
    """``observations`` as a float matrix of at least ``minimum`` rows, all finite (``finite=False``: the
    caller checks that itself, with :func:`_check_finite`)."""
    x = np.asarray(observations, dtype=float)
    if x.ndim != 2:
        raise DataError(f"{who}: observations must be a (days × variables) matrix, got shape {x.shape}")
    if x.shape[0] < minimum:
        raise DataError(f"{who} needs at least {minimum} daily observations, got {x.shape[0]}")
    if finite:
        _check_finite(x, who)
    return x


def _check_finite(x: np.ndarray, who: str) -> None:
    if not np.isfinite(x).all():
        raise DataError(f"{who}: the observations contain NaN or infinite values")


class CovarianceEstimator:
    """Base class: subclasses implement :meth:`covariance`."""

    def covariance(self, observations: np.ndarray) -> np.ndarray:
        """Covariance of the columns of ``observations`` (T × k, oldest row first)."""
        raise NotImplementedError

    def covariance_factor(self, observations: np.ndarray) -> np.ndarray | None:
        """A (T × k) factor F with FᵀF = :meth:`covariance` (``observations``), or ``None`` when the estimator
        has none: Σv is then Fᵀ(Fv), O(Tk) instead of the O(Tk²) of forming Σ (the numpy twins evaluate
        the variance at one or two points per period)."""
        return None

    def row_weights(self, rows: int) -> tuple[np.ndarray, float] | None:
        """(w, d) with Σ = Σ_t w_t (x_t − x̄)(x_t − x̄)ᵀ / d and x̄ = Σ_t w_t x_t (Σ w = 1), or ``None`` when the
        estimator is not of that form: then Σv = Xᵀ(w ∘ (Xv − x̄·v)) / d, two products with the observations
        (the numpy twin's product without forming F or Σ)."""
        return None

    def rolling(self) -> RollingCovariance | None:
        """An updater giving the same covariance for a trailing window moving forward, or
        ``None`` when the estimator has no incremental form (then each window is estimated
        from scratch)."""
        return None

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

    def covariance_factor(self, observations: np.ndarray) -> np.ndarray:
        """F = (X − x̄)/√(T − 1)."""
        x = _observations(observations, 2, "the sample covariance")
        return (x - x.mean(axis=0)) / np.sqrt(x.shape[0] - 1.0)

    def row_weights(self, rows: int) -> tuple[np.ndarray, float] | None:
        """w_t = 1/T, d = (T − 1)/T (``None`` below two rows)."""
        return None if rows < 2 else (np.full(rows, 1.0 / rows), (rows - 1.0) / rows)

    def rolling(self) -> RollingCovariance:
        """Running sums with equal weights (see :class:`RollingCovariance`)."""
        return RollingCovariance()


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

    def covariance_factor(self, observations: np.ndarray) -> np.ndarray:
        """F = diag(√w)(X − x̄)/√(1 − Σ w²)."""
        x = _observations(observations, 2, "the EWMA covariance")
        w = self.weights(x.shape[0])
        return (x - w @ x) * (np.sqrt(w) / np.sqrt(1.0 - float(np.sum(w * w))))[:, None]

    def row_weights(self, rows: int) -> tuple[np.ndarray, float] | None:
        """The normalised weights and d = 1 − Σ w² (``None`` below two rows)."""
        if rows < 2:
            return None
        w = self.weights(rows)
        return w, 1.0 - float(np.sum(w * w))

    def rolling(self) -> RollingCovariance:
        """Running sums with weights halving every ``half_life`` rows (see :class:`RollingCovariance`)."""
        self.weights(1)  # validates half_life
        return RollingCovariance(half_life=float(self.half_life))


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


class RollingCovariance:
    """Covariance of a trailing window that moves forward, from running weighted sums.

    Row t of a window of T rows (t = 0 oldest) has the raw weight a_t = 2^(−(T−1−t)/half_life)
    (``half_life=None``: a_t = 1). With the rows shifted by a constant row c (the window mean
    at the last full computation, so that the sums do not cancel) the updater keeps::

        S₁ = Σ_t a_t (x_t − c),   S₂ = Σ_t a_t (x_t − c)(x_t − c)ᵀ

    and returns, with S₀ = Σ_t a_t, Q = Σ_t a_t² and μ = S₁/S₀::

        Σ = (S₂/S₀ − μμᵀ) / (1 − Q/S₀²)

    which is :class:`SampleCovariance` (a_t = 1: (S₂ − Tμμᵀ)/(T − 1)) or
    :class:`EWMACovariance` (normalised weights w_t = a_t/S₀). When the next window is the
    previous one with its oldest m rows dropped and p rows appended (m + p ≥ 1), the sums are
    aged by 2^(−p/half_life), the p new rows added and the m old rows subtracted. The rows kept
    are compared bitwise with the previous window's; when they differ, when the update would
    touch more than half the window, or once as many rows have entered as the window holds
    (a full turnover, bounding the rounding drift), the sums are recomputed from the window.

    Parameters
    ----------
    half_life : float, optional
        Half-life of the weights in rows; ``None`` for equal weights.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(300, 3))
    >>> rolling = RollingCovariance()
    >>> first = rolling.covariance(x[0:250])
    >>> moved = rolling.covariance(x[5:255])          # 5 rows dropped, 5 added: an update
    >>> bool(np.allclose(moved, np.cov(x[5:255], rowvar=False), rtol=1e-12, atol=1e-15))
    True
    """

    def __init__(self, half_life: float | None = None) -> None:
        self.half_life = half_life
        self.reset()

    def reset(self) -> None:
        """Forget the previous window (the next call computes from scratch)."""
        self.window_: np.ndarray | None = None
        self.shift_: np.ndarray | None = None
        self.s1_: np.ndarray | None = None
        self.s2_: np.ndarray | None = None
        self.entered_ = 0
        self.updates_ = 0
        self.full_ = 0

    def _raw_weights(self, ages: np.ndarray) -> np.ndarray:
        if self.half_life is None:
            return np.ones(len(ages))
        return 0.5 ** (ages / float(self.half_life))

    def _from_scratch(self, x: np.ndarray) -> None:
        self.shift_ = x.mean(axis=0)
        y = x - self.shift_
        a = self._raw_weights(np.arange(x.shape[0] - 1, -1, -1, dtype=float))
        self.s1_ = a @ y
        self.s2_ = (y * a[:, None]).T @ y
        self.entered_ = 0
        self.full_ += 1

    def _dropped_rows(self, x: np.ndarray) -> int | None:
        """Rows m dropped from the top of the previous window, if ``x`` continues it."""
        previous = self.window_
        if previous is None or previous.shape[1] != x.shape[1] or not x.shape[1]:
            return None
        # the rows of the previous window equal to x's first row, in order: first compared on one column
        for m in np.flatnonzero(previous[:, 0] == x[0, 0]):
            kept = previous.shape[0] - int(m)
            # np.array_equal on blocks of one shape: elementwise ==, all
            if kept <= x.shape[0] and (previous[m] == x[0]).all() and (previous[m:] == x[:kept]).all():
                return int(m)
        return None

    def covariance(self, observations: np.ndarray) -> np.ndarray:
        """The covariance of the window ``observations`` (T × k, oldest row first)."""
        who = "the rolling covariance"
        x = _observations(observations, 2, who, finite=False)
        rows = x.shape[0]
        dropped = self._dropped_rows(x)
        previous_rows = 0 if self.window_ is None else self.window_.shape[0]
        added = rows - (previous_rows - dropped) if dropped is not None else rows
        incremental = (dropped is not None and dropped + added >= 1 and 2 * (dropped + added) <= rows
                       and self.entered_ + added < rows)
        # the rows kept equal the previous window's, checked finite when they entered: only the new ones are checked
        _check_finite(x[rows - added:] if incremental else x, who)
        if incremental:
            y_new = x[rows - added:] - self.shift_
            y_old = self.window_[:dropped] - self.shift_
            age = 1.0 if self.half_life is None else 0.5 ** (added / float(self.half_life))
            a_new = self._raw_weights(np.arange(added - 1, -1, -1, dtype=float))
            ages_old = np.arange(previous_rows - 1, previous_rows - 1 - dropped, -1, dtype=float) + added
            a_old = self._raw_weights(ages_old)
            self.s1_ = age * self.s1_ + a_new @ y_new - a_old @ y_old
            # age·S₂ + Σ a yyᵀ(new) − Σ a yyᵀ(old), accumulated in the new product's array (1·S₂ is S₂ itself)
            s2 = (y_new * a_new[:, None]).T @ y_new
            s2 += self.s2_ if age == 1.0 else age * self.s2_
            s2 -= (y_old * a_old[:, None]).T @ y_old
            self.s2_ = s2
            self.entered_ += added
            self.updates_ += 1
        else:
            self._from_scratch(x)
        self.window_ = x.copy()
        if self.half_life is None:  # a_t = 1: S₀ = Q = T, exactly the sums of the ones
            s0 = squares = float(rows)
        else:
            a = self._raw_weights(np.arange(rows - 1, -1, -1, dtype=float))
            s0, squares = float(a.sum()), float(np.sum(a * a))
        mean = self.s1_ / s0
        # Σ = (S₂/S₀ − μμᵀ)/(1 − Q/S₀²), symmetrised; in place on new arrays (the same operations, fewer allocations)
        covariance = self.s2_ / s0
        covariance -= mean[:, None] * mean[None, :]  # np.outer(mean, mean), without its wrapper
        covariance /= 1.0 - squares / s0**2
        symmetric = covariance + covariance.T
        symmetric /= 2.0
        return symmetric

    def __repr__(self) -> str:
        return f"RollingCovariance(half_life={self.half_life!r})"


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
