"""The package's exception tree, split by how a user recovers.

* :class:`DataError` -- the input is wrong: fix the file or frame named in the message.
* :class:`SpecificationError` -- the model is wrong: fix the objective, term or limit named.
* :class:`SolverError` -- the numbers are fine but no answer was found: the period and the
  constraints involved are named; :class:`InfeasibleError` when the limits contradict each other.
* :class:`CrossCheckWarning` -- the independent scipy solve disagrees with CVXPY by more than
  the tolerance (:class:`CrossCheckError` under ``strict=True``).
"""

from __future__ import annotations

__all__ = [
    "CdsHedgeError",
    "CrossCheckError",
    "CrossCheckWarning",
    "DataError",
    "InfeasibleError",
    "SolverError",
    "SpecificationError",
]


class CdsHedgeError(Exception):
    """Base class of every error raised on purpose by ``cdshedge_cvx``."""


class DataError(CdsHedgeError, ValueError):
    """Input data is missing, malformed or inconsistent (exit code 2 on the CLI)."""


class SpecificationError(CdsHedgeError, ValueError):
    """The objective, a term, a constraint or an option is not valid (exit code 2)."""


class SolverError(CdsHedgeError, RuntimeError):
    """No optimal answer was found for a period (exit code 3)."""


class InfeasibleError(SolverError):
    """The limits of a period cannot all hold at once (exit code 3)."""


class CrossCheckError(SolverError):
    """The scipy cross-check disagrees with CVXPY and ``strict=True`` was asked (exit code 3)."""


class CrossCheckWarning(UserWarning):
    """The scipy cross-check disagrees with CVXPY by more than the tolerance."""
