"""The carry term."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from cdshedge_cvx.credit._contract import per_cs01_figures
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
        """The contract priced again from the period's raw fields (kept for the data object last seen: the
        cross-check asks for the gradient at every scipy iterate)."""
        seen = getattr(self, "twin_", None)
        if seen is not None and seen[0] is data:
            return seen[1]
        maturity = np.asarray(data["contract_maturity"], dtype="datetime64[D]")
        days = int(data["calendar_days"])
        # a period outliving the contract: priced over the life it has (less the step-in), scaled to the period
        horizon = min(days, int((maturity - np.datetime64(data["base"].date(), "D")).astype(np.int64).min()) - 2)
        horizon = max(horizon, 1)
        contracts = per_cs01_figures(data["base"], maturity, np.asarray(data["spread_start"], dtype=float),
                                     data["coupon_bp"], data["recovery"], list(data["curves"]),
                                     n_names=data["n_names"], index_factor=data["index_factor"], days=horizon)
        conventions = data["conventions"]
        # protection bought pays: the value change with the spread unchanged, or the premium alone
        lost = -(contracts.carry if conventions.carry_rate == "spread" else contracts.carry_cash) * days / horizon
        twin = conventions.carry_scale * np.asarray(data["fx_rate"], dtype=float) * lost
        self.twin_ = (data, twin)
        return twin

    def formula(self, conventions: Conventions) -> str:
        return f"Σᵢ fxᵢ · {convention_formulas(conventions).get('carry', 'h·spread/RPV01·days/360')}"
