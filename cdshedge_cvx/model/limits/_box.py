"""The per-instrument CS01 box."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.model._component import Constraint
from cdshedge_cvx.model._values import set_value

__all__ = ["BoxLimits"]


class BoxLimits(Constraint):
    """Per-instrument CS01 box: cs01_min_i ≤ h_i ≤ cs01_max_i ($mm/bp).

    Shadow price per instrument: λ_upper,i − λ_lower,i, the change of the optimum when the
    box of instrument i is shifted up by one unit (only the binding side is non-zero).
    """

    requires = ("cs01_min", "cs01_max")

    def setup(self, n: int) -> None:
        self.lower_ = cp.Parameter(n, name="cs01_min")
        self.upper_ = cp.Parameter(n, name="cs01_max")

    def update(self, data: Mapping[str, Any]) -> None:
        set_value(self.lower_, data["cs01_min"])
        set_value(self.upper_, data["cs01_max"])

    def constraints(self, h: cp.Variable) -> list[cp.Constraint]:
        self.lower_con_ = h >= self.lower_
        self.upper_con_ = h <= self.upper_
        return [self.lower_con_, self.upper_con_]

    def violation(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        h = np.asarray(h, dtype=float)
        return float(max(0.0, np.max(data["cs01_min"] - h), np.max(h - data["cs01_max"])))

    def shadow_price(self) -> np.ndarray:
        lower, upper = self.lower_con_.dual_value, self.upper_con_.dual_value
        if lower is None or upper is None:
            return np.full(self.lower_.shape, np.nan)
        return np.asarray(upper, dtype=float) - np.asarray(lower, dtype=float)
