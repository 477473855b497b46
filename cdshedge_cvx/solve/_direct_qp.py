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

:class:`DirectQPPath` is the solve path built on it: c is read from the compiled linear part of
the objective (:mod:`cdshedge_cvx.solve._coefficients`), G_k, g_k, β_k from each term's
:meth:`~cdshedge_cvx.model.Term.quadratic_form`. OSQP's answer is accepted only if it is optimal
for the current data (the KKT check of :mod:`cdshedge_cvx.solve._diagnostics`: with a kept
workspace a stale problem would otherwise pass), inside the box, and each quadratic form equals
its term's CVXPY expression at it; otherwise the period goes to the CVXPY path, recorded.
The workspace is ours, so OSQP's warm start is safe here (unlike through CVXPY, see
:data:`~cdshedge_cvx.solve.DEFAULT_SOLVER_OPTIONS`); above :data:`DIRECT_QP_MAX_INSTRUMENTS`
the dense n × n factorisation (O(n³) per period) loses to CVXPY's sparse form.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from cdshedge_cvx.errors import SpecificationError, naming
from cdshedge_cvx.solve._coefficients import coefficient_reader
from cdshedge_cvx.solve._compiled import DEFAULT_SOLVER_OPTIONS, CompiledProblem
from cdshedge_cvx.solve._diagnostics import feasibility_issue, kkt_issue
from cdshedge_cvx.solve._path import PathFailed, PeriodSolution, SolvePath, period_label

__all__ = ["DIRECT_QP_MAX_INSTRUMENTS", "DirectQP", "DirectQPPath", "DirectQPResult", "condense", "silenced_stdout"]

#: The direct QP path factorises a dense n × n matrix each period (O(n³)); above this many
#: instruments CVXPY's sparse form of the variance penalty is used instead.
DIRECT_QP_MAX_INSTRUMENTS = 1000

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
            with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
                os.dup2(devnull.fileno(), fd)  # C-level prints; redirect_stdout: PySys_WriteStdout (Jupyter)
                yield
        finally:
            _flush_c_stdio()  # C stdio buffers a pipe (a Jupyter kernel's fd 1): flush into devnull, not later
            os.dup2(saved, fd)
            os.close(saved)


def _flush_c_stdio() -> None:
    """``fflush(NULL)`` of the C library, where there is one to load (not fatal elsewhere)."""
    libc = _libc()
    if libc is not None:
        libc.fflush(None)


@functools.cache
def _libc() -> Any:
    try:
        import ctypes

        return ctypes.CDLL(None)
    except (OSError, TypeError):
        return None


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


def _split(compiled: CompiledProblem) -> tuple[cp.Expression | None, tuple[int, ...]] | None:
    """The objective as (its affine part, the entries that are subtracted quadratic forms), or ``None``
    (:attr:`CompiledProblem.split`, worked out once per compiled problem)."""
    return compiled.split


@dataclass(frozen=True)
class _Plan:
    """What the path derived from one compiled problem: the affine part's problem and reader, the quadratic entries."""

    compiled: CompiledProblem
    affine_problem: cp.Problem | None
    read_linear: Callable[[], np.ndarray] | None
    squares: tuple[int, ...]


