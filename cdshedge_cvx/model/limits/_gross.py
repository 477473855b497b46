"""The gross CS01 limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.model._component import Constraint, check_limit
from cdshedge_cvx.model._lifting import ScipyForm
from cdshedge_cvx.model.limits._currency import reporting_weights

__all__ = ["GrossLimit"]


class GrossLimit(Constraint):
    """Gross CS01 in the reporting currency: Σ_i fx_i · |h_i| ≤ G (mm of the reporting currency per bp).

    ``fx_i`` is instrument i's FX rate at the decision date (1 in the reporting currency, and for
    all when the universe has one currency). Without an FX series, CS01 of several currencies
    cannot be added: refused unless ``allow_mixed_currency=True`` (then fx_i = 1). ``G`` and the
    rates are Parameters written at every ``update``: changing ``max_gross`` on a compiled
    problem's limit takes effect at the next period without recompiling.
    """

    #: without an FX series, CS01 of several currencies: True adds them unconverted; None (the
    #: default) and False refuse (see :mod:`cdshedge_cvx.model.limits._currency`)
    allow_mixed_currency: bool | None = None
    requires = ("n", "fx_rate", "amount_currency", "instruments", "reporting_currency")

    def __init__(self, max_gross: float, allow_mixed_currency: bool | None = None) -> None:
        self.max_gross = max_gross
        if allow_mixed_currency is not None:  # shown in the repr only when said
            self.allow_mixed_currency = bool(allow_mixed_currency)

    def setup(self, n: int) -> None:
        check_limit(self, "max_gross", self.max_gross)
        self.limit_ = cp.Parameter(nonneg=True, name="max_gross")
        self.fx_ = cp.Parameter(n, nonneg=True, name="gross_fx", value=np.ones(n))

    def update(self, data: Mapping[str, Any]) -> None:
        self.limit_.value = check_limit(self, "max_gross", self.max_gross)
        self.fx_.value = reporting_weights(self, data, self.fx_.shape[0])

    def constraints(self, h: cp.Variable) -> list[cp.Constraint]:
        return [cp.sum(cp.abs(cp.multiply(self.fx_, h))) <= self.limit_]

    def violation(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        fx = reporting_weights(self, data, np.size(h))
        return float(max(0.0, np.sum(np.abs(fx * h)) - self.max_gross))

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm:
        """Σ_i t_i ≤ G with t_i ≥ |fx_i h_i|."""
        n = int(data["n"])
        return ScipyForm(n=n, A=np.diag(reporting_weights(self, data, n)), b=np.zeros(n), G_t=np.ones((1, n)),
                         g=np.array([float(self.max_gross)]))
