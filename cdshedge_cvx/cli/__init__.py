"""The ``cdshedge`` command: one module per command (run, frontier, convert)."""

from __future__ import annotations

from cdshedge_cvx.cli._main import (
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_SOLVER,
    EXIT_USAGE,
    build_constraints,
    build_parser,
    describe_missing,
    entry_point,
    initial_holdings,
    input_paths,
    load_inputs,
    main,
    print_run_report,
)

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
