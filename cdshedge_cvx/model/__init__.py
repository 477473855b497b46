"""The optimisation model: the term and limit contract, built-in terms and limits, the objective parser."""

from __future__ import annotations

from cdshedge_cvx.model._lifting import (
    ScipyForm,
)
from cdshedge_cvx.model._limits import (
    BoxLimits,
    Constraint,
    GrossLimit,
    JumpToDefaultLimit,
    NetLimit,
    TurnoverLimit,
    jump_to_default_per_cs01,
)
from cdshedge_cvx.model._parser import (
    TOKEN,
    builtin_term_factories,
    parse_objective,
)
from cdshedge_cvx.model._registry import (
    ENTRY_POINT_GROUP,
    discover_terms,
)
from cdshedge_cvx.model._terms import (
    Carry,
    HedgePnL,
    LinearTerm,
    Objective,
    Roll,
    RollDateCost,
    Term,
    TransactionCost,
    VariancePenalty,
    as_objective,
    covariance_root,
)
from cdshedge_cvx.model._values import (
    set_value,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "TOKEN",
    "BoxLimits",
    "Carry",
    "Constraint",
    "GrossLimit",
    "HedgePnL",
    "JumpToDefaultLimit",
    "LinearTerm",
    "NetLimit",
    "Objective",
    "Roll",
    "RollDateCost",
    "ScipyForm",
    "Term",
    "TransactionCost",
    "TurnoverLimit",
    "VariancePenalty",
    "as_objective",
    "builtin_term_factories",
    "covariance_root",
    "discover_terms",
    "jump_to_default_per_cs01",
    "parse_objective",
    "set_value",
]
