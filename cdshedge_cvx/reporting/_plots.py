"""Figures (matplotlib): allocations with their limits, cumulative PnL hedged vs unhedged, costs
by term, and the efficient frontier. Every axis carries its unit.

Units: CS01 in mm of each index's currency per bp (``$mm/bp`` for CDX, ``€mm/bp`` for iTraxx);
amounts in mm of the reporting currency (``$mm``) when every instrument's amounts are in it (an
FX series converts the others), otherwise the axis says so.

matplotlib is imported inside the functions (optional extra ``plot``). Figures are made with
:mod:`matplotlib.pyplot`, so a notebook shows them inline; a script should close them
(:func:`save_figure` does not). In a script without a display matplotlib picks the
non-interactive Agg backend by itself.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdshedge_cvx.io._files import atomic_path
from cdshedge_cvx.reporting._format import cs01_unit, money_unit

__all__ = ["FONT", "MAX_SMALL_MULTIPLES", "SAVE_DPI", "amount_notes", "amount_unit", "drawdown", "figure_bytes",
           "figure_format", "plot_frontier", "plot_result", "save_figure"]

#: Above this many instruments the allocations are drawn as a heat map instead of step charts.
MAX_SMALL_MULTIPLES = 8
#: Most instrument names written on the heat map's axis (every k-th name beyond).
MAX_HEATMAP_LABELS = 40

#: Resolution (dots per inch) of saved figures.
SAVE_DPI = 120

#: Font sizes (points) used by every figure of the package.
FONT = {"suptitle": 12, "title": 10, "label": 9, "tick": 8, "legend": 8, "note": 7.5}

_GREY = "0.45"


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - optional extra
        from cdshedge_cvx.errors import SpecificationError

        raise SpecificationError("plots need matplotlib: pip install 'cdshedge_cvx[plot]'") from exc
    return plt


def amount_unit(result: Any) -> str:
    """Unit of the amounts of ``result`` (PnL, carry, costs): mm of the reporting currency
    (``$mm``). :func:`amount_notes` says when some amounts are not really in it."""
    return money_unit(str(result.records[0].data["reporting_currency"]))


def amount_notes(result: Any) -> list[str]:
    """Caveats on the amounts' unit: instruments left in their own currency (no FX series) and
    the prototype's scalings under ``seed`` conventions. Empty when the amounts are plain."""
    data = result.records[0].data
    reporting = str(data["reporting_currency"]).upper()
    notes = []
    unconverted = sorted({str(c).upper() for c in data["amount_currency"]} - {reporting})
    if unconverted:
        notes.append(f"amounts of {', '.join(unconverted)} indices are in {', '.join(map(money_unit, unconverted))} "
                     f"(no FX series given), added to {money_unit(reporting)} as they are")
    conventions = result.conventions
    if conventions.pnl_scale != 1.0 or conventions.carry_scale != 1.0 or conventions.roll_scale != 1.0:
        notes.append(f"'{conventions.name}' conventions scale hedge PnL, carry and roll-down as the prototype did: "
                     "not true amounts")
    return notes


def _style(ax: Any, *, title: str | None = None, ylabel: str | None = None, xlabel: str | None = None) -> None:
    if title is not None:
        ax.set_title(title, fontsize=FONT["title"], loc="left")
    if ylabel is not None:
        ax.set_ylabel(ylabel, fontsize=FONT["label"])
    if xlabel is not None:
        ax.set_xlabel(xlabel, fontsize=FONT["label"])
    ax.tick_params(labelsize=FONT["tick"])
    ax.grid(alpha=0.25, lw=0.6)


def _freeze_layout(fig: Any) -> Any:
    """Run the constrained layout to its fixed point, then keep it.

    The layout moves a little between the first and the second draw of a figure; freezing it
    after two passes makes every later draw, and so every saved file, identical.
    """
    for _ in range(2):
        fig.draw_without_rendering()
    fig.set_layout_engine("none")
    return fig


def _date_axis(ax: Any) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.xaxis.get_offset_text().set_fontsize(FONT["tick"])


