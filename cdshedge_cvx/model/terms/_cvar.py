"""The tail-risk term: the conditional value at risk (expected shortfall) of the hedged book."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cvxpy as cp
import numpy as np
import pandas as pd

from cdshedge_cvx.errors import DataError, SpecificationError
from cdshedge_cvx.model._component import Term
from cdshedge_cvx.model._lifting import ScipyForm
from cdshedge_cvx.model._tail_lp import tail_expression

__all__ = ["CVaR", "load_scenarios"]


def load_scenarios(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """User scenarios (stress replays): one row per scenario, a ``desk_pnl`` column ($mm) and one column
    of spread shocks (bp) per instrument.

    Raises :class:`DataError` naming the file, the row and the column of a missing or non-finite value.
    """
    if isinstance(source, pd.DataFrame):
        frame, label = source, "scenarios"
    else:
        from cdshedge_cvx.io._files import read_csv_checked

        frame, label = read_csv_checked(source, what="scenario file"), f"scenario file {str(source)!r}"
    if "desk_pnl" not in frame.columns:
        raise DataError(f"{label}: no 'desk_pnl' column (the desk's PnL under each scenario, $mm)")
    values = frame.apply(pd.to_numeric, errors="coerce")
    bad = ~np.isfinite(values.to_numpy(dtype=float))
    if bad.any():
        row, col = (int(x[0]) for x in np.nonzero(bad))
        line = frame.attrs.get("csv_lines", [None] * len(frame))[row]
        where = f"line {line}" if line is not None else f"row {row + 1}"
        raise DataError(f"{label}, {where}, column {frame.columns[col]!r}: {frame.iloc[row, col]!r} is not a "
                        "finite number")
    return values


def check_alpha(owner: Any, alpha: Any, count: int) -> float:
    """``alpha`` as a float in (0, 1) leaving at least a fraction of one scenario in the tail."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 <= alpha < 1.0:
        raise SpecificationError(f"{owner.name}: alpha must be in [0, 1), got {alpha!r}")
    return float(alpha)


