"""The jump-to-default limit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.errors import SpecificationError
from cdshedge_cvx.model._component import Constraint, check_limit
from cdshedge_cvx.model._lifting import ScipyForm

__all__ = ["JumpToDefaultLimit", "jump_to_default_per_cs01"]


def jump_to_default_per_cs01(data: Mapping[str, Any]) -> np.ndarray:
    r"""Reporting-currency mm gained by protection bought per unit of CS01 when one name of each index defaults.

    ISDA contract model (market conventions): payout of the defaulted name's share minus the share's
    mark-to-market, index factor applied, :math:`fx\,\frac{(1-R) - u}{n f \delta}` (``figures.jtd``, see
    :class:`~cdshedge_cvx.credit.ContractFigures`). Flat-hazard conventions: notional per CS01
    :math:`1/(\mathrm{RPV01}\cdot 10^{-4})`, :math:`fx\,(1-R)/n/(\mathrm{RPV01}\cdot 10^{-4})`.
    """
    fx = np.asarray(data["fx_rate"], dtype=float)
    if data["conventions"].contract_model == "isda":
        return fx * np.asarray(data["figures"].jtd, dtype=float)
    return fx * (1.0 - np.asarray(data["recovery"])) / np.asarray(data["n_names"]) / (np.asarray(data["rpv01"]) * 1e-4)


class JumpToDefaultLimit(Constraint):
    r"""Worst single-name default of the hedge: :math:`|\sum_{i \in g} jtd_i h_i| \le L` for every group g ($mm).

    A default hits one name, so it hits only the indices that hold that name: indices that share no
    names (CDX IG and CDX HY, iTraxx Main and Crossover) are never netted. By default each index is
    its own group, :math:`|jtd_i h_i| \le L` for every i; ``groups`` lists instead the sets of
    indices whose names overlap (a name of the group defaults in all of them at once), e.g.
    ``[["CDX IG", "CDX IG 10Y"]]``; an index left out of every group is a group of its own.

    :math:`jtd_i` is the $mm per unit CS01 a protection buyer of index i gains when one of its names
    defaults (:func:`jump_to_default_per_cs01`: payout minus the share's mark-to-market from the ISDA
    model at the period's base date, index factor applied, EUR legs converted at the period's FX
    rate). ``L`` is a Parameter written at every ``update``.

    Shadow prices: each group's bound :math:`|\sum_{i \in g} jtd_i h_i| \le L` has its own,
    :math:`\partial\,\mathrm{optimum} / \partial L_g` ($mm of objective per $mm of JTD allowed on
    that group; 0 for a group whose bound does not bind), and :meth:`shadow_price` is their sum
    (d optimum / dL, every group's bound raised together). A backtest reports both per period, on
    every solve path: ``result.shadow_prices["JumpToDefaultLimit"]`` the sum, and
    ``result.shadow_prices_long`` one row per group (``group`` the label, ``"CDX IG"`` or
    ``"CDX IG + CDX IG 10Y"``; ``instrument`` empty); a solve's ``solution.shadow_prices[label]`` is
    the sum, a :class:`~cdshedge_cvx.solve._group_prices.GroupShadowPrice` whose ``groups`` map each
    label to its price. The lifted-QP path folds the duals of each
    group's two rows (:math:`\pm\, jtd_g \cdot h \le L`) into the group's price
    (:meth:`group_shadow_prices_from_rows`), the CVXPY path reads the constraint's dual per group
    (:meth:`group_shadow_prices`).

    Parameters
    ----------
    max_jtd : float
        The largest loss or gain allowed on one name's default ($mm, >= 0).
    groups : sequence of sequence of str, optional
        Instrument names whose indices share names.
    """

    requires = ("fx_rate", "conventions", "figures", "base", "contract_maturity", "spread_start", "coupon_bp",
                "recovery", "curves", "n_names", "index_factor", "rpv01", "instruments")

    def __init__(self, max_jtd: float, groups: Sequence[Sequence[str]] | None = None) -> None:
        self.max_jtd = max_jtd
        self.groups = groups

    def _membership(self, names: Sequence[str]) -> np.ndarray:
        """The groups × instruments 0/1 matrix (names: the universe's, in order)."""
        index = {name: i for i, name in enumerate(names)}
        rows, seen = [], set()
        for group in self.groups or ():
            if isinstance(group, str) or not group:
                raise SpecificationError(f"{self.name}: each group is a non-empty list of instrument names, got "
                                         f"{group!r}")
            row = np.zeros(len(names))
            for name in group:
                if name not in index:
                    raise SpecificationError(f"{self.name}: group {list(group)} names {name!r}, not an instrument "
                                             f"of the universe ({', '.join(names)})")
                if name in seen:
                    raise SpecificationError(f"{self.name}: {name!r} is in two groups; merge them")
                seen.add(name)
                row[index[name]] = 1.0
            rows.append(row)
        for name, i in index.items():
            if name not in seen:
                row = np.zeros(len(names))
                row[i] = 1.0
                rows.append(row)
        return np.array(rows)

    def setup(self, n: int) -> None:
        check_limit(self, "max_jtd", self.max_jtd)
        self.n_ = n
        self.exposure_ = cp.Parameter((len(self.groups or ()) + n, n), name="jtd_per_cs01_by_group")
        self.limit_ = cp.Parameter(nonneg=True, name="max_jtd")

    def update(self, data: Mapping[str, Any]) -> None:
        self.limit_.value = check_limit(self, "max_jtd", self.max_jtd)
        membership = self._membership(list(data["instruments"]))
        self.group_labels_ = [" + ".join(n for n, m in zip(data["instruments"], row) if m) for row in membership]
        exposure = np.zeros(self.exposure_.shape)  # unused rows (groups of several) stay 0
        exposure[:len(membership)] = membership * jump_to_default_per_cs01(data)[None, :]
        self.exposure_.value = exposure

    def constraints(self, h: cp.Variable) -> list[cp.Constraint]:
        return [cp.abs(self.exposure_ @ h) <= self.limit_]

    def _twin_exposure(self, data: Mapping[str, Any]) -> np.ndarray:
        """Groups × instruments $mm per CS01, written again from the period's raw fields."""
        seen = getattr(self, "twin_", None)
        if seen is not None and seen[0] is data:
            return seen[1]
        fx = np.asarray(data["fx_rate"], dtype=float)
        if data["conventions"].contract_model == "isda":
            # payout minus mark-to-market of the name's share (the period's figures, priced once)
            per_name = fx * np.asarray(data["figures"].jtd, dtype=float)
        else:
            notional = 1e4 / np.asarray(data["rpv01"], dtype=float)
            per_name = fx * notional * (1.0 - np.asarray(data["recovery"], dtype=float)) / np.asarray(data["n_names"])
        exposure = self._membership(list(data["instruments"])) * per_name[None, :]
        self.twin_ = (data, exposure)
        return exposure

    def violation(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        worst = np.max(np.abs(self._twin_exposure(data) @ np.asarray(h, dtype=float)))
        return float(max(0.0, worst - self.max_jtd))

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm:
        """exposure_g · h ≤ L and −exposure_g · h ≤ L for every group g."""
        exposure = self._twin_exposure(data)
        return ScipyForm.linear_limit(np.vstack([exposure, -exposure]),
                                      np.full(2 * len(exposure), float(self.max_jtd)))

    def shadow_price(self) -> float:
        """d(optimum)/d(limit) after a CVXPY solve: the sum of the groups' shadow prices (every group's bound is L)."""
        prices = self.group_shadow_prices()
        return float(sum(prices.values())) if prices else float("nan")

    def group_shadow_prices(self) -> dict[str, float]:
        """d(optimum)/d(bound of one group) from the CVXPY constraint's dual, by group label (``"CDX IG"``,
        ``"CDX IG + CDX IG 10Y"``); empty before a CVXPY solve.

        The dual is the one of the last solve *through CVXPY*; the fast paths do not write it. Per period
        and on every path, read ``result.shadow_prices_long`` (rows with a ``group``) instead.
        """
        dual = self.built_[0].dual_value if getattr(self, "built_", None) else None
        if dual is None:
            return {}
        values = np.asarray(dual, dtype=float).reshape(-1)
        return {label: float(v) for label, v in zip(self.group_labels_, values)}

    def group_shadow_prices_from_rows(self, duals: np.ndarray) -> dict[str, float]:
        r"""Each group's shadow price from the duals of the rows of :meth:`scipy_form` (the lifted QP's),
        by group label: the form's rows are :math:`E h \le L` then :math:`-E h \le L` (one row of E per
        group, in the order of the labels), so group g's price is :math:`z_g + z_{G+g}` (both rows' bound
        is L; at most one of them binds)."""
        duals = np.asarray(duals, dtype=float).reshape(-1)
        groups = len(self.group_labels_)
        if duals.size != 2 * groups:
            raise SpecificationError(f"{self.name}: {duals.size} row duals for {groups} groups (expected "
                                     f"{2 * groups}: the rows of scipy_form)")
        return {label: float(v) for label, v in zip(self.group_labels_, duals[:groups] + duals[groups:])}
