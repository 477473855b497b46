"""The ridge penalty: an L2 regulariser of the hedge ratios."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.model._component import Term, check_limit

if TYPE_CHECKING:
    from cdshedge_cvx.credit._conventions import Conventions

__all__ = ["RidgePenalty"]


class RidgePenalty(Term):
    """L2 penalty on the hedge (convex: subtract it): λ · Σ_i h_i².

    Shrinks the hedge towards zero, the more so the larger λ ($mm of objective per ($mm/bp)²).
    With a linear objective c · h minus this penalty and a box that does not bind, the optimum
    is h_i = c_i / (2λ); with a box, h_i = clip(c_i / (2λ), cs01_min_i, cs01_max_i).

    DPP form: λ · sum_squares(h) with λ a non-negative Parameter written at ``update``, so
    changing ``lam`` on a compiled problem never recompiles. Its quadratic form
    (G, g, β) = (λ I, 0, 0) lets OSQP solve ``pnl - ridge`` directly.

    Parameters
    ----------
    lam : float
        Weight λ ≥ 0. ``0.1 * RidgePenalty()`` is ``RidgePenalty(lam=0.1)``.
    """

    keyword = "ridge"
    description = "an L2 penalty that shrinks the hedge ratios towards zero"
    weight_param = "lam"

    def __init__(self, lam: float = 1.0) -> None:
        self.lam = lam

    def setup(self, n: int) -> None:
        check_limit(self, "lam", self.lam)
        self.lam_ = cp.Parameter(nonneg=True, name="RidgePenalty.lam")
        self.n_ = n

    def update(self, data: Mapping[str, Any]) -> None:
        self.lam_.value = check_limit(self, "lam", self.lam)

    def expr(self, h: cp.Variable) -> cp.Expression:
        return self.lam_ * cp.sum_squares(h)

    def quadratic_form(self) -> tuple[np.ndarray, np.ndarray, float]:
        """(λ I, 0, 0) at the λ last written by ``update``."""
        return float(self.lam_.value) * np.eye(self.n_), np.zeros(self.n_), 0.0

    def contributions(self, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray:
        return self.lam * np.asarray(h, dtype=float) ** 2

    def value(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        return float(np.sum(self.contributions(h, data)))

    def gradient(self, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray:
        return 2.0 * self.lam * np.asarray(h, dtype=float)

    def formula(self, conventions: Conventions) -> str:
        return "λ · Σᵢ hᵢ²"
