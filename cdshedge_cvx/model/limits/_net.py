"""The net CS01 limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.errors import SpecificationError
from cdshedge_cvx.model._component import Constraint
from cdshedge_cvx.model._lifting import ScipyForm
from cdshedge_cvx.model.limits._currency import reporting_weights

__all__ = ["NetLimit"]


class NetLimit(Constraint):
    """Net CS01 in the reporting currency: lower ≤ Σ_i fx_i · h_i ≤ upper (mm of the reporting
    currency per bp); ``None`` leaves a side open.

    ``fx_i`` as in :class:`GrossLimit` (mixing currencies without FX is refused unless
    ``allow_mixed_currency=True``).

    Each side given when the problem is built is a Parameter written at every ``update`` (change
    ``lower``/``upper`` on a compiled problem's limit without recompiling); a side left open
    stays open until the problem is built again.
    """

    #: without an FX series, CS01 of several currencies: True adds them unconverted; None (the
    #: default) and False refuse (see :mod:`cdshedge_cvx.model.limits._currency`)
    allow_mixed_currency: bool | None = None
    requires = ("n", "fx_rate", "amount_currency", "instruments", "reporting_currency")

    def __init__(self, lower: float | None = None, upper: float | None = None,
                 allow_mixed_currency: bool | None = None) -> None:
        self.lower = lower
        self.upper = upper
        if allow_mixed_currency is not None:  # shown in the repr only when said
            self.allow_mixed_currency = bool(allow_mixed_currency)

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
        self.fx_ = cp.Parameter(n, nonneg=True, name="net_fx", value=np.ones(n))

    def update(self, data: Mapping[str, Any]) -> None:
        self._check()
        sides = (self.lower is not None, self.upper is not None)
        if sides != self.sides_:
            built = " and ".join(name for name, given in zip(("lower", "upper"), self.sides_) if given)
            raise SpecificationError(f"{self!r}: the problem was built with only the {built} side; build it "
                                     "again to open or close a side")
        self.lower_.value = float(self.lower) if self.lower is not None else 0.0
        self.upper_.value = float(self.upper) if self.upper is not None else 0.0
        self.fx_.value = reporting_weights(self, data, self.fx_.shape[0])

    def constraints(self, h: cp.Variable) -> list[cp.Constraint]:
        out = []
        total = self.fx_ @ h
        if self.sides_[0]:
            out.append(total >= self.lower_)
        if self.sides_[1]:
            out.append(total <= self.upper_)
        return out

    def violation(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        total = float(reporting_weights(self, data, np.size(h)) @ np.asarray(h, dtype=float))
        lo = -np.inf if self.lower is None else self.lower
        hi = np.inf if self.upper is None else self.upper
        return float(max(0.0, lo - total, total - hi))

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm:
        """fxᵀh ≤ upper and −fxᵀh ≤ −lower."""
        ones = reporting_weights(self, data, int(data["n"]))
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
