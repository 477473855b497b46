"""Compiling the model once and solving it period after period."""

from __future__ import annotations

from cdshedge_cvx.solve._direct_qp import (
    DirectQP,
    DirectQPResult,
    condense,
    silenced_stdout,
)
from cdshedge_cvx.solve._problem import (
    BOX_PROJECTION_TOLERANCE,
    DEFAULT_SOLVER_OPTIONS,
    DIRECT_QP_MAX_INSTRUMENTS,
    DPP_TENSOR_BYTES,
    FALLBACK_SOLVERS,
    FEASIBILITY_TOLERANCE,
    HedgeProblem,
    PeriodSolution,
    installed_solvers,
)

__all__ = [
    "BOX_PROJECTION_TOLERANCE",
    "DEFAULT_SOLVER_OPTIONS",
    "DIRECT_QP_MAX_INSTRUMENTS",
    "DPP_TENSOR_BYTES",
    "FALLBACK_SOLVERS",
    "FEASIBILITY_TOLERANCE",
    "DirectQP",
    "DirectQPResult",
    "HedgeProblem",
    "PeriodSolution",
    "condense",
    "installed_solvers",
    "silenced_stdout",
]
