"""The numbers of docs/report.md and README.md recomputed (issue 15).

README's performance table and the cross-check cost ratios are benchmark output (``make bench``, one
run on a shared machine) and are not checked here; the README says so.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from docs_text import blocks, doc, flat, grab, to_float

import cdshedge_cvx as ch

REPORT = doc("report.md")
README = doc("README.md")


# --- report.md ----------------------------------------------------------------------------------------
def test_frontier_label_tolerance() -> None:
    from cdshedge_cvx.reporting import _plots

    shown = to_float(grab(REPORT, r"points closer than (\d+) % of\s*an axis share a label"))
    assert inspect.signature(_plots._label_groups).parameters["tolerance"].default == shown / 100


@pytest.fixture(scope="module")
def notebook_02_runs():
    """Notebook 02's two walk-forward runs (its cross-check left out: the figures do not depend on it)."""
    import json

    from docs_text import ROOT

    notebook = json.loads((ROOT / "notebooks" / "02_min_variance_hedging.ipynb").read_text(encoding="utf-8"))
    source = "".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code")
    upper = [to_float(v) for v in grab(source, r"wide = universe\.with_limits\(upper=\[([^\]]+)\]\)").split(",")]
    market, universe = ch.examples.market()
    wide = universe.with_limits(upper=upper)
    runs = {name: ch.backtest(market, u, -ch.VariancePenalty(), horizon="M", mode="walk-forward", cross_check=False)
            for name, u in (("standard", universe), ("wide", wide))}
    return universe, runs


def test_notebook_02_effectiveness(notebook_02_runs) -> None:
    universe, runs = notebook_02_runs
    standard = grab(REPORT, r"all four on their limit, effectiveness ([\d.]+)\)")
    widened = grab(REPORT, r"inside\s*widened limits \(effectiveness ([\d.]+),")
    assert f"{runs['standard'].hedge_effectiveness():.2f}" == standard
    assert f"{runs['wide'].hedge_effectiveness():.2f}" == widened
    at_limit = np.isclose(runs["standard"].allocations.to_numpy(), universe.upper, atol=1e-6).all(axis=0)
    assert at_limit.all()  # "all four on their limit"


# --- README.md ----------------------------------------------------------------------------------------
def test_make_run_table_has_the_stated_rows() -> None:
    rows = int(grab(README, r"prints its (\d+)-row monthly\s*table under `seed` conventions"))
    market, universe = ch.examples.seed()
    result = ch.backtest(market, universe, horizon="M", conventions="seed", cross_check=False)
    assert len(result.allocations) == rows
    assert f"({len(universe)} indices × {rows} months)" in flat(README)


def test_python_api_block_runs() -> None:
    """The README's first Python block, up to where it reads the user's own files."""
    code = next(b for b in blocks(README, "python") if "ch.examples.seed()" in b)
    runnable = code.split("# your own data")[0]
    namespace: dict = {}
    exec(compile(runnable, "README.md", "exec"), namespace)
    result = namespace["result"]
    assert len(result.allocations) and "hedge_effectiveness" in result.summary().index


def test_conventions_table_defaults() -> None:
    seed = ch.get_conventions("seed")
    row = next(line for line in README.splitlines() if line.startswith("| roll-down |"))
    seed_cell, market_cell = [c.strip() for c in row.strip("|").split("|")][1:]
    assert f"h · {seed.roll_fraction:g} · s · rows/252 · 1e-4" == seed_cell.strip("`")
    assert {i.roll_fraction for i in ch.standard_universe()} == {to_float(grab(market_cell, r"else ([\d.]+) · s"))}
    assert seed.pnl_scale == to_float(grab(README, r"\| hedge PnL \| Δs · h · ([\d.]+) \|"))
    assert seed.carry_day_count == "rows/252" and "h · coupon/1e4 · rows/252" in README


def test_cross_check_defaults() -> None:
    params = inspect.signature(ch.backtest).parameters
    rate = to_float(grab(README, r"on a seeded (\d+) % of the others \(`cross_check_rate`"))
    assert params["cross_check_rate"].default == rate / 100
    assert params["cross_check"].default is True and "(`cross_check=True`, the same as `\"warm\"`" in README


def test_dask_timeout_and_rate_refusal() -> None:
    from cdshedge_cvx.engine._parallel import SCHEDULER_TIMEOUT_S

    assert SCHEDULER_TIMEOUT_S == int(grab(doc("errors.md"), r"unreachable \((\d+) s connect timeout\)"))
    from docs_text import run_cli

    out = run_cli("convert", "--instrument", "CDX IG", "--cs01", "0.25", "--spread", "55", "--rate", "3")
    assert out.returncode == 2 and "percent" in out.stderr  # "`--rate 3` is refused as a percent"
