"""The closed-form path: a linear objective over the CS01 box alone is solved exactly, without a solver.

Maximising c·h + const over l ≤ h ≤ u is separable and bang-bang: each h_i sits on the bound its
coefficient points to (u_i when c_i > 0, l_i when c_i < 0, the point of [l_i, u_i] closest to 0
when c_i = 0). The shadow price of instrument i's box is c_i (only the binding side's dual is
non-zero, and it equals the coefficient). c is read from CVXPY's compiled objective
(:mod:`cdshedge_cvx.solve._coefficients`), not from the terms' numpy twins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from cdshedge_cvx.solve._coefficients import coefficient_reader
from cdshedge_cvx.solve._compiled import CompiledProblem
from cdshedge_cvx.solve._path import PeriodSolution, SolvePath

__all__ = ["ClosedFormPath"]


class ClosedFormPath(SolvePath):
    """Exact bang-bang answer of a linear objective with the CS01 box as its only limit."""

    name = "closed-form"

    def __init__(self) -> None:
        self._reader: tuple[CompiledProblem, Callable[[], np.ndarray]] | None = None

    def accepts(self, compiled: CompiledProblem) -> bool:
        """A linear objective and no limit but the box."""
        return compiled.is_linear and compiled.box_only

    def coefficients(self, compiled: CompiledProblem) -> np.ndarray:
        """c of the objective c·h + const at the current Parameter values (the reader is compiled once)."""
        if self._reader is None or self._reader[0] is not compiled:
            self._reader = (compiled, coefficient_reader(compiled.h, compiled.objective, compiled.problem))
        return self._reader[1]()

    def solve(self, compiled: CompiledProblem, data: Mapping[str, Any]) -> PeriodSolution:
        lower, upper = compiled.box_bounds()
        c = self.coefficients(compiled)
        h = np.where(c > 0, upper, np.where(c < 0, lower, np.clip(0.0, lower, upper)))
        return PeriodSolution.at(compiled, data, h, status="optimal", solver=self.name, path=self.name,
                                 shadow_prices={compiled.box_label: c.copy()})
