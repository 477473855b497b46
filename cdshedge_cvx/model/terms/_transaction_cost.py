"""The transaction-cost term."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.model._component import Term, check_limit
from cdshedge_cvx.model._lifting import ScipyForm

if TYPE_CHECKING:
    from cdshedge_cvx.credit._conventions import Conventions

__all__ = ["TransactionCost"]


class TransactionCost(Term):
    """Cost of trading from the previous holdings (subtract it).

    tcost = multiplier · Σ_i ½ · fx_i · bid_ask_i(bp) · |h_i − h_prev,i|   ($mm, CS01 traded × half the spread)

    DPP form: Σ |c ⊙ h − c ⊙ h_prev| with c = ½·multiplier·fx·bid_ask ≥ 0 and c ⊙ h_prev as Parameters.

    Parameters
    ----------
    multiplier : float
        Scales the bid/ask (1 = the instruments' typical bid/ask).
    """

    keyword = "tcost"
    description = "half the bid/ask paid on every change of the hedge"
    requires = ("bid_ask_bp", "h_prev", "fx_rate")
    weight_param = "multiplier"

    def __init__(self, multiplier: float = 1.0) -> None:
        self.multiplier = multiplier

    def setup(self, n: int) -> None:
        self.c_ = cp.Parameter(n, nonneg=True, name="TransactionCost.c")
        self.c_prev_ = cp.Parameter(n, name="TransactionCost.c_prev")

    def update(self, data: Mapping[str, Any]) -> None:
        multiplier = check_limit(self, "multiplier", self.multiplier)
        c = 0.5 * multiplier * np.asarray(data["fx_rate"], dtype=float) * np.asarray(data["bid_ask_bp"], dtype=float)
        self.c_.value = c
        self.c_prev_.value = c * np.asarray(data["h_prev"], dtype=float)

    def expr(self, h: cp.Variable) -> cp.Expression:
        return cp.sum(cp.abs(cp.multiply(self.c_, h) - self.c_prev_))

    # numpy twin: the cost per unit of CS01 traded, written again without update()'s code
    def _half_spread(self, data: Mapping[str, Any]) -> np.ndarray:
        fx = np.asarray(data["fx_rate"], dtype=float)
        return 0.5 * self.multiplier * fx * np.asarray(data["bid_ask_bp"], dtype=float)

    def contributions(self, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray:
        traded = np.abs(np.asarray(h, dtype=float) - np.asarray(data["h_prev"], dtype=float))
        return self._half_spread(data) * traded

    def value(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        return float(np.sum(self.contributions(h, data)))

    def gradient(self, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray:
        return self._half_spread(data) * np.sign(np.asarray(h) - np.asarray(data["h_prev"]))

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm:
        """Σ_i c_i · t_i with t_i ≥ |h_i − h_prev,i| (smooth for scipy)."""
        return ScipyForm.abs_sum(np.asarray(data["h_prev"], dtype=float), self._half_spread(data))

    def formula(self, conventions: Conventions) -> str:
        return "multiplier · Σᵢ ½ · fxᵢ · bid/askᵢ(bp) · |hᵢ − previous hᵢ|"
