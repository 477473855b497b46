"""CS01 of several currencies in one limit: the conversion gross and net limits apply.

A limit that adds CS01 across instruments (gross, net) is in mm of the reporting currency per bp:
each instrument's CS01 is weighted by its FX rate at the decision date (``data["fx_rate"]``,
reporting-currency units per unit of the instrument's currency). Without an FX series the
amounts of a mixed universe stay in their own currencies: adding them is refused (a
:class:`~cdshedge_cvx.errors.SpecificationError` naming the limit and the currencies, with hints
``fx`` and ``allow_mixed_currency``) unless ``allow_mixed_currency=True``, which adds them
unconverted (each unit counts as one). ``None`` (the default) and ``False`` both refuse.
:class:`MixedCurrencyWarning` is kept for code that filters it; it is no longer emitted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cdshedge_cvx.errors import Hint, SpecificationError

__all__ = ["MixedCurrencyWarning", "reporting_weights"]


class MixedCurrencyWarning(UserWarning):
    """A limit adds CS01 of several currencies unconverted (no FX series given).

    No longer emitted: mixing currencies without FX is refused unless ``allow_mixed_currency=True``.
    """


def reporting_weights(owner: Any, data: Mapping[str, Any], n: int) -> np.ndarray:
    """Per instrument, reporting-currency units per unit of its currency (the FX rate at the base
    date; 1 for the reporting currency, and for every instrument when the universe has one currency).

    Raises
    ------
    SpecificationError
        When the instruments' amounts are in several currencies (no FX series) and ``owner`` does
        not have ``allow_mixed_currency=True`` (``None``, the default, refuses like ``False``).
    """
    amounts = [str(c).upper() for c in data["amount_currency"]]
    if len(set(amounts)) > 1:
        allowed = getattr(owner, "allow_mixed_currency", None)
        if allowed:
            return np.ones(n)
        pairs = ", ".join(f"{name} {ccy}" for name, ccy in zip(data["instruments"], amounts))
        raise SpecificationError(
            f"{owner.name}: the instruments' CS01 are in several currencies ({pairs}) and no FX series converts "
            f"them into {data['reporting_currency']}; give FX rates, or allow the "
            "unconverted sum", hints=[Hint("fx"), Hint("allow_mixed_currency")])
    rates = np.asarray(data["fx_rate"], dtype=float).reshape(-1)
    return rates if rates.size == n else np.ones(n)
