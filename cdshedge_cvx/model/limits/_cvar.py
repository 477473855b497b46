"""The tail-risk limit: a cap on the CVaR (expected shortfall) of the hedged book."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cvxpy as cp
import numpy as np
import pandas as pd

from cdshedge_cvx.errors import SpecificationError
from cdshedge_cvx.model._component import Constraint
from cdshedge_cvx.model._lifting import ScipyForm
from cdshedge_cvx.model._tail_lp import tail_expression
from cdshedge_cvx.model.terms._cvar import ScenarioMixin, empirical_cvar, ru_scipy_form

__all__ = ["CVaRLimit"]


class CVaRLimit(ScenarioMixin, Constraint):
    """CVaR_α of the hedged book's loss ≤ M ($mm), Rockafellar–Uryasev over the same scenarios as
    :class:`~cdshedge_cvx.model.terms.CVaR`:

        mean of the (1 − α)·S largest losses L_s(h) = −(d_s + R_s·h)  ≤  M.

    Written as the Rockafellar–Uryasev minimum over the limit's own variable z (an LP),

        min_z  z + Σ_s max(0, c_s·L_s(h) − c_s z)  ≤  M,    c_s = 1/((1 − α) S),

    with M, the scenario matrix and the tail weights c_s Parameters written at every ``update``
    (``max_loss``, α, ``length`` and the scenarios change without recompiling; more scenarios than
    the compiled rows are refused, fewer use the first rows). The shadow
    price is d(optimum)/d(M) ≥ 0. A limit no hedge inside the box can meet makes the period
    infeasible (an :class:`~cdshedge_cvx.errors.InfeasibleError` naming the period).

    Parameters
    ----------
    max_loss : float
        The cap M on the expected tail loss ($mm; negative: a required expected tail gain).
    alpha, count, length, scenarios
        As for :class:`~cdshedge_cvx.model.terms.CVaR`.
    """

    requires = ("risk_changes", "risk_desk_pnl", "pnl_scale", "fx_rate")
    limit_params = ("max_loss",)

    def __init__(self, max_loss: float, alpha: float = 0.95, count: int = 15, length: int = 1,
                 scenarios: str | Path | pd.DataFrame | None = None) -> None:
        self.max_loss = max_loss
        self.alpha = alpha
        self.count = count
        self.length = length
        self.scenarios = scenarios

    def _limit(self) -> float:
        if isinstance(self.max_loss, bool) or not isinstance(self.max_loss, (int, float)) \
                or not np.isfinite(self.max_loss):
            raise SpecificationError(f"CVaRLimit: max_loss must be a finite number ($mm), got {self.max_loss!r}")
        return float(self.max_loss)

    def setup(self, n: int) -> None:
        self._limit()
        self.rows_ = self._compiled_rows()
        self.R_ = cp.Parameter((self.rows_, n), name="CVaRLimit.R")
        self.d_ = cp.Parameter(self.rows_, name="CVaRLimit.d")
        self.c_ = cp.Parameter(self.rows_, nonneg=True, name="CVaRLimit.tail_weights")
        self.limit_ = cp.Parameter(name="CVaRLimit.max_loss")

    def update(self, data: Mapping[str, Any]) -> None:
        self.limit_.value = self._limit()
        weights = self.tail_weights_now()
        desk, hedge = self.scenario_pnl(data)
        self.R_.value = -weights[:, None] * self.padded(hedge)
        self.d_.value = -weights * self.padded(desk)
        self.c_.value = weights

    def constraints(self, h: cp.Variable) -> list[cp.Constraint]:
        return [tail_expression(self.R_ @ h + self.d_, self.c_, h, "CVaRLimit") <= self.limit_]

    def violation(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        cvar = empirical_cvar(self.twin_losses(h, data), float(self.alpha))[0]
        return float(max(0.0, cvar - float(self.max_loss)))

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm:
        """The Rockafellar–Uryasev LP (:func:`~cdshedge_cvx.model.terms._cvar.ru_scipy_form`):
        z + c Σ_s u_s ≤ M with u_s ≥ L_s(h) − z, u ≥ 0."""
        return ru_scipy_form(self, data, None, self._limit())
