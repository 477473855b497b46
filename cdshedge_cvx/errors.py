"""The package's exception tree, split by how a user recovers, and the one helper that names the
component, period or file an error comes from.

* :class:`DataError` -- the input is wrong: fix the file or frame named in the message.
* :class:`SpecificationError` -- the model is wrong: fix the objective, term or limit named.
* :class:`SolverError` -- the numbers are fine but no answer was found: the period and the
  constraints involved are named; :class:`InfeasibleError` when the limits contradict each other.
* :class:`CrossCheckWarning` -- the independent scipy solve disagrees with CVXPY by more than
  the tolerance (:class:`CrossCheckError` under ``strict=True``).

A library error may carry :class:`Hint` objects: a fix expressed as an option and a value
(``Hint("missing", "drop")``). ``str(error)`` words it for Python users (``missing='drop'``);
the command line words it as a flag (``--missing drop``) through :meth:`CdsHedgeError.message_for`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CdsHedgeError",
    "CrossCheckError",
    "CrossCheckWarning",
    "DataError",
    "Hint",
    "InfeasibleError",
    "SolverError",
    "SpecificationError",
    "naming",
]


@dataclass(frozen=True)
class Hint:
    """A fix the user can apply: set ``option`` (the API's keyword) to ``value``.

    Parameters
    ----------
    option : str
        Keyword argument of the Python API (``missing``, ``solver`` …); the command line's flag is
        the same name with dashes (``--missing``).
    value : str or int, optional
        The value to pass; ``None`` when any value of the user's choice fits (``solver``).
    flag : str, optional
        The command line's flag where it is not ``option`` with dashes (``desk_columns`` is the
        repeatable ``--desk-column``).
    """

    option: str
    value: str | int | None = None
    flag: str | None = None

    def words(self, audience: Literal["python", "cli"] = "python") -> str:
        """The fix in the audience's words: ``missing='drop'`` or ``--missing drop``."""
        if audience == "cli":
            flag = self.flag or "--" + self.option.replace("_", "-")
            return flag if self.value is None else f"{flag} {self.value}"
        return f"{self.option}=..." if self.value is None else f"{self.option}={self.value!r}"


class CdsHedgeError(Exception):
    """Base class of every error raised on purpose by ``cdshedge_cvx``.

    Parameters
    ----------
    message : str
        What is wrong, naming the file, row, column, instrument, term or period.
    hints : sequence of Hint, optional
        Fixes, worded for the audience by :meth:`message_for`; ``str(error)`` uses Python's words.
    """

    def __init__(self, message: str = "", *, hints: tuple[Hint, ...] | list[Hint] = ()) -> None:
        self.detail = str(message)
        self.hints = tuple(hints)
        super().__init__(self.message_for("python"))

    def message_for(self, audience: Literal["python", "cli"] = "python") -> str:
        """The message with its hints worded for ``audience`` (``"python"`` or ``"cli"``)."""
        if not self.hints:
            return self.detail
        fixes = " or ".join(hint.words(audience) for hint in self.hints)
        return f"{self.detail}; try {fixes}"

    def within(self, context: str) -> CdsHedgeError:
        """The same error (class and hints) with ``context: `` put before its message."""
        return type(self)(f"{context}: {self.detail}", hints=self.hints)


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


@contextmanager
def naming(context: str, action: str = "") -> Iterator[None]:
    """Run user or component code so that any error it raises names ``context``.

    A :class:`CdsHedgeError` is raised again, same class and hints, as ``"{context}: {message}"``;
    any other exception (a bug in a user's term, a ``KeyError`` …) becomes a
    :class:`SpecificationError` ``"{context}: {action} failed: {Type}: {message}"`` chained to it.

    Parameters
    ----------
    context : str
        Who is running, e.g. ``"term Carry, period 2024-03-28"`` or ``"extra key 'funding_bp'"``.
    action : str
        What it was doing, e.g. ``"update()"``; defaults to ``"it"``.

    Examples
    --------
    >>> with naming("term Funding, period 2024-01-31", "update()"):
    ...     {}["funding_bp"]
    Traceback (most recent call last):
    ...
    cdshedge_cvx.errors.SpecificationError: term Funding, period 2024-01-31: update() failed: KeyError: 'funding_bp'
    """
    try:
        yield
    except CdsHedgeError as exc:
        raise exc.within(context) from exc
    except Exception as exc:
        raise SpecificationError(f"{context}: {action or 'it'} failed: {type(exc).__name__}: {exc}") from exc
