"""Hedge statistics for the desk alone, the hedge and the desk + hedge (issue 16, item 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["STATISTICS", "hedge_statistics", "historical_var_es", "max_drawdown"]

#: The rows of :func:`hedge_statistics`, in order.
STATISTICS = ("volatility", "max_drawdown", "var_95", "es_95", "var_99", "es_99", "worst_period",
              "effectiveness_worst_10pct", "hit_ratio", "turnover", "cost_per_variance_removed")


def max_drawdown(pnl: np.ndarray) -> float:
    """The largest fall of the cumulative PnL from a running peak (the start, 0, included), ≥ 0 ($mm)."""
    wealth = np.concatenate([[0.0], np.cumsum(np.asarray(pnl, dtype=float))])
    return float(np.max(np.maximum.accumulate(wealth) - wealth))


def historical_var_es(pnl: np.ndarray, level: float) -> tuple[float, float]:
    """Historical VaR and expected shortfall of the per-period loss −PnL at ``level`` (0.95, 0.99).

    VaR is the ``level`` quantile of the losses (numpy's linear interpolation); ES the mean of the
    losses at or beyond it (positive numbers are losses).
    """
    losses = -np.asarray(pnl, dtype=float)
    var = float(np.quantile(losses, level))
    return var, float(losses[losses >= var].mean())


def hedge_statistics(pnl: pd.DataFrame, turnover: pd.Series | None = None) -> pd.DataFrame:
    """Per-period statistics of the desk alone, the hedge (net of its costs) and the desk + hedge.

    Parameters
    ----------
    pnl : DataFrame
        :attr:`HedgeResult.pnl` (columns ``desk_pnl``, ``net_hedge``, ``hedged_pnl``, ``tcost``, $mm).
    turnover : Series, optional
        Σ|Δh| per period ($mm/bp); the hedge's ``turnover`` row is its mean.

    Returns
    -------
    DataFrame
        Rows :data:`STATISTICS`, columns ``desk``, ``hedge``, ``hedged``:

        * volatility: standard deviation of the per-period PnL (ddof 1);
        * max_drawdown: :func:`max_drawdown` of the cumulative PnL;
        * var_95/es_95/var_99/es_99: :func:`historical_var_es` of the per-period loss;
        * worst_period: the smallest per-period PnL;
        * effectiveness_worst_10pct (hedged column): 1 − Var(hedged)/Var(desk) over the periods where
          the desk's PnL is at or below its 10 % quantile;
        * hit_ratio: the share of periods with PnL > 0 (hedge column: the share where the hedge's PnL
          has the sign opposite to the desk's, i.e. it offsets);
        * turnover (hedge column): mean Σ|Δh| per period;
        * cost_per_variance_removed (hedge column): total transaction cost / (Var(desk) − Var(hedged)),
          $mm per $mm² of per-period variance removed (NaN when none is removed).
    """
    columns = {"desk": pnl["desk_pnl"].to_numpy(float), "hedge": pnl["net_hedge"].to_numpy(float),
               "hedged": pnl["hedged_pnl"].to_numpy(float)}
    table = pd.DataFrame(np.nan, index=list(STATISTICS), columns=list(columns))
    for name, series in columns.items():
        if series.size < 2:
            continue
        table.loc["volatility", name] = float(np.std(series, ddof=1))
        table.loc["max_drawdown", name] = max_drawdown(series)
        for level, tag in ((0.95, "95"), (0.99, "99")):
            var, es = historical_var_es(series, level)
            table.loc[f"var_{tag}", name] = var
            table.loc[f"es_{tag}", name] = es
        table.loc["worst_period", name] = float(series.min())
        table.loc["hit_ratio", name] = float(np.mean(series > 0))
    desk, hedge, hedged = columns["desk"], columns["hedge"], columns["hedged"]
    if desk.size >= 2:
        table.loc["hit_ratio", "hedge"] = float(np.mean(np.sign(hedge) == -np.sign(desk)))
        worst = desk <= np.quantile(desk, 0.10)
        if worst.sum() >= 2 and np.var(desk[worst], ddof=1) > 0:
            table.loc["effectiveness_worst_10pct", "hedged"] = 1.0 - np.var(hedged[worst], ddof=1) / np.var(
                desk[worst], ddof=1)
        removed = float(np.var(desk, ddof=1) - np.var(hedged, ddof=1))
        cost = float(pnl["tcost"].sum()) if "tcost" in pnl else np.nan
        table.loc["cost_per_variance_removed", "hedge"] = cost / removed if removed > 0 else np.nan
    if turnover is not None and len(turnover):
        table.loc["turnover", "hedge"] = float(np.mean(turnover))
    return table
