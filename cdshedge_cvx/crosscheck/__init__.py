"""The independent scipy cross-check of every period's CVXPY answer.

Default (``warm``): a warm-started scipy certificate on every period plus cold re-solves on a
seeded sample and wherever the certificate fails (:mod:`._warm`); ``full``: the cold re-solve of
every period (:mod:`._reference`).
"""

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
from cdshedge_cvx.crosscheck._warm import (
    CHECK_MODES,
    COLD_SAMPLE_RATE,
    COLD_SAMPLE_SEED,
    check_mode,
    cold_periods,
    period_check,
    warm_check,
)

__all__ = [
    "CHECK_MODES",
    "COLD_SAMPLE_RATE",
    "COLD_SAMPLE_SEED",
    "DEFAULT_TOLERANCES",
    "SLSQP_POLISH_MAX_INSTRUMENTS",
    "CrossCheck",
    "LotCrossCheck",
    "check_mode",
    "cold_periods",
    "cross_check",
    "enumerate_lots",
    "lot_cross_check",
    "period_check",
    "scipy_solve",
    "twin_gradient",
    "twin_value",
    "twin_violation",
    "warm_check",
]
