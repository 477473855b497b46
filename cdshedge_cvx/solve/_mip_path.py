r"""Tradeable sizes: whole lots and a minimum trade, as a mixed-integer problem solved by HiGHS through CVXPY.

With ``lot_notional`` :math:`L_i` and/or ``min_trade_notional`` :math:`M_i` set on an instrument, the
trade of a period, :math:`t_i = h_i - h^{prev}_i` in CS01, is converted to notional through the
period's notional per unit of CS01 :math:`q_i` (:func:`notional_per_cs01`), and

.. math::

    q_i t_i = L_i (k^+_i - k^-_i),\quad k^\pm_i \in \mathbb{Z}_{\ge 0}, \qquad
    M_i b^\pm_i \le q_i t^\pm_i \le U^\pm_i b^\pm_i,\quad b^+_i + b^-_i \le 1,\quad b^\pm_i \in \{0, 1\}

(a trade is zero or at least :math:`M_i`; :math:`U^\pm` the room the CS01 box leaves). An instrument
without a lot trades continuously (its minimum, if any, still holds).

Objective: the compiled objective. Piecewise-linear terms (linear terms, transaction costs, CVaR)
enter HiGHS exactly; a smooth concave term (the variance penalty) enters through an outer
approximation: an epigraph variable below tangent planes (Kelley's cutting planes),
:math:`s_k \le c_k(h_j) + \nabla c_k(h_j)\cdot(h - h_j)`, the first at the continuous optimum and one
more at each MILP answer until the MILP's bound and the true objective of the best whole-lot hedge
agree to :data:`GAP_TOLERANCE` (the cuts live in Parameter slots, so the MILP is compiled once).
The limits must be piecewise-linear too (HiGHS solves MILPs only): another is refused, naming it.

Reported (:class:`LotSolution`): the traded lots, the MIP gap (HiGHS's own gap, or the outer
approximation's when larger), the continuous optimum the lots were rounded from, and the shadow
prices of the **continuous relaxation** (an integer program has no duals; ``shadow_prices_of`` says
so). The independent check is :mod:`cdshedge_cvx.crosscheck._lots` (exhaustive enumeration of the
lots for small universes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.errors import DataError, InfeasibleError, SpecificationError
from cdshedge_cvx.market._instruments import Universe
from cdshedge_cvx.model._values import set_value
from cdshedge_cvx.solve._compiled import CompiledProblem
from cdshedge_cvx.solve._cvxpy_path import CvxpySolverPath
from cdshedge_cvx.solve._diagnostics import feasibility_issue, project_onto_box
from cdshedge_cvx.solve._direct_qp import silenced_stdout
from cdshedge_cvx.solve._path import PathFailed, PeriodSolution, SolvePath, period_label

__all__ = ["GAP_TOLERANCE", "MAX_CUTS", "LotSolution", "LotSpec", "MipPath", "notional_per_cs01", "trade_steps"]

#: The outer approximation stops when bound − objective ≤ abs + rel·|objective| ($mm).
GAP_TOLERANCE = {"abs": 1e-7, "rel": 1e-7}
#: Tangent-plane slots per smooth term: more cuts than this without closing the gap fails the period.
MAX_CUTS = 200
#: HiGHS options of the MILP (gaps well below the outer approximation's tolerance).
HIGHS_MIP_OPTIONS: dict[str, Any] = {"mip_rel_gap": 1e-10, "mip_abs_gap": 1e-10, "mip_feasibility_tolerance": 1e-10,
                                     "primal_feasibility_tolerance": 1e-10}
_BP = 1e-4


@dataclass(frozen=True)
class LotSpec:
    """The tradeable sizes of a universe: per instrument, the lot and the minimum trade (mm of notional).

    Attributes
    ----------
    names : tuple of str
    lot_notional : ndarray
        ``nan`` where the instrument trades continuously.
    min_trade_notional : ndarray
        0 where there is no minimum.
    """

    names: tuple[str, ...]
    lot_notional: np.ndarray
    min_trade_notional: np.ndarray

    @classmethod
    def from_universe(cls, universe: Universe | int) -> LotSpec | None:
        """The universe's sizes, or ``None`` when no instrument sets any (the default: continuous trades)."""
        if not isinstance(universe, Universe):
            return None
        lots = [getattr(i, "lot_notional", None) for i in universe]
        minimum = [getattr(i, "min_trade_notional", None) for i in universe]
        if all(v is None for v in lots + minimum):
            return None
        return cls(tuple(universe.names), np.array([np.nan if v is None else float(v) for v in lots]),
                   np.array([0.0 if v is None else float(v) for v in minimum]))

    @property
    def has_lot(self) -> np.ndarray:
        return np.isfinite(self.lot_notional)


