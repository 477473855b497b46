"""The gross CS01 limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.model._component import Constraint, check_limit
from cdshedge_cvx.model._lifting import ScipyForm

__all__ = ["GrossLimit"]


class GrossLimit(Constraint):
    """Gross CS01: Σ_i |h_i| ≤ G ($mm/bp).

    ``G`` is a Parameter written at every ``update``: changing ``max_gross`` on a compiled
    problem's limit takes effect at the next period without recompiling.
    """

    def __init__(self, max_gross: float) -> None:
        self.max_gross = max_gross

    def setup(self, n: int) -> None:
        check_limit(self, "max_gross", self.max_gross)
        self.limit_ = cp.Parameter(nonneg=True, name="max_gross")

    def update(self, data: Mapping[str, Any]) -> None:
        self.limit_.value = check_limit(self, "max_gross", self.max_gross)

    def constraints(self, h: cp.Variable) -> list[cp.Constraint]:
        return [cp.sum(cp.abs(h)) <= self.limit_]

    def violation(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        return float(max(0.0, np.sum(np.abs(h)) - self.max_gross))

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm:
        """Σ_i t_i ≤ G with t_i ≥ |h_i|."""
        return ScipyForm.abs_sum_limit(np.zeros(int(data["n"])), self.max_gross)
