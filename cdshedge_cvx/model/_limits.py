"""Former home of the limits, kept so that ``from cdshedge_cvx.model._limits import GrossLimit`` still works.

The contract lives in :mod:`cdshedge_cvx.model._component` and each limit in its own module of
:mod:`cdshedge_cvx.model.limits`; import them from :mod:`cdshedge_cvx.model`.
"""

from __future__ import annotations

from cdshedge_cvx.model._component import Constraint
from cdshedge_cvx.model.limits import (
    BoxLimits,
    GrossLimit,
    JumpToDefaultLimit,
    NetLimit,
    TurnoverLimit,
    jump_to_default_per_cs01,
)

__all__ = ["BoxLimits", "Constraint", "GrossLimit", "JumpToDefaultLimit", "NetLimit", "TurnoverLimit",
           "jump_to_default_per_cs01"]
