"""HedgeResult: allocations, per-term breakdown, shadow prices, cross-check gaps, realised PnL."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from cdshedge_cvx.credit._conventions import Conventions
from cdshedge_cvx.crosscheck._reference import CrossCheck
from cdshedge_cvx.market._instruments import Universe
from cdshedge_cvx.model._objective import Objective
from cdshedge_cvx.model.terms import Carry, HedgePnL, Roll, RollDateCost, TransactionCost  # type: ignore[attr-defined]
from cdshedge_cvx.periods._period_data import PeriodData
from cdshedge_cvx.solve._group_prices import GroupShadowPrice
from cdshedge_cvx.solve._problem import HedgeProblem, PeriodSolution

__all__ = ["HedgeResult", "PeriodRecord", "realised_attribution"]


@dataclass(frozen=True)
class PeriodRecord:
    """One period: its data, the solution and the cross-check (``None`` when off)."""

    data: PeriodData
    solution: PeriodSolution
    check: CrossCheck | None


def realised_attribution(data: PeriodData, h: np.ndarray, *, roll_cost: bool = False) -> pd.DataFrame:
    """Realised PnL of holding ``h`` over the period, by instrument (mm of the reporting currency).

    Each amount is the term's own numpy formula (:meth:`~cdshedge_cvx.model.Term.contributions`)
    on the realised data: hedge = :class:`~cdshedge_cvx.model.HedgePnL` with the expected change
    replaced by the realised one (pnl_scale · fx · Σ_t Δs_t · h), carry and roll as
    :class:`~cdshedge_cvx.model.Carry` and :class:`~cdshedge_cvx.model.Roll` price them, tcost as
    :class:`~cdshedge_cvx.model.TransactionCost` (½ · fx · bid/ask · |h − h_prev|), rollcost as
    :class:`~cdshedge_cvx.model.RollDateCost` (fx · bid/ask · roll_count · |h|) when ``roll_cost``
    (the hedge is rolled on the index roll dates; otherwise 0: the old series is kept); net =
    hedge − carry − tcost − rollcost. The costs are the instruments' own (multiplier 1), whatever
    weights the objective gave them. Every amount is on one scale: the costs are multiplied by the
    conventions' ``pnl_scale`` like the hedge PnL (1 in true amounts; under ``seed`` conventions the
    prototype's 0.01, so tcost is not in true $mm while hedge PnL and carry are seed-scaled).

    ``roll`` is the model's roll-down estimate and is reported but **not** subtracted from
    ``net``: the realised spread changes of the contract held already contain its roll-down
    (subtracting it again would count it twice). Roll-down matters in the *objective*, where
    the expected spread change (zero by default in walk-forward) does not contain it.
    """
    return pd.DataFrame(_realised_parts(data, h, roll_cost=roll_cost),
                        index=pd.Index(data["instruments"], name="instrument"))


#: The columns of the realised attribution, in order.
_PARTS = ("cs01", "hedge_pnl", "carry", "roll", "tcost", "rollcost", "net")


def _realised_parts(data: PeriodData, h: np.ndarray, *, roll_cost: bool) -> dict[str, np.ndarray]:
    """The columns of :func:`realised_attribution` as arrays (one entry per instrument)."""
    h = np.asarray(h, dtype=float)
    data = data.realised()  # the decision's sealed realised data, opened to measure it
    realised = data.replace(expected_change=np.asarray(data["spread_changes"]).sum(axis=0))
    cost_scale = float(data["pnl_scale"])
    parts = {
        "cs01": h,
        "hedge_pnl": np.asarray(HedgePnL().contributions(h, realised), dtype=float),
        "carry": np.asarray(Carry().contributions(h, realised), dtype=float),
        "roll": np.asarray(Roll().contributions(h, realised), dtype=float),
        # on the hedge PnL's scale: 1 in true amounts, the prototype's 0.01 under 'seed' conventions
        "tcost": cost_scale * np.asarray(TransactionCost().contributions(h, realised), dtype=float),
        "rollcost": (cost_scale * np.asarray(RollDateCost().contributions(h, realised), dtype=float) if roll_cost
                     else np.zeros_like(h)),
    }
    parts["net"] = parts["hedge_pnl"] - parts["carry"] - parts["tcost"] - parts["rollcost"]
    return parts


class HedgeResult:
    """Everything a backtest produced, as DataFrames indexed by ``period_end``.

    Attributes
    ----------
    allocations : DataFrame
        Optimal CS01 per bp in mm of each instrument's currency ($mm/bp for CDX, €mm/bp for
        iTraxx), one column per instrument in input order.
    term_values : DataFrame
        Signed contribution of each objective entry to the optimum ($mm).
    shadow_prices : DataFrame
        Box limits' shadow price per instrument (d optimum / d shift of the box), then one
        column per other constraint, labelled by it: its shadow price, the sum of its duals for
        a limit with several (d optimum / d raising every part of the limit by one unit). The
        per-instrument or per-group duals of such a limit are in ``shadow_prices_long``.
    shadow_prices_long : DataFrame
        Every dual, one row per (period_end, constraint, instrument) or (period_end, constraint,
        group): columns ``period_end``, ``constraint`` (the limit's label), ``instrument``,
        ``group`` and ``shadow_price``. A limit with one dual per instrument (the box) has one row
        per instrument (``group`` ``None``); a limit priced per group
        (:class:`~cdshedge_cvx.model.JumpToDefaultLimit`: each index, or each overlap group, has
        its own bound) one row per group, ``group`` its label (``"CDX IG"``, ``"CDX IG + CDX IG
        10Y"``) and ``instrument`` ``None``, d optimum / d(that group's bound), on every solve
        path; the rows sum to the limit's column of ``shadow_prices``. Any other limit has one row,
        ``instrument`` and ``group`` ``None``, with the sum of its duals.
    solver_info : DataFrame
        status, solver, path (closed-form / direct-qp / solver), solve_time (s), fallback.
    cross_check : DataFrame
        scipy objective, objective gap, twin gap, allocation gap, ok, message, kind (``warm``:
        the certificate from the package's answer, ``warm+cold``: also a cold re-solve, ``cold``:
        the cold re-solve of ``cross_check="full"``); empty if off.
    pnl : DataFrame
        Realised desk PnL, hedge PnL, carry, roll, tcost, rollcost, net hedge and hedged PnL
        (mm of the reporting currency). ``rollcost`` is charged only when the objective has a
        :class:`~cdshedge_cvx.model.RollDateCost` (the hedge is then rolled on roll dates).
    attribution : DataFrame
        The same per instrument (long format: period_end, instrument).
    """

    def __init__(self, records: list[PeriodRecord], universe: Universe, objective: Objective,
                 conventions: Conventions, horizon: str, mode: str, problem: HedgeProblem | None,
                 build_time: float, missing: dict[str, Any]) -> None:
        self.records = records
        self.universe = universe
        self.objective = objective
        self.conventions = conventions
        self.horizon = horizon
        self.mode = mode
        self.problem = problem
        self.build_time = build_time
        self.missing = missing

    @property
    def _index(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex([r.data["period_end"] for r in self.records], name="period_end")

    @cached_property
    def allocations(self) -> pd.DataFrame:
        return pd.DataFrame(np.array([r.solution.h for r in self.records]).reshape(-1, len(self.universe)),
                            index=self._index, columns=pd.Index(self.universe.names, name="instrument"))

    @cached_property
    def term_values(self) -> pd.DataFrame:
        return pd.DataFrame([r.solution.terms for r in self.records], index=self._index)

    def _per_instrument(self, value: Any) -> bool:
        """Whether a shadow price has one dual per instrument."""
        return np.ndim(value) == 1 and len(value) == len(self.universe)

    @cached_property
    def shadow_prices(self) -> pd.DataFrame:
        rows = []
        for r in self.records:
            row: dict[str, float] = {}
            for label, value in r.solution.shadow_prices.items():
                if label == r.solution.box and self._per_instrument(value):
                    row.update(dict(zip(self.universe.names, np.asarray(value, dtype=float))))
                else:  # any other limit keeps its own column, never the instruments' (a per-name cap: its sum)
                    row[label] = float(np.sum(value))
            rows.append(row)
        return pd.DataFrame(rows, index=self._index)

    @cached_property
    def shadow_prices_long(self) -> pd.DataFrame:
        rows = []
        for r in self.records:
            end = r.data["period_end"]
            for label, value in r.solution.shadow_prices.items():
                if isinstance(value, GroupShadowPrice):  # priced per group (the jump-to-default limit), by label
                    rows.extend((end, label, None, group, price) for group, price in value.groups.items())
                elif self._per_instrument(value):
                    rows.extend((end, label, name, None, float(price))
                                for name, price in zip(self.universe.names, np.asarray(value, dtype=float)))
                else:
                    rows.append((end, label, None, None, float(np.sum(value))))
        return pd.DataFrame(rows, columns=["period_end", "constraint", "instrument", "group", "shadow_price"])

    @cached_property
    def solver_info(self) -> pd.DataFrame:
        return pd.DataFrame([{"status": r.solution.status, "solver": r.solution.solver, "path": r.solution.path,
                              "solve_time": r.solution.solve_time, "fallback": "; ".join(r.solution.fallback_from)}
                             for r in self.records], index=self._index)

    @cached_property
    def cross_check(self) -> pd.DataFrame:
        columns = ["scipy_objective", "cvxpy_objective", "objective_gap", "twin_gap", "allocation_gap", "ok", "message",
                   "kind"]
        rows = [{c: getattr(r.check, c) for c in columns} for r in self.records if r.check is not None]
        index = pd.DatetimeIndex([r.data["period_end"] for r in self.records if r.check is not None], name="period_end")
        return pd.DataFrame(rows, index=index, columns=columns)

    @property
    def _rolls_hedge(self) -> bool:
        """The objective prices the roll-date cost, so the hedge is taken to be rolled."""
        return any(isinstance(term, RollDateCost) for term in self.objective.terms)

    @cached_property
    def _realised(self) -> dict[str, np.ndarray]:
        """Each realised attribution column as a (periods × instruments) array, computed once."""
        n = len(self.universe)
        rows = [_realised_parts(r.data, r.solution.h, roll_cost=self._rolls_hedge) for r in self.records]
        return {part: np.array([row[part] for row in rows], dtype=float).reshape(len(rows), n) for part in _PARTS}

    @cached_property
    def attribution(self) -> pd.DataFrame:
        parts = self._realised
        n = len(self.universe)
        columns: dict[str, Any] = {
            "period_end": np.repeat(self._index.to_numpy(), n),
            "instrument": np.tile(np.asarray(self.universe.names, dtype=object), len(self.records)),
        }
        columns.update({part: parts[part].reshape(-1) for part in _PARTS})
        return pd.DataFrame(columns)

    @cached_property
    def pnl(self) -> pd.DataFrame:
        parts = self._realised
        desk = np.array([float(np.sum(r.data.realised()["desk_pnl"])) for r in self.records], dtype=float)
        frame = pd.DataFrame({"desk_pnl": desk}, index=self._index)
        for part, column in (("hedge_pnl", "hedge_pnl"), ("carry", "carry"), ("roll", "roll"), ("tcost", "tcost"),
                             ("rollcost", "rollcost"), ("net", "net_hedge")):
            frame[column] = parts[part].sum(axis=1)
        frame["hedged_pnl"] = frame["desk_pnl"] + frame["net_hedge"]
        return frame

    # metrics --------------------------------------------------------------------------------
    def hedge_effectiveness(self, pnl: pd.DataFrame | None = None) -> float:
        """1 − Var(hedged PnL) / Var(desk PnL) over the periods (NaN with < 2 periods or a flat desk);
        over some rows of :attr:`pnl` (e.g. one year's) when ``pnl`` is given."""
        pnl = self.pnl if pnl is None else pnl
        if len(pnl) < 2:
            return float("nan")
        unhedged = float(np.var(pnl["desk_pnl"], ddof=1))
        if unhedged <= 0:
            return float("nan")
        return 1.0 - float(np.var(pnl["hedged_pnl"], ddof=1)) / unhedged

    def turnover(self) -> pd.Series:
        """Σ_i |h_t − h_{t−1}| per period ($mm/bp), from the holdings carried in."""
        return pd.Series([float(np.sum(np.abs(r.solution.h - r.data["h_prev"]))) for r in self.records],
                         index=self._index, name="turnover")

    def summary(self) -> pd.Series:
        """Key figures: periods, objective, PnL by component, effectiveness, costs, gaps, timings.

        ``desk_pnl_mm`` … ``hedged_pnl_mm`` are realised (carry, roll and tcost as positive costs);
        ``hedge_effectiveness`` is 1 − Var(hedged) / Var(desk) of the realised per-period PnL;
        ``objective_terms_mm`` maps each objective entry to its signed model contribution to the
        optima, summed over periods (a cost shows as negative).
        """
        pnl = self.pnl
        info = self.solver_info
        check = self.cross_check
        values: dict[str, Any] = {
            "periods": len(self.records),
            "horizon": self.horizon,
            "conventions": self.conventions.name,
            "mode": self.mode,
            "objective": repr(self.objective),
            "solver": ", ".join(sorted(set(info["solver"]))) if len(info) else "",
            "desk_pnl_mm": float(pnl["desk_pnl"].sum()),
            "hedge_pnl_mm": float(pnl["hedge_pnl"].sum()),
            "carry_mm": float(pnl["carry"].sum()),
            "roll_mm": float(pnl["roll"].sum()),
            "tcost_mm": float(pnl["tcost"].sum()),
            "rollcost_mm": float(pnl["rollcost"].sum()),
            "hedged_pnl_mm": float(pnl["hedged_pnl"].sum()),
            # realised costs charged although the objective has no term for them (issue 14: labelled)
            "costs_not_in_objective": [name for name, cls in (("tcost", TransactionCost), ("rollcost", RollDateCost))
                                       if not any(isinstance(t, cls) for t in self.objective.terms)
                                       and float(pnl[name].abs().sum()) > 0],
            "amount_scale": float(self.conventions.pnl_scale),
            "hedge_effectiveness": self.hedge_effectiveness(),
            "mean_gross_cs01": float(self.allocations.abs().sum(axis=1).mean()),
            "mean_turnover": float(self.turnover().mean()),
            "total_turnover": float(self.turnover().sum()),
            # ex-ante: each objective entry's signed contribution to the optimum, summed over periods
            "objective_terms_mm": {label: float(self.term_values[label].sum()) for label in self.term_values.columns},
            "fallbacks": int((info["fallback"] != "").sum()) if len(info) else 0,
            "missing_policy": self.missing.get("policy", "error"),
            "build_time_s": self.build_time,
            "solve_time_s": float(info["solve_time"].sum()) if len(info) else 0.0,
        }
        if len(check):
            values.update({
                "cross_check_max_objective_gap": float(check["objective_gap"].max()),
                "cross_check_max_allocation_gap": float(check["allocation_gap"].max()),
                "cross_check_warnings": int((~check["ok"].astype(bool)).sum()),
            })
        else:
            values["cross_check_warnings"] = "off"
        values.update({f"{column}_{row}": float(value) for row, line in self.statistics().iterrows()
                       for column, value in line.items()})  # hedge statistics, flat (desk_var_95, ...)
        return pd.Series(values, name="summary", dtype=object)

    def statistics(self) -> pd.DataFrame:
        """Hedge statistics of the desk, the hedge and the desk + hedge (see :func:`hedge_statistics`)."""
        from cdshedge_cvx.engine._statistics import hedge_statistics

        return hedge_statistics(self.pnl, self.turnover())

    def lots(self) -> pd.DataFrame:
        """Whole-lot report per period: rounding cost against the continuous optimum, MIP gap, lots traded
        (see :func:`~cdshedge_cvx.engine._lots.lot_table`)."""
        from cdshedge_cvx.engine._lots import lot_table

        return lot_table(self)

    def plot(self, *, title: str | None = None):
        """Allocations with limits, cumulative PnL hedged vs unhedged, costs by term (matplotlib Figure).

        See :func:`cdshedge_cvx.reporting.plot_result`.
        """
        from cdshedge_cvx.reporting._plots import plot_result

        return plot_result(self, title=title)

    def to_html(self, *, inputs: Any = None, title: str | None = None, command: str | None = None) -> str:
        """A self-contained HTML report (figure embedded, no network needed) as a string.

        See :func:`cdshedge_cvx.reporting.report_html`; :func:`cdshedge_cvx.reporting.write_report`
        writes it to a file atomically.
        """
        from cdshedge_cvx.reporting._report import report_html

        return report_html(self, inputs=inputs, title=title, command=command)

    def detach(self) -> HedgeResult:
        """A copy without the compiled CVXPY problem (small, picklable: for other processes)."""
        return HedgeResult(records=self.records, universe=self.universe, objective=self.objective,
                           conventions=self.conventions, horizon=self.horizon, mode=self.mode, problem=None,
                           build_time=self.build_time, missing=self.missing)

    def __repr__(self) -> str:
        return (f"HedgeResult({len(self.records)} periods, horizon={self.horizon}, "
                f"conventions={self.conventions.name}, mode={self.mode})")