def notional_per_cs01(data: Mapping[str, Any]) -> np.ndarray:
    """Ticket notional (mm) per unit of CS01 (mm/bp) of each instrument in the period.

    The ISDA figures' ``notional`` (``ContractFigures.notional``) when the conventions price with the ISDA
    model and the period has them; otherwise the flat-hazard ``1 / (RPV01 · 1e-4)`` at the period's
    spread and maturity (:func:`~cdshedge_cvx.credit.cs01_to_notional` of one unit of CS01).

    Raises
    ------
    DataError
        Naming the period and the instrument whose figure is not a finite positive number.
    """
    conventions = data.get("conventions")
    if getattr(conventions, "contract_model", None) == "isda" and "figures" in data:
        q = np.asarray(data["figures"].notional, dtype=float)
    else:
        q = 1.0 / (np.asarray(data["rpv01"], dtype=float) * _BP)
    bad = np.flatnonzero(~(np.isfinite(q) & (q > 0.0)))
    if bad.size:
        names = list(data.get("instruments") or [])
        name = names[int(bad[0])] if names else f"#{int(bad[0])}"
        raise DataError(f"period {period_label(data)}: notional per CS01 of instrument {name!r} is {q[bad[0]]!r}, "
                        "not a positive number; lots cannot be converted to CS01")
    return q


