"""Plain-text statements of the units and conventions behind a backtest's numbers.

Reports print these lines next to every table, so a reader knows what ``0.25`` means (CS01 in mm
of the index's currency per bp) and which currency each amount is in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cdshedge_cvx.credit._conventions import Conventions

__all__ = ["horizon_words", "units_lines"]



def _by_currency(names: Sequence[str], currencies: Sequence[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for name, currency in zip(names, currencies):
        groups.setdefault(currency, []).append(name)
    return groups


def units_lines(data: Mapping[str, Any], conventions: Conventions) -> list[str]:
    """Units of the hedge, currency of the amounts, the conventions' formulas and, under the ISDA contract
    model, the interest rates (or that r = 0 was assumed).

    Parameters
    ----------
    data : PeriodData
        Any period of the backtest (reads ``instruments``, ``currency``, ``amount_currency``,
        ``reporting_currency``, ``rates_note``).
    conventions : Conventions

    Returns
    -------
    list of str
    """
    names = list(data["instruments"])
    currencies = [str(c).upper() for c in data["currency"]]
    amounts = [str(c).upper() for c in data["amount_currency"]]
    reporting = str(data["reporting_currency"]).upper()
    cs01 = "; ".join(f"{', '.join(group)}: {currency} mm/bp"
                     for currency, group in _by_currency(names, currencies).items())
    lines = [f"Units: h = CS01 per bp in mm of each index's currency ({cs01}); + = protection bought "
             "(gains when spreads widen); spreads in bp."]
    converted = [(n, c) for n, c, a in zip(names, currencies, amounts) if c != reporting and a == reporting]
    unconverted = [(n, c) for n, c, a in zip(names, currencies, amounts) if a != reporting]
    amount = f"Amounts (desk PnL, hedge PnL, carry, roll, costs) in {reporting} mm"
    if converted:
        pairs = sorted({f"{c}{reporting}" for _, c in converted})
        amount += (f"; {', '.join(n for n, _ in converted)} converted at {', '.join(pairs)} of each period's "
                   "base date")
    if unconverted:
        groups = _by_currency([n for n, _ in unconverted], [c for _, c in unconverted])
        amount += "; " + "; ".join(f"{', '.join(group)} in {currency} mm" for currency, group in groups.items())
        amount += " (no FX series given: not converted)"
    if conventions.pnl_scale != 1.0 or conventions.carry_scale != 1.0 or conventions.roll_scale != 1.0:
        amount += f" (scaled as the prototype did under '{conventions.name}' conventions: not true amounts)"
    lines.append(amount + ".")
    if conventions.contract_model == "isda":
        maturity = ("; CS01 = ISDA spread DV01 of the traded contract; notional, carry and jump-to-default per CS01 "
                    "from the ISDA CDS Standard Model at each period's base date")
    else:
        maturity = ("; RPV01 with flat hazard spread/(1-R) at each index's remaining maturity"
                    if conventions.carry_annuity else "")
    lines.append(f"Conventions '{conventions.name}': {conventions.formulas()}{maturity}.")
    if conventions.contract_model == "isda" and "rates_note" in data:
        lines.append(f"Interest rates: {data['rates_note']}.")
    return lines


def horizon_words(horizon: str) -> tuple[str, str]:
    """(noun, adjective) naming a rebalancing horizon alias in words.

    Examples
    --------
    >>> horizon_words("ME")
    ('month', 'monthly')
    >>> horizon_words("2W")
    ('period', 'per-period')
    """
    alias = str(horizon).upper()
    words = {"M": ("month", "monthly"), "Q": ("quarter", "quarterly"), "Y": ("year", "annual"),
             "A": ("year", "annual"), "W": ("week", "weekly"), "B": ("day", "daily"), "D": ("day", "daily")}
    if alias[:1] in words and (len(alias) == 1 or alias[1] in "ESF-"):
        return words[alias[:1]]
    return "period", "per-period"