def check_count(owner: Any, name: str, value: Any) -> int:
    """``value`` as an int: a whole number >= 1 (``4`` or ``4.0``; not ``4.5``)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float, np.floating)) \
            or not np.isfinite(value) or value < 1 or float(value) != int(value):
        raise SpecificationError(f"{owner.name}: {name} must be a whole number >= 1, got {value!r}")
    return int(value)


class ScenarioMixin:
    """Scenario handling shared by :class:`CVaR` and the CVaR limit (hyperparameters ``alpha``,
    ``count``, ``length``, ``scenarios``)."""

    alpha: float
    count: int
    length: int
    scenarios: Any

    def _frame(self) -> pd.DataFrame | None:
        if self.scenarios is None:
            return None
        cached = getattr(self, "frame_", None)
        if cached is None or cached[0] is not self.scenarios:
            self.frame_ = (self.scenarios, load_scenarios(self.scenarios))
        return self.frame_[1]

    def _rows(self) -> int:
        frame = self._frame()
        return check_count(self, "count", self.count) if frame is None else len(frame)

    def _compiled_rows(self) -> int:
        """The scenario rows of the compiled problem (checked hyperparameters)."""
        rows = self._rows()
        check_count(self, "length", self.length)
        check_alpha(self, self.alpha, rows)
        return rows

    def tail_weights_now(self) -> np.ndarray:
        """The tail weight c_s = 1/((1 − α)·S) of each of the compiled rows: S = the scenarios now
        (at most the compiled rows; the unused rows weigh 0). A problem compiled for fewer rows than
        the scenarios now is refused (the scenario matrix is a Parameter of fixed shape)."""
        rows = self._rows()
        check_count(self, "length", self.length)
        alpha = check_alpha(self, self.alpha, rows)
        if rows > self.rows_:
            raise SpecificationError(f"{self.name}: the problem was compiled for {self.rows_} scenarios and now has "
                                     f"{rows}; build a new problem for more scenarios")
        weights = np.zeros(self.rows_)
        weights[:rows] = 1.0 / ((1.0 - alpha) * rows)
        return weights

    def padded(self, values: np.ndarray) -> np.ndarray:
        """``values`` (one row per scenario) padded with zero rows to the compiled rows."""
        values = np.asarray(values, dtype=float)
        out = np.zeros((self.rows_, *values.shape[1:]))
        out[:values.shape[0]] = values
        return out

    def scenario_pnl(self, data: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """(desk PnL d, hedge PnL per unit CS01 R) of each scenario: hedged PnL_s = d_s + R_s·h ($mm).

        History: the last ``count`` overlapping windows of ``length`` rows of the risk window (the
        period itself in hindsight, past rows only in walk-forward); user scenarios: the spread
        shocks of :func:`load_scenarios`. Built with cumulative sums.
        """
        scale = data["pnl_scale"] * np.asarray(data["fx_rate"], dtype=float)
        frame = self._frame()
        if frame is not None:
            names = list(data["instruments"])
            missing = [name for name in names if name not in frame.columns]
            if missing:
                raise DataError(f"{self.name}: the scenarios have no column for {', '.join(missing)}")
            return frame["desk_pnl"].to_numpy(dtype=float), frame[names].to_numpy(dtype=float) * scale
        desk = np.asarray(data["risk_desk_pnl"], dtype=float)
        changes = np.asarray(data["risk_changes"], dtype=float)
        count, length = check_count(self, "count", self.count), check_count(self, "length", self.length)
        need = count + length - 1
        if desk.shape[0] < need:
            raise DataError(f"{self.name}: the risk window has {desk.shape[0]} "
                            f"rows, {count} scenarios of {length} rows need {need}; lower count or "
                            "lengthen the risk window")
        cum_desk = np.concatenate([[0.0], np.cumsum(desk)])
        cum_changes = np.vstack([np.zeros((1, changes.shape[1])), np.cumsum(changes, axis=0)])
        ends = np.arange(desk.shape[0] - count + 1, desk.shape[0] + 1)
        return (cum_desk[ends] - cum_desk[ends - length],
                (cum_changes[ends] - cum_changes[ends - length]) * scale)

    def twin_losses(self, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray:
        """Scenario losses −(desk + hedge) at ``h``, written again (windows summed directly), for the twin."""
        h = np.asarray(h, dtype=float)
        fx = np.asarray(data["fx_rate"], dtype=float)
        if self.scenarios is not None:
            cached = getattr(self, "twin_frame_", None)
            if cached is None or cached[0] is not self.scenarios:
                self.twin_frame_ = (self.scenarios, load_scenarios(self.scenarios))
            frame = self.twin_frame_[1]
            shocks = frame[list(data["instruments"])].to_numpy(dtype=float)
            return -(frame["desk_pnl"].to_numpy(dtype=float) + shocks @ (data["pnl_scale"] * fx * h))
        daily = (np.asarray(data["risk_desk_pnl"], dtype=float)
                 + np.asarray(data["risk_changes"], dtype=float) @ (data["pnl_scale"] * fx * h))
        rows, count, length = daily.shape[0], int(self.count), int(self.length)
        if rows < count + length - 1:
            raise DataError(f"{self.name}: the risk window is too short")
        return np.array([-daily[end - length:end].sum() for end in range(rows - count + 1, rows + 1)])


def twin_affine_losses(owner: Any, data: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(L0, J): the scenario losses are L(h) = L0 + J h, from the windows summed directly (the twin's
    way, not the cumulative sums that fill the Parameters)."""
    fx = np.asarray(data["fx_rate"], dtype=float)
    names = list(data["instruments"])
    if owner.scenarios is not None:
        frame = load_scenarios(owner.scenarios)
        return -frame["desk_pnl"].to_numpy(dtype=float), -frame[names].to_numpy(dtype=float) * (data["pnl_scale"] * fx)
    desk = np.asarray(data["risk_desk_pnl"], dtype=float)
    changes = np.asarray(data["risk_changes"], dtype=float) * (data["pnl_scale"] * fx)
    rows, count, length = desk.shape[0], int(owner.count), int(owner.length)
    if rows < count + length - 1:
        raise DataError(f"{owner.name}: the risk window is too short")
    ends = range(rows - count + 1, rows + 1)
    return (np.array([-desk[end - length:end].sum() for end in ends]),
            np.array([-changes[end - length:end].sum(axis=0) for end in ends]).reshape(count, changes.shape[1]))


