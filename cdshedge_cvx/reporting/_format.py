"""How amounts and facts are worded, once for the command line, the HTML report and the figures.

Pure Python (no numpy, pandas or matplotlib), so the command line can use it at no cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["CURRENCY_SYMBOLS", "cs01_unit", "describe_missing", "money_text", "money_unit", "realised_pnl_line",
           "signed_cost"]

#: Symbol written before ``mm`` for an amount in these currencies (``$mm``, ``CHF mm``); any other
#: currency is written as its code after the number (``12.5 SEK mm``).
CURRENCY_SYMBOLS: Mapping[str, str] = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CHF": "CHF "}

#: What each missing-data policy of :class:`~cdshedge_cvx.market.MarketData` does, in words.
_POLICY_MEANING = {
    "error": "missing spreads are refused (the run stops on the first one)",
    "ffill": "missing spreads are carried forward from the last value, at most {max_gap} consecutive dates",
    "drop": "dates with a missing spread are dropped",
}


def money_unit(currency: str) -> str:
    """The unit of an amount in millions of ``currency``: ``$mm``, ``€mm``, ``CHF mm``, ``SEK mm``.

    Examples
    --------
    >>> money_unit("eur")
    '€mm'
    """
    code = str(currency).upper()
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{symbol}mm" if symbol else f"{code} mm"


def cs01_unit(currency: str) -> str:
    """Unit of a CS01 held in an index of ``currency``: ``$mm/bp``, ``€mm/bp`` …

    Examples
    --------
    >>> cs01_unit("EUR")
    '€mm/bp'
    """
    return f"{money_unit(currency)}/bp"


def money_text(value: float, currency: str, digits: int | None = None) -> str:
    """An amount in millions of ``currency`` for a reader: ``$12.3mm``, ``−$0.45mm``, ``1.20 SEK mm``.

    Parameters
    ----------
    value : float
        The amount in millions.
    currency : str
        Its currency code.
    digits : int, optional
        Decimals; default 1 from 10 up and 2 below. A value that rounds to zero has no sign.

    Examples
    --------
    >>> money_text(-0.454, "USD")
    '−$0.45mm'
    """
    value = float(value) + 0.0  # no "-0"
    if digits is None:
        digits = 1 if abs(value) >= 10 else 2
    number = f"{abs(value):,.{digits}f}"
    sign = "−" if value < 0 and float(number.replace(",", "")) != 0 else ""
    code = str(currency).upper()
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{sign}{symbol}{number}mm" if symbol else f"{sign}{number} {code} mm"


def describe_missing(missing: Mapping[str, Any], *, explain: bool = False) -> str:
    """What the missing-data policy was and what it did, from ``MarketData.missing_report`` (also
    ``HedgeResult.missing``); the command line's summary and the report's sentence.

    Parameters
    ----------
    missing : mapping
        ``policy``, ``filled``, ``dropped_rows``, ``max_gap``, ``first``, ``desk_dates_ignored``,
        ``fx_as_of`` (absent keys count as zero).
    explain : bool, default False
        Spell the policy out in words (the report) instead of naming it (the command line).

    Examples
    --------
    >>> describe_missing({"policy": "ffill", "max_gap": 5, "filled": 1, "first": "row 7"})
    "policy 'ffill' (max gap 5 rows), 1 value(s) forward-filled, first missing at row 7"
    >>> describe_missing({"policy": "error"}, explain=True)
    'missing spreads are refused (the run stops on the first one); none were found'
    """
    policy = str(missing.get("policy", "error"))
    facts = []
    if missing.get("filled"):
        facts.append(f"{missing['filled']} value(s) forward-filled")
    if missing.get("dropped_rows"):
        facts.append(f"{missing['dropped_rows']} date(s) dropped")
    if missing.get("first"):
        facts.append(f"first missing at {missing['first']}")
    if not missing.get("filled") and not missing.get("dropped_rows"):
        facts.append("none were found" if explain else "nothing missing")
    if explain:
        meaning = _POLICY_MEANING.get(policy, policy).format(max_gap=missing.get("max_gap", "?"))
        text = f"{meaning}; {', '.join(facts)}"
    else:
        gap = f" (max gap {missing.get('max_gap')} rows)" if policy == "ffill" else ""
        text = f"policy {policy!r}{gap}, {', '.join(facts)}"
    if missing.get("desk_dates_moved"):
        text += (f"; desk PnL of {missing['desk_dates_moved']} date(s) without spreads "
                 f"({float(missing.get('desk_pnl_moved', 0.0)):+.4f} mm) moved to the next date with spreads")
    if missing.get("desk_dates_ignored"):
        text += f"; {missing['desk_dates_ignored']} desk PnL date(s) without spreads ignored"
        if "desk_pnl_ignored" in missing:
            text += f" ({float(missing['desk_pnl_ignored']):+.4f} mm, outside the spreads' dates)"
    if missing.get("outliers"):
        text += f"; {missing['outliers']} bad print(s) treated as missing, first at {missing.get('outlier_first', '?')}"
    if missing.get("fx_as_of"):
        text += f"; on {missing['fx_as_of']} date(s) without an FX fixing the latest earlier rate was used"
    return text


def signed_cost(value: float, digits: int = 4) -> str:
    """A cost subtracted from PnL, written with one sign: ``-0.0452`` for a cost of 0.0452, ``+18.4811``
    for a cost of −18.4811 (a gain), never ``--18.4811``."""
    return f"-{value:.{digits}f}" if value >= 0 else f"+{-value:.{digits}f}"


def realised_pnl_line(summary: Mapping[str, Any], currency: str) -> str:
    """The command line's realised PnL line: every amount on one scale (the conventions' hedge PnL
    scale, said when it is not 1), costs with one sign, a cost the objective does not model labelled."""
    unmodelled = set(summary.get("costs_not_in_objective", ()))

    def cost(name: str) -> str:
        label = " (realised, not in the objective)" if name in unmodelled else ""
        return f"{name} {signed_cost(float(summary[name + '_mm']))}{label}"

    scale = float(summary.get("amount_scale", 1.0))
    unit = f"{currency} mm" if scale == 1.0 else f"{currency} mm x {scale:g}, the prototype's scale under 'seed'"
    rollcost = f", {cost('rollcost')}" if summary.get("rollcost_mm") else ""
    return (f"realised PnL ({unit}): desk {summary['desk_pnl_mm']:.4f}, hedge {summary['hedge_pnl_mm']:.4f}, "
            f"{cost('carry')}, {cost('tcost')}{rollcost}, hedged {summary['hedged_pnl_mm']:.4f} "
            f"(model roll-down {summary['roll_mm']:.4f}, already in hedge PnL)")
