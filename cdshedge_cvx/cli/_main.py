"""The ``cdshedge`` command: the parser of its sub-commands and the entry point.

Exit codes: 0 success, 1 internal error, 2 usage or data error, 3 infeasible or solver failure.
Errors are one line on standard error (``--debug`` shows the traceback). Outputs are written
atomically: a failed run leaves no partial file. Heavy imports (CVXPY, pandas) happen only
inside the sub-commands, so ``cdshedge --help`` starts fast.

Each sub-command is a module with ``add_<name>_command(subparsers)`` (its flags and handler):
:mod:`~cdshedge_cvx.cli._run`, :mod:`~cdshedge_cvx.cli._convert`, :mod:`~cdshedge_cvx.cli._frontier`;
the steps they share are in :mod:`~cdshedge_cvx.cli._pipeline`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cdshedge_cvx.cli._common import (
    EXIT_OK,
    EXIT_USAGE,
    error_line,
    exit_code,
    quiet_broken_pipe,
    show_warning_one_line,
)
from cdshedge_cvx.cli._convert import add_convert_command
from cdshedge_cvx.cli._frontier import add_frontier_command
from cdshedge_cvx.cli._parser import CommandParser
from cdshedge_cvx.cli._pipeline import check_output_paths, summary_stream
from cdshedge_cvx.cli._run import add_run_command

__all__ = ["COMMANDS", "build_parser", "entry_point", "main"]

#: The sub-commands' registrars ``f(subparsers)``, in the order ``cdshedge --help`` lists them.
COMMANDS = (add_run_command, add_convert_command, add_frontier_command)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``cdshedge`` (sub-commands run, convert, frontier)."""
    parser = CommandParser(prog="cdshedge",
                           description="CDS index hedging of a desk's PnL (CVXPY, cross-checked by scipy).")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    subparsers = parser.add_subparsers(dest="command", parser_class=CommandParser)
    for add_command in COMMANDS:
        add_command(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cdshedge``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from cdshedge_cvx import __version__

        print(__version__)
        return EXIT_OK
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    debug = args.debug
    args.argv_ = list(sys.argv[1:] if argv is None else argv)
    try:
        import warnings

        from cdshedge_cvx.errors import CrossCheckWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CrossCheckWarning)  # reported in the summary instead
            if not debug:
                warnings.showwarning = show_warning_one_line
            check_output_paths(args)
            with summary_stream(args):
                code = int(args.handler(args))
            sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
            return code
    except BrokenPipeError:
        return quiet_broken_pipe()
    except Exception as exc:
        if debug:
            raise
        print(error_line(exc), file=sys.stderr)
        return exit_code(exc)
    except KeyboardInterrupt:
        print("cdshedge: interrupted", file=sys.stderr)
        return 130


def entry_point() -> None:
    """Console-script wrapper: ``sys.exit(main())``."""
    sys.exit(main())