def ru_scipy_form(owner: Any, data: Mapping[str, Any], weight: float | None, limit: float | None) -> ScipyForm:
    """The Rockafellar–Uryasev LP as a :class:`ScipyForm` in t = (z⁺, z⁻, u_1 … u_S) ≥ 0, z = z⁺ − z⁻:

        L_s(h) − z − u_s ≤ 0  (each scenario),    term: weight · (z + c Σ_s u_s),
        limit: z + c Σ_s u_s ≤ M,                c = 1/((1 − α) S),

    its lifting at h: z the value at risk (the minimising breakpoint), u = max(0, L − z)."""
    base, slope = twin_affine_losses(owner, data)
    count, n = slope.shape
    c = 1.0 / ((1.0 - float(owner.alpha)) * count)
    G_t = np.hstack([-np.ones((count, 1)), np.ones((count, 1)), -np.eye(count)])
    G_h, g = slope, -base
    objective = np.concatenate([[1.0, -1.0], np.full(count, c)])

    def lifting(h: np.ndarray) -> np.ndarray:
        losses = base + slope @ h
        values = losses + c * np.maximum(losses[None, :] - losses[:, None], 0.0).sum(axis=1)  # f at z = L_k
        z = float(losses[int(np.argmin(values))])
        return np.concatenate([[max(z, 0.0), max(-z, 0.0)], np.maximum(losses - z, 0.0)])

    if limit is not None:
        G_h = np.vstack([G_h, np.zeros((1, n))])
        G_t = np.vstack([G_t, objective[None, :]])
        g = np.concatenate([g, [limit]])
        return ScipyForm(n=n, A=np.zeros((count + 2, n)), G_h=G_h, G_t=G_t, g=g, lifting=lifting)
    return ScipyForm(n=n, A=np.zeros((count + 2, n)), weights=float(weight) * objective, G_h=G_h, G_t=G_t, g=g,
                     lifting=lifting)


def empirical_cvar(losses: np.ndarray, alpha: float) -> tuple[float, np.ndarray]:
    """CVaR_α of equally likely ``losses`` by sorting (Rockafellar–Uryasev's minimum over z), and the
    weight of each scenario in it (a subgradient)."""
    losses = np.asarray(losses, dtype=float)
    count = losses.size
    k = (1.0 - alpha) * count
    order = np.argsort(-losses, kind="stable")
    weights = np.zeros(count)
    remaining = k
    for index in order:
        take = min(1.0, remaining)
        if take <= 1e-12:
            break
        weights[index] = take / k
        remaining -= take
    return float(weights @ losses), weights


