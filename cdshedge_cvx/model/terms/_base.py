"""Shared pieces of the built-in terms: the linear-term base and the conventions' formula words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.model._component import Term
from cdshedge_cvx.model._values import set_value

if TYPE_CHECKING:
    from cdshedge_cvx.credit._conventions import Conventions

__all__ = ["LinearTerm"]


def convention_formulas(conventions: Conventions) -> dict[str, str]:
    """The right-hand sides of :meth:`Conventions.formulas` by name (``hedge PnL``, ``carry``, ``roll-down``)."""
    return dict(part.split(" = ", 1) for part in conventions.formulas().split("; ") if " = " in part)


class LinearTerm(Term):
    """A term linear in h: c · h.

    Subclasses implement :meth:`coefficients` (c, written into the Parameter by ``update``) and
    should implement :meth:`twin_coefficients`, the same c written again in numpy without calling
    :meth:`coefficients`, so that the scipy cross-check and :func:`~cdshedge_cvx.testing.check_term`
    catch a mistake in either. Without it the twin reuses :meth:`coefficients` (the cross-check
    then only checks the solve, not the coefficients).
    """

    def coefficients(self, data: Mapping[str, Any]) -> np.ndarray:
        """The vector c of the term c · h (mm of the reporting currency per unit of CS01)."""
        raise NotImplementedError(f"{type(self).__name__}.coefficients is not implemented")

    def twin_coefficients(self, data: Mapping[str, Any]) -> np.ndarray:
        """c for the numpy twin (:meth:`value`, :meth:`gradient`, :meth:`contributions`)."""
        return np.asarray(self.coefficients(data), dtype=float)

    def setup(self, n: int) -> None:
        self.c_ = cp.Parameter(n, name=f"{self.name}.c")

    def update(self, data: Mapping[str, Any]) -> None:
        set_value(self.c_, self.coefficients(data))

    def expr(self, h: cp.Variable) -> cp.Expression:
        return self.c_ @ h

    def value(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        return float(np.dot(self.twin_coefficients(data), h))

    def gradient(self, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray:
        return np.asarray(self.twin_coefficients(data), dtype=float)

    def contributions(self, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray:
        return self.twin_coefficients(data) * np.asarray(h, dtype=float)
