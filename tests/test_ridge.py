"""RidgePenalty, the proof that a new built-in term is one file under model/terms/ and nothing else."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.cli import main
from cdshedge_cvx.model import builtin_term_factories, parse_objective
from cdshedge_cvx.testing import check_term

PACKAGE = Path(ch.__file__).resolve().parent


def test_ridge_is_a_builtin_term_by_class_and_by_keyword():
    assert ch.RidgePenalty.keyword == "ridge" and builtin_term_factories()["ridge"] is ch.RidgePenalty
    assert "RidgePenalty" in dir(ch) and "RidgePenalty" in ch.__all__
    objective = parse_objective("pnl - carry - 0.1*ridge")
    assert repr(objective) == "HedgePnL() - Carry() - RidgePenalty(lam=0.1)"  # the weight is absorbed into λ


def test_ridge_keeps_its_contract():
    report = check_term(ch.RidgePenalty(lam=0.5), max_examples=5)
    assert report.sign == "-"


@pytest.mark.parametrize("lam", [0.05, 0.5, 5.0])
def test_linear_minus_ridge_is_the_clipped_closed_form(lam):
    """max c·h − λ Σ h² in a box: h = clip(c / (2λ)), c the seed hedge PnL per CS01, by hand."""
    market, universe = ch.examples.seed()
    universe = universe.with_limits(lower=[-0.2] * len(universe), upper=[0.2] * len(universe))
    result = ch.backtest(market, universe, ch.HedgePnL() - ch.RidgePenalty(lam=lam), conventions="seed",
                         horizon="Q")
    assert set(result.solver_info["path"]) == {"box-qp"}  # the quadratic form reaches the box-QP solver directly
    spreads = market.for_universe(universe)
    for record in result.records:
        rows = spreads.loc[(spreads.index > record.data.base) & (spreads.index <= record.data.period_end)]
        c = 0.01 * (rows.iloc[-1] - rows.iloc[0]).to_numpy()  # seed: Δs within the period · 0.01
        expected = np.clip(c / (2.0 * lam), universe.lower, universe.upper)
        np.testing.assert_allclose(record.solution.h, expected, atol=1e-7)


def test_ridge_on_the_command_line_and_in_the_report(tmp_path, capsys):
    report = tmp_path / "r.html"
    code = main(["run", "--objective", "pnl - carry - 0.1*ridge", "--quiet", "--report", str(report)])
    assert code == 0, capsys.readouterr().err
    html = report.read_text(encoding="utf-8")
    assert "RidgePenalty(lam=0.1)" in html and "λ · Σᵢ hᵢ²" in html
    assert "an L2 penalty that shrinks the hedge ratios towards zero" in html


PROBE = '''
"""A term dropped into the package by a test."""

import cvxpy as cp
import numpy as np

from cdshedge_cvx.model._component import Term

__all__ = ["ProbeTerm"]


class ProbeTerm(Term):
    """Σ h (probe)."""

    keyword = "probe"

    def expr(self, h):
        return cp.sum(h)

    def value(self, h, data):
        return float(np.sum(h))

    def formula(self, conventions):
        return "Σᵢ hᵢ (probe)"
'''


def test_a_term_dropped_into_model_terms_needs_no_other_edit(tmp_path):
    copy = tmp_path / "cdshedge_cvx"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "model" / "terms" / "_probe.py").write_text(textwrap.dedent(PROBE), encoding="utf-8")
    script = textwrap.dedent(f"""
        import cdshedge_cvx as ch
        from cdshedge_cvx.model import builtin_term_factories, parse_objective
        assert ch.__file__.startswith({str(tmp_path)!r}), ch.__file__
        assert "ProbeTerm" in ch.__all__ and ch.ProbeTerm.keyword == "probe"
        assert builtin_term_factories()["probe"] is ch.ProbeTerm
        print(repr(parse_objective("pnl - 2*probe")), ch.ProbeTerm().formula(ch.MARKET))
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                         env={"PYTHONPATH": str(tmp_path), "PATH": ""}, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "HedgePnL() - 2 * ProbeTerm() Σᵢ hᵢ (probe)"
