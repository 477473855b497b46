"""The solve-path contract (in the style of cvxpy's ``Reduction.accepts/apply``) and the answer of one period.

A path is a small stateful object: :meth:`SolvePath.accepts` says whether it can solve a
:class:`~cdshedge_cvx.solve.CompiledProblem` at all (decided from its structure, once), and
:meth:`SolvePath.solve` solves the period whose data the Parameters hold. A path that cannot
answer a particular period raises :class:`PathFailed` with the reasons, which the caller records
in :attr:`PeriodSolution.fallback_from` before asking the next path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cdshedge_cvx.solve._compiled import CompiledProblem

__all__ = ["PathFailed", "PeriodSolution", "SolvePath", "period_label"]


@dataclass
class PeriodSolution:
    """The answer of one period's solve.

    Attributes
    ----------
    period : str
        Label of the period (its last date).
    h : ndarray
        Optimal CS01 per instrument ($mm/bp).
    objective : float
        Optimal objective ($mm), from CVXPY.
    terms : dict
        Signed contribution of each objective entry (weight × term value, $mm).
    shadow_prices : dict
        Per constraint label: dual values (d optimum / d limit); a vector for a limit with one
        dual per instrument (the CS01 box), a number otherwise; for a limit priced per group (the
        jump-to-default limit) the number is a :class:`~cdshedge_cvx.solve._group_prices.GroupShadowPrice`,
        whose ``groups`` hold each group's price.
    status, solver, path : str
        Solver status, the solver that produced the answer, and the path: ``closed-form``,
        ``direct-qp`` (OSQP on the condensed QP) or ``solver`` (through CVXPY).
    solve_time : float
        Seconds spent in the solve.
    fallback_from : list of str
        Solvers that failed before ``solver`` answered (empty when none did).
    box : str
        The key of the CS01 box in ``shadow_prices``.
    curvature : ndarray or None
        The condensed QP's P = 2 Σ_k |w_k| G_k where the path built it (the direct-QP paths), read by
        the identification check of :meth:`HedgeProblem.solve` instead of building it again, which
        then drops it (``None`` in returned solutions: not kept per period).
    """

    period: str
    h: np.ndarray
    objective: float
    terms: dict[str, float]
    shadow_prices: dict[str, Any]
    status: str
    solver: str
    path: str
    solve_time: float
    fallback_from: list[str] = field(default_factory=list)
    box: str = "BoxLimits"
    curvature: np.ndarray | None = field(default=None, repr=False, compare=False)

    @classmethod
    def at(cls, compiled: CompiledProblem, data: Mapping[str, Any], h: np.ndarray, *, status: str, solver: str,
           path: str, shadow_prices: dict[str, Any], fallback_from: list[str] | None = None) -> PeriodSolution:
        """The solution ``h`` of the period ``data``, with each term's value evaluated by CVXPY at ``h``."""
        terms = compiled.term_values(h)
        return cls(period=period_label(data), h=h.copy(), objective=float(sum(terms.values())), terms=terms,
                   shadow_prices=shadow_prices, status=status, solver=solver, path=path, solve_time=0.0,
                   fallback_from=list(fallback_from or []), box=compiled.box_label)


class PathFailed(Exception):
    """A path could not answer this period; ``failures`` says why (one entry per solver tried).

    Parameters
    ----------
    failures : list of str
        E.g. ``["OSQP (direct QP): status maximum iterations reached"]``.
    """

    def __init__(self, failures: list[str]) -> None:
        self.failures = list(failures)
        super().__init__("; ".join(self.failures))


def period_label(data: Mapping[str, Any]) -> str:
    """The period's label for messages (``?`` when the data has none)."""
    return str(data.get("period", "?"))


class SolvePath:
    """Base class of the solve paths: ``accepts(compiled)`` and ``solve(compiled, data)``."""

    #: Recorded in :attr:`PeriodSolution.path`.
    name = ""

    def accepts(self, compiled: CompiledProblem) -> bool:
        """Whether this path can solve ``compiled`` (from its structure alone)."""
        raise NotImplementedError

    def solve(self, compiled: CompiledProblem, data: Mapping[str, Any]) -> PeriodSolution:
        """Solve the period whose data the Parameters hold (``data``: the same period's data).

        Raises
        ------
        PathFailed
            When this period cannot be answered here: the next path is asked.
        """
        raise NotImplementedError

    def reset(self) -> None:
        """Forget what earlier solves left behind (a solver workspace)."""
