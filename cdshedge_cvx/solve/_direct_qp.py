"""Box-constrained QPs handed to OSQP directly, with the solver workspace kept between periods.

A hedge objective made of linear terms and subtracted quadratic terms (hᵀG_k h + 2g_kᵀh + β_k,
such as :class:`~cdshedge_cvx.model.VariancePenalty`, whose G_k = γT·Σ_hh), with only the CS01
box as limits, is the QP::

    minimise ½ hᵀ P h + qᵀ h   subject to  l ≤ h ≤ u
    P = 2 Σ_k |w_k| G_k,   q = 2 Σ_k |w_k| g_k − c

(w_k < 0 the weights of the quadratic terms, c the coefficients of the linear part of the
maximised objective). CVXPY writes the variance penalty as ‖A h + b‖² and lifts it with n + 1
auxiliary variables and as many equality constraints, which OSQP then factorises as a KKT system
twice the size with a dense block; eliminating them leaves the n-variable QP with a dense P that
a hand-written OSQP call would solve. :class:`DirectQP` sets OSQP up once with the full upper-triangle pattern of P
and the identity as constraint matrix, then only updates P, q, l and u each period, so the
symbolic factorisation is reused (the data change, so OSQP refactorises numerically).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["DirectQP", "DirectQPResult", "condense", "silenced_stdout"]

_STDOUT_LOCK = threading.RLock()


@functools.cache
def _algebra() -> str:
    """OSQP's linear-algebra backend (looked up once: OSQP() otherwise probes imports each time)."""
    import osqp

    return str(osqp.default_algebra())


@contextlib.contextmanager
def silenced_stdout() -> Iterator[None]:
    """Silence C-level standard output (file descriptor 1) for the duration of the block.

    Solvers print below Python's ``sys.stdout``: HiGHS a banner once per process, OSQP 1.x
    "Polishing not needed - no active set detected" whatever its ``verbose`` setting. The
    redirection is process-wide, so threads take turns (a lock) and nothing is lost if the
    descriptor cannot be duplicated.
    """
    with _STDOUT_LOCK:
        try:
            sys.stdout.flush()
            fd = sys.__stdout__.fileno() if sys.__stdout__ is not None else 1
            saved = os.dup(fd)
        except (OSError, ValueError, AttributeError):
            yield
            return
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), fd)
                yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)


@dataclass(frozen=True)
class DirectQPResult:
    """OSQP's answer.

    Attributes
    ----------
    status : str
        OSQP's status text (``"solved"`` when optimal).
    solved : bool
        Whether OSQP reports the problem solved to its tolerances.
    x : ndarray
        Primal solution.
    y : ndarray
        Duals of l ≤ h ≤ u: positive where the upper bound binds, negative where the lower one does.
    iterations : int
        ADMM iterations.
    solve_time : float
        OSQP's own run time (seconds).
    """

    status: str
    solved: bool
    x: np.ndarray
    y: np.ndarray
    iterations: int
    solve_time: float


def condense(c: np.ndarray, quadratics: list[tuple[float, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """P and q of the QP that minimises −(c·h + Σ_k w_k (hᵀG_k h + 2g_kᵀh + β_k)).

    Parameters
    ----------
    c : ndarray
        Linear coefficients of the maximised objective (n).
    quadratics : list of (w, G, g)
        Weight (< 0), matrix (n × n, symmetric) and vector (n) of each quadratic term.

    Returns
    -------
    (P, q)
        P = 2 Σ_k |w_k| G_k and q = 2 Σ_k |w_k| g_k − c.
    """
    P = np.zeros((c.shape[0], c.shape[0]))
    q = -np.asarray(c, dtype=float)
    for weight, G, g in quadratics:
        P += (-2.0 * weight) * G
        q = q + (-2.0 * weight) * g
    return P, q


class DirectQP:
    """OSQP on ½hᵀPh + qᵀh subject to l ≤ h ≤ u, set up once and updated per solve.

    Parameters
    ----------
    n : int
        Number of variables.
    settings : mapping
        OSQP settings (``eps_abs``, ``eps_rel``, ``max_iter``, ``polishing`` …).
    warm_start : bool
        Keep the workspace and start each solve from the previous solution (OSQP's
        ``warm_starting``). ``False`` sets OSQP up afresh for every solve, so each answer is
        independent of the solve history (its step size ρ included).
    """

    def __init__(self, n: int, settings: Mapping[str, Any], warm_start: bool = True) -> None:
        self.n = n
        self.settings = settings
        self.warm_start = warm_start
        self._solver: Any = None
        columns, rows = np.tril_indices(n)  # (column j, row i ≤ j), column by column: CSC upper order
        self._rows, self._columns = rows, columns
        self._indptr = np.concatenate([[0], np.cumsum(np.arange(1, n + 1))])

    def _setup(self, P: np.ndarray, q: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        import osqp

        upper_triangle = sp.csc_matrix((P[self._rows, self._columns], self._rows, self._indptr),
                                       shape=(self.n, self.n))
        solver = osqp.OSQP(algebra=_algebra())
        settings = {"verbose": False, **dict(self.settings), "warm_starting": bool(self.warm_start)}
        solver.setup(upper_triangle, q, sp.identity(self.n, format="csc"), lower, upper, **settings)
        self._solver = solver

    def solve(self, P: np.ndarray, q: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> DirectQPResult:
        """Solve with new data (P symmetric n × n, only its upper triangle is read)."""
        start = time.perf_counter()
        if self._solver is None or not self.warm_start:
            self._setup(P, q, lower, upper)
        else:
            self._solver.update(Px=P[self._rows, self._columns], q=q, l=lower, u=upper)
        quiet = contextlib.nullcontext() if self.settings.get("verbose") else silenced_stdout()
        with quiet:
            result = self._solver.solve(raise_error=False)
        info = result.info
        return DirectQPResult(status=str(info.status), solved=int(info.status_val) == 1,
                              x=np.array(result.x, dtype=float), y=np.array(result.y, dtype=float),
                              iterations=int(info.iter), solve_time=time.perf_counter() - start)
