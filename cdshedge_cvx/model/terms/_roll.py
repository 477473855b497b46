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

    roll_i = roll_scale · fx_i · b_i · accrual · h_i

    The spread of a contract held rolls down its credit curve as it ages, by the curve's slope b
    (bp per year of maturity) per year; protection bought loses that many CS01. Market: b = the slope
    of the curve through the instrument's other tenors where given (``MarketData(tenor_spreads=...)``,
    per period), else its ``roll_slope_bp_per_year``, else ``roll_fraction`` (default 0.1, the
    slope of the example market's curves) × spread (bp); accrual = calendar days/365; h in $mm/bp, so
    $mm (with the ISDA contract model, the coefficient is −fx · figures.roll_down). Seed:
    h · s · 0.2 · rows/252 · 1e-4 (the prototype's fraction and stray 1e-4). Scale, fraction and day
    count come from ``data["conventions"]``.
    """

    keyword = "roll"
    description = "roll-down: protection bought loses value as the contract ages and its spread rolls down the curve"
    requires = ("conventions", "fx_rate", "roll_fraction", "roll_slope_bp_per_year", "spread_start", "rows",
                "calendar_days", "figures")

    def coefficients(self, data: Mapping[str, Any]) -> np.ndarray:
        conv = data["conventions"]
        fx = np.asarray(data["fx_rate"], dtype=float)
        if conv.roll_fraction is None and conv.contract_model == "isda":
            return -conv.roll_scale * fx * np.asarray(data["figures"].roll_down, dtype=float)
        fraction = conv.roll_fraction if conv.roll_fraction is not None else data["roll_fraction"]
        slope = np.asarray(fraction, dtype=float) * np.asarray(data["spread_start"], dtype=float)
        if conv.roll_fraction is None:
            given = np.asarray(data["roll_slope_bp_per_year"], dtype=float)
            slope = np.where(np.isnan(given), slope, given)
        accrual = year_fraction(conv.roll_day_count, rows=data["rows"], calendar_days=data["calendar_days"])
        return conv.roll_scale * fx * slope * accrual

    def twin_coefficients(self, data: Mapping[str, Any]) -> np.ndarray:
        conventions = data["conventions"]
        spread = np.asarray(data["spread_start"], dtype=float)
        if conventions.roll_fraction is None:  # each instrument's own slope, or fraction of its spread
            per_year = np.asarray(data["roll_fraction"], dtype=float) * spread
            slope = np.asarray(data["roll_slope_bp_per_year"], dtype=float)
            per_year = np.where(np.isfinite(slope), slope, per_year)
        else:  # one fraction for all
            per_year = np.asarray(conventions.roll_fraction, dtype=float) * spread
        fx = np.asarray(data["fx_rate"], dtype=float)
        years = {"rows/252": data["rows"] / 252.0, "ACT/360": data["calendar_days"] / 360.0,
                 "ACT/365": data["calendar_days"] / 365.0}[conventions.roll_day_count]
        return conventions.roll_scale * fx * per_year * years

    def formula(self, conventions: Conventions) -> str:
        return f"Σᵢ fxᵢ · {convention_formulas(conventions).get('roll-down', 'h·slope·days/365')}"
