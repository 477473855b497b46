"""The ``cdshedge`` command: one module per sub-command (run, frontier, convert).

Modules import one way: :mod:`._main` (parser, entry point) → the commands (:mod:`._run`,
:mod:`._frontier`, :mod:`._convert`) → the shared steps (:mod:`._pipeline`), flags
(:mod:`._parser`) and exit codes (:mod:`._common`). Importing this package stays light (no
pandas, no CVXPY), so ``cdshedge --help`` starts fast; :func:`describe_missing` is loaded on
first use from :mod:`cdshedge_cvx.reporting`.
"""

from __future__ import annotations

from typing import Any

from cdshedge_cvx.cli._common import EXIT_INTERNAL, EXIT_OK, EXIT_SOLVER, EXIT_USAGE
from cdshedge_cvx.cli._main import build_parser, entry_point, main
from cdshedge_cvx.cli._pipeline import build_constraints, initial_holdings, input_paths, load_inputs
from cdshedge_cvx.cli._run import print_run_report

__all__ = [
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_SOLVER",
    "EXIT_USAGE",
    "build_constraints",
    "build_parser",
    "describe_missing",
    "entry_point",
    "initial_holdings",
    "input_paths",
    "load_inputs",
    "main",
    "print_run_report",
]


def __getattr__(name: str) -> Any:
    if name == "describe_missing":  # lives with the report; imported on use, not by ``--help``
        from cdshedge_cvx.reporting._format import describe_missing

        return describe_missing
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
