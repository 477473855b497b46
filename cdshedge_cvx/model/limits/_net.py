"""The net CS01 limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.errors import SpecificationError
from cdshedge_cvx.model._component import Constraint
from cdshedge_cvx.model._lifting import ScipyForm

__all__ = ["NetLimit"]


class NetLimit(Constraint):
    """Net CS01: lower ≤ Σ_i h_i ≤ upper ($mm/bp); ``None`` leaves a side open.

    Each side given when the problem is built is a Parameter written at every ``update`` (change
    ``lower``/``upper`` on a compiled problem's limit without recompiling); a side left open
    stays open until the problem is built again.
    """

    def __init__(self, lower: float | None = None, upper: float | None = None) -> None:
        self.lower = lower
        self.upper = upper

    def _check(self) -> None:
        if self.lower is None and self.upper is None:
            raise SpecificationError("NetLimit needs a lower or an upper bound")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise SpecificationError(f"NetLimit: lower {self.lower} > upper {self.upper}")

    def setup(self, n: int) -> None:
        self._check()
        self.sides_ = (self.lower is not None, self.upper is not None)
        self.lower_ = cp.Parameter(name="net_lower")
        self.upper_ = cp.Parameter(name="net_upper")

    def update(self, data: Mapping[str, Any]) -> None:
        self._check()
        sides = (self.lower is not None, self.upper is not None)
        if sides != self.sides_:
            built = " and ".join(name for name, given in zip(("lower", "upper"), self.sides_) if given)
            raise SpecificationError(f"{self!r}: the problem was built with only the {built} side; build it "
                                     "again to open or close a side")
        self.lower_.value = float(self.lower) if self.lower is not None else 0.0
        self.upper_.value = float(self.upper) if self.upper is not None else 0.0

    def constraints(self, h: cp.Variable) -> list[cp.Constraint]:
        out = []
        if self.sides_[0]:
            out.append(cp.sum(h) >= self.lower_)
        if self.sides_[1]:
            out.append(cp.sum(h) <= self.upper_)
        return out

    def violation(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        total = float(np.sum(h))
        lo = -np.inf if self.lower is None else self.lower
        hi = np.inf if self.upper is None else self.upper
        return float(max(0.0, lo - total, total - hi))

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm:
        """1ᵀh ≤ upper and −1ᵀh ≤ −lower."""
        ones = np.ones(int(data["n"]))
        rows, bounds = [], []
        if self.upper is not None:
            rows.append(ones)
            bounds.append(float(self.upper))
        if self.lower is not None:
            rows.append(-ones)
            bounds.append(-float(self.lower))
        return ScipyForm.linear_limit(np.array(rows), np.array(bounds))

    def shadow_price(self) -> float:
        duals = [c.dual_value for c in self.built_]
        if any(d is None for d in duals):
            return float("nan")
        # sign: relaxing the upper bound (+) and the lower bound (−) by one unit
        signs = ([-1.0] if self.sides_[0] else []) + ([1.0] if self.sides_[1] else [])
        return float(sum(s * float(d) for s, d in zip(signs, duals)))
