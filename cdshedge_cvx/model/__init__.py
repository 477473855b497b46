"""The optimisation model: the component contract of terms and limits, the built-in terms (one
module each under ``terms/``) and limits (``limits/``), the term algebra and the objective parser."""

from __future__ import annotations

from cdshedge_cvx.model import terms as _terms
from cdshedge_cvx.model._component import (
    Component,
    Constraint,
    Term,
)
from cdshedge_cvx.model._lifting import (
    ScipyForm,
)
from cdshedge_cvx.model._objective import (
    Objective,
    as_objective,
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
from cdshedge_cvx.model._values import (
    set_value,
)
from cdshedge_cvx.model.limits import (
    BoxLimits,
    CVaRLimit,
    GrossLimit,
    JumpToDefaultLimit,
    NetLimit,
    TurnoverLimit,
    jump_to_default_per_cs01,
)

# every built-in term (HedgePnL, Carry, …, LinearTerm, covariance_root) as the terms package finds them
globals().update({name: getattr(_terms, name) for name in _terms.__all__})

__all__ = [
    "ENTRY_POINT_GROUP",
    "TOKEN",
    "BoxLimits",
    "CVaRLimit",
    "Component",
    "Constraint",
    "GrossLimit",
    "JumpToDefaultLimit",
    "NetLimit",
    "Objective",
    "ScipyForm",
    "Term",
    "TurnoverLimit",
    "as_objective",
    "builtin_term_factories",
    "discover_terms",
    "jump_to_default_per_cs01",
    "parse_objective",
    "set_value",

]
__all__ += _terms.__all__
