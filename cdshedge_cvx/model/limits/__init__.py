"""The built-in limits, one module per limit (the CS01 box is always there)."""

from __future__ import annotations

from cdshedge_cvx.model.limits._box import BoxLimits
from cdshedge_cvx.model.limits._cvar import CVaRLimit
from cdshedge_cvx.model.limits._gross import GrossLimit
from cdshedge_cvx.model.limits._jump_to_default import JumpToDefaultLimit, jump_to_default_per_cs01
from cdshedge_cvx.model.limits._net import NetLimit
from cdshedge_cvx.model.limits._turnover import TurnoverLimit

__all__ = ["BoxLimits", "CVaRLimit", "GrossLimit",
           "JumpToDefaultLimit", "NetLimit", "TurnoverLimit", "jump_to_default_per_cs01"]
