"""Which currency each instrument's amounts are reported in."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["amount_currencies"]

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
