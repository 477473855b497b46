"""Which currency each instrument's amounts are reported in."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["amount_currencies", "currency_by_name"]

#: The standard indices' currencies, by a pattern of their names (case-insensitive).
STANDARD_CURRENCIES: tuple[tuple[str, str], ...] = (
    (r"itraxx|xover|crossover|europe|\bmain\b|senior\s*fin|sub\s*fin", "EUR"),
    (r"\bcdx\b|cdx\.|\bna\.?ig\b|\bna\.?hy\b", "USD"),
    (r"itraxx\s*japan", "JPY"),
    (r"itraxx\s*australia", "AUD"),
)


def currency_by_name(name: str) -> str | None:
    """The currency of a standard index named ``name`` (iTraxx: EUR, CDX: USD, iTraxx Japan: JPY,
    iTraxx Australia: AUD), or ``None`` for a name of no standard index.

    Examples
    --------
    >>> currency_by_name("iTraxx Xover"), currency_by_name("CDX HY"), currency_by_name("my basket")
    ('EUR', 'USD', None)
    """
    import re

    text = str(name).lower()
    for pattern, currency in (STANDARD_CURRENCIES[2], STANDARD_CURRENCIES[3], *STANDARD_CURRENCIES[:2]):
        if re.search(pattern, text):
            return currency
    return None

def amount_currencies(currencies: Sequence[str], reporting_currency: str, has_fx: bool) -> list[str]:
    """Currency each instrument's amounts end up in: the reporting currency when the instrument is
    in it or an FX series converts it, else the instrument's own currency.

    Examples
    --------
    >>> amount_currencies(["USD", "EUR"], "USD", has_fx=False)
    ['USD', 'EUR']
    >>> amount_currencies(["USD", "EUR"], "USD", has_fx=True)
    ['USD', 'USD']
    """
    reporting = reporting_currency.upper()
    return [reporting if has_fx or c.upper() == reporting else c.upper() for c in currencies]
