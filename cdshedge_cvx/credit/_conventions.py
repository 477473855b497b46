"""Arithmetic conventions: the prototype's (``seed``) and the market's (``market``).

Terms never branch on a convention's name: they read the numbers below from the period data,
so the two conventions differ in data, not in code paths.

==========================  ==============================  =====================================
quantity                    ``seed`` (prototype, verbatim)  ``market``
==========================  ==============================  =====================================
daily spread changes        ``diff()`` inside each period   whole series, assigned to periods
first date of the data      never in any period             only the base level
periods kept                >= 2 rows                       >= 1 daily change
hedge PnL                   Δs · h · 0.01                   Δs(bp) · h($mm/bp), no 0.01
carry                       h · coupon/1e4 · rows/252       ISDA value change over the period, spread
                                                            unchanged, per CS01 (premium + pull-to-par;
                                                            ``market-cash``: premium paid only)
roll-down                   h · 0.2 · s · rows/252 · 1e-4   h · slope · days/365 (slope: the instrument's
                                                            roll_slope_bp_per_year, else fraction · s)
notional, JTD per CS01      flat hazard s/(1−R), r = 0      ISDA CDS Standard Model at the base date,
                                                            with that date's rate curve
spread used by carry/roll   first row of the period         level at the period start (base)
==========================  ==============================  =====================================

``days`` are calendar days from the period's base date to its last date; ``rows`` are the
number of observations in the period.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from cdshedge_cvx.errors import SpecificationError

__all__ = ["MARKET", "SEED", "Conventions", "get_conventions", "year_fraction"]

DayCount = Literal["rows/252", "ACT/360", "ACT/365"]


@dataclass(frozen=True)
class Conventions:
    """The numbers that turn market data into a period's objective coefficients.

    Parameters
    ----------
    name : str
        Label shown in results and reports.
    changes : {"within-period", "whole-series"}
        How daily spread changes are taken.
    min_rows : int
        Periods with fewer observations are skipped.
    pnl_scale : float
        Hedge PnL = pnl_scale · Σ Δs · h.
    carry_rate : {"coupon", "spread"}
        Running rate paid by the protection buyer: fixed coupon (cash carry) or the market
        spread (economic carry).
    carry_scale : float
        Multiplies the carry coefficient (1e-4 turns the prototype's bp into a fraction).
    carry_annuity : bool
        Divide by RPV01 (CS01 → notional); the prototype does not.
    carry_day_count, roll_day_count : {"rows/252", "ACT/360", "ACT/365"}
        Year fractions of the period.
    roll_scale : float
        Multiplies the roll-down coefficient (the prototype's stray 1e-4).
    roll_fraction : float or None
        Roll-down per year as a fraction of spread; ``None`` reads it per instrument.
    spread_start : {"first-row", "base"}
        Which spread level carry and roll use.
    contract_model : {"flat-hazard", "isda"}
        How notional, carry, roll-down and jump-to-default per unit of CS01 are found: the flat-hazard
        annuity at r = 0 (``data["rpv01"]``), or the ISDA CDS Standard Model at the period's base date with
        that date's discount curve (``data["figures"]``, :func:`~cdshedge_cvx.credit.per_cs01_figures`;
        CS01 = the ISDA spread DV01 of the traded fixed-coupon contract).
    """

    name: str
    changes: Literal["within-period", "whole-series"]
    min_rows: int
    pnl_scale: float
    carry_rate: Literal["coupon", "spread"]
    carry_scale: float
    carry_annuity: bool
    carry_day_count: DayCount
    roll_scale: float
    roll_day_count: DayCount
    roll_fraction: float | None
    spread_start: Literal["first-row", "base"]
    contract_model: Literal["flat-hazard", "isda"] = "flat-hazard"

    def __str__(self) -> str:
        """The name (``market``, ``seed`` …), as messages show it."""
        return self.name

    def replace(self, **changes: object) -> Conventions:
        """A copy with ``changes`` applied, e.g. ``MARKET.replace(carry_rate="coupon")``."""
        return dataclasses.replace(self, **changes)

    def formulas(self) -> str:
        """The hedge PnL, carry and roll-down formulas of these conventions, on one line.

        Examples
        --------
        >>> MARKET.formulas()
        'hedge PnL = Δs(bp)·h; carry = h·(premium + pull-to-par)/CS01 (ISDA, days/360); roll-down = h·slope·days/365'
        >>> SEED.formulas()
        'hedge PnL = Δs(bp)·h·0.01; carry = h·coupon·0.0001·rows/252; roll-down = h·0.2·spread·rows/252·0.0001'
        """
        def scaled(text: str, scale: float) -> str:
            return text if scale == 1.0 else f"{text}·{scale:g}"

        days = {"rows/252": "rows/252", "ACT/360": "days/360", "ACT/365": "days/365"}
        pnl = scaled("hedge PnL = Δs(bp)·h", self.pnl_scale)
        rate = "spread" if self.carry_rate == "spread" else "coupon"
        annuity = "/RPV01" if self.carry_annuity else ""
        carry = f"carry = h·{scaled(rate, self.carry_scale)}{annuity}·{days[self.carry_day_count]}"
        if self.contract_model == "isda":
            paid = "premium + pull-to-par" if self.carry_rate == "spread" else "coupon premium"
            carry = f"carry = h·{scaled(f'({paid})', self.carry_scale)}/CS01 (ISDA, {days[self.carry_day_count]})"
        fraction = "fraction" if self.roll_fraction is None else f"{self.roll_fraction:g}"
        roll = scaled(f"roll-down = h·{fraction}·spread·{days[self.roll_day_count]}", self.roll_scale)
        if self.roll_fraction is None:
            roll = scaled(f"roll-down = h·slope·{days[self.roll_day_count]}", self.roll_scale)
        return f"{pnl}; {carry}; {roll}"


SEED = Conventions(
    name="seed", changes="within-period", min_rows=2, pnl_scale=0.01,
    carry_rate="coupon", carry_scale=1e-4, carry_annuity=False, carry_day_count="rows/252",
    roll_scale=1e-4, roll_day_count="rows/252", roll_fraction=0.2, spread_start="first-row",
)

MARKET = Conventions(
    name="market", changes="whole-series", min_rows=1, pnl_scale=1.0,
    carry_rate="spread", carry_scale=1.0, carry_annuity=True, carry_day_count="ACT/360",
    roll_scale=1.0, roll_day_count="ACT/365", roll_fraction=None, spread_start="base", contract_model="isda",
)


def get_conventions(conventions: str | Conventions) -> Conventions:
    """Resolve ``"seed"``, ``"market"``, ``"market-cash"`` or a :class:`Conventions`."""
    if isinstance(conventions, Conventions):
        return conventions
    table = {"seed": SEED, "market": MARKET, "market-cash": MARKET.replace(name="market-cash", carry_rate="coupon")}
    try:
        return table[str(conventions)]
    except KeyError:
        raise SpecificationError(
            f"unknown conventions {conventions!r}; use one of {', '.join(table)} or a Conventions object"
        ) from None


def year_fraction(day_count: DayCount, *, rows: int, calendar_days: int) -> float:
    """Year fraction of a period under ``day_count``.

    ``rows/252`` counts observations (the prototype), ``ACT/360`` and ``ACT/365`` count calendar days.
    """
    if day_count == "rows/252":
        return rows / 252.0
    if day_count == "ACT/360":
        return calendar_days / 360.0
    if day_count == "ACT/365":
        return calendar_days / 365.0
    raise SpecificationError(f"unknown day count {day_count!r}")
