"""The Rockafellar–Uryasev form of CVaR as one CVXPY expression of the hedge: a partial minimisation over
the auxiliary variable z (the value at risk), DPP in its Parameters.

    f(h) = min_z  z + Σ_s max(0, x_s(h) − c_s z),     x = A h + a,  c ≥ 0,

with x_s = c_s·L_s (the loss of scenario s times its tail weight c_s = 1/((1 − α)S), 0 for an
unused slot): f = min_z z + Σ_s c_s max(0, L_s − z) = CVaR_α(L). Every coefficient is a Parameter
(A, a and c written at ``update``), so α, the weight of the term and the scenarios change without
recompiling; the expression is DPP because c multiplies the variable z only.

The expression is CVXPY's :class:`~cvxpy.transforms.partial_optimize.PartialProblem` (its own variable
z, canonicalised with the problem: an LP in (h, z, u)), with an exact value at any h (the minimum over
the breakpoints z = x_s / c_s, not an inner solve) and a subgradient, so ``expr(h).value`` is the
term's value at h like any other term's.
"""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np
import scipy.sparse as sp
from cvxpy.atoms.affine.sum import Sum
from cvxpy.transforms.partial_optimize import PartialProblem

__all__ = ["TailExpression", "minimum_over_z", "tail_expression"]


def minimum_over_z(x: np.ndarray, c: np.ndarray) -> tuple[float, float]:
    """(min_z z + Σ_s max(0, x_s − c_s z), a minimising z) for c ≥ 0 with Σ c ≥ 1, exactly.

    The function is convex and piecewise linear in z with slope 1 − Σ_{x_s > c_s z} c_s (≤ 0 left of
    every breakpoint, 1 right of them), so its minimum is at a breakpoint z = x_s / c_s (c_s > 0).
    """
    x = np.asarray(x, dtype=float).reshape(-1)
    c = np.asarray(c, dtype=float).reshape(-1)
    used = c > 0
    if not used.any():
        return -np.inf, -np.inf
    breaks = np.unique(x[used] / c[used])
    values = breaks + np.maximum(x[None, :] - c[None, :] * breaks[:, None], 0.0).sum(axis=1)
    best = int(np.argmin(values))
    return float(values[best]), float(breaks[best])


class TailExpression(Sum):
    """min_z z + Σ_s max(0, x_s − c_s z): CVXPY's :class:`PartialProblem` over z (its only argument,
    canonicalised by CVXPY as an LP), with an exact value, a subgradient and ``is_pwl`` at the current
    value of the hedge. Build it with :func:`tail_expression`.

    The wrapper is an (identity) sum of the scalar partial problem: CVXPY canonicalises a
    ``PartialProblem`` by its exact type, so the value is given by this affine wrapper instead.
    """

    def is_pwl(self) -> bool:
        """Piecewise linear: the minimum over z of a piecewise-linear function (an LP)."""
        return True

    def _point(self) -> tuple[np.ndarray, np.ndarray] | None:
        inner = self.args[0]
        x, c = getattr(inner, "tail_x_", None), getattr(inner, "tail_c_", None)
        if x is None or c is None or c.value is None or x.value is None:
            return None
        return np.asarray(x.value, dtype=float), np.asarray(c.value, dtype=float)

    def _value_impl(self) -> Any:  # what an enclosing expression's value asks for (Atom.value too)
        point = self._point()
        return super()._value_impl() if point is None else np.float64(minimum_over_z(*point)[0])

    @property
    def grad(self) -> dict[cp.Variable, Any]:
        point = self._point()
        if point is None:
            return super().grad
        x, c = point
        z = minimum_over_z(x, c)[1]
        active = (x - c * z > 0).astype(float)
        out = {}
        for variable, jacobian in self.args[0].tail_x_.grad.items():  # ∂x/∂var: var.size × S
            out[variable] = None if jacobian is None else sp.csc_matrix(sp.csc_matrix(jacobian) @ active[:, None])
        return out


def tail_expression(x: cp.Expression, c: cp.Parameter, h: cp.Variable, name: str) -> TailExpression:
    """min_z z + Σ_s max(0, x_s − c_s z) with its own variable z (named ``name``.z), over the hedge ``h``."""
    z = cp.Variable(name=f"{name}.z")
    inner = PartialProblem(cp.Problem(cp.Minimize(z + cp.sum(cp.pos(x - cp.multiply(c, z))))), [z], [h], None)
    inner.tail_x_, inner.tail_c_ = x, c
    return TailExpression(inner)
