"""The hedge PnL term."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from cdshedge_cvx.model.terms._base import LinearTerm, convention_formulas

if TYPE_CHECKING:
    from cdshedge_cvx.credit._conventions import Conventions

__all__ = ["HedgePnL"]


class HedgePnL(LinearTerm):
    """Hedge PnL over the period: pnl_scale · Σ_i fx_i · E[Δs_i] · h_i.

    ``E[Δs]`` is ``expected_change``: the realised total change in hindsight, the forecast
    (zero by default) in walk-forward. Market: Δs(bp) · h($mm/bp) = $mm; seed: × 0.01.
    Protection bought (h > 0) gains when spreads widen. Example (market): 0.25 $mm/bp of
    CDX IG over a period in which the spread widens 6 bp gains 6 × 0.25 = $1.5mm.
    """

    keyword = "pnl"
    description = ("the PnL the hedge is expected to make from spread moves over the period (in walk-forward "
                   "without a forecast the expected move is zero, so this term is zero)")
    requires = ("expected_change", "pnl_scale", "fx_rate")

    def coefficients(self, data: Mapping[str, Any]) -> np.ndarray:
        return (data["pnl_scale"] * np.asarray(data["fx_rate"], dtype=float)
                * np.asarray(data["expected_change"], dtype=float))

    def twin_coefficients(self, data: Mapping[str, Any]) -> np.ndarray:
        fx = np.asarray(data["fx_rate"], dtype=float)
        change = np.asarray(data["expected_change"], dtype=float)  # bp over the period
        return data["pnl_scale"] * fx * change

    def formula(self, conventions: Conventions) -> str:
        return (f"Σᵢ fxᵢ · ({convention_formulas(conventions).get('hedge PnL', 'Δs(bp)·h')}) "
                "with Δs the expected spread change")
