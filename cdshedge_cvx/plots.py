"""Figures (matplotlib): allocations with their limits, cumulative PnL hedged vs unhedged, costs
by term, and the efficient frontier. Every axis carries its unit.

matplotlib is imported inside the functions (optional extra ``plot``); in a script without a
display the non-interactive Agg backend is used automatically by matplotlib.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .io import atomic_path

__all__ = ["MAX_SMALL_MULTIPLES", "plot_frontier", "plot_result", "save_figure"]

#: Above this many instruments the allocations are drawn as a heat map instead of step charts.
MAX_SMALL_MULTIPLES = 8


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - optional extra
        from .errors import SpecificationError

        raise SpecificationError("plots need matplotlib: pip install 'cdshedge_cvx[plot]'") from exc
    return plt


def _step_edges(index: pd.DatetimeIndex, bases: list[pd.Timestamp]) -> np.ndarray:
    """x positions of each holding period: from its base date to its end."""
    return np.array([*list(bases), index[-1]], dtype="datetime64[ns]")


def plot_result(result: Any, *, title: str | None = None) -> Any:
    """The hedge at a glance.

    Left: CS01 held per instrument over time ($mm/bp) as steps over each holding period, with
    the box limits shaded (a heat map above :data:`MAX_SMALL_MULTIPLES` instruments). Right, top:
    cumulative desk PnL unhedged vs hedged ($mm). Right, bottom: cumulative cost by component
    (carry, roll-down, transaction cost, $mm).

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    allocations = result.allocations
    pnl = result.pnl
    universe = result.universe
    n = len(universe)
    bases = [r.data["base"] for r in result.records]
    rows = max(n if n <= MAX_SMALL_MULTIPLES else 1, 2)
    fig = plt.figure(figsize=(13, max(5.5, 1.6 * rows + 1.5)), layout="constrained")
    grid = fig.add_gridspec(rows, 2, width_ratios=[1.15, 1])
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    edges = _step_edges(allocations.index, bases)
    if n <= MAX_SMALL_MULTIPLES:
        axes = []
        for i, name in enumerate(universe.names):
            ax = fig.add_subplot(grid[i, 0], sharex=axes[0] if axes else None)
            axes.append(ax)
            color = colors[i % len(colors)]
            lower, upper = universe.lower[i], universe.upper[i]
            ax.axhspan(lower, upper, color=color, alpha=0.08, lw=0)
            ax.axhline(upper, color=color, ls="--", lw=0.8)
            ax.axhline(lower, color=color, ls="--", lw=0.8)
            values = allocations[name].to_numpy()
            ax.stairs(values, edges, color=color, lw=1.6, baseline=None)
            pad = 0.08 * max(upper - lower, 1e-9)
            ax.set_ylim(min(lower, values.min()) - pad, max(upper, values.max()) + pad)
            ax.set_ylabel("$mm/bp", fontsize=8)
            ax.set_title(f"{name}: CS01 held (limits dashed)", fontsize=9, loc="left")
            ax.tick_params(labelsize=8)
            if i < n - 1:
                ax.tick_params(labelbottom=False)
    else:
        ax = fig.add_subplot(grid[:, 0])
        image = ax.imshow(allocations.to_numpy().T, aspect="auto", interpolation="nearest", cmap="RdBu_r")
        ax.set_yticks(range(n), labels=universe.names, fontsize=6)
        step = max(1, len(allocations) // 8)
        ax.set_xticks(range(0, len(allocations), step),
                      labels=[d.strftime("%Y-%m") for d in allocations.index[::step]], fontsize=7)
        fig.colorbar(image, ax=ax, label="CS01 held, $mm/bp")
        ax.set_title("CS01 held per instrument and period", fontsize=9, loc="left")
    top = fig.add_subplot(grid[: rows // 2, 1])
    dates = [bases[0], *list(pnl.index)]
    top.plot(dates, np.concatenate([[0.0], pnl["desk_pnl"].cumsum()]), label="desk, unhedged", color="0.45", lw=1.5)
    top.plot(dates, np.concatenate([[0.0], pnl["hedged_pnl"].cumsum()]), label="desk + hedge, net of costs",
             color=colors[0], lw=1.8)
    top.axhline(0.0, color="0.8", lw=0.8)
    effectiveness = result.hedge_effectiveness()
    top.set_title(f"Cumulative PnL (hedge effectiveness {effectiveness:.0%})" if np.isfinite(effectiveness)
                  else "Cumulative PnL", fontsize=9, loc="left")
    top.set_ylabel("$mm")
    top.legend(fontsize=8, frameon=False)
    bottom = fig.add_subplot(grid[rows // 2:, 1], sharex=top)
    for column, label in (("carry", "carry"), ("roll", "roll-down"), ("tcost", "transaction cost")):
        bottom.plot(dates, np.concatenate([[0.0], pnl[column].cumsum()]), label=label, lw=1.5)
    bottom.set_title("Cumulative costs paid by the hedge", fontsize=9, loc="left")
    bottom.set_ylabel("$mm")
    bottom.legend(fontsize=8, frameon=False)
    for ax in fig.axes:
        for label in ax.get_xticklabels():
            label.set_fontsize(8)
    fig.suptitle(title or f"CDS index hedge — {result.conventions.name} conventions, {result.mode}, "
                 f"horizon {result.horizon}", fontsize=11)
    return fig


def plot_frontier(table: pd.DataFrame, *, x: str = "cost", y: str = "variance", label: str = "gamma",
                  x_label: str = "expected cost of the hedge, $mm per period",
                  y_label: str = "variance of hedged PnL, $mm²") -> Any:
    """Variance against cost, one point per γ, each labelled with its γ."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 5), layout="constrained")
    ax.plot(table[x], table[y], marker="o", lw=1.5)
    for _, row in table.iterrows():
        ax.annotate(f"γ={row[label]:g}", (row[x], row[y]), textcoords="offset points", xytext=(6, 4), fontsize=8)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title("Efficient frontier: risk vs cost of hedging", loc="left")
    ax.grid(alpha=0.3)
    return fig


def save_figure(figure: Any, path: str | Path, *, dpi: int = 120) -> None:
    """Write ``figure`` to ``path`` atomically (format from the suffix; PNG metadata fixed so
    reruns are byte-identical)."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    metadata = {"Software": None} if fmt == "png" else ({"CreationDate": None} if fmt == "pdf" else None)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata)
