r"""The independent check of a whole-lot answer (:mod:`cdshedge_cvx.solve._mip_path`).

Small universes (at most :data:`ENUMERATION_MAX_INSTRUMENTS` instruments, every one with a lot, at most
:data:`ENUMERATION_MAX_CANDIDATES` lot vectors in the CS01 box): every whole-lot trade vector is
enumerated, each hedge :math:`h = h^{prev} + L k / q` inside the box, with every trade zero or at least
the minimum, is valued with the terms' numpy twins and checked against the limits' twins; the best one
**proves** the optimum, and the MIP answer must reach it. Larger problems: the answer must be made of
whole lots and minimum trades (checked again here) and be no better than the continuous optimum that scipy
finds (the relaxation bounds the lot problem); the optimum is then not proven, and the check says so.

The lot sizes in CS01 are derived here again from the period data (flat-hazard RPV01 through
:func:`~cdshedge_cvx.credit.cs01_to_notional`, or the ISDA figures' notional), not read from the MIP path.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from cdshedge_cvx.crosscheck._reference import (
    DEFAULT_TOLERANCES,
    CrossCheck,
    scipy_solve,
    twin_value,
    twin_violation,
)
from cdshedge_cvx.errors import CrossCheckError, CrossCheckWarning
from cdshedge_cvx.model import BoxLimits

if TYPE_CHECKING:
    from cdshedge_cvx.solve._problem import HedgeProblem

__all__ = ["ENUMERATION_MAX_CANDIDATES", "ENUMERATION_MAX_INSTRUMENTS", "LotCrossCheck", "enumerate_lots",
           "lot_cross_check", "uses_lots"]

ENUMERATION_MAX_INSTRUMENTS = 4
ENUMERATION_MAX_CANDIDATES = 5000
_ON_LATTICE = 1e-6  # lots: |k − round(k)| below this is a whole lot


@dataclass(frozen=True)
class LotCrossCheck(CrossCheck):
    """A :class:`CrossCheck` of a whole-lot answer.

    ``scipy_h`` / ``scipy_objective`` are the enumeration's best hedge and value (``method ==
    "enumeration"``), or scipy's continuous optimum, an upper bound (``method == "relaxation bound"``).

    Attributes
    ----------
    method : str
        ``"enumeration"`` or ``"relaxation bound"``.
    candidates : int
        Lot vectors enumerated (0 for the bound).
    proven : bool
        The optimum was proven by enumeration (and the answer reaches it).
    """

    method: str = "enumeration"
    candidates: int = 0
    proven: bool = False


def uses_lots(problem: Any) -> bool:
    """Whether ``problem`` is solved in whole lots (its first path is the MIP path)."""
    paths = getattr(problem, "paths_", None) or []
    return bool(paths) and getattr(paths[0], "name", "") == "mip"


def _notional_per_cs01(data: Mapping[str, Any]) -> np.ndarray:
    conventions = data.get("conventions")
    if getattr(conventions, "contract_model", None) == "isda" and "figures" in data:
        return np.asarray(data["figures"].notional, dtype=float)
    from cdshedge_cvx.credit._analytics import cs01_to_notional

    return np.asarray(cs01_to_notional(np.ones(len(data["instruments"])), data["spread_start"],
                                       data["maturity_years"], data["recovery"]), dtype=float)


def _sizes(problem: HedgeProblem) -> tuple[np.ndarray, np.ndarray]:
    universe = problem.universe
    lots = np.array([np.nan if i.lot_notional is None else float(i.lot_notional) for i in universe])
    minimum = np.array([0.0 if i.min_trade_notional is None else float(i.min_trade_notional) for i in universe])
    return lots, minimum


def enumerate_lots(problem: HedgeProblem, data: Mapping[str, Any],
                   max_candidates: int = ENUMERATION_MAX_CANDIDATES) -> tuple[np.ndarray, float, int] | None:
    """The best whole-lot hedge of the period by exhaustive enumeration: ``(h, objective, candidates)``.

    ``None`` when the period cannot be enumerated (an instrument without a lot, more than
    :data:`ENUMERATION_MAX_INSTRUMENTS` instruments or more than ``max_candidates`` lot vectors).
    ``h`` is ``None``-free: a period where no lot vector is feasible gives ``(nan…, -inf, count)``.
    """
    lots, minimum = _sizes(problem)
    n = len(lots)
    if n > ENUMERATION_MAX_INSTRUMENTS or not np.all(np.isfinite(lots)):
        return None
    q = _notional_per_cs01(data)
    step = lots / q
    h_prev = np.asarray(data.get("h_prev", np.zeros(n)), dtype=float)
    lower, upper = np.asarray(data["cs01_min"], dtype=float), np.asarray(data["cs01_max"], dtype=float)
    slack = 1e-9 * np.maximum(1.0, np.maximum(np.abs(lower), np.abs(upper)))
    choices = []
    for i in range(n):
        first = int(np.ceil((lower[i] - slack[i] - h_prev[i]) / step[i]))
        last = int(np.floor((upper[i] + slack[i] - h_prev[i]) / step[i]))
        k = np.arange(first, last + 1)
        k = k[(k == 0) | (np.abs(k) * lots[i] >= minimum[i] - 1e-9)]
        choices.append(k)
    count = int(np.prod([len(c) for c in choices], dtype=float))
    if count > max_candidates:
        return None
    compiled = problem.compiled
    others = [c for c in compiled.limits if not isinstance(c, BoxLimits)]
    best_h, best_value = np.full(n, np.nan), -np.inf
    for k in itertools.product(*choices):
        h = h_prev + step * np.asarray(k, dtype=float)
        if any(twin_violation(c, h, data) > 1e-7 * max(1.0, _size(c)) for c in others):
            continue
        value = float(sum(w * twin_value(t, h, data) for w, t in compiled.entries))
        if value > best_value:
            best_h, best_value = h, value
    return best_h, best_value, count


def _size(constraint: Any) -> float:
    return max((abs(float(v)) for k, v in vars(constraint).items()
                if not k.startswith("_") and not k.endswith("_") and isinstance(v, (int, float))
                and not isinstance(v, bool)), default=1.0)


def lot_cross_check(problem: HedgeProblem, data: Mapping[str, Any], h: np.ndarray, objective: float,
                    tolerances: Mapping[str, float] | None = None, *, strict: bool = False) -> LotCrossCheck:
    """Check a whole-lot answer: by enumeration when small enough, else against the continuous bound.

    Emits :class:`CrossCheckWarning` (raises :class:`CrossCheckError` when ``strict``) when the
    enumeration finds a better whole-lot hedge, the answer is not whole lots / minimum trades, or it beats
    the continuous optimum.
    """
    tol = {**DEFAULT_TOLERANCES, **(tolerances or {})}
    compiled = problem.compiled
    h = np.asarray(h, dtype=float)
    twin_at_answer = float(sum(w * twin_value(t, h, data) for w, t in compiled.entries))
    problems: list[str] = []
    lots, minimum = _sizes(problem)
    q = _notional_per_cs01(data)
    traded = q * (h - np.asarray(data.get("h_prev", np.zeros(len(h))), dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        in_lots = np.where(np.isfinite(lots), traded / lots, 0.0)
    off = np.flatnonzero(np.abs(in_lots - np.round(in_lots)) > _ON_LATTICE)
    names = list(data.get("instruments") or [f"#{i}" for i in range(len(h))])
    if off.size:
        problems.append(f"the trade of {names[off[0]]} is {in_lots[off[0]]:.6g} lots, not a whole number")
    small = np.flatnonzero((np.abs(traded) > 1e-6) & (np.abs(traded) < minimum - 1e-6))
    if small.size:
        problems.append(f"the trade of {names[small[0]]} is {abs(traded[small[0]]):.6g}mm, under the minimum "
                        f"{minimum[small[0]]:g}mm")
    enumerated = enumerate_lots(problem, data)
    if enumerated is not None:
        best_h, best_value, count = enumerated
        method, proven = "enumeration", True
    else:
        starts = [np.clip(0.0, data["cs01_min"], data["cs01_max"]), np.asarray(data.get("h_prev", h), dtype=float)]
        best_h, best_value = scipy_solve(compiled.entries, compiled.limits, data, starts)
        count, method, proven = 0, "relaxation bound", False
    scale = max(abs(twin_at_answer), abs(best_value) if np.isfinite(best_value) else 0.0)
    objective_tol = tol["objective_abs"] + tol["objective_rel"] * scale
    objective_gap = best_value - twin_at_answer
    twin_gap = objective - twin_at_answer
    allocation_gap = float(np.max(np.abs(h - best_h), initial=0.0)) if np.all(np.isfinite(best_h)) else np.inf
    if method == "enumeration" and objective_gap > objective_tol:
        problems.append(f"enumerating {count} lot vectors found a hedge better by {objective_gap:.3g} $mm")
    if method == "relaxation bound" and objective_gap < -objective_tol:
        problems.append(f"the whole-lot hedge beats the continuous optimum by {-objective_gap:.3g} $mm")
    if abs(twin_gap) > objective_tol:
        problems.append(f"a term's numpy value differs from its CVXPY expression by {twin_gap:.3g} $mm")
    message = "; ".join(problems)
    check = LotCrossCheck(best_h, best_value, twin_at_answer, objective_gap, twin_gap, allocation_gap,
                          not problems, message, method=method, candidates=count, proven=proven and not problems)
    if problems:
        text = f"period {data.get('period', '?')}: whole-lot cross-check: {message}"
        if strict:
            raise CrossCheckError(text)
        warnings.warn(text, CrossCheckWarning, stacklevel=3)
    return check
