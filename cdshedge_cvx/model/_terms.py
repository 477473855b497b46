"""Former home of the terms, kept so that ``from cdshedge_cvx.model._terms import Carry`` still works.

The contract lives in :mod:`cdshedge_cvx.model._component`, the algebra in
:mod:`cdshedge_cvx.model._objective` and each built-in term in its own module of
:mod:`cdshedge_cvx.model.terms`; import them from :mod:`cdshedge_cvx.model`.
"""

from __future__ import annotations

from cdshedge_cvx.model._component import Term
from cdshedge_cvx.model._objective import Objective, as_objective
from cdshedge_cvx.model.terms import (  # type: ignore[attr-defined]
    Carry,
    HedgePnL,
    LinearTerm,
    RidgePenalty,
    Roll,
    RollDateCost,
    TransactionCost,
    VariancePenalty,
    covariance_root,
)

__all__ = ["Carry", "HedgePnL", "LinearTerm", "Objective", "RidgePenalty", "Roll", "RollDateCost", "Term",
           "TransactionCost", "VariancePenalty", "as_objective", "covariance_root"]
