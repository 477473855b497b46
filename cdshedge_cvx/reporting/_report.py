"""A shareable, self-contained HTML report of a backtest.

:func:`write_report` writes ONE file: inline CSS, the figure embedded as a base64 PNG, no script,
no link, no reference to anything outside the file, so it opens the same on any machine and
offline. It is written atomically (a failure leaves no file) and is deterministic: the same
result and inputs give the same bytes (no date or timing in it; fixed figure metadata).

It is written for a reader who has not seen the code: headline numbers first, then one section
per table with a plain-language paragraph saying what the table shows and in which unit.

Sections (``id`` of each ``<section>``)
---------------------------------------

==================  ==========================================================================
``headline``        hedge effectiveness, PnL volatility and totals, cost, limits, cross-check
``figure``          :func:`~cdshedge_cvx.reporting.plot_result`
``objective``       what was optimised: terms with formulas, decision timing, conventions, units
``allocations``     CS01 held per instrument: summary, then every period
``attribution``     realised PnL by instrument and term; the model's view of each term
``limits``          the limits and their shadow prices
``effectiveness``   variance, volatility, worst period, by year
``cross-check``     gaps between the CVXPY answer and the independent scipy solve
``inputs``          inputs with sha256 checksums, missing-data policy, versions
``glossary``        the words used
==================  ==========================================================================

Checksums: a file's checksum is the sha256 of its bytes; an in-memory DataFrame or Series is
hashed as the sha256 of ``frame.to_csv(lineterminator="\\n")`` encoded in UTF-8 (reproducible
with pandas and :mod:`hashlib`).
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdshedge_cvx.errors import SpecificationError
from cdshedge_cvx.io._files import write_atomic_text
from cdshedge_cvx.reporting._format import cs01_unit, describe_missing, money_text, money_unit
from cdshedge_cvx.reporting._units import horizon_words

__all__ = ["REPORT_SECTIONS", "command_line", "file_sha256", "frame_sha256", "input_checksums", "report_html",
           "write_report"]

#: ``id`` of every section of the report, in order.
REPORT_SECTIONS = ("headline", "figure", "objective", "allocations", "attribution", "limits", "effectiveness",
                   "statistics", "cross-check", "inputs", "glossary")


_CSS = """
:root { --ink: #1d2733; --muted: #5b6773; --line: #d9dee4; --band: #f3f5f8; --accent: #1f5f9e; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
       font: 15px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 0 28px 48px; }
header { background: #17324f; color: #fff; padding: 22px 28px; }
header .inner { max-width: 1120px; margin: 0 auto; }
header h1 { margin: 0 0 4px; font-size: 25px; font-weight: 600; }
header p { margin: 0; color: #c9d6e3; font-size: 14px; }
h2 { font-size: 19px; margin: 34px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--accent); }
h3 { font-size: 15px; margin: 20px 0 6px; }
p.explain { color: var(--muted); margin: 4px 0 10px; max-width: 900px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr)); gap: 12px; margin: 18px 0; }
.card { border: 1px solid var(--line); border-left: 4px solid var(--accent); border-radius: 4px; padding: 10px 14px;
        background: var(--band); }