def _cumulative(bases: Sequence[pd.Timestamp], values: pd.Series) -> tuple[list[pd.Timestamp], np.ndarray]:
    """Cumulative sum starting at 0 on the first period's base date."""
    return [bases[0], *list(values.index)], np.concatenate([[0.0], values.cumsum().to_numpy()])


def _allocation_panels(fig: Any, spec: Any, result: Any, edges: np.ndarray, colors: list[str]) -> None:
    allocations = result.allocations
    universe = result.universe
    currencies = [str(c).upper() for c in result.records[0].data["currency"]]
    n = len(universe)
    cells = spec.subgridspec(n, 1, hspace=0.08)
    first = None
    for i, name in enumerate(universe.names):
        ax = fig.add_subplot(cells[i, 0], sharex=first)
        first = first or ax
        color = colors[i % len(colors)]
        lower, upper = float(universe.lower[i]), float(universe.upper[i])
        values = allocations[name].to_numpy()
        ax.axhspan(lower, upper, color=color, alpha=0.08, lw=0)
        for bound in (lower, upper):
            ax.axhline(bound, color=color, ls="--", lw=0.9)
        if lower < 0 < upper:
            ax.axhline(0.0, color="0.7", lw=0.6)
        ax.stairs(values, edges, color=color, lw=1.7, baseline=None)
        pad = 0.1 * max(upper - lower, float(np.ptp(values)), 1e-9)
        ax.set_ylim(min(lower, values.min()) - pad, max(upper, values.max()) + pad)
        unit = cs01_unit(currencies[i])
        at_limit = np.mean(np.isclose(values, upper, atol=1e-6 * max(1.0, abs(upper)))
                           | np.isclose(values, lower, atol=1e-6 * max(1.0, abs(lower))))
        _style(ax, title=f"{name}: CS01 held, {unit}  (limits {lower:g} to {upper:g} dashed; "
                         f"on a limit {at_limit:.0%} of periods)", ylabel=unit)
        ax.title.set_fontsize(FONT["label"])
        _date_axis(ax)
        if i < n - 1:
            ax.tick_params(labelbottom=False)