class DirectQPPath(SolvePath):
    """OSQP on the condensed QP (:func:`condense`), its workspace kept between periods.

    Accepts an objective of affine terms and subtracted terms with a
    :meth:`~cdshedge_cvx.model.Term.quadratic_form`, the CS01 box as only limit, OSQP as the
    solver and at most :data:`DIRECT_QP_MAX_INSTRUMENTS` instruments.
    """

    name = "direct-qp"
    #: Recorded in :attr:`PeriodSolution.solver`, and naming a failed period in ``fallback_from``.
    solver_name = "OSQP"
    failure_label = "OSQP (direct QP)"

    def __init__(self) -> None:
        self._plan: _Plan | None = None
        self._workspace: DirectQP | None = None

    def accepts(self, compiled: CompiledProblem) -> bool:
        return (compiled.box_only and not compiled.is_linear and compiled.solver == "OSQP"
                and compiled.n <= DIRECT_QP_MAX_INSTRUMENTS and _split(compiled) is not None)

    def reset(self) -> None:
        self._workspace = None

    def plan(self, compiled: CompiledProblem) -> _Plan:
        """The split of ``compiled``'s objective, its linear part compiled once (a small problem: its Parameters)."""
        if self._plan is None or self._plan.compiled is not compiled:
            split = _split(compiled)
            if split is None:
                raise SpecificationError("the direct QP path needs affine terms and subtracted quadratic forms")
            affine, squares = split
            problem = None if affine is None else cp.Problem(cp.Maximize(affine))
            reader = None if affine is None else coefficient_reader(compiled.h, affine, problem)
            self._plan = _Plan(compiled, problem, reader, squares)
            self._workspace = None
        return self._plan

    def _direct(self, compiled: CompiledProblem) -> DirectQP:
        if self._workspace is None:
            given = dict(compiled.solver_options)
            settings = {**DEFAULT_SOLVER_OPTIONS["OSQP"], **given}
            warm_start = bool(given.get("warm_start", True))  # the workspace is ours: no stale CVXPY cache
            for key in ("warm_start", "ignore_dpp"):
                settings.pop(key, None)
            self._workspace = DirectQP(compiled.n, settings, warm_start=warm_start)
        return self._workspace

    def solve(self, compiled: CompiledProblem, data: Mapping[str, Any]) -> PeriodSolution:
        """OSQP on the condensed QP; an answer that fails a check raises :class:`PathFailed` (the CVXPY path answers).

        The answer must be optimal for the current data (KKT: P h + q + y = 0 with the duals y
        only on binding limits), inside the box, and each quadratic form must equal its term's
        CVXPY expression at it (:class:`SpecificationError` otherwise: the term is wrong).
        """
        plan = self.plan(compiled)
        lower, upper = compiled.box_bounds()
        c = np.zeros(compiled.n) if plan.read_linear is None else plan.read_linear()
        quadratics = []
        for k in plan.squares:
            weight, term = compiled.entries[k]
            with naming(f"term {compiled.labels[k]}, period {period_label(data)}", "quadratic_form()"):
                G, g, beta = term.quadratic_form()
            quadratics.append((weight, np.asarray(G, dtype=float), np.asarray(g, dtype=float), float(beta)))
        P, q = condense(c, [(weight, G, g) for weight, G, g, _ in quadratics])
        direct = self._direct(compiled)
        try:
            result = direct.solve(P, q, lower, upper)
            failure = None if result.solved else f"status {result.status}"
            if failure is None:
                failure = (feasibility_issue(compiled, result.x, data)
                           or kkt_issue(compiled, P, q, result.x, result.y, direct.settings))
        except Exception as exc:  # an OSQP error: the CVXPY path decides (and records it)
            failure = f"{type(exc).__name__}: {exc}"
        if failure is not None:
            self._workspace = None  # set up afresh next time
            raise PathFailed([f"{self.failure_label}: {failure}"])
        h = np.clip(result.x, lower, upper)
        solution = PeriodSolution.at(compiled, data, h, status=cp.OPTIMAL, solver=self.solver_name, path=self.name,
                                     shadow_prices={compiled.box_label: result.y.copy()})
        solution.curvature = P  # the identification check reads it (HedgeProblem.solve drops it)
        for k, (weight, G, g, beta) in zip(plan.squares, quadratics):
            label = compiled.labels[k]
            parts = (float(h @ G @ h), 2.0 * float(g @ h), beta)
            value = weight * sum(parts)
            tolerance = 1e-7 * abs(weight) * (sum(abs(x) for x in parts) + 1e-12)
            if not abs(value - solution.terms[label]) <= tolerance:
                raise SpecificationError(f"term {label}: quadratic_form() gives {value!r} at the optimum but its "
                                         f"CVXPY expression {solution.terms[label]!r}; they must be the same function")
        return solution
