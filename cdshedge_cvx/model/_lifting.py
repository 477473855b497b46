"""Smooth numpy forms of piecewise-linear terms and limits, for the scipy cross-check.

Absolute values (gross CS01, turnover, transaction costs) have kinks where gradient-based
scipy methods stall. A :class:`ScipyForm` writes such a piece exactly with m auxiliary
variables t (the epigraph of the absolute values) and linear inequalities:

    t ≥ |A h − b|                    (2m linear inequalities; t ≥ 0)
    term:        value = weights · t  (convex; exact at the optimum once it is subtracted)
    constraint:  G_h h + G_t t ≤ g

so every built-in limit and :class:`~cdshedge_cvx.model.TransactionCost` become smooth in
(h, t). The forms are computed from the period data with numpy; they never read a CVXPY
expression, which keeps the cross-check independent.

A piecewise-linear function that is no weighted sum of absolute values (CVaR: the
Rockafellar–Uryasev LP) is written with auxiliary variables t ≥ 0 whose rows of A are zero (so
t ≥ |A h − b| says t ≥ 0), the LP's rows in ``G_h h + G_t t ≤ g`` and its optimal ``lifting``
t(h) given: the term is then min_t weights · t over those rows (weights of any sign), which
``lifting`` attains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cdshedge_cvx.errors import SpecificationError

__all__ = ["ScipyForm"]


@dataclass(frozen=True)
class ScipyForm:
    """Epigraph (lifted) representation of a piecewise-linear term or limit.

    Parameters
    ----------
    n : int
        Number of instruments (columns of ``A`` and ``G_h``).
    A, b : ndarray, shape (m, n) and (m,), optional
        The auxiliary variables satisfy t ≥ |A h − b| (none by default).
    weights : ndarray, shape (m,), optional
        For a term: its value is ``weights · t`` (weights ≥ 0).
    G_h, G_t, g : ndarray, shapes (p, n), (p, m), (p,), optional
        For a constraint: ``G_h h + G_t t ≤ g``. A term may have such rows too (an LP epigraph).
    lifting : callable, optional
        h ↦ the optimal t at h (default |A h − b|): for an LP epigraph whose value at h is
        ``weights · lifting(h)`` = min over the feasible t.
    """

    n: int
    A: np.ndarray | None = None
    b: np.ndarray | None = None
    weights: np.ndarray | None = None
    G_h: np.ndarray | None = None
    G_t: np.ndarray | None = None
    g: np.ndarray | None = None
    lifting: Callable[[np.ndarray], np.ndarray] | None = None

    def __post_init__(self) -> None:
        A = np.zeros((0, self.n)) if self.A is None else np.asarray(self.A, dtype=float).reshape(-1, self.n)
        b = np.zeros(A.shape[0]) if self.b is None else np.asarray(self.b, dtype=float).reshape(-1)
        if b.shape != (A.shape[0],):
            raise SpecificationError(f"ScipyForm: b has {b.size} entries for {A.shape[0]} rows of A")
        object.__setattr__(self, "A", A)
        object.__setattr__(self, "b", b)
        if self.weights is not None:
            object.__setattr__(self, "weights", np.asarray(self.weights, dtype=float).reshape(A.shape[0]))
        if self.g is not None:
            g = np.asarray(self.g, dtype=float).reshape(-1)
            G_h = np.zeros((g.size, self.n)) if self.G_h is None else np.asarray(self.G_h, dtype=float)
            G_t = np.zeros((g.size, A.shape[0])) if self.G_t is None else np.asarray(self.G_t, dtype=float)
            object.__setattr__(self, "g", g)
            object.__setattr__(self, "G_h", G_h.reshape(g.size, self.n))
            object.__setattr__(self, "G_t", G_t.reshape(g.size, A.shape[0]))

    def lift(self, h: np.ndarray) -> np.ndarray:
        """The optimal auxiliary variables at ``h``: ``lifting(h)``, by default |A h − b|."""
        h = np.asarray(h, dtype=float)
        if self.lifting is None:
            return np.abs(self.A @ h - self.b)
        return np.asarray(self.lifting(h), dtype=float).reshape(self.m)

    @property
    def m(self) -> int:
        """Number of auxiliary variables."""
        return int(self.A.shape[0])

    @classmethod
    def abs_sum(cls, centre: np.ndarray, weights: np.ndarray) -> ScipyForm:
        """A term Σ_i weights_i · |h_i − centre_i|."""
        centre = np.asarray(centre, dtype=float)
        return cls(n=centre.size, A=np.eye(centre.size), b=centre, weights=weights)

    @classmethod
    def abs_sum_limit(cls, centre: np.ndarray, limit: float) -> ScipyForm:
        """A limit Σ_i |h_i − centre_i| ≤ limit."""
        centre = np.asarray(centre, dtype=float)
        n = centre.size
        return cls(n=n, A=np.eye(n), b=centre, G_t=np.ones((1, n)), g=np.array([float(limit)]))

    @classmethod
    def linear_limit(cls, G_h: np.ndarray, g: np.ndarray) -> ScipyForm:
        """Limits G_h h ≤ g without auxiliary variables."""
        G_h = np.atleast_2d(np.asarray(G_h, dtype=float))
        return cls(n=G_h.shape[1], G_h=G_h, g=g)