def _allocation_heatmap(fig: Any, spec: Any, result: Any) -> None:
    allocations = result.allocations
    universe = result.universe
    ax = fig.add_subplot(spec)
    values = allocations.to_numpy().T
    scale = float(np.nanmax(np.abs(values)))
    scale = scale if scale > 1e-12 else 1.0  # an all-zero hedge is drawn white, not as amplified round-off
    image = ax.imshow(values, aspect="auto", interpolation="nearest", cmap="RdBu_r", vmin=-scale, vmax=scale)
    step_y = -(-len(universe) // MAX_HEATMAP_LABELS)  # every k-th name: labels never overlap
    ax.set_yticks(range(0, len(universe), step_y), labels=universe.names[::step_y])
    step = max(1, len(allocations) // 8)
    ax.set_xticks(range(0, len(allocations), step),
                  labels=[d.strftime("%Y-%m") for d in allocations.index[::step]])
    bar = fig.colorbar(image, ax=ax)
    bar.set_label("CS01 held, mm/bp of each index's currency", fontsize=FONT["label"])
    bar.ax.tick_params(labelsize=FONT["tick"])
    _style(ax, title="CS01 held per instrument and period (+ = protection bought)")
    ax.tick_params(axis="y", labelsize=min(FONT["tick"], 6 + 40 / min(len(universe), MAX_HEATMAP_LABELS)))
    if step_y > 1:
        ax.set_ylabel(f"{len(universe)} instruments (every {step_y}th named)", fontsize=FONT["label"])
    ax.grid(False)


def drawdown(values: pd.Series) -> np.ndarray:
    """Drawdown path of a PnL series: cumulative PnL minus its running peak (≤ 0), starting at 0."""
    wealth = np.concatenate([[0.0], np.cumsum(np.asarray(values, dtype=float))])
    return wealth - np.maximum.accumulate(wealth)


def _drawdown_panel(ax: Any, bases: Sequence[pd.Timestamp], pnl: pd.DataFrame, money: str, colors: list[str]) -> None:
    """Drawdown of the desk alone and of the desk + hedge (cumulative PnL below its running peak)."""
    dates = [bases[0], *list(pnl.index)]
    worst = {}
    for column, label, style in (("desk_pnl", "desk, unhedged", {"color": _GREY, "lw": 1.4}),
                                 ("hedged_pnl", "desk + hedge", {"color": colors[0], "lw": 1.8})):
        path = drawdown(pnl[column])
        worst[label] = -float(path.min())
        ax.plot(dates, path, label=f"{label} (max {worst[label]:,.1f})", **style)
    ax.fill_between(dates, drawdown(pnl["hedged_pnl"]), 0.0, color=colors[0], alpha=0.12, lw=0)
    ax.axhline(0.0, color="0.75", lw=0.8)
    _style(ax, title="Drawdown: cumulative PnL below its running peak", ylabel=money)
    ax.legend(fontsize=FONT["legend"], frameon=False, loc="lower left")
    _date_axis(ax)


def plot_result(result: Any, *, title: str | None = None) -> Any:
    """The hedge at a glance.

    Left: CS01 held per instrument over time as steps over each holding period (from the
    period's base date to its end), in each index's currency per bp, with the box limits
    dashed and the allowed band shaded (a heat map above :data:`MAX_SMALL_MULTIPLES`
    instruments). Right, top: cumulative realised PnL of the desk unhedged, of the hedge net
    of costs and of the two together. Right, middle: drawdown (cumulative PnL below its
    running peak) of the desk alone and of the desk + hedge, with each one's maximum. Right,
    bottom: cumulative realised costs by term (carry, transaction cost, roll-date cost) and,
    dotted, the model's roll-down estimate, which is not a charge (the realised hedge PnL
    already contains it). Amounts in mm of the
    reporting currency.

    Parameters
    ----------
    result : HedgeResult
    title : str, optional
        Figure title (default: conventions, mode, horizon and objective).

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    if not result.records:
        from cdshedge_cvx.errors import SpecificationError

        raise SpecificationError("the result has no periods to plot")
    pnl = result.pnl
    n = len(result.universe)
    bases = [r.data["base"] for r in result.records]
    edges = np.array([*bases, result.allocations.index[-1]], dtype="datetime64[ns]")
    money = amount_unit(result)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    height = max(6.0, 1.55 * min(n, MAX_SMALL_MULTIPLES) + 1.8)
    fig = plt.figure(figsize=(13, height), layout="constrained")
    grid = fig.add_gridspec(1, 2, width_ratios=[1.2, 1])
    if n <= MAX_SMALL_MULTIPLES:
        _allocation_panels(fig, grid[0, 0], result, edges, colors)
    else:
        _allocation_heatmap(fig, grid[0, 0], result)
    right = grid[0, 1].subgridspec(3, 1, hspace=0.1, height_ratios=[1.0, 0.6, 1.0])
    top = fig.add_subplot(right[0, 0])
    for column, label, style in (("desk_pnl", "desk, unhedged", {"color": _GREY, "lw": 1.6}),
                                 ("net_hedge", "hedge, net of costs", {"color": colors[1], "lw": 1.1, "ls": "--"}),
                                 ("hedged_pnl", "desk + hedge", {"color": colors[0], "lw": 2.0})):
        top.plot(*_cumulative(bases, pnl[column]), label=label, **style)
    top.axhline(0.0, color="0.75", lw=0.8)
    effectiveness = result.hedge_effectiveness()
    headline = f"; hedge effectiveness {effectiveness:.0%}" if np.isfinite(effectiveness) else ""
    _style(top, title=f"Cumulative realised PnL{headline}", ylabel=money)
    top.legend(fontsize=FONT["legend"], frameon=False, loc="best")
    _date_axis(top)
    _drawdown_panel(fig.add_subplot(right[1, 0], sharex=top), bases, pnl, money, colors)
    bottom = fig.add_subplot(right[2, 0], sharex=top)
    costs = [("carry", "carry paid", colors[2], "-"), ("tcost", "transaction cost", colors[3], "-")]
    if result._rolls_hedge or float(pnl["rollcost"].abs().sum()) > 0:
        costs.append(("rollcost", "roll-date cost", colors[4], "-"))
    for column, label, color, style in costs:
        bottom.plot(*_cumulative(bases, pnl[column]), label=f"{label} (total {pnl[column].sum():,.1f})",
                    color=color, ls=style, lw=1.6)
    bottom.plot(*_cumulative(bases, pnl["roll"]), color=_GREY, ls=":", lw=1.4,
                label=f"roll-down, model estimate (total {pnl['roll'].sum():,.1f}; inside hedge PnL, not charged)")
    bottom.axhline(0.0, color="0.75", lw=0.8)
    _style(bottom, title="Cumulative costs of the hedge, by term", ylabel=money)
    bottom.legend(fontsize=FONT["legend"], frameon=False, loc="upper left")
    _date_axis(bottom)
    from cdshedge_cvx.reporting._units import horizon_words

    periods = f"{len(result.records)} {horizon_words(result.horizon)[1]} periods ({result.horizon})"
    fig.suptitle(title or f"CDS index hedge: {result.conventions.name} conventions, {result.mode}; {periods}, "
                 f"{bases[0]:%d %b %Y} to {pnl.index[-1]:%d %b %Y}", fontsize=FONT["suptitle"])
    notes = [f"Objective: {result.objective!r}", *amount_notes(result)]
    fig.supxlabel("\n".join(textwrap.fill(note, 190) for note in notes), fontsize=FONT["note"], color="0.3")
    return _freeze_layout(fig)


def _label_groups(x: np.ndarray, y: np.ndarray, tolerance: float = 0.07) -> list[list[int]]:
    """Indices of points grouped when they lie within ``tolerance`` of each other (axes fraction)."""
    span_x = float(np.ptp(x)) or 1.0
    span_y = float(np.ptp(y)) or 1.0
    groups: list[list[int]] = []
    for k in range(len(x)):
        for group in groups:
            j = group[-1]
            if abs(x[k] - x[j]) / span_x < tolerance and abs(y[k] - y[j]) / span_y < tolerance:
                group.append(k)
                break
        else:
            groups.append([k])
    return groups


def _gamma_text(gammas: Sequence[float]) -> str:
    return f"γ={gammas[0]:g}" if len(gammas) == 1 else f"γ={gammas[0]:g}…{gammas[-1]:g}"


def _frontier_panel(ax: Any, table: pd.DataFrame, x: str, y: str, label: str, color: str) -> Any:
    """One frontier curve with its γ labels; returns the secondary axis (standard deviation)."""
    xs = table[x].to_numpy(dtype=float)
    ys = table[y].to_numpy(dtype=float)
    ax.plot(xs, ys, marker="o", lw=1.5, ms=5, color=color)
    for group in _label_groups(xs, ys):
        k = group[0]
        ax.annotate(_gamma_text([float(table[label].iloc[j]) for j in group]), (xs[k], ys[k]),
                    textcoords="offset points", xytext=(5, 5), fontsize=FONT["note"])
    ax.margins(x=0.12, y=0.1)
    spread = ax.secondary_yaxis("right", functions=(lambda v: np.sqrt(np.maximum(v, 0.0)), np.square))
    spread.tick_params(labelsize=FONT["tick"])
    return spread


def plot_frontier(table: pd.DataFrame, *, x: str = "expected_cost_mm", y: str = "model_variance_mm2",
                  label: str = "gamma", realised: tuple[str, str] | None = ("realised_cost_mm",
                                                                          "realised_variance_mm2"),
                  money: str = "$mm", title: str | None = None) -> Any:
    """Variance against cost, one point per γ, each labelled with its γ.

    Left: the model (ex-ante) frontier the optimiser trades along: mean per-period model
    variance of the hedged book against the expected cost summed over periods. Right (when
    ``realised`` names two columns of ``table``): the same γ's realised cost and the variance
    across periods of the realised hedged PnL (out of sample in walk-forward). Points closer
    than 4 % of the axis share one label (``γ=0.3…3``).

    Parameters
    ----------
    table : DataFrame
        :attr:`Frontier.table <cdshedge_cvx.engine.Frontier.table>` or any table with the
        columns named by ``x``, ``y``, ``label`` (and ``realised``).
    x, y, label : str
        Columns of the model panel and of the γ labels.
    realised : (str, str) or None
        Columns (cost, variance) of the realised panel; ``None`` draws the model panel only.
    money : str
        Unit of the amounts (``$mm``).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    from cdshedge_cvx.errors import SpecificationError

    wanted = [x, y, label, *(realised or ())]
    missing = [c for c in wanted if c not in table.columns]
    if missing:
        raise SpecificationError(f"plot_frontier: the table has no column {missing[0]!r} "
                                 f"(columns: {', '.join(map(str, table.columns))})")
    if len(table) == 0:
        raise SpecificationError("plot_frontier: the table is empty")
    panels = 2 if realised else 1
    fig, axes = plt.subplots(1, panels, figsize=(6.2 * panels, 4.8), layout="constrained", squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    model = axes[0, 0]
    deviation = _frontier_panel(model, table, x, y, label, colors[0])
    deviation.set_ylabel(f"standard deviation, {money} per period", fontsize=FONT["label"])
    _style(model, title="Model (ex ante): what the optimiser trades off",
           xlabel=f"expected cost of the hedge, {money} (summed over periods)",
           ylabel=f"model variance of hedged PnL, ({money})² per period")
    if realised:
        ax = axes[0, 1]
        deviation = _frontier_panel(ax, table, realised[0], realised[1], label, colors[1])
        deviation.set_ylabel(f"standard deviation, {money} per period", fontsize=FONT["label"])
        _style(ax, title="Realised: what the hedge delivered",
               xlabel=f"realised carry and trading costs, {money} (summed over periods)",
               ylabel=f"variance of realised hedged PnL, ({money})² per period")
    fig.suptitle(title or "Efficient frontier: risk against cost of hedging, one point per variance weight γ",
                 fontsize=FONT["suptitle"])
    return _freeze_layout(fig)


def _metadata(fmt: str) -> dict[str, Any] | None:
    """Figure metadata that makes the file bytes depend on the figure only (no version, no date)."""
    if fmt == "png":
        return {"Software": None}
    if fmt == "pdf":
        return {"Creator": None, "Producer": None, "CreationDate": None}
    if fmt == "svg":
        return {"Creator": None, "Date": None}
    return None


def _savefig(figure: Any, target: Any, fmt: str, dpi: int) -> None:
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "cdshedge_cvx"}):
        figure.savefig(target, format=fmt, dpi=dpi, metadata=_metadata(fmt))


def figure_format(path: str | Path) -> str:
    """The file format of ``path`` from its suffix (``png`` without one); raise
    :class:`~cdshedge_cvx.errors.SpecificationError` for a format other than png, svg or pdf."""
    from cdshedge_cvx.errors import SpecificationError

    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    if fmt not in ("png", "svg", "pdf"):
        raise SpecificationError(f"cannot write figure {str(path)!r}: unknown format {fmt!r}; use .png, .svg or .pdf")
    return fmt


def figure_bytes(figure: Any, fmt: str = "png", *, dpi: int = SAVE_DPI) -> bytes:
    """The figure encoded as ``fmt`` in memory, with fixed metadata (the same figure gives the
    same bytes on every run)."""
    buffer = io.BytesIO()
    _savefig(figure, buffer, fmt, dpi)
    return buffer.getvalue()


def save_figure(figure: Any, path: str | Path, *, dpi: int = SAVE_DPI) -> None:
    """Write ``figure`` to ``path`` atomically: format from the suffix (png, svg, pdf), metadata
    fixed so reruns are byte-identical; a failure leaves no file (not even a partial one)."""
    fmt = figure_format(path)
    with atomic_path(path) as tmp:
        _savefig(figure, tmp, fmt, dpi)
