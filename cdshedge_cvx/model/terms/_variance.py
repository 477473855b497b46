"""The variance penalty: the risk of the hedged book."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.errors import SpecificationError
from cdshedge_cvx.model._component import Term
from cdshedge_cvx.model._values import set_value
from cdshedge_cvx.periods._period_data import PeriodData
from cdshedge_cvx.risk._estimators import CovarianceEstimator, get_estimator
from cdshedge_cvx.risk._factor import FactorCovariance

if TYPE_CHECKING:
    from cdshedge_cvx.credit._conventions import Conventions

__all__ = ["VariancePenalty", "covariance_root"]


#: Products Σv per period the numpy twin computes from the estimator's factor before forming Σ.
_FACTOR_USES = 4

def covariance_root(covariance: np.ndarray) -> np.ndarray:
    """A square factor R with RᵀR = Σ.

    A PSD Σ is zero in the row and column of a zero diagonal entry (a series that does not
    move), so only the block of the series that move is factored (thousands of flat instruments
    stay cheap): by Cholesky (Σ = LLᵀ, R = Lᵀ) when that block is positive definite, otherwise
    (a window shorter than the number of variables, collinear series) by the eigen-root
    R = diag(√max(λ, 0)) Vᵀ of Σ = V diag(λ) Vᵀ, which clips the tiny negative eigenvalues
    rounding leaves in a singular covariance.
    """
    root = np.zeros_like(covariance)
    active = np.flatnonzero(np.diag(covariance) > 0)
    if not active.size:
        return root
    block = covariance if active.size == covariance.shape[0] else covariance[np.ix_(active, active)]
    try:
        factor = np.linalg.cholesky(block).T
    except np.linalg.LinAlgError:
        eigenvalues, eigenvectors = np.linalg.eigh(block)
        factor = np.sqrt(np.clip(eigenvalues, 0.0, None))[:, None] * eigenvectors.T
    if active.size == covariance.shape[0]:
        return factor
    root[np.ix_(active, active)] = factor
    return root


class VariancePenalty(Term):
    """Variance of the hedged book over the period (convex: subtract it).

    Var(h) = γ · T · [1, hᵀ] Σ [1, hᵀ]ᵀ, with Σ the daily covariance of
    (desk PnL, pnl_scale · fx · Δs) from ``estimator`` on ``risk_desk_pnl``/``risk_changes``
    and T = ``horizon_rows``. DPP-safe: the Parameters are the factor R (Σ = RᵀR, from
    :func:`covariance_root`: Cholesky, or the eigen-root when Σ is singular) and the expression
    is ``sum_squares(A h + b)`` with A = √(γT)·R[:, 1:], b = √(γT)·R[:, 0]; γ enters through
    the Parameter values, so changing it never recompiles. In a walk-forward backtest the
    trailing-window covariance of the sample and EWMA estimators is updated from the previous
    period's (:class:`~cdshedge_cvx.risk.RollingCovariance`); :meth:`value` (the numpy
    twin the scipy cross-check uses) always estimates from scratch.

    Parameters
    ----------
    gamma : float
        Weight γ ≥ 0 ($mm of objective per $mm² of variance). ``5 * VariancePenalty()`` is
        ``VariancePenalty(gamma=5)``.
    estimator : str or CovarianceEstimator
        ``"sample"`` (default), ``"ewma"``, ``"ledoit-wolf"`` or an estimator object such as
        ``EWMACovariance(half_life=20)`` (see :mod:`cdshedge_cvx.estimators`).

    Notes
    -----
    With no other term and limits that do not bind, maximising ``-VariancePenalty()`` gives
    pnl_scale · h = −β, β the OLS slopes (with intercept) of desk PnL on the spread changes
    under the estimator's weights: the minimum-variance hedge.
    """

    keyword = "variance"
    description = ("the risk: γ × the variance of the hedged book (desk + hedge) over the period, estimated "
                   "from past daily data")
    requires = ("risk_changes", "risk_desk_pnl", "horizon_rows", "pnl_scale", "fx_rate")
    weight_param = "gamma"

    def __init__(self, gamma: float = 1.0, estimator: str | CovarianceEstimator = "sample") -> None:
        self.gamma = gamma
        self.estimator = estimator

    def _covariance(self, data: Mapping[str, Any]) -> np.ndarray:
        """Σ of (desk, pnl_scale·fx·Δs) from the estimator, computed from scratch (numpy twin).

        Remembered for the last :class:`~cdshedge_cvx.periods.PeriodData` seen (immutable), so the
        scipy cross-check's many evaluations of :meth:`value`/:meth:`gradient` estimate it once
        per period; any other mapping is estimated afresh on every call.
        """
        cached = getattr(self, "twin_cache_", None)
        if cached is not None and cached[0] is data:
            return cached[1]
        scale = data["pnl_scale"] * np.asarray(data["fx_rate"], dtype=float)
        observations = np.column_stack([np.asarray(data["risk_desk_pnl"], dtype=float),
                                        scale * np.asarray(data["risk_changes"], dtype=float)])
        covariance = get_estimator(self.estimator).covariance(observations)
        if isinstance(data, PeriodData):
            self.twin_cache_ = (data, covariance)
        return covariance

    def _tracked_covariance(self, data: Mapping[str, Any]) -> np.ndarray:
        """The same Σ, updated from the previous period's window when the estimator allows it.

        The running sums are kept on the unscaled (desk PnL, Δs) rows, which do not change
        from one period to the next, and scaled afterwards: Σ = D Σ_raw D with
        D = diag(1, pnl_scale·fx) (the sample and EWMA covariances are equivariant under it).
        """
        if self.rolling_ is None:
            return self._covariance(data)
        raw = np.column_stack([np.asarray(data["risk_desk_pnl"], dtype=float),
                               np.asarray(data["risk_changes"], dtype=float)])
        scale = np.concatenate([[1.0], data["pnl_scale"] * np.asarray(data["fx_rate"], dtype=float)])
        covariance = self.rolling_.covariance(raw)
        covariance *= scale[:, None] * scale[None, :]  # by np.outer(scale, scale); a new array: scaled in place
        return covariance

    def _check_gamma(self) -> None:
        if self.gamma < 0 or not np.isfinite(self.gamma):
            raise SpecificationError(f"VariancePenalty: gamma must be finite and >= 0, got {self.gamma}")

    def _factor_model(self) -> FactorCovariance | None:
        estimator = get_estimator(self.estimator)
        return estimator if isinstance(estimator, FactorCovariance) else None

    def setup(self, n: int) -> None:
        self._check_gamma()
        factor = self._factor_model()
        rows = n + 1 if factor is None else factor.rows(n + 1)
        self.A_ = cp.Parameter((rows, n), name="VariancePenalty.A")
        self.b_ = cp.Parameter(rows, name="VariancePenalty.b")
        if factor is not None:  # low rank plus diagonal: ‖B_hᵀh + B_0‖² + Σ δ_i h_i² + δ_0
            self.s_ = cp.Parameter(n, nonneg=True, name="VariancePenalty.sqrt_delta")
            self.c_ = cp.Parameter(nonneg=True, name="VariancePenalty.delta0")
        self.rolling_ = get_estimator(self.estimator).rolling()

    def reset(self) -> None:
        if self.rolling_ is not None:
            self.rolling_.reset()

    def update(self, data: Mapping[str, Any]) -> None:
        self._check_gamma()
        factor = self._factor_model()
        if factor is not None:
            scale = data["pnl_scale"] * np.asarray(data["fx_rate"], dtype=float)
            observations = np.column_stack([np.asarray(data["risk_desk_pnl"], dtype=float),
                                            scale * np.asarray(data["risk_changes"], dtype=float)])
            loadings, idiosyncratic = factor.factors(observations)
            weight = self.gamma * data["horizon_rows"]
            set_value(self.A_, np.sqrt(weight) * loadings[1:].T)
            set_value(self.b_, np.sqrt(weight) * loadings[0])
            self.s_.value = np.sqrt(weight * idiosyncratic[1:])
            self.c_.value = float(weight * idiosyncratic[0])
            self.gram_ = None
            self.factors_ = (weight, loadings, idiosyncratic)
            return
        covariance = self._tracked_covariance(data)
        root = covariance_root(covariance)
        weight = self.gamma * data["horizon_rows"]
        scale = np.sqrt(weight)
        set_value(self.A_, scale * root[:, 1:], copy=False)  # new arrays: stored without a second copy
        set_value(self.b_, scale * root[:, 0], copy=False)
        self.gram_ = weight * covariance

    def quadratic_form(self) -> tuple[np.ndarray, np.ndarray, float]:
        """(G, g, β) = γT·(Σ_hh, Σ_h0, Σ_00) from the covariance whose factor fills ``A_``, ``b_``
        (so hᵀGh + 2gᵀh + β = ‖A h + b‖² up to rounding; no matrix product needed)."""
        gram = self.gram_
        if gram is None:  # a factor model: built only when the (small-n) direct QP path asks for it
            weight, loadings, idiosyncratic = self.factors_
            gram = weight * (loadings @ loadings.T + np.diag(idiosyncratic))
        return gram[1:, 1:], gram[1:, 0], float(gram[0, 0])

    def expr(self, h: cp.Variable) -> cp.Expression:
        if getattr(self, "s_", None) is not None:
            return cp.sum_squares(self.A_ @ h + self.b_) + cp.sum_squares(cp.multiply(self.s_, h)) + self.c_
        return cp.sum_squares(self.A_ @ h + self.b_)

    def formula(self, conventions: Conventions) -> str:
        return "γ · T · variance of one day's (desk PnL + Σᵢ fxᵢ·Δsᵢ·hᵢ), T = observations in the period"

    def _times_covariance(self, v: np.ndarray, data: Mapping[str, Any]) -> np.ndarray:
        """Σv for the numpy twin, Σ estimated from scratch from the period's window.

        Per period (a :class:`~cdshedge_cvx.periods.PeriodData`, remembered as in :meth:`_covariance`) the
        estimator's row weights (Σ = Σ_t w_t (x_t − x̄)(x_t − x̄)ᵀ / d, :meth:`CovarianceEstimator.row_weights`:
        sample and EWMA) give Σv = Xᵀ(w ∘ (Xv − x̄·v)) / d in O(Tk) from the window's own arrays (X = [desk PnL,
        scaled changes], never formed), else its factor F (FᵀF = Σ,
        :meth:`CovarianceEstimator.covariance_factor`) gives Fᵀ(Fv), for the first ``_FACTOR_USES`` products
        (the warm certificate's one or two); Σ itself, O(Tk²) once, for more (a cold re-solve evaluates
        hundreds). Estimators with neither form Σ at once.
        The last product is remembered: the value and the gradient at the same hedge share it.
        """
        cached = getattr(self, "twin_factor_", None)
        if cached is not None and cached[0] is data:
            entry = cached[1]
        else:
            desk = np.asarray(data["risk_desk_pnl"], dtype=float)
            changes = np.asarray(data["risk_changes"], dtype=float)
            scale = data["pnl_scale"] * np.asarray(data["fx_rate"], dtype=float)
            estimator = get_estimator(self.estimator)
            weights = estimator.row_weights(desk.shape[0]) if changes.ndim == 2 else None
            factor = None
            if weights is None:
                factor = estimator.covariance_factor(np.column_stack([desk, scale * changes]))
            entry = {"factor": factor, "weights": weights, "rows": (desk, changes, scale), "uses": 0}
            if isinstance(data, PeriodData):
                self.twin_factor_ = (data, entry)
        if entry["uses"] >= _FACTOR_USES or (entry["factor"] is None and entry["weights"] is None):
            entry["uses"] += 1
            return self._covariance(data) @ v  # a cold re-solve's hundreds of products: Σ formed once
        last = entry.get("last")
        if last is not None and np.array_equal(last[0], v):
            return last[1].copy()  # the value and the gradient at one hedge (the certificate's): one product
        entry["uses"] += 1
        if entry["weights"] is not None:  # Σv = Xᵀ(w ∘ (Xv − x̄·v)) / d with X = [desk, scale·changes]
            w, d = entry["weights"]
            desk, changes, scale = entry["rows"]
            xv = desk * v[0] + changes @ (scale * v[1:])
            r = w * (xv - w @ xv) / d
            product = np.concatenate([[desk @ r], scale * (r @ changes)])
        else:
            factor = entry["factor"]
            product = factor.T @ (factor @ v)
        entry["last"] = (v.copy(), product.copy())
        return product

    def value(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        v = np.concatenate([[1.0], np.asarray(h, dtype=float)])
        return float(self.gamma * data["horizon_rows"] * v @ self._times_covariance(v, data))

    def gradient(self, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray:
        v = np.concatenate([[1.0], np.asarray(h, dtype=float)])
        return 2.0 * self.gamma * data["horizon_rows"] * self._times_covariance(v, data)[1:]
