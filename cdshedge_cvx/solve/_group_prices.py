"""The shadow price of a limit priced per group (the jump-to-default limit): a number with its parts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["GroupShadowPrice"]


class GroupShadowPrice(float):
    r"""A limit's shadow price, d optimum / d L with every group's bound raised together, carrying its parts.

    It *is* that number (a ``float``: everything that read the limit's price before still does), and
    :attr:`groups` maps each group's label to d optimum / d L_g, the price of that group's bound alone
    (:math:`\sum_g` of them is the number up to rounding). A solve path that can price the groups of a
    limit (``group_shadow_prices`` / ``group_shadow_prices_from_rows``, see
    :class:`~cdshedge_cvx.model.JumpToDefaultLimit`) stores one in
    :attr:`PeriodSolution.shadow_prices <cdshedge_cvx.solve.PeriodSolution>`; ``HedgeResult.shadow_prices_long``
    lists the groups, one row each.

    Parameters
    ----------
    total : float
        The limit's shadow price.
    groups : mapping of str to float
        Each group's shadow price, by group label.
    """

    groups: dict[str, float]

    def __new__(cls, total: float, groups: Mapping[str, float]) -> GroupShadowPrice:
        price = super().__new__(cls, total)
        price.groups = {str(label): float(value) for label, value in groups.items()}
        return price

    def __reduce__(self) -> tuple[Any, ...]:
        return (GroupShadowPrice, (float(self), self.groups))

    def __repr__(self) -> str:
        return f"GroupShadowPrice({float(self)!r}, groups={self.groups!r})"
