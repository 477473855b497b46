"""The roll-date cost term."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.errors import SpecificationError
from cdshedge_cvx.model._component import Term
from cdshedge_cvx.model._lifting import ScipyForm

if TYPE_CHECKING:
    from cdshedge_cvx.credit._conventions import Conventions

__all__ = ["RollDateCost"]


class RollDateCost(Term):
    """Cost of rolling a position into the new series on the index roll dates (subtract it).

    rollcost = Σ_i multiplier · fx_i · bid_ask_i(bp) · roll_count_i · |h_i|   ($mm)

    ``roll_count_i`` is the number of roll dates of instrument ``i`` inside the period
    (20 March / 20 September, moved to a business day and lagged by ``roll_lag_days``; CDX HY
    about a week later), so a position held across a roll pays it. Rolling is two trades (sell
    the old series, buy the new one), each paying half the bid/ask: one full bid/ask per unit
    of CS01 rolled. Example: 0.25 $mm/bp of CDX IG (bid/ask 0.5 bp) held across the March roll
    pays 0.25 × 0.5 = $0.125mm. The roll is charged on the period's holding ``h``, whatever
    was held before.

    DPP form: c · |h| with c = multiplier · fx · bid_ask · roll_count ≥ 0 a Parameter.

    Parameters
    ----------
    multiplier : float
        Scales the bid/ask paid on the roll (e.g. 0.5 if the roll trades at half the outright
        bid/ask).
    """

    keyword = "rollcost"
    description = "the bid/ask paid to roll the hedge into the new series on the index roll dates"
    requires = ("bid_ask_bp", "roll_count", "fx_rate")
    weight_param = "multiplier"

    def __init__(self, multiplier: float = 1.0) -> None:
        self.multiplier = multiplier

    def _check_multiplier(self) -> None:
        if self.multiplier < 0 or not np.isfinite(self.multiplier):
            raise SpecificationError(f"RollDateCost: multiplier must be finite and >= 0, got {self.multiplier}")

    def cost_per_cs01(self, data: Mapping[str, Any]) -> np.ndarray:
        """c_i = multiplier · fx_i · bid_ask_i · roll_count_i ($mm per $mm/bp held), as ``update`` writes it."""
        return (self.multiplier * np.asarray(data["fx_rate"], dtype=float)
                * np.asarray(data["bid_ask_bp"], dtype=float) * np.asarray(data["roll_count"], dtype=float))

    def setup(self, n: int) -> None:
        self._check_multiplier()
        self.c_ = cp.Parameter(n, nonneg=True, name="RollDateCost.c")

    def update(self, data: Mapping[str, Any]) -> None:
        self._check_multiplier()
        self.c_.value = self.cost_per_cs01(data)

    def expr(self, h: cp.Variable) -> cp.Expression:
        return self.c_ @ cp.abs(h)

    # numpy twin: one full bid/ask per roll date crossed, written again without cost_per_cs01()
    def _per_cs01_held(self, data: Mapping[str, Any]) -> np.ndarray:
        fx = np.asarray(data["fx_rate"], dtype=float)
        rolls = np.asarray(data["roll_count"], dtype=float)
        return self.multiplier * fx * np.asarray(data["bid_ask_bp"], dtype=float) * rolls

    def contributions(self, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray:
        return self._per_cs01_held(data) * np.abs(np.asarray(h, dtype=float))

    def value(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        return float(np.sum(self.contributions(h, data)))

    def gradient(self, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray:
        """c · sign(h), with the right derivative +c at h = 0 (a subgradient; on the usual
        box h ≥ 0 it is the exact derivative inside the box, which keeps the scipy
        cross-check from stalling at the kink)."""
        return self._per_cs01_held(data) * np.where(np.asarray(h, dtype=float) >= 0.0, 1.0, -1.0)

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm:
        """Σ_i c_i · t_i with t_i ≥ |h_i| (smooth for scipy)."""
        c = self._per_cs01_held(data)
        return ScipyForm.abs_sum(np.zeros_like(c), c)

    def formula(self, conventions: Conventions) -> str:
        return "multiplier · Σᵢ fxᵢ · bid/askᵢ(bp) · roll datesᵢ in the period · |hᵢ|"