class CVaR(ScenarioMixin, Term):
    """Conditional value at risk (expected shortfall) of the hedged book (convex: subtract it).

    CVaR_α(h) = γ · min_z [ z + 1/((1 − α) S) · Σ_s max(0, L_s(h) − z) ]    (Rockafellar–Uryasev)
              = γ · (mean of the (1 − α)·S largest losses, the last one pro rata),

    with L_s(h) = −(d_s + R_s·h) the loss of the hedged book (desk + hedge, $mm) in scenario s:
    d_s the desk PnL and R_s = pnl_scale · fx · Δs the hedge PnL per unit of CS01 over the s-th of
    the last S = ``count`` overlapping windows of ``length`` rows of the risk window (the period in
    hindsight, past rows only in walk-forward), or the user's spread shocks (``scenarios``).

    The expression is the Rockafellar–Uryasev minimum over the term's own variable z (an LP in
    (h, z, u), :mod:`cdshedge_cvx.model._tail_lp`), DPP:

        γ · CVaR_α = min_z  z + Σ_s max(0, c_s·γ·L_s(h) − c_s z),   c_s = 1/((1 − α) S),

    with the scenario matrix c_s·γ·(−R_s), the vector c_s·γ·(−d_s) and the tail weights c_s all
    Parameters written at ``update``: γ, α, ``length`` and the scenarios change without
    recompiling. The compiled problem has S rows (``count``, or the user scenarios' rows); fewer
    scenarios later use the first rows (the others weigh 0), more are refused.

    Parameters
    ----------
    alpha : float
        Confidence level in [0, 1): 0.95 averages the worst 5 % of scenarios.
    gamma : float
        Weight γ ≥ 0 ($mm of objective per $mm of CVaR); ``2 * CVaR()`` is ``CVaR(gamma=2)``.
    count : int
        Number of historical scenarios S (ignored with ``scenarios``).
    length : int
        Rows per historical scenario (1: daily PnL; the period's row count gives horizon PnL).
    scenarios : path or DataFrame, optional
        User scenarios (:func:`load_scenarios`): a ``desk_pnl`` column and a spread shock in bp per
        instrument, one row per scenario (e.g. the March 2020 move).
    """

    keyword = "cvar"
    description = ("the tail risk: γ × the expected loss of the hedged book (desk + hedge) in the worst (1 − α) of "
                   "scenarios from the risk window")
    requires = ("risk_changes", "risk_desk_pnl", "pnl_scale", "fx_rate")
    weight_param = "gamma"
    #: The scipy form is an LP epigraph (its own lifting), not a sum of |·|: the lifted-QP path leaves it out.
    scipy_form_is_lp = True

    def __init__(self, alpha: float = 0.95, gamma: float = 1.0, count: int = 15, length: int = 1,
                 scenarios: str | Path | pd.DataFrame | None = None) -> None:
        self.alpha = alpha
        self.gamma = gamma
        self.count = count
        self.length = length
        self.scenarios = scenarios

    def _check_gamma(self) -> float:
        if isinstance(self.gamma, bool) or not np.isfinite(self.gamma) or self.gamma < 0:
            raise SpecificationError(f"CVaR: gamma must be finite and >= 0, got {self.gamma!r}")
        return float(self.gamma)

    def setup(self, n: int) -> None:
        self._check_gamma()
        self.rows_ = self._compiled_rows()
        self.R_ = cp.Parameter((self.rows_, n), name="CVaR.R")
        self.d_ = cp.Parameter(self.rows_, name="CVaR.d")
        self.c_ = cp.Parameter(self.rows_, nonneg=True, name="CVaR.tail_weights")

    def update(self, data: Mapping[str, Any]) -> None:
        gamma = self._check_gamma()
        weights = self.tail_weights_now()
        desk, hedge = self.scenario_pnl(data)
        self.R_.value = -gamma * weights[:, None] * self.padded(hedge)
        self.d_.value = -gamma * weights * self.padded(desk)
        self.c_.value = weights

    def expr(self, h: cp.Variable) -> cp.Expression:
        return tail_expression(self.R_ @ h + self.d_, self.c_, h, "CVaR")

    def value(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        return float(self.gamma) * empirical_cvar(self.twin_losses(h, data), float(self.alpha))[0]

    def gradient(self, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray:
        weights = empirical_cvar(self.twin_losses(h, data), float(self.alpha))[1]
        probe = np.eye(np.asarray(h).size)
        base = self.twin_losses(np.zeros_like(probe[0]), data)
        slopes = np.column_stack([self.twin_losses(e, data) - base for e in probe])  # dL/dh, linear
        return float(self.gamma) * (weights @ slopes)

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm:
        """The Rockafellar–Uryasev LP (:func:`ru_scipy_form`): γ · (z + c Σ_s u_s), u_s ≥ L_s(h) − z, u ≥ 0."""
        return ru_scipy_form(self, data, self._check_gamma(), None)

    def formula(self, conventions: Any) -> str:
        return ("γ · mean of the worst (1 − α)·S losses −(desk + Σᵢ fxᵢ·Δsᵢ·hᵢ) over S scenarios "
                "(Rockafellar–Uryasev CVaR)")
