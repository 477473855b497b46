"""What every sub-command of ``cdshedge`` reports back the same way: exit codes, one-line errors
and warnings.

Exit codes: 0 success, 1 internal error, 2 usage or data error, 3 infeasible or solver failure.
An error is one line on standard error, its hints worded as flags
(:meth:`cdshedge_cvx.errors.CdsHedgeError.message_for` with ``"cli"``).
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_SOLVER",
    "EXIT_USAGE",
    "decimal_rate",
    "error_line",
    "exit_code",
    "quiet_broken_pipe",
    "show_warning_one_line",
]

#: A rate above this in absolute value is read as a percent typed for a decimal (3 for 3 %).
MAX_DECIMAL_RATE = 0.25

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_SOLVER = 0, 1, 2, 3
#: A reader closed standard output early (``cdshedge run | head``): 128 + SIGPIPE, as a shell reports a filter
#: killed by the signal.
EXIT_BROKEN_PIPE = 141


def quiet_broken_pipe() -> int:
    """Exit quietly when the reader of standard output went away, like any Unix filter.

    Standard output is pointed at ``/dev/null`` so the interpreter's final flush cannot raise
    again; nothing is printed. Returns :data:`EXIT_BROKEN_PIPE`.
    """
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor (captured in tests)
        pass
    return EXIT_BROKEN_PIPE


def exit_code(exc: BaseException) -> int:
    """2 for a data or specification error, 3 for a solver error, 1 for anything else (a bug)."""
    from cdshedge_cvx.errors import DataError, SolverError, SpecificationError

    if isinstance(exc, (DataError, SpecificationError)):
        return EXIT_USAGE
    if isinstance(exc, SolverError):
        return EXIT_SOLVER
    return EXIT_INTERNAL


def error_line(exc: BaseException) -> str:
    """``cdshedge: error: …`` on one line, hints worded as flags; an internal error asks for a report."""
    from cdshedge_cvx.errors import CdsHedgeError

    kind = type(exc).__name__
    text = exc.message_for("cli") if isinstance(exc, CdsHedgeError) else str(exc)
    message = " ".join(text.split()) or kind
    if exit_code(exc) == EXIT_INTERNAL:
        message = f"internal error ({kind}): {message}; rerun with --debug and report it"
    return f"cdshedge: error: {message}"


def show_warning_one_line(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                          file: Any = None, line: str | None = None) -> None:
    """A warning as one line on standard error (a :data:`warnings.showwarning` replacement)."""
    text = " ".join(str(message).split())
    print(f"cdshedge: warning: {text} ({category.__name__})", file=sys.stderr)


def decimal_rate(text: str) -> float:
    """A rate given as a decimal (an argparse ``type``): ``0.03`` for 3 %; ``3`` is refused as a
    percent, with the decimal to give (:data:`MAX_DECIMAL_RATE`)."""
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite rate")
    if abs(value) > MAX_DECIMAL_RATE:
        raise argparse.ArgumentTypeError(f"{text} looks like a percent; give the rate as a decimal "
                                         f"({value / 100:g} for {value:g} %)")
    return value