.card .label { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.card .value { font-size: 21px; font-weight: 600; margin: 2px 0; }
.card .detail { font-size: 13px; color: var(--muted); }
.card.warn { border-left-color: #b5521b; }
.summary { font-size: 16px; max-width: 960px; }
ul.notes { margin: 6px 0 0 18px; padding: 0; color: var(--ink); }
table { border-collapse: collapse; margin: 6px 0 14px; font-size: 13px; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 4px 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--band); text-align: left; font-weight: 600; }
td.num, th.num { text-align: right; }
td.num { white-space: nowrap; }
.table-wrap { max-width: 100%; overflow-x: auto; }
.nw { white-space: nowrap; }
tr.total td { font-weight: 600; border-top: 2px solid var(--ink); }
.scroll { max-height: 520px; overflow-y: auto; border: 1px solid var(--line); display: inline-block; }
.scroll table { margin: 0; }
.scroll th { position: sticky; top: 0; }
img.figure { width: 100%; height: auto; border: 1px solid var(--line); }
code, .mono { font-family: "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
td.hash { font-family: "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 11.5px;
          word-break: break-all; }
dl.glossary dt { font-weight: 600; margin-top: 8px; }
dl.glossary dd { margin: 2px 0 0 18px; color: var(--muted); }
footer { color: var(--muted); font-size: 12px; margin-top: 36px; border-top: 1px solid var(--line); padding-top: 8px; }
details summary { cursor: pointer; color: var(--accent); margin: 6px 0; }
@media print { .scroll { max-height: none; overflow: visible; } }
"""


# checksums ------------------------------------------------------------------------------------
def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def frame_sha256(frame: pd.DataFrame | pd.Series) -> str:
    """sha256 (hex) of ``frame.to_csv(lineterminator="\\n")`` in UTF-8: index, columns and values."""
    return hashlib.sha256(frame.to_csv(lineterminator="\n").encode("utf-8")).hexdigest()


def _frame_description(frame: pd.DataFrame | pd.Series) -> str:
    shape = f"{frame.shape[0]} rows" + (f" × {frame.shape[1]} columns" if frame.ndim == 2 else "")
    if isinstance(frame.index, pd.DatetimeIndex) and len(frame.index):
        shape += f", {frame.index[0]:%Y-%m-%d} to {frame.index[-1]:%Y-%m-%d}"
    if frame.ndim == 2 and frame.shape[1] <= 8:
        shape += f" ({', '.join(map(str, frame.columns))})"
    return shape


def _market_inputs(market: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {"spreads (bp)": market.spreads}
    if getattr(market, "has_desk", True):
        inputs["desk PnL"] = market.desk_pnl
    if getattr(market, "roll_jumps", None) is not None:
        inputs["roll jumps (bp)"] = market.roll_jumps
    if getattr(market, "fx", None) is not None:
        inputs["FX rates"] = market.fx
    return inputs


def input_checksums(inputs: Mapping[str, Any] | Any | None, universe: Any = None) -> pd.DataFrame:
    """One row per input: what it is and its sha256.

    Parameters
    ----------
    inputs : mapping, MarketData or None
        ``{name: path | DataFrame | Series | None}`` (``None`` entries are skipped) or a
        :class:`~cdshedge_cvx.market.MarketData`, whose spreads, desk PnL, roll jumps and FX
        rates are hashed as in-memory frames.
    universe : Universe, optional
        Added as ``instruments (as used)`` (its :meth:`~cdshedge_cvx.market.Universe.to_frame`).

    Returns
    -------
    DataFrame
        Columns ``input``, ``source``, ``content`` and ``sha256``.
    """
    if inputs is None:
        items: dict[str, Any] = {}
    elif hasattr(inputs, "spreads") and hasattr(inputs, "desk_pnl"):
        items = _market_inputs(inputs)
    elif isinstance(inputs, Mapping):
        items = dict(inputs)
    else:
        raise SpecificationError(f"inputs must be a mapping of name -> path or frame, or a MarketData; got "
                                 f"{type(inputs).__name__}")
    rows = []
    source = getattr(inputs, "source", None)
    for name, value in items.items():
        if value is None:
            continue
        if isinstance(value, (pd.DataFrame, pd.Series)):
            rows.append({"input": str(name), "source": source or "in memory",
                         "content": _frame_description(value), "sha256": frame_sha256(value)})
        elif isinstance(value, (str, Path)):
            path = Path(value)
            if not path.is_file():
                raise SpecificationError(f"report input {name!r}: {str(path)!r} is not a file")
            rows.append({"input": str(name), "source": f"file {path.name}",
                         "content": f"{path.stat().st_size:,} bytes", "sha256": file_sha256(path)})
        else:
            raise SpecificationError(f"report input {name!r}: expected a path, DataFrame or Series, got "
                                     f"{type(value).__name__}")
    if universe is not None and not any(r["input"] == "instruments" for r in rows):
        frame = universe.to_frame()
        rows.append({"input": "instruments (as used)", "source": "universe",
                     "content": _instruments_text(universe.names),
                     "sha256": frame_sha256(frame)})
    return pd.DataFrame(rows, columns=["input", "source", "content", "sha256"])


# formatting -----------------------------------------------------------------------------------
def _instruments_text(names: list[str]) -> str:
    """``"4 instruments (A, B, C, D)"``; past a dozen names, the first three and a count."""
    from cdshedge_cvx.reporting._large import MAX_LISTED, names_text

    return f"{len(names)} instruments ({', '.join(names)})" if len(names) <= MAX_LISTED else names_text(names)


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _clean(value: float) -> float:
    """Drop the sign of a zero (no '-0.00' in tables)."""
    return float(value) + 0.0


def _num(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, float, np.integer, np.floating)):
        text = format(_clean(float(value)), fmt) if fmt else str(value)
        return text.replace("-", "−")
    return str(value)


def _table(frame: pd.DataFrame, formats: Mapping[str, str] | str = ".3f", *, index: bool = True,
           caption: str | None = None, total: bool = False, index_label: str | None = None) -> str:
    """An HTML table; numbers right-aligned with ``formats`` (one for all or per column)."""
    columns = list(frame.columns)
    head = [f"<th>{_e(index_label or frame.index.name or '')}</th>"] if index else []
    for column in columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column])
        head.append(f"<th class=\"num\">{_e(column)}</th>" if numeric else f"<th>{_e(column)}</th>")
    body = []
    for position, (label, row) in enumerate(frame.iterrows()):
        cells = []
        if index:
            text = f"{label:%Y-%m-%d}" if isinstance(label, pd.Timestamp) else str(label)
            cells.append(f"<td>{_e(text)}</td>")
        for column in columns:
            value = row[column]
            fmt = formats.get(column, "") if isinstance(formats, Mapping) else formats
            if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
                cells.append(f"<td class=\"num\">{_e(_num(value, fmt))}</td>")
            else:
                cells.append(f"<td>{_e(_num(value, fmt))}</td>")
        css = " class=\"total\"" if total and position == len(frame) - 1 else ""
        body.append(f"<tr{css}>{''.join(cells)}</tr>")
    title = f"<caption>{_e(caption)}</caption>" if caption else ""
    return (f"<div class=\"table-wrap\"><table>{title}<thead><tr>{''.join(head)}</tr></thead><tbody>\n"
            + "\n".join(body) + "\n</tbody></table></div>")


def _explain(text: str) -> str:
    return f"<p class=\"explain\">{text}</p>"


def _card(label: str, value: str | Sequence[str], detail: str = "", warn: bool = False) -> str:
    """A headline figure; a sequence of values is shown as ``a → b`` (each kept on one line)."""
    css = "card warn" if warn else "card"
    values = [value] if isinstance(value, str) else list(value)
    shown = " → ".join(f"<span class=\"nw\">{_e(v)}</span>" for v in values)
    return (f"<div class=\"{css}\"><div class=\"label\">{_e(label)}</div><div class=\"value\">{shown}</div>"
            f"<div class=\"detail\">{_e(detail)}</div></div>")


# the numbers ----------------------------------------------------------------------------------
def _std(values: pd.Series) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")


def _box_binding(result: Any) -> pd.DataFrame:
    """Share of periods each instrument sits on its upper / lower CS01 limit."""
    allocations = result.allocations
    rows = {}
    for i, name in enumerate(result.universe.names):
        lower, upper = float(result.universe.lower[i]), float(result.universe.upper[i])
        values = allocations[name].to_numpy()
        at_upper = np.isclose(values, upper, rtol=0, atol=1e-6 * max(1.0, abs(upper)))
        at_lower = np.isclose(values, lower, rtol=0, atol=1e-6 * max(1.0, abs(lower))) & ~at_upper
        rows[name] = {"upper": float(at_upper.mean()), "lower": float(at_lower.mean())}
    return pd.DataFrame(rows).T


def _headline(result: Any, currency: str) -> str:
    pnl = result.pnl
    summary = result.summary()
    noun, adjective = horizon_words(result.horizon)
    n = len(pnl)
    first, last = result.records[0].data["base"], pnl.index[-1]
    effectiveness = result.hedge_effectiveness()
    desk_std, hedged_std = _std(pnl["desk_pnl"]), _std(pnl["hedged_pnl"])
    costs = float(pnl[["carry", "tcost", "rollcost"]].to_numpy().sum())
    binding = _box_binding(result)
    cards = []
    if np.isfinite(effectiveness):
        change = (f"cut by {effectiveness:.0%}" if effectiveness >= 0 else
                  f"raised by {-effectiveness:.0%}: the hedge added risk")
        cards.append(_card("Hedge effectiveness", f"{effectiveness:.0%}".replace("-", "−"),
                           f"variance of {adjective} PnL {change} (1 − Var hedged / Var desk)",
                           warn=effectiveness < 0))
    if np.isfinite(desk_std):
        cards.append(_card(f"Volatility per {noun}", [money_text(desk_std, currency),
                                                       money_text(hedged_std, currency)],
                           "standard deviation of the PnL: desk alone → desk + hedge"))
    cards.append(_card("Total PnL, desk + hedge", money_text(float(pnl["hedged_pnl"].sum()), currency),
                       f"desk alone {money_text(float(pnl['desk_pnl'].sum()), currency)}; hedge net of costs "
                       f"{money_text(float(pnl['net_hedge'].sum()), currency)}"))
    cards.append(_card("Cost of the hedge", money_text(costs, currency),
                       f"carry {money_text(float(pnl['carry'].sum()), currency)}, trading "
                       f"{money_text(float(pnl['tcost'].sum()), currency)}, rolls "
                       f"{money_text(float(pnl['rollcost'].sum()), currency)}"))
    worst_desk, worst_hedged = float(pnl["desk_pnl"].min()), float(pnl["hedged_pnl"].min())
    cards.append(_card(f"Worst {noun}", [money_text(worst_desk, currency), money_text(worst_hedged, currency)],
                       "lowest PnL of a single period: desk alone → desk + hedge"))
    mostly = [f"{name} {share:.0%}" for name, share in (binding["upper"] + binding["lower"]).items() if share >= 0.5]
    n_instruments = len(result.universe)
    from cdshedge_cvx.reporting._large import names_text

    cards.append(_card("Held on a CS01 limit", f"{len(mostly)} of {n_instruments} indices" if mostly else "rarely",
                       ("most of the time: " + names_text(mostly) + " of periods") if mostly else
                       "no index sits on a limit in half of the periods or more", warn=bool(mostly)))
    if summary["cross_check_warnings"] == "off":
        cards.append(_card("Independent check", "off", "the scipy cross-check was not run", warn=True))
    else:
        warnings = int(summary["cross_check_warnings"])
        cards.append(_card("Independent check", "agrees" if warnings == 0 else f"{warnings} period(s) differ",
                           f"scipy re-solve of every period; max objective gap "
                           f"{summary['cross_check_max_objective_gap']:.1e} {money_unit(currency)}", warn=warnings > 0))
    timing = ("decided walk-forward: each period's hedge was chosen at the close of the day before the period "
              "started, from earlier data only, so the PnL shown is what that hedge actually made (out of sample)"
              if result.mode == "walk-forward" else
              "decided with hindsight: each period's hedge was chosen knowing that period's own market moves (as "
              "the original prototype did), so the PnL shown could not have been earned in practice")
    sentences = [f"From {first:%d %b %Y} to {last:%d %b %Y} ({n} {adjective} periods) the hedge was {timing}."]
    if np.isfinite(effectiveness):
        verb = "cut" if effectiveness >= 0 else "raised"
        sentences.append(f"Hedging {verb} the variance of the desk's {adjective} PnL by {abs(effectiveness):.0%} "
                         f"(standard deviation {money_text(desk_std, currency)} → "
                         f"{money_text(hedged_std, currency)} per {noun}).")
    sentences.append(f"The hedge paid {money_text(costs, currency)} in carry and trading costs and made "
                     f"{money_text(float(pnl['hedge_pnl'].sum()), currency)} on spread moves, so the desk's total "
                     f"PnL goes from {money_text(float(pnl['desk_pnl'].sum()), currency)} unhedged to "
                     f"{money_text(float(pnl['hedged_pnl'].sum()), currency)} hedged.")
    if mostly:
        sentences.append("The hedge often sits on its CS01 limits: the limits, not the model, decide its size "
                         "there (see the shadow prices below).")
    from cdshedge_cvx.reporting._plots import amount_notes

    notes = "".join(f"<p class=\"summary\"><b>Note:</b> {_e(note)}.</p>" for note in amount_notes(result))
    return (f"<div class=\"cards\">{''.join(cards)}</div>"
            f"<p class=\"summary\">{_e(' '.join(sentences))}</p>{notes}")


def _doc_paragraphs(term: Any) -> list[str]:
    return (type(term).__doc__ or "").strip().split("\n\n")


def _term_formula(term: Any, conventions: Any) -> str:
    """The term's own ``formula(conventions)``; without one, its docstring's first two paragraphs."""
    formula = term.formula(conventions) if callable(getattr(term, "formula", None)) else None
    if formula:
        return formula
    doc = _doc_paragraphs(term)
    return " ".join(" ".join(part.split()) for part in doc[:2]).replace("``", "") if doc else ""


def _term_meaning(term: Any) -> str:
    """The term's own ``description``; without one, its docstring's first paragraph."""
    doc = _doc_paragraphs(term)
    return getattr(term, "description", None) or (" ".join(doc[0].split()).replace("``", "") if doc else "")


def _objective_section(result: Any, currency: str) -> str:
    from cdshedge_cvx.reporting._units import units_lines

    data = result.records[0].data
    rows = []
    labels = result.objective.labels()
    unit = money_unit(currency)
    for label, (weight, term) in zip(labels, result.objective):
        meaning = _term_meaning(term)
        contribution = float(result.term_values[label].sum()) if label in result.term_values else float("nan")
        rows.append({"weight": f"{weight:+g}", "term": repr(term), "what it is": meaning,
                     f"formula, {unit} per period": _term_formula(term, result.conventions),
                     f"contribution, {unit}": contribution})
    frame = pd.DataFrame(rows)
    noun, _ = horizon_words(result.horizon)
    timing = {"walk-forward": "<b>walk-forward</b>: each period's hedge is decided at the close of its base date "
                              "(the last date before the period) from data dated on or before it: the trailing "
                              "window of daily spread changes and desk PnL for the risk, the spread level for carry "
                              "and roll-down, and the holdings carried in. The PnL reported is then realised over "
                              "the period, out of sample.",
              "hindsight": "<b>hindsight</b>: each period's hedge is decided with that period's own realised data "
                           "(its spread moves and desk PnL), as the original prototype did; useful to reproduce it, "
                           "not a tradable strategy."}.get(result.mode, _e(result.mode))
    units = "".join(f"<li>{_e(line)}</li>" for line in units_lines(data, result.conventions))
    return (_explain(f"Each {noun} the optimiser chooses the CS01 held in each index (h) to <b>maximise</b> the "
                     "weighted sum of the terms below, inside the limits. A term with weight −1 is a cost or a "
                     "risk; its contribution is what it added to the optimum, summed over all periods (model "
                     "view, when the decision was taken).")
            + f"<p><b>Objective:</b> <code>{_e(repr(result.objective))}</code></p>"
            + _table(frame, {f"contribution, {unit}": ",.2f"}, index=False)
            + f"<p><b>Decision timing:</b> {timing}</p>"
            + f"<p><b>Rebalancing:</b> every {_e(noun)} (pandas alias <code>{_e(result.horizon)}</code>), "
              f"{len(result.records)} periods.</p>"
            + f"<p><b>Conventions and units:</b></p><ul class=\"notes\">{units}</ul>")


def _allocations_section(result: Any) -> str:
    allocations = result.allocations
    currencies = [str(c).upper() for c in result.records[0].data["currency"]]
    binding = _box_binding(result)
    units = {name: cs01_unit(c) for name, c in zip(result.universe.names, currencies)}
    summary = pd.DataFrame({
        "unit": [units[n] for n in allocations.columns],
        "limit low": result.universe.lower, "limit high": result.universe.upper,
        "mean": allocations.mean().to_numpy(), "min": allocations.min().to_numpy(),
        "max": allocations.max().to_numpy(), "last": allocations.iloc[-1].to_numpy(),
        "% periods at high limit": 100 * binding["upper"].to_numpy(),
        "% periods at low limit": 100 * binding["lower"].to_numpy(),
    }, index=pd.Index(allocations.columns, name="instrument"))
    full = allocations.copy()
    full.columns = [f"{name}, {units[name]}" for name in allocations.columns]
    turnover = result.turnover()
    full["turnover"] = turnover.to_numpy()
    return (_explain("CS01 held is the PnL of the hedge for a 1 bp move of the index spread, in mm of the index's "
                     "currency per bp (for CDX, $mm/bp; for iTraxx, €mm/bp). Positive = protection bought: the "
                     "hedge gains when spreads widen, which offsets a desk that is long credit. Each row is held "
                     "from the end of the previous period to the period end shown.")
            + _table(summary, {c: (".3f" if c not in ("% periods at high limit", "% periods at low limit") else ".0f")
                               for c in summary.columns}, caption="Summary per instrument")
            + f"<details open><summary>Every period ({len(full)} rows; turnover = Σ |change of CS01|)</summary>"
              f"<div class=\"scroll\">{_table(full, '.4f', index_label='period end')}</div></details>")


def _attribution_section(result: Any, currency: str) -> str:
    unit = money_unit(currency)
    attribution = result.attribution
    by_instrument = attribution.groupby("instrument", sort=False)[
        ["hedge_pnl", "carry", "tcost", "rollcost", "net", "roll"]].sum()
    by_instrument = by_instrument.reindex(result.universe.names)
    by_instrument.loc["total"] = by_instrument.sum()
    by_instrument.columns = [f"hedge PnL from spread moves, {unit}", f"carry paid, {unit}",
                             f"transaction cost, {unit}", f"roll-date cost, {unit}", f"net hedge PnL, {unit}",
                             f"of which roll-down (model), {unit}"]
    pnl = result.pnl
    totals = pd.DataFrame({
        "amount": [pnl["desk_pnl"].sum(), pnl["hedge_pnl"].sum(), -pnl["carry"].sum(), -pnl["tcost"].sum(),
                   -pnl["rollcost"].sum(), pnl["hedged_pnl"].sum()],
    }, index=pd.Index(["desk PnL (unhedged)", "+ hedge PnL from spread moves", "− carry paid",
                       "− transaction cost" + _unmodelled(result, "tcost"),
                       "− roll-date cost" + _unmodelled(result, "rollcost"), "= desk + hedge"], name="component"))
    totals.columns = [f"amount, {unit}"]
    scale = float(result.conventions.pnl_scale)
    scaled = (f" Under '{result.conventions.name}' conventions every amount here is on the prototype's scale "
              f"(× {scale:g} of the true amount, the hedge PnL's scale), costs included." if scale != 1.0 else "")
    return (_explain(f"Realised PnL over all periods, in {unit}.{scaled} The hedge PnL is the CS01 held times "
                     "the realised spread change of the contract held (generic-series roll jumps removed); carry, "
                     "transaction and roll-date costs are paid by the hedge. The model's roll-down estimate is shown "
                     "for information only: the realised spread changes already contain the roll-down, so it is not "
                     "subtracted again.")
            + _table(totals, ",.2f", caption="From the desk's PnL to the hedged PnL", total=True)
            + _table(by_instrument, ",.2f", caption="By instrument and term", total=True, index_label="instrument"))


def _unmodelled(result: Any, cost: str) -> str:
    """`` (realised, not in the objective)`` when the summary lists ``cost`` as charged but not modelled."""
    return " (realised, not in the objective)" if cost in result.summary().get("costs_not_in_objective", ()) else ""


def _limits_section(result: Any, currency: str) -> str:
    unit = money_unit(currency)
    prices = result.shadow_prices.astype(float)
    scale = max(1.0, float(np.nanmax(np.abs(prices.to_numpy())))) if prices.size else 1.0
    prices = prices.where(prices.abs() > 1e-9 * scale, 0.0)  # solver noise on limits that do not bind
    names = result.universe.names
    binding = _box_binding(result)
    currencies = [str(c).upper() for c in result.records[0].data["currency"]]
    box = pd.DataFrame({
        "limit": [f"{lo:g} to {hi:g} {cs01_unit(c)}" for lo, hi, c in zip(result.universe.lower, result.universe.upper,
                                                                            currencies)],
        "% periods on a limit": 100 * (binding["upper"] + binding["lower"]).to_numpy(),
        f"mean shadow price, {unit} per mm/bp": [prices[n].mean() if n in prices else np.nan for n in names],
        f"largest |shadow price|, {unit} per mm/bp": [prices[n].abs().max() if n in prices else np.nan
                                                      for n in names],
        f"last period, {unit} per mm/bp": [prices[n].iloc[-1] if n in prices else np.nan for n in names],
    }, index=pd.Index(names, name="instrument"))
    parts = [_explain(f"A shadow price is how much the objective ({unit}) would improve per unit the limit is "
                      "raised, with everything else unchanged; zero when the limit does not bind. For a CS01 box, "
                      "positive means the optimiser wants <b>more</b> protection than the upper limit allows; "
                      "negative means it would go <b>below</b> the lower limit. Example: a shadow price of 3 means "
                      f"0.01 mm/bp more room would add about {money_text(0.03, currency, 2)} to that period's "
                      "objective (which includes the risk penalty, so it is not pure PnL)."),
             _table(box, {c: (".0f" if c.startswith("%") else ".3g") for c in box.columns},
                    caption="Per-instrument CS01 limits")]
    others = [c for c in prices.columns if c not in names]
    if others:
        described = {}
        if result.problem is not None:
            described = {c.name: repr(c) for c in result.problem.compiled.limits}
        rows = {}
        for column in others:
            values = prices[column].astype(float)
            scale = max(1.0, float(values.abs().max()))
            rows[column] = {"definition": described.get(column, column),
                            "% periods binding": 100 * float((values.abs() > 1e-7 * scale).mean()),
                            f"mean shadow price, {unit} per unit": float(values.mean()),
                            f"largest |shadow price|, {unit} per unit": float(values.abs().max())}
        frame = pd.DataFrame(rows).T
        frame.index.name = "name"
        for column in frame.columns[1:]:
            frame[column] = frame[column].astype(float)
        parts.append(_table(frame, {c: (".0f" if c.startswith("%") else ".3g") for c in frame.columns},
                            caption=f"Other limits (a unit of limit is 1 mm/bp for gross, net and turnover limits, "
                                    f"{unit} for jump-to-default)"))
    else:
        parts.append("<p>No other limit (gross, net, jump-to-default, turnover) was set.</p>")
    return "".join(parts)


def _effectiveness_section(result: Any, currency: str) -> str:
    unit = money_unit(currency)
    pnl = result.pnl
    noun, adjective = horizon_words(result.horizon)

    def stats(frame: pd.DataFrame) -> dict[str, float]:
        desk_var = float(np.var(frame["desk_pnl"], ddof=1)) if len(frame) > 1 else float("nan")
        hedged_var = float(np.var(frame["hedged_pnl"], ddof=1)) if len(frame) > 1 else float("nan")
        effectiveness = result.hedge_effectiveness(frame)
        return {"periods": len(frame), f"desk PnL, {unit}": float(frame["desk_pnl"].sum()),
                f"desk + hedge PnL, {unit}": float(frame["hedged_pnl"].sum()),
                f"desk volatility, {unit}": float(np.sqrt(desk_var)),
                f"hedged volatility, {unit}": float(np.sqrt(hedged_var)),
                "hedge effectiveness, %": 100 * effectiveness,
                f"worst {noun} desk, {unit}": float(frame["desk_pnl"].min()),
                f"worst {noun} hedged, {unit}": float(frame["hedged_pnl"].min())}

    rows = {str(year): stats(group) for year, group in pnl.groupby(pnl.index.year)}
    rows["all periods"] = stats(pnl)
    table = pd.DataFrame(rows).T
    table.index.name = "year"
    table["periods"] = table["periods"].astype(int)
    drawdown = {}
    for column, label in (("desk_pnl", "desk alone"), ("hedged_pnl", "desk + hedge")):
        cumulative = np.concatenate([[0.0], pnl[column].cumsum().to_numpy()])
        drawdown[label] = float(np.max(np.maximum.accumulate(cumulative) - cumulative))
    return (_explain(f"Hedge effectiveness = 1 − Var(hedged {adjective} PnL) / Var(desk {adjective} PnL), with "
                     f"the realised PnL of each {noun}: 100 % would remove all variability, 0 % none, negative "
                     f"means the hedge added risk. Volatility is the standard deviation of the {adjective} PnL. "
                     "A year with a single period has no volatility (–).")
            + _table(table, {c: (".0f" if c in ("periods", "hedge effectiveness, %") else ",.2f")
                             for c in table.columns}, caption="By year", total=True)
            + f"<p>Largest fall of cumulative PnL from a previous high (maximum drawdown): desk alone "
              f"{_e(money_text(drawdown['desk alone'], currency))}, desk + hedge "
              f"{_e(money_text(drawdown['desk + hedge'], currency))}.</p>")


#: Rows of the hedge-statistics section: (statistics row, label, format, is an amount).
_STATISTICS_ROWS = (
    ("volatility", "volatility", ",.2f", True), ("max_drawdown", "maximum drawdown", ",.2f", True),
    ("var_95", "VaR 95 % (loss)", ",.2f", True), ("es_95", "expected shortfall 95 % (loss)", ",.2f", True),
    ("var_99", "VaR 99 % (loss)", ",.2f", True), ("es_99", "expected shortfall 99 % (loss)", ",.2f", True),
    ("worst_period", "worst period", ",.2f", True),
    ("effectiveness_worst_10pct", "effectiveness in the worst 10 % of desk periods, %", ".0f", False),
    ("hit_ratio", "hit ratio, %", ".0f", False), ("turnover", "mean turnover, mm/bp", ",.3f", False),
    ("cost_per_variance_removed", "transaction cost per unit of variance removed", ",.4f", False),
)


def _statistics_section(result: Any, currency: str) -> str:
    """Hedge statistics of the desk alone, the hedge and the desk + hedge (``result.statistics()``)."""
    unit = money_unit(currency)
    noun, adjective = horizon_words(result.horizon)
    table = result.statistics()
    rows = {}
    for key, label, _, amount in _STATISTICS_ROWS:
        values = table.loc[key]
        if key in ("effectiveness_worst_10pct", "hit_ratio"):
            values = 100 * values
        rows[f"{label}, {unit}" if amount else label] = values
    frame = pd.DataFrame(rows).T
    frame.columns = ["desk alone", "hedge, net of costs", "desk + hedge"]
    frame.index.name = "statistic"
    formats = {c: ",.2f" for c in frame.columns}
    body = frame.map(lambda v: v if pd.notna(v) else "–")
    return (_explain(f"Per {noun}, from the realised {adjective} PnL. VaR and expected shortfall are historical: the "
                     f"95 % (99 %) quantile of the {adjective} losses and the mean of the losses at or beyond it "
                     "(losses positive). The hit ratio of the desk is its share of gaining periods, of the hedge the "
                     "share of periods where it offsets the desk. – : not defined for that column.")
            + _table(body, formats))


def _cross_check_section(result: Any, currency: str) -> str:
    unit = money_unit(currency)
    check = result.cross_check
    info = result.solver_info
    paths = info["path"].value_counts()
    solvers = ", ".join(f"{name} ({count} periods)" for name, count in info["solver"].value_counts().items())
    how = ", ".join(f"{count} period(s) {'in closed form' if path == 'closed-form' else 'by a numerical solver'}"
                    for path, count in paths.items())
    fallbacks = int((info["fallback"] != "").sum())
    parts = [_explain("Every period's answer is re-computed independently with scipy (a different optimiser "
                      "working on plain numpy formulas, not on the CVXPY model). Small gaps confirm the model is "
                      "built and solved as intended. Objective gap: difference of the optimal objectives, "
                      f"{unit}; allocation gap: largest difference of CS01 held, mm/bp; twin gap: the CVXPY "
                      "objective re-evaluated with the numpy formulas."),
             f"<p><b>Solvers:</b> {_e(solvers)}; {_e(how)}; fallback solver used in {fallbacks} period(s). "
             "Solve times are left out so that a rerun gives an identical report.</p>"]
    if check.empty:
        parts.append("<p><b>The scipy cross-check was switched off for this run.</b></p>")
        return "".join(parts)
    ok = check["ok"].astype(bool)
    stats = pd.DataFrame({
        "max": [check["objective_gap"].max(), check["twin_gap"].max(), check["allocation_gap"].max()],
        "mean": [check["objective_gap"].mean(), check["twin_gap"].mean(), check["allocation_gap"].mean()],
    }, index=pd.Index([f"objective gap, {unit}", f"twin gap, {unit}", "allocation gap, mm/bp"], name="gap"))
    parts.append(_table(stats, ".2e", caption=f"Gaps over {len(check)} periods; {int((~ok).sum())} out of "
                                               "tolerance"))
    if (~ok).any():
        bad = check.loc[~ok, ["objective_gap", "allocation_gap", "message"]].head(20)
        parts.append(_table(bad, {"objective_gap": ".2e", "allocation_gap": ".2e"},
                            caption="Periods out of tolerance (first 20)", index_label="period end"))
    return "".join(parts)


def _missing_text(missing: Mapping[str, Any]) -> str:
    policy = str(missing.get("policy", "error"))
    return f"Missing-data policy <b>{_e(policy)}</b>: {_e(describe_missing(missing, explain=True))}."


def _inputs_section(result: Any, inputs: Any, command: str | None) -> str:
    from cdshedge_cvx import __version__

    table = input_checksums(inputs, result.universe)
    parts = [_explain("What the run read. A checksum identifies the exact content: the same input always gives "
                      "the same sha256, and any change to it gives a different one. Files are hashed byte for "
                      "byte; data held in memory (the embedded examples) as the CSV text pandas writes for it."),
             _table(table.set_index("input"), "", index_label="input") if len(table) else
             "<p>No inputs were given to the report.</p>",
             f"<p>{_missing_text(result.missing)}</p>"]
    universe = result.universe.to_frame().set_index("instrument")
    keep = [c for c in ("currency", "coupon_bp", "cs01_min", "cs01_max", "recovery", "bid_ask_bp", "roll_fraction",
                        "maturity_rule", "tenor_years", "calendar") if c in universe.columns]
    parts.append(_table(universe[keep], {c: "g" for c in keep}, caption="Instruments as used (coupon and bid/ask "
                                                                         "in bp; CS01 limits in mm/bp of the "
                                                                         "index's currency)"))
    if command:
        parts.append(f"<p><b>Command:</b> <code>{_e(command)}</code></p>")
    import cvxpy
    import scipy

    parts.append(f"<p><b>Software:</b> cdshedge_cvx {_e(__version__)}, CVXPY {_e(cvxpy.__version__)}, "
                 f"scipy {_e(scipy.__version__)}, pandas {_e(pd.__version__)}, numpy {_e(np.__version__)}.</p>")
    return "".join(parts)


_GLOSSARY = (
    ("CS01", "PnL of a position for a 1 bp move of the spread, in mm of the index's currency per bp. It "
             "measures the size of a CDS index hedge."),
    ("Protection bought (positive CS01)", "the hedge pays the premium (carry) and gains when spreads widen, which "
                                          "offsets a desk that is long credit risk."),
    ("Carry", "the running premium paid on protection bought, per period."),
    ("Roll-down", "a CDS contract's spread falls as it ages (it rolls down the credit curve), a slow loss for "
                  "protection bought; realised spread changes already contain it."),
    ("Roll date", "20 March and 20 September: the index moves to a new series; a hedge kept on-the-run pays the "
                  "bid/ask to roll."),
    ("Hedge effectiveness", "1 − Var(hedged PnL) / Var(desk PnL) over the periods: the share of the variance the "
                            "hedge removed."),
    ("Shadow price", "the improvement of the objective per unit a limit is raised; zero when the limit does not "
                     "bind."),
    ("Walk-forward", "each decision uses only data available when it is taken; the realised PnL is out of sample."),
    ("Cross-check", "an independent re-solve of every period with scipy, to confirm the CVXPY model."),
)


def report_html(result: Any, *, inputs: Mapping[str, Any] | Any | None = None, title: str | None = None,
                command: str | None = None, dpi: int = 100) -> str:
    """The report as one HTML string (see the module docstring for its sections).

    Parameters
    ----------
    result : HedgeResult
    inputs : mapping or MarketData, optional
        What to list with checksums: ``{name: path | DataFrame | Series}`` or the
        :class:`~cdshedge_cvx.market.MarketData` the backtest ran on (see :func:`input_checksums`).
        The instruments as used are always listed.
    title : str, optional
        Heading (default "CDS index hedge report").
    command : str, optional
        The command line that produced the result, shown verbatim.
    dpi : int
        Resolution of the embedded figure.

    Returns
    -------
    str
    """
    from cdshedge_cvx.reporting._plots import figure_bytes, plot_result

    if not getattr(result, "records", None):
        raise SpecificationError("the result has no periods to report")
    data = result.records[0].data
    currency = str(data["reporting_currency"]).upper()
    figure = plot_result(result)
    try:
        png = figure_bytes(figure, "png", dpi=dpi)
    finally:
        import matplotlib.pyplot as plt

        plt.close(figure)
    image = base64.b64encode(png).decode("ascii")
    _, adjective = horizon_words(result.horizon)
    heading = title or "CDS index hedge report"
    first, last = data["base"], result.records[-1].data["period_end"]
    source = ""
    if inputs is not None and hasattr(inputs, "source"):
        source = f"{inputs.source}; "
    subtitle = (f"{source}{len(result.records)} {adjective} periods, {first:%d %b %Y} to {last:%d %b %Y}; "
                f"{result.mode}; {result.conventions.name} conventions; amounts in {money_unit(currency)}")
    sections = {
        "headline": ("Headline", _headline(result, currency)),
        "figure": ("The hedge at a glance",
                   _explain("Left: CS01 held in each index over time (steps: held from one rebalancing to the "
                            "next), with the allowed range shaded between its limits (dashed). Right, top: "
                            "cumulative realised PnL of the desk alone, of the hedge net of its costs, and of both "
                            "together. Right, middle: drawdown (cumulative PnL below its running peak) of the desk "
                            "alone and of the desk + hedge. Right, bottom: cumulative costs of the hedge by term.")
                   + f"<img class=\"figure\" alt=\"allocations, cumulative PnL and costs\" "
                     f"src=\"data:image/png;base64,{image}\">"),
        "objective": ("What was optimised", _objective_section(result, currency)),
        "allocations": ("The hedge: CS01 held per instrument", _allocations_section(result)),
        "attribution": ("Where the PnL came from", _attribution_section(result, currency)),
        "limits": ("Limits and their shadow prices", _limits_section(result, currency)),
        "effectiveness": ("Hedge effectiveness", _effectiveness_section(result, currency)),
        "statistics": ("Hedge statistics", _statistics_section(result, currency)),
        "cross-check": ("Independent check of the optimiser", _cross_check_section(result, currency)),
        "inputs": ("Inputs, checksums and data policy", _inputs_section(result, inputs, command)),
        "glossary": ("Glossary", "<dl class=\"glossary\">" + "".join(
            f"<dt>{_e(term)}</dt><dd>{_e(text)}</dd>" for term, text in _GLOSSARY) + "</dl>"),
    }
    body = "\n".join(f"<section id=\"{key}\">\n<h2>{_e(name)}</h2>\n{content}\n</section>"
                     for key, (name, content) in sections.items())
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{_e(heading)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"<header><div class=\"inner\"><h1>{_e(heading)}</h1><p>{_e(subtitle)}</p></div></header>\n"
            f"<main>\n{body}\n<footer>Written by cdshedge_cvx. Every amount is in {_e(money_unit(currency))} unless "
            "stated; CS01 in mm of the index's currency per bp. This file is self-contained: it needs no network "
            "and no other file.</footer>\n</main>\n</body>\n</html>\n")


def write_report(result: Any, path: str | Path, *, inputs: Mapping[str, Any] | Any | None = None,
                 title: str | None = None, command: str | None = None) -> None:
    """Write :func:`report_html` to ``path`` atomically (UTF-8; a failure leaves no file).

    Examples
    --------
    >>> import cdshedge_cvx as ch
    >>> market, universe = ch.examples.market()
    >>> result = ch.backtest(market, universe, -ch.VariancePenalty(), mode="walk-forward")   # doctest: +SKIP
    >>> ch.write_report(result, "report.html", inputs=market)                              # doctest: +SKIP
    """
    folder = Path(path).parent
    if not folder.is_dir():
        from cdshedge_cvx.errors import DataError

        raise DataError(f"cannot write report {str(path)!r}: folder {str(folder)!r} does not exist")
    text = report_html(result, inputs=inputs, title=title, command=command)
    write_atomic_text(path, text)


def command_line(argv: Sequence[str], drop: Sequence[str] = ("--out", "--plot", "--report"),
                  flags: Sequence[str] = ("--quiet", "--debug")) -> str:
    """``cdshedge …`` without the output flags (so the report does not depend on where it is written)."""
    import shlex

    kept: list[str] = []
    skip = False
    for token in argv:
        if skip:
            skip = False
            continue
        if token in drop:
            skip = True
            continue
        if any(token.startswith(f"{flag}=") for flag in drop) or token in flags:
            continue
        kept.append(token)
    return shlex.join(["cdshedge", *kept])
