"""The roll-down term."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from cdshedge_cvx.credit._conventions import year_fraction
from cdshedge_cvx.model.terms._base import LinearTerm, convention_formulas

if TYPE_CHECKING:
    from cdshedge_cvx.credit._conventions import Conventions

__all__ = ["Roll"]


class Roll(LinearTerm):
    """Roll-down cost of protection bought (subtract it).

    roll_i = roll_scale · fx_i · fraction_i · s_i · accrual · h_i

    The spread of a contract held rolls down the curve by about ``fraction × s`` per year as
    it ages; protection bought loses that. Market: fraction (per year, the instrument's
    ``roll_fraction``, default 0.2) × spread (bp) × calendar days/365 × h ($mm/bp) = $mm. Seed:
    h · s · 0.2 · rows/252 · 1e-4 (the prototype's stray 1e-4). Scale, fraction and day count
    come from ``data["conventions"]``.
    """

    keyword = "roll"
    description = "roll-down: protection bought loses value as the contract ages and its spread rolls down the curve"
    requires = ("conventions", "fx_rate", "roll_fraction", "spread_start", "rows", "calendar_days")

    def coefficients(self, data: Mapping[str, Any]) -> np.ndarray:
        conv = data["conventions"]
        fraction = conv.roll_fraction if conv.roll_fraction is not None else data["roll_fraction"]
        accrual = year_fraction(conv.roll_day_count, rows=data["rows"], calendar_days=data["calendar_days"])
        return (conv.roll_scale * np.asarray(data["fx_rate"], dtype=float) * np.asarray(fraction, dtype=float)
                * np.asarray(data["spread_start"], dtype=float) * accrual)

    def twin_coefficients(self, data: Mapping[str, Any]) -> np.ndarray:
        conventions = data["conventions"]
        if conventions.roll_fraction is None:
            per_year = np.asarray(data["roll_fraction"], dtype=float)  # each instrument's own
        else:
            per_year = np.asarray(conventions.roll_fraction, dtype=float)  # one fraction for all
        fx = np.asarray(data["fx_rate"], dtype=float)
        spread = np.asarray(data["spread_start"], dtype=float)
        years = {"rows/252": data["rows"] / 252.0, "ACT/360": data["calendar_days"] / 360.0,
                 "ACT/365": data["calendar_days"] / 365.0}[conventions.roll_day_count]
        return conventions.roll_scale * fx * per_year * spread * years

    def formula(self, conventions: Conventions) -> str:
        return f"Σᵢ fxᵢ · {convention_formulas(conventions).get('roll-down', 'h·fraction·spread·days/365')}"
