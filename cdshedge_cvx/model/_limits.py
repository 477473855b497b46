"""Limits on the hedge: the :class:`Constraint` contract, box CS01 limits and optional limits.

Every constraint is written twice, like a term: CVXPY constraints over Parameters
(:meth:`Constraint.constraints`) and a numpy twin :meth:`Constraint.violation` (0 when the
limit holds) that the scipy cross-check and the property tests use. Shadow prices are the
duals: the change of the optimum per unit the limit is relaxed.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

import cvxpy as cp
import numpy as np

from cdshedge_cvx.errors import SpecificationError
from cdshedge_cvx.model._lifting import ScipyForm
from cdshedge_cvx.model._values import set_value

__all__ = [
    "BoxLimits",
    "Constraint",
    "GrossLimit",
    "JumpToDefaultLimit",
    "NetLimit",
    "TurnoverLimit",
    "jump_to_default_per_cs01",
]


class Constraint:
    """Base class of hedge limits.

    Subclasses keep hyperparameters in ``__init__`` and implement ``setup(n)``,
    ``update(data)``, ``constraints(h)`` (a list of CVXPY constraints, DPP) and
    ``violation(h, data)`` (how far ``h`` breaks the limit, 0 when it holds).
    """

    requires: ClassVar[tuple[str, ...]] = ()

    def setup(self, n: int) -> None:
        """Create the Parameters for ``n`` instruments."""

    def update(self, data: Mapping[str, Any]) -> None:
        """Write the period's values into the Parameters."""

    def constraints(self, h: cp.Variable) -> list[cp.Constraint]:
        """The CVXPY constraints."""
        raise NotImplementedError(f"{type(self).__name__}.constraints is not implemented")

    def violation(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        """Amount by which ``h`` violates the limit (numpy twin; 0 if it holds)."""
        raise NotImplementedError(f"{type(self).__name__}.violation is not implemented")

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm | None:
        """Optional smooth (lifted, linear) numpy form of the limit for the scipy cross-check.

        ``None`` (default) makes scipy use ``−violation(h) ≥ 0``, which is nonsmooth.
        """
        return None

    def shadow_price(self) -> np.ndarray | float:
        """d(optimum)/d(limit) after a solve: the sum of the duals of :meth:`constraints`."""
        duals = [c.dual_value for c in self._built]
        if any(d is None for d in duals):
            return np.nan
        return float(sum(np.sum(d) for d in duals))

    @property
    def name(self) -> str:
        """Label used in results and error messages."""
        return type(self).__name__

    def clone(self) -> Constraint:
        """An independent copy."""
        return copy.deepcopy(self)

    def build(self, h: cp.Variable) -> list[cp.Constraint]:
        """Build (once) and remember the CVXPY constraints for duals."""
        self._built = list(self.constraints(h))
        return self._built

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items()
                           if not k.endswith("_") and not k.startswith("_"))
        return f"{type(self).__name__}({params})"


