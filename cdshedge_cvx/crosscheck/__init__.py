"""The independent scipy cross-check of every period's CVXPY answer."""

from __future__ import annotations

from cdshedge_cvx.crosscheck._lots import LotCrossCheck, enumerate_lots, lot_cross_check
from cdshedge_cvx.crosscheck._reference import (
    DEFAULT_TOLERANCES,
    SLSQP_POLISH_MAX_INSTRUMENTS,
    CrossCheck,
    cross_check,
    scipy_solve,
    twin_gradient,
    twin_value,
    twin_violation,
)

__all__ = [
    "DEFAULT_TOLERANCES",
    "SLSQP_POLISH_MAX_INSTRUMENTS",
    "CrossCheck",
    "LotCrossCheck",
    "cross_check",
    "enumerate_lots",
    "lot_cross_check",
    "scipy_solve",
    "twin_gradient",
    "twin_value",
    "twin_violation",
]
