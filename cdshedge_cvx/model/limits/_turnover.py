"""The turnover limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.model._component import Constraint, check_limit
from cdshedge_cvx.model._lifting import ScipyForm

__all__ = ["TurnoverLimit"]


class TurnoverLimit(Constraint):
    """Turnover: Σ_i |h_i − h_prev,i| ≤ T ($mm/bp traded per period); ``T`` is a Parameter written at ``update``."""

    requires = ("h_prev",)

    def __init__(self, max_turnover: float) -> None:
        self.max_turnover = max_turnover

    def setup(self, n: int) -> None:
        check_limit(self, "max_turnover", self.max_turnover)
        self.prev_ = cp.Parameter(n, name="h_prev")
        self.limit_ = cp.Parameter(nonneg=True, name="max_turnover")

    def update(self, data: Mapping[str, Any]) -> None:
        self.limit_.value = check_limit(self, "max_turnover", self.max_turnover)
        self.prev_.value = np.asarray(data["h_prev"], dtype=float)

    def constraints(self, h: cp.Variable) -> list[cp.Constraint]:
        return [cp.sum(cp.abs(h - self.prev_)) <= self.limit_]

    def violation(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        return float(max(0.0, np.sum(np.abs(np.asarray(h) - data["h_prev"])) - self.max_turnover))

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm:
        """Σ_i t_i ≤ T with t_i ≥ |h_i − h_prev,i|."""
        return ScipyForm.abs_sum_limit(np.asarray(data["h_prev"], dtype=float), self.max_turnover)
