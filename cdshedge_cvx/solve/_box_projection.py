"""The shortest point of a box cut by an affine set: the minimum-norm stage's solver on the box.

.. math::

    h^\\star = \\arg\\min_h \\tfrac12 \\|h\\|_2^2 \\quad\\text{s.t.}\\quad A h = b,
    \\quad l \\le h \\le u,

solved on its dual by a semismooth Newton method (the projection of the origin onto a polyhedron; Zhao,
Sun & Toh's dual approach for projections). For multipliers :math:`y` the Lagrangian's minimiser over
the box is :math:`h(y) = \\operatorname{clip}(-A^\\top y, l, u)` and the dual function

.. math::

    g(y) = \\tfrac12 \\|h(y)\\|^2 + y^\\top (A h(y) - b)

is concave and continuously differentiable, :math:`\\nabla g = A h(y) - b`, with generalised Hessian
:math:`-A_F A_F^\\top` (:math:`F` the coordinates strictly inside the box). Each step solves
:math:`(A_F A_F^\\top + \\varepsilon I) d = \\nabla g` (:math:`\\varepsilon = \\min(10^{-3}, \\|\\nabla g\\|)`,
so the steps are ascent directions and the convergence superlinear) and backtracks on :math:`g`. At a
zero of :math:`\\nabla g` the pair (:math:`h(y), y`) satisfies the KKT conditions exactly: :math:`h` is in the
box by construction, and is :math:`\\operatorname{clip}(-A^\\top y)` with :math:`A h = b`. The answer is
returned when :math:`\\|A h - b\\|_\\infty` is below the tolerance, ``None`` when the iterations do not get
there (the caller then solves by CVXPY).

With ``m`` rows and ``n`` coordinates a step costs :math:`O(m^2 n)` (the ``m × m`` system), against an
interior-point solve of the same problem through CVXPY that works on ``n + m`` variables and ``2n``
inequalities every iteration: at 500 instruments and 251 rows, tens of milliseconds instead of a second.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

__all__ = ["BoxProjection", "project_onto_box_and_affine"]

#: The most Newton steps before the method gives up (``None``: the caller's fallback solves).
MAX_STEPS = 100
#: Armijo's sufficient-increase constant of the backtracking line search.
ARMIJO = 1e-4


class BoxProjection:
    """The answer of :func:`project_onto_box_and_affine`: the point ``h``, the multipliers ``y`` of
    ``A h = b`` and the number of Newton ``steps`` taken."""

    __slots__ = ("h", "steps", "y")

    def __init__(self, h: np.ndarray, y: np.ndarray, steps: int) -> None:
        self.h, self.y, self.steps = h, y, steps


def project_onto_box_and_affine(A: np.ndarray, b: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                                tolerance: float, y_start: np.ndarray | None = None) -> BoxProjection | None:
    """argmin ½‖h‖² s.t. A h = b and lower ≤ h ≤ upper, by the dual semismooth Newton method.

    Parameters
    ----------
    A : ndarray, shape (m, n)
        The equality rows (any rank; dependent rows are handled by the regularised steps, provided
        the system is consistent).
    b : ndarray, shape (m,)
        Their right-hand sides.
    lower, upper : ndarray, shape (n,)
        The box (``lower ≤ upper``).
    tolerance : float
        Stop when ``max |A h − b|`` is at most this.
    y_start : ndarray, shape (m,), optional
        Starting multipliers (default zero).

    Returns
    -------
    BoxProjection or None
        The projection, or ``None`` when the method did not reach ``tolerance`` within
        :data:`MAX_STEPS` steps or its line search stalled (an infeasible or ill-posed system).
    """
    m = A.shape[0]
    y = np.zeros(m) if y_start is None else np.array(y_start, dtype=float)

    def evaluate(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        w = -(y @ A)
        h = np.clip(w, lower, upper)
        residual = A @ h - b
        return w, h, residual, 0.5 * float(h @ h) + float(y @ residual)

    w, h, residual, value = evaluate(y)
    diagonal = np.arange(m)
    for step in range(MAX_STEPS + 1):
        size = float(np.max(np.abs(residual), initial=0.0))
        if size <= tolerance:
            return BoxProjection(h, y, step)
        if step == MAX_STEPS:
            return None
        free = (w > lower) & (w < upper)
        rows = A[:, free]
        H = rows @ rows.T
        H[diagonal, diagonal] += min(1e-3, float(np.linalg.norm(residual)))
        try:
            direction = cho_solve(cho_factor(H, lower=True, check_finite=False), residual, check_finite=False)
        except (LinAlgError, ValueError):
            return None
        slope = float(residual @ direction)
        alpha = 1.0
        while True:
            trial = y + alpha * direction
            w_t, h_t, residual_t, value_t = evaluate(trial)
            # Armijo on the concave dual, or (where g's increments are at its rounding level) a halved residual
            if (value_t >= value + ARMIJO * alpha * slope
                    or float(np.max(np.abs(residual_t), initial=0.0)) <= 0.5 * size):
                break
            alpha *= 0.5
            if alpha < 1e-10:
                return None
        y, w, h, residual, value = trial, w_t, h_t, residual_t, value_t
    return None  # pragma: no cover - the loop returns