def trade_steps(spec: LotSpec, data: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(notional per CS01 q, CS01 per lot (0 without a lot), minimum trade in CS01) of the period."""
    q = notional_per_cs01(data)
    step = np.where(spec.has_lot, np.nan_to_num(spec.lot_notional) / q, 0.0)
    return q, step, spec.min_trade_notional / q


@dataclass
class LotSolution(PeriodSolution):
    """A :class:`PeriodSolution` in whole lots, with what the rounding cost.

    Attributes
    ----------
    lots : ndarray
        Lots traded per instrument (bought positive; ``nan`` for an instrument without a lot).
    traded_notional : ndarray
        Notional traded per instrument (mm), ``q · (h − h_prev)``.
    mip_gap : float
        Relative gap (bound − objective) / max(1, |objective|) of the answer: HiGHS's, or the outer
        approximation's when larger (0 when proven).
    mip_bound : float
        Upper bound on the whole-lot optimum ($mm).
    continuous_h, continuous_objective
        The continuous optimum the lots were rounded from, and its objective ($mm).
    rounding_cost : float
        ``continuous_objective − objective`` ≥ 0 ($mm).
    cuts : int
        Tangent planes the outer approximation used (0 for a piecewise-linear objective).
    shadow_prices_of : str
        ``"continuous relaxation"``: ``shadow_prices`` are the relaxation's duals, not the lot problem's.
    """

    lots: np.ndarray = field(default_factory=lambda: np.empty(0))
    traded_notional: np.ndarray = field(default_factory=lambda: np.empty(0))
    mip_gap: float = 0.0
    mip_bound: float = np.nan
    continuous_h: np.ndarray = field(default_factory=lambda: np.empty(0))
    continuous_objective: float = np.nan
    rounding_cost: float = 0.0
    cuts: int = 0
    shadow_prices_of: str = "continuous relaxation"


def _gradient(expression: cp.Expression, h: cp.Variable) -> np.ndarray | None:
    grad = expression.grad.get(h)
    if grad is None:
        return None
    dense = grad.toarray() if hasattr(grad, "toarray") else np.asarray(grad)
    return np.asarray(dense, dtype=float).ravel()


def _values(variable: cp.Variable) -> np.ndarray:
    return np.asarray(variable.value, dtype=float)


def _is_pwl(constraint: cp.Constraint) -> bool:
    return all(arg.is_pwl() for arg in constraint.args)


@dataclass
class _Milp:
    problem: cp.Problem
    hprev: cp.Parameter
    step: cp.Parameter
    min_cs01: cp.Parameter
    buy_room: cp.Parameter
    sell_room: cp.Parameter
    k_buy: cp.Variable
    k_sell: cp.Variable
    c_buy: cp.Variable
    c_sell: cp.Variable
    smooth: list[tuple[cp.Expression, cp.Parameter, cp.Parameter]]  # (w·expr, offsets a, slopes G) per smooth term
    bound: cp.Expression


class MipPath(SolvePath):
    """Whole lots and minimum trades (:class:`LotSpec`) through a CVXPY MILP solved by HiGHS.

    Accepts a compiled problem of a universe with sizes; then it is the only path (a continuous answer
    would break the lots: there is no fallback to one). See the module docstring for the formulation.

    Parameters
    ----------
    spec : LotSpec or None
        The sizes (``None``: the path accepts nothing).
    max_cuts : int
        Tangent-plane slots per smooth term.
    """

    name = "mip"

    def __init__(self, spec: LotSpec | None, max_cuts: int = MAX_CUTS) -> None:
        self.spec = spec
        self.max_cuts = max_cuts
        self._continuous = CvxpySolverPath()
        self._milp: _Milp | None = None
        self._highs_ran = False

    @classmethod
    def for_universe(cls, universe: Universe | int) -> MipPath:
        """The path of ``universe``'s sizes (accepting nothing when it has none)."""
        return cls(LotSpec.from_universe(universe))

    def accepts(self, compiled: CompiledProblem) -> bool:
        return self.spec is not None and len(self.spec.names) == compiled.n

    def reset(self) -> None:
        self._continuous.reset()

    # the MILP, compiled once ------------------------------------------------------------------
    def _build(self, compiled: CompiledProblem) -> _Milp:
        if self._milp is not None:
            return self._milp
        if not all(_is_pwl(c) for c in compiled.constraints):
            raise SpecificationError(f"whole lots (lot_notional / min_trade_notional) need limits HiGHS can solve as "
                                     f"a mixed-integer LP; {_not_pwl(compiled)} is not piecewise-linear")
        n, h = compiled.n, compiled.h
        spec = self.spec
        if spec is None:  # pragma: no cover - accepts() holds
            raise SpecificationError("whole lots: the universe sets no lot sizes")
        hprev = cp.Parameter(n, name="lots.h_prev")
        step = cp.Parameter(n, nonneg=True, name="lots.cs01_per_lot")
        min_cs01 = cp.Parameter(n, nonneg=True, name="lots.min_trade_cs01")
        buy_room = cp.Parameter(n, nonneg=True, name="lots.buy_room")
        sell_room = cp.Parameter(n, nonneg=True, name="lots.sell_room")
        k_buy = cp.Variable(n, integer=True, name="lots_bought")
        k_sell = cp.Variable(n, integer=True, name="lots_sold")
        c_buy = cp.Variable(n, nonneg=True, name="continuous_bought")
        c_sell = cp.Variable(n, nonneg=True, name="continuous_sold")
        b_buy = cp.Variable(n, boolean=True, name="buys")
        b_sell = cp.Variable(n, boolean=True, name="sells")
        bought = cp.multiply(step, k_buy) + c_buy
        sold = cp.multiply(step, k_sell) + c_sell
        constraints = [
            *compiled.constraints,
            k_buy >= 0, k_sell >= 0,
            h == hprev + bought - sold,
            bought <= cp.multiply(buy_room, b_buy), bought >= cp.multiply(min_cs01, b_buy),
            sold <= cp.multiply(sell_room, b_sell), sold >= cp.multiply(min_cs01, b_sell),
            b_buy + b_sell <= 1,
        ]
        lot_rows, free_rows = np.flatnonzero(spec.has_lot), np.flatnonzero(~spec.has_lot)
        if free_rows.size:
            constraints += [k_buy[free_rows] == 0, k_sell[free_rows] == 0]
        if lot_rows.size:
            constraints += [c_buy[lot_rows] == 0, c_sell[lot_rows] == 0]
        exact: list[cp.Expression] = []
        smooth = []
        for (weight, _), expression in zip(compiled.entries, compiled.expressions):
            contribution = weight * expression
            if contribution.is_pwl():
                exact.append(contribution)
                continue
            offsets = cp.Parameter(self.max_cuts, name="lots.cut_offsets")
            slopes = cp.Parameter((self.max_cuts, n), name="lots.cut_slopes")
            epigraph = cp.Variable(name="lots.smooth_term")
            constraints.append(epigraph <= offsets + slopes @ h)
            exact.append(epigraph)
            smooth.append((contribution, offsets, slopes))
        bound = cp.sum(cp.hstack(exact)) if len(exact) > 1 else exact[0]
        problem = cp.Problem(cp.Maximize(bound), constraints)
        self._milp = _Milp(problem, hprev, step, min_cs01, buy_room, sell_room, k_buy, k_sell, c_buy, c_sell,
                           smooth, bound)
        return self._milp

    def _cut(self, milp: _Milp, slot: int, compiled: CompiledProblem, point: np.ndarray) -> None:
        """Tangent planes of every smooth term at ``point``, written into cut slot ``slot`` (all slots from it)."""
        set_value(compiled.h, point)
        for contribution, offsets, slopes in milp.smooth:
            value = float(contribution.value)
            grad = _gradient(contribution, compiled.h)
            if grad is None or not np.all(np.isfinite(grad)) or not np.isfinite(value):
                raise PathFailed([f"HIGHS (whole lots): no gradient of a smooth term at {point}"])
            a = np.array(offsets.value) if offsets.value is not None else np.zeros(self.max_cuts)
            g = np.array(slopes.value) if slopes.value is not None else np.zeros((self.max_cuts, compiled.n))
            a[slot:] = value - grad @ point
            g[slot:] = grad
            offsets.value, slopes.value = a, g

    def _run(self, milp: _Milp) -> None:
        if not self._highs_ran:
            with silenced_stdout():
                milp.problem.solve(solver="HIGHS", **HIGHS_MIP_OPTIONS)
            self._highs_ran = True
        else:
            milp.problem.solve(solver="HIGHS", **HIGHS_MIP_OPTIONS)

    # one period ------------------------------------------------------------------------------------
    def solve(self, compiled: CompiledProblem, data: Mapping[str, Any]) -> LotSolution:
        """The best whole-lot hedge of the period, proven to :data:`GAP_TOLERANCE`.

        Raises
        ------
        InfeasibleError
            No whole-lot trade meets the limits (naming the period), or the limits cannot hold at all.
        PathFailed
            HiGHS failed, or the outer approximation did not close within ``max_cuts`` cuts.
        """
        spec = self.spec
        if spec is None:  # pragma: no cover - accepts() is False
            raise PathFailed(["whole lots: no sizes"])
        continuous = self._continuous.solve(compiled, data)
        milp = self._build(compiled)
        q, step, min_cs01 = trade_steps(spec, data)
        h_prev = np.asarray(data.get("h_prev", np.zeros(compiled.n)), dtype=float)
        lower, upper = compiled.box_bounds()
        milp.hprev.value = h_prev
        milp.step.value = step
        milp.min_cs01.value = min_cs01
        milp.buy_room.value = np.maximum(upper - h_prev, 0.0)
        milp.sell_room.value = np.maximum(h_prev - lower, 0.0)
        cuts = 0
        if milp.smooth:  # tangent planes at the continuous optimum and one lot (or minimum trade) either side of it
            lattice = np.where(step > 0, step, np.maximum(min_cs01, 1e-9 * np.maximum(1.0, np.abs(continuous.h))))
            points = [continuous.h] + [continuous.h + sign * lattice[i] * np.eye(compiled.n)[i]
                                       for i in range(compiled.n) for sign in (-1.0, 1.0)]
            for point in points[:self.max_cuts // 2]:
                self._cut(milp, cuts, compiled, point)
                cuts += 1
            cuts -= 1
        best_h, best_value, gap, bound = None, -np.inf, np.inf, np.inf
        while True:
            try:
                self._run(milp)
            except cp.error.SolverError as exc:
                raise PathFailed([f"HIGHS (whole lots): {str(exc).splitlines()[0] if str(exc) else 'failed'}"]) from exc
            status = milp.problem.status
            if status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
                raise InfeasibleError(f"period {period_label(data)}: no whole-lot trade meets the limits (lots of "
                                      f"{_sizes(spec)}; the continuous optimum {np.round(continuous.h, 6).tolist()} "
                                      "is not a whole number of lots from the holdings)")
            if status != cp.OPTIMAL or compiled.h.value is None:
                raise PathFailed([f"HIGHS (whole lots): status {status}"])
            k = np.round(_values(milp.k_buy)) - np.round(_values(milp.k_sell))
            h = h_prev + step * k + _values(milp.c_buy) - _values(milp.c_sell)
            bound = min(bound, float(milp.problem.value))
            stats = milp.problem.solver_stats.extra_stats
            highs_gap = float(getattr(stats, "mip_gap", 0.0) or 0.0) if stats is not None else 0.0
            set_value(compiled.h, h)
            value = float(compiled.objective.value)
            if value > best_value:
                best_h, best_value = h, value
            gap = bound - best_value
            if not milp.smooth or gap <= GAP_TOLERANCE["abs"] + GAP_TOLERANCE["rel"] * abs(best_value):
                break
            cuts += 1
            if cuts >= self.max_cuts:
                raise PathFailed([f"HIGHS (whole lots): the outer approximation left a gap of {gap:.3g} $mm after "
                                  f"{cuts} cuts"])
            self._cut(milp, cuts, compiled, h)
        if best_h is None:  # pragma: no cover - the loop ran at least once
            raise PathFailed(["HIGHS (whole lots): no answer"])
        issue = feasibility_issue(compiled, best_h, data)
        if issue:
            raise PathFailed([f"HIGHS (whole lots): {issue}"])
        h = project_onto_box(compiled, best_h)
        base = PeriodSolution.at(compiled, data, h, status=cp.OPTIMAL, solver="HIGHS", path=self.name,
                                 shadow_prices=continuous.shadow_prices, fallback_from=continuous.fallback_from)
        traded = q * (h - h_prev)
        lots = np.where(spec.has_lot, traded / np.where(spec.has_lot, spec.lot_notional, 1.0), np.nan)
        relative = max(max(gap, 0.0) / max(1.0, abs(base.objective)), highs_gap)
        fields = {name: getattr(base, name) for name in PeriodSolution.__dataclass_fields__}
        return LotSolution(**fields, lots=np.round(lots, 9), traded_notional=traded, mip_gap=relative,
                           mip_bound=bound, continuous_h=continuous.h, continuous_objective=continuous.objective,
                           rounding_cost=continuous.objective - base.objective, cuts=cuts)


def _not_pwl(compiled: CompiledProblem) -> str:
    """The first limit whose constraints (as built when compiling) are not piecewise-linear."""
    for label, limit in zip(compiled.limit_labels, compiled.limits):
        if not all(_is_pwl(c) for c in getattr(limit, "built_", [])):
            return f"constraint {label}"
    return "a constraint"


def _sizes(spec: LotSpec) -> str:
    parts = []
    for name, lot, minimum in zip(spec.names, spec.lot_notional, spec.min_trade_notional):
        text = f"{name}: " + (f"lot {lot:g}mm" if np.isfinite(lot) else "continuous")
        if minimum > 0:
            text += f", min {minimum:g}mm"
        parts.append(text)
    return "; ".join(parts)
