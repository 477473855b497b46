"""The jump-to-default limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.model._component import Constraint, check_limit
from cdshedge_cvx.model._lifting import ScipyForm

__all__ = ["JumpToDefaultLimit", "jump_to_default_per_cs01"]


def jump_to_default_per_cs01(data: Mapping[str, Any]) -> np.ndarray:
    """Reporting-currency mm gained by protection bought per unit of CS01 when one name defaults.

    notional per CS01 = 1 / (RPV01 · 1e-4); JTD = fx · notional · (1 − R) / n_names.
    """
    return (np.asarray(data["fx_rate"], dtype=float) * (1.0 - np.asarray(data["recovery"]))
            / np.asarray(data["n_names"]) / (np.asarray(data["rpv01"]) * 1e-4))


class JumpToDefaultLimit(Constraint):
    """Jump-to-default of the hedge: |Σ_i jtd_i · h_i| ≤ L ($mm, one name in each index).

    jtd_i = fx_i · (1 − R_i) / n_names_i / (RPV01_i · 1e-4), the $mm per unit CS01 a protection
    buyer gains when one name of index i defaults (RPV01 at the period's remaining maturity,
    EUR legs converted at the period's FX rate). ``L`` is a Parameter written at every ``update``.
    """

    requires = ("recovery", "n_names", "rpv01", "fx_rate")

    def __init__(self, max_jtd: float) -> None:
        self.max_jtd = max_jtd

    def setup(self, n: int) -> None:
        check_limit(self, "max_jtd", self.max_jtd)
        self.jtd_ = cp.Parameter(n, name="jtd_per_cs01")
        self.limit_ = cp.Parameter(nonneg=True, name="max_jtd")

    def update(self, data: Mapping[str, Any]) -> None:
        self.limit_.value = check_limit(self, "max_jtd", self.max_jtd)
        self.jtd_.value = jump_to_default_per_cs01(data)

    def constraints(self, h: cp.Variable) -> list[cp.Constraint]:
        return [cp.abs(self.jtd_ @ h) <= self.limit_]

    def violation(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        return float(max(0.0, abs(float(jump_to_default_per_cs01(data) @ h)) - self.max_jtd))

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm:
        """jtd · h ≤ L and −jtd · h ≤ L."""
        jtd = jump_to_default_per_cs01(data)
        return ScipyForm.linear_limit(np.vstack([jtd, -jtd]), np.array([self.max_jtd, self.max_jtd], dtype=float))
