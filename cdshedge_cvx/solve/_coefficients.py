"""Reading the linear coefficients of an affine objective from CVXPY's compiled problem.

The fast paths need c in c·h + const at the current Parameter values. They read it from CVXPY's
canonicalised objective (the parameter → data tensor compiled once), one sparse product per
period, not from the terms' numpy twins, so the scipy cross-check stays independent. The reading
uses CVXPY internals (``get_problem_data``' parametrised program), so it is verified once against
CVXPY's own evaluation of the expression at random points; CVXPY's symbolic gradient is the
fallback when the internal API is unavailable or the reading disagrees.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import cvxpy as cp
import numpy as np

from cdshedge_cvx.model._values import set_value

__all__ = ["coefficient_reader"]


def _symbolic_coefficients(h: cp.Variable, expression: cp.Expression) -> np.ndarray:
    """c from CVXPY's symbolic gradient of the affine ``expression`` (slow, always available)."""
    if h.value is None:
        set_value(h, np.zeros(h.size))
    grad = expression.grad[h]
    if grad is None:
        return np.zeros(h.size)
    dense = grad.toarray() if hasattr(grad, "toarray") else np.asarray(grad)
    return np.asarray(dense, dtype=float).reshape(-1)


def _evaluates_as(h: cp.Variable, expression: cp.Expression, c: np.ndarray) -> bool:
    """Whether the affine ``expression`` changes by c·x from h = 0 to two points x (CVXPY evaluates it)."""
    rng = np.random.default_rng(20240611)
    n = h.size
    saved = h.value
    try:
        set_value(h, np.zeros(n))
        base = float(expression.value)
        for _ in range(2):
            x = rng.uniform(-1.0, 1.0, n)
            set_value(h, x)
            change = float(expression.value) - base
            scale = abs(base) + float(np.abs(c) @ np.abs(x)) + abs(change)
            if not abs(change - float(c @ x)) <= 1e-10 * scale + 1e-300:
                return False
        return True
    finally:
        h.value = saved


def coefficient_reader(h: cp.Variable, expression: cp.Expression, problem: cp.Problem) -> Callable[[], np.ndarray]:
    """A function returning the h-coefficients of the affine ``expression`` at the current Parameter values.

    Parameters
    ----------
    h : cvxpy.Variable
        The variable whose coefficients are read.
    expression : cvxpy.Expression
        Affine in ``h``: the objective of ``problem``.
    problem : cvxpy.Problem
        ``Maximize(expression)`` (with or without constraints), compiled here once for CLARABEL.

    Returns
    -------
    callable
        ``read()`` → c (n): rows of ``problem``'s objective tensor that belong to h, times the
        Parameter entries and the constant (CVXPY minimises −f, hence the sign).
    """
    try:
        data, _, _ = problem.get_problem_data(solver=cp.CLARABEL)
        program = data[cp.settings.PARAM_PROB]
        start = program.var_id_to_col[h.id]
        n = h.size
        # rows of the objective tensor that belong to h; columns: parameter entries, then the constant
        tensor = program.q.tocsr()[start:start + n]
        slots = [(program.id_to_param[key], col, program.param_id_to_size[key])
                 for key, col in program.param_id_to_col.items() if key in program.id_to_param]
        vector = np.zeros(program.total_param_size + 1)
        vector[-1] = 1.0

        def read() -> np.ndarray:
            for parameter, col, size in slots:
                vector[col:col + size] = np.asarray(parameter.value, dtype=float).reshape(-1, order="F")
            return -(tensor @ vector)  # CVXPY minimises −f

        fast = read()
    except Exception:  # internal API unavailable: keep the symbolic gradient
        return functools.partial(_symbolic_coefficients, h, expression)
    if fast.shape != (h.size,) or not _evaluates_as(h, expression, fast):
        return functools.partial(_symbolic_coefficients, h, expression)
    return read
