"""The carry term."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from cdshedge_cvx.credit._conventions import year_fraction
from cdshedge_cvx.model.terms._base import LinearTerm, convention_formulas

if TYPE_CHECKING:
    from cdshedge_cvx.credit._conventions import Conventions

__all__ = ["Carry"]


class Carry(LinearTerm):
    """Running premium paid on protection bought (a cost, subtract it).

    carry_i = carry_scale · fx_i · rate_i / annuity_i · accrual · h_i

    Market: rate = spread (economic carry; coupon with ``market-cash``), annuity = RPV01 at
    the period's base date and remaining maturity, accrual = calendar days/360, so
    h · s / RPV01 · days/360 = notional · s · 1e-4 · days/360 (h / RPV01 = notional · 1e-4).
    Seed: h · coupon/1e4 · rows/252. Rate, annuity and day count come from ``data["conventions"]``.
    """

    keyword = "carry"
    description = "the running premium paid on the protection bought"
    requires = ("conventions", "fx_rate", "coupon_bp", "spread_start", "rpv01", "rows", "calendar_days")

    def coefficients(self, data: Mapping[str, Any]) -> np.ndarray:
        conv = data["conventions"]
        rate = np.asarray(data["coupon_bp"] if conv.carry_rate == "coupon" else data["spread_start"], dtype=float)
        coefficient = conv.carry_scale * np.asarray(data["fx_rate"], dtype=float) * rate
        if conv.carry_annuity:
            coefficient = coefficient / np.asarray(data["rpv01"], dtype=float)
        return coefficient * year_fraction(conv.carry_day_count, rows=data["rows"],
                                           calendar_days=data["calendar_days"])

    def twin_coefficients(self, data: Mapping[str, Any]) -> np.ndarray:
        conventions = data["conventions"]
        if conventions.carry_rate == "coupon":
            paid_bp = np.asarray(data["coupon_bp"], dtype=float)  # cash carry: the fixed coupon
        else:
            paid_bp = np.asarray(data["spread_start"], dtype=float)  # economic carry: the spread
        per_cs01 = conventions.carry_scale * np.asarray(data["fx_rate"], dtype=float) * paid_bp
        if conventions.carry_annuity:  # CS01 → notional: divide by the risky annuity
            per_cs01 = per_cs01 / np.asarray(data["rpv01"], dtype=float)
        years = {"rows/252": data["rows"] / 252.0, "ACT/360": data["calendar_days"] / 360.0,
                 "ACT/365": data["calendar_days"] / 365.0}[conventions.carry_day_count]
        return per_cs01 * years

    def formula(self, conventions: Conventions) -> str:
        return f"Σᵢ fxᵢ · {convention_formulas(conventions).get('carry', 'h·spread/RPV01·days/360')}"
