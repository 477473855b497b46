"""Compiling the model once and solving it period after period.

:func:`compile_problem` turns an objective and its limits into a :class:`CompiledProblem`; each
solve path (:class:`ClosedFormPath`, :class:`BoxQPPath`, :class:`DirectQPPath`, :class:`CvxpySolverPath`) says
whether it accepts one (``accepts``) and solves a period of it (``solve``);
:class:`HedgeProblem` ties them together (update the Parameters, ask the paths in order, record
fallbacks). Diagnostics (answer checks, infeasibility explanation) are in ``_diagnostics``, the
validation of terms' and limits' CVXPY forms in ``_validation``.
"""

from __future__ import annotations

from cdshedge_cvx.solve._box_qp import BOX_QP_KKT_TOLERANCE, BoxQP, BoxQPPath, solve_box_qp
from cdshedge_cvx.solve._closed_form import ClosedFormPath
from cdshedge_cvx.solve._compiled import (
    DEFAULT_SOLVER_OPTIONS,
    DPP_TENSOR_BYTES,
    FALLBACK_SOLVERS,
    CompiledProblem,
    compile_problem,
    installed_solvers,
)
from cdshedge_cvx.solve._cvxpy_path import CvxpySolverPath
from cdshedge_cvx.solve._diagnostics import (
    BOX_PROJECTION_TOLERANCE,
    FEASIBILITY_TOLERANCE,
    feasibility_issue,
    infeasibility_culprits,
    kkt_issue,
    limits_can_hold,
)
from cdshedge_cvx.solve._direct_qp import (
    DIRECT_QP_MAX_INSTRUMENTS,
    DirectQP,
    DirectQPPath,
    DirectQPResult,
    condense,
    silenced_stdout,
)
from cdshedge_cvx.solve._lifted_qp import LIFTED_QP_SETTINGS, LiftedQPPath
from cdshedge_cvx.solve._mip_path import LotSolution, LotSpec, MipPath, notional_per_cs01
from cdshedge_cvx.solve._path import PathFailed, PeriodSolution, SolvePath
from cdshedge_cvx.solve._problem import HedgeProblem
from cdshedge_cvx.solve._validation import (
    limit_constraint_issue,
    term_expression_issue,
    validate_limit_constraints,
    validate_term_expression,
)

__all__ = [
    "BOX_PROJECTION_TOLERANCE",
    "BOX_QP_KKT_TOLERANCE",
    "DEFAULT_SOLVER_OPTIONS",
    "DIRECT_QP_MAX_INSTRUMENTS",
    "DPP_TENSOR_BYTES",
    "FALLBACK_SOLVERS",
    "FEASIBILITY_TOLERANCE",
    "LIFTED_QP_SETTINGS",
    "BoxQP",
    "BoxQPPath",
    "ClosedFormPath",
    "CompiledProblem",
    "CvxpySolverPath",
    "DirectQP",
    "DirectQPPath",
    "DirectQPResult",
    "HedgeProblem",
    "LiftedQPPath",
    "LotSolution",
    "LotSpec",
    "MipPath",
    "PathFailed",
    "PeriodSolution",
    "SolvePath",
    "compile_problem",
    "condense",
    "feasibility_issue",
    "infeasibility_culprits",
    "installed_solvers",
    "kkt_issue",
    "limit_constraint_issue",
    "limits_can_hold",
    "notional_per_cs01",
    "silenced_stdout",
    "solve_box_qp",
    "term_expression_issue",
    "validate_limit_constraints",
    "validate_term_expression",
]
