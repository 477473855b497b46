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
    r"""What holding protection costs over the period with the spread unchanged (a cost, subtract it).

    Market conventions (``contract_model="isda"``): the ISDA CDS Standard Model at the period's base
    date :math:`T_0`, with that date's discount curve, for the contract held (coupon :math:`c`, spread
    :math:`s`, CS01 :math:`\delta` = ISDA spread DV01 per unit notional), over the period's :math:`d`
    calendar days:

    carry_i = −carry_scale · fx_i · figures.carry_i · h_i,
    figures.carry = [u(T_0+d) − u(T_0) − c·d/360] / δ   (premium paid plus pull-to-par, ``market``),
    figures.carry_cash = −c·d/360 / δ                     (premium paid only, ``market-cash``),

    :math:`u` the clean upfront of the same contract repriced at the same conventional spread
    (:func:`~cdshedge_cvx.credit.per_cs01_figures`; ``docs/analytics.md``, "Figures per unit of CS01").
    Flat-hazard conventions: carry_i = carry_scale · fx_i · rate_i / annuity_i · accrual · h_i (seed:
    h · coupon/1e4 · rows/252, no annuity).
    """

    keyword = "carry"
    description = "the running premium paid on the protection bought, with the pull-to-par of the contract"
    requires = ("conventions", "fx_rate", "coupon_bp", "spread_start", "rpv01", "rows", "calendar_days", "figures",
                "base", "contract_maturity", "curves", "recovery", "n_names", "index_factor")

    def coefficients(self, data: Mapping[str, Any]) -> np.ndarray:
        conv = data["conventions"]
        fx = np.asarray(data["fx_rate"], dtype=float)
        if conv.contract_model == "isda":
            figures = data["figures"]
            value_change = figures.carry if conv.carry_rate == "spread" else figures.carry_cash
            return -conv.carry_scale * fx * np.asarray(value_change, dtype=float)
        rate = np.asarray(data["coupon_bp"] if conv.carry_rate == "coupon" else data["spread_start"], dtype=float)
        coefficient = conv.carry_scale * fx * rate
        if conv.carry_annuity:
            coefficient = coefficient / np.asarray(data["rpv01"], dtype=float)
        return coefficient * year_fraction(conv.carry_day_count, rows=data["rows"],
                                           calendar_days=data["calendar_days"])

    def twin_coefficients(self, data: Mapping[str, Any]) -> np.ndarray:
        conventions = data["conventions"]
        if conventions.contract_model == "isda":
            return self._isda_twin(data)
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

    def _isda_twin(self, data: Mapping[str, Any]) -> np.ndarray:
        """The carry written again from the period's contract figures (priced once per period, with every
        period of a backtest in one batch: ``periods/_figures.py``), not through :meth:`coefficients`."""
        figures = data["figures"]
        conventions = data["conventions"]
        # protection bought pays: the value change with the spread unchanged, or the premium alone
        lost = -np.asarray(figures.carry if conventions.carry_rate == "spread" else figures.carry_cash, dtype=float)
        return conventions.carry_scale * np.asarray(data["fx_rate"], dtype=float) * lost

    def formula(self, conventions: Conventions) -> str:
        return f"Σᵢ fxᵢ · {convention_formulas(conventions).get('carry', 'h·spread/RPV01·days/360')}"