class BoxLimits(Constraint):
    """Per-instrument CS01 box: cs01_min_i ≤ h_i ≤ cs01_max_i ($mm/bp).

    Shadow price per instrument: λ_upper,i − λ_lower,i, the change of the optimum when the
    box of instrument i is shifted up by one unit (only the binding side is non-zero).
    """

    requires = ("cs01_min", "cs01_max")

    def setup(self, n: int) -> None:
        self.lower_ = cp.Parameter(n, name="cs01_min")
        self.upper_ = cp.Parameter(n, name="cs01_max")

    def update(self, data: Mapping[str, Any]) -> None:
        set_value(self.lower_, data["cs01_min"])
        set_value(self.upper_, data["cs01_max"])

    def constraints(self, h: cp.Variable) -> list[cp.Constraint]:
        self.lower_con_ = h >= self.lower_
        self.upper_con_ = h <= self.upper_
        return [self.lower_con_, self.upper_con_]

    def violation(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        h = np.asarray(h, dtype=float)
        return float(max(0.0, np.max(data["cs01_min"] - h), np.max(h - data["cs01_max"])))

    def shadow_price(self) -> np.ndarray:
        lower, upper = self.lower_con_.dual_value, self.upper_con_.dual_value
        if lower is None or upper is None:
            return np.full(self.lower_.shape, np.nan)
        return np.asarray(upper, dtype=float) - np.asarray(lower, dtype=float)


class GrossLimit(Constraint):
    """Gross CS01: Σ_i |h_i| ≤ G ($mm/bp)."""

    def __init__(self, max_gross: float) -> None:
        self.max_gross = max_gross

    def setup(self, n: int) -> None:
        if not self.max_gross >= 0:
            raise SpecificationError(f"GrossLimit: max_gross must be >= 0, got {self.max_gross}")
        self.limit_ = cp.Parameter(nonneg=True, name="max_gross", value=float(self.max_gross))

    def constraints(self, h: cp.Variable) -> list[cp.Constraint]:
        return [cp.sum(cp.abs(h)) <= self.limit_]

    def violation(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        return float(max(0.0, np.sum(np.abs(h)) - self.max_gross))

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm:
        """Σ_i t_i ≤ G with t_i ≥ |h_i|."""
        return ScipyForm.abs_sum_limit(np.zeros(int(data["n"])), self.max_gross)


class NetLimit(Constraint):
    """Net CS01: lower ≤ Σ_i h_i ≤ upper ($mm/bp); ``None`` leaves a side open."""

    def __init__(self, lower: float | None = None, upper: float | None = None) -> None:
        self.lower = lower
        self.upper = upper

    def setup(self, n: int) -> None:
        if self.lower is None and self.upper is None:
            raise SpecificationError("NetLimit needs a lower or an upper bound")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise SpecificationError(f"NetLimit: lower {self.lower} > upper {self.upper}")

    def constraints(self, h: cp.Variable) -> list[cp.Constraint]:
        out = []
        if self.lower is not None:
            out.append(cp.sum(h) >= float(self.lower))
        if self.upper is not None:
            out.append(cp.sum(h) <= float(self.upper))
        return out

    def violation(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        total = float(np.sum(h))
        lo = -np.inf if self.lower is None else self.lower
        hi = np.inf if self.upper is None else self.upper
        return float(max(0.0, lo - total, total - hi))

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm:
        """1ᵀh ≤ upper and −1ᵀh ≤ −lower."""
        ones = np.ones(int(data["n"]))
        rows, bounds = [], []
        if self.upper is not None:
            rows.append(ones)
            bounds.append(float(self.upper))
        if self.lower is not None:
            rows.append(-ones)
            bounds.append(-float(self.lower))
        return ScipyForm.linear_limit(np.array(rows), np.array(bounds))

    def shadow_price(self) -> float:
        duals = [c.dual_value for c in self._built]
        if any(d is None for d in duals):
            return float("nan")
        # sign: relaxing the upper bound (+) and the lower bound (−) by one unit
        signs = ([-1.0] if self.lower is not None else []) + ([1.0] if self.upper is not None else [])
        return float(sum(s * float(d) for s, d in zip(signs, duals)))


def jump_to_default_per_cs01(data: Mapping[str, Any]) -> np.ndarray:
    """Reporting-currency mm gained by protection bought per unit of CS01 when one name defaults.

    notional per CS01 = 1 / (RPV01 · 1e-4); JTD = fx · notional · (1 − R) / n_names.
    """
    return (np.asarray(data["fx_rate"], dtype=float) * (1.0 - np.asarray(data["recovery"]))
            / np.asarray(data["n_names"]) / (np.asarray(data["rpv01"]) * 1e-4))


class JumpToDefaultLimit(Constraint):
    """Jump-to-default of the hedge: |Σ_i jtd_i · h_i| ≤ L ($mm, one name in each index).

    jtd_i = fx_i · (1 − R_i) / n_names_i / (RPV01_i · 1e-4), the $mm per unit CS01 a protection
    buyer gains when one name of index i defaults (RPV01 at the period's remaining maturity,
    EUR legs converted at the period's FX rate).
    """

    requires = ("recovery", "n_names", "rpv01", "fx_rate")

    def __init__(self, max_jtd: float) -> None:
        self.max_jtd = max_jtd

    def setup(self, n: int) -> None:
        if not self.max_jtd >= 0:
            raise SpecificationError(f"JumpToDefaultLimit: max_jtd must be >= 0, got {self.max_jtd}")
        self.jtd_ = cp.Parameter(n, name="jtd_per_cs01")

    def update(self, data: Mapping[str, Any]) -> None:
        self.jtd_.value = jump_to_default_per_cs01(data)

    def constraints(self, h: cp.Variable) -> list[cp.Constraint]:
        return [cp.abs(self.jtd_ @ h) <= float(self.max_jtd)]

    def violation(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        return float(max(0.0, abs(float(jump_to_default_per_cs01(data) @ h)) - self.max_jtd))

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm:
        """jtd · h ≤ L and −jtd · h ≤ L."""
        jtd = jump_to_default_per_cs01(data)
        return ScipyForm.linear_limit(np.vstack([jtd, -jtd]), np.array([self.max_jtd, self.max_jtd], dtype=float))


class TurnoverLimit(Constraint):
    """Turnover: Σ_i |h_i − h_prev,i| ≤ T ($mm/bp traded per period)."""

    requires = ("h_prev",)

    def __init__(self, max_turnover: float) -> None:
        self.max_turnover = max_turnover

    def setup(self, n: int) -> None:
        if not self.max_turnover >= 0:
            raise SpecificationError(f"TurnoverLimit: max_turnover must be >= 0, got {self.max_turnover}")
        self.prev_ = cp.Parameter(n, name="h_prev")

    def update(self, data: Mapping[str, Any]) -> None:
        self.prev_.value = np.asarray(data["h_prev"], dtype=float)

    def constraints(self, h: cp.Variable) -> list[cp.Constraint]:
        return [cp.sum(cp.abs(h - self.prev_)) <= float(self.max_turnover)]

    def violation(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        return float(max(0.0, np.sum(np.abs(np.asarray(h) - data["h_prev"])) - self.max_turnover))

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm:
        """Σ_i t_i ≤ T with t_i ≥ |h_i − h_prev,i|."""
        return ScipyForm.abs_sum_limit(np.asarray(data["h_prev"], dtype=float), self.max_turnover)
