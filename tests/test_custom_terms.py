"""Users' own terms: the issue's Funding snippet as written, errors naming the term and the period,
custom terms by name on the CLI (--term-module and entry points), and the solver fixes check_term found."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.cli import main
from cdshedge_cvx.model._registry import discover_terms
from cdshedge_cvx.periods import PeriodData


class Funding(ch.Term):
    def setup(self, n):         self.f_ = cp.Parameter(n, nonneg=True)
    def update(self, data):     self.f_.value = np.full(self.f_.shape, 2e-4)
    def expr(self, h):          return self.f_ @ h
    def value(self, h, data):   return float(2e-4 * np.sum(h))


FUNDING_MODULE = textwrap.dedent('''
    import cvxpy as cp
    import numpy as np

    import cdshedge_cvx as ch


    class Funding(ch.Term):
        def setup(self, n):         self.f_ = cp.Parameter(n, nonneg=True)
        def update(self, data):     self.f_.value = np.full(self.f_.shape, 2e-4)
        def expr(self, h):          return self.f_ @ h
        def value(self, h, data):   return float(2e-4 * np.sum(h))
''')

TICKERS = ["CDX IG", "CDX HY", "iTraxx Main", "iTraxx Xover"]


def prototype_bang_bang(funding_per_cs01: float, horizon: str = "ME") -> pd.DataFrame:
    """Independent answer: the prototype's data and arithmetic (its notebook cell), minus a funding cost
    per unit of CS01; the objective is linear in h, so each h_i sits on the bound its coefficient picks."""
    rng = np.random.RandomState(42)
    dates = pd.date_range("2021-01-01", "2025-01-01", freq="D")
    desk = pd.Series(rng.normal(0, 0.01, len(dates)), index=dates)
    spreads = pd.DataFrame({t: rng.normal(100, 10, len(dates)) for t in TICKERS}, index=dates)
    coupon = np.array([100.0, 500.0, 100.0, 500.0])
    upper = np.array([0.25, 0.10, 0.25, 0.10])
    rows, previous = {}, desk.index.min()
    for end in desk.resample(horizon).apply(lambda x: x.index[-1]):
        block = spreads.loc[(spreads.index > previous) & (spreads.index <= end)]
        previous = end
        if len(block) < 2:
            continue
        days = len(block)
        pnl = (block.diff().fillna(0.0) * 0.01).sum().to_numpy()
        carry = coupon / 10000 * days / 252
        roll = block.iloc[0].to_numpy() * 0.2 * days / 252 * 0.0001
        coefficient = pnl - carry - roll - funding_per_cs01
        assert np.abs(coefficient).min() > 1e-9  # no ties: the answer is unique
        rows[end] = np.where(coefficient > 0, upper, 0.0)
    return pd.DataFrame.from_dict(rows, orient="index", columns=TICKERS)


@pytest.fixture(scope="module")
def seed_example():
    return ch.examples.seed()


# --------------------------------------------------------------------------------------------
# the snippet of the issue
# --------------------------------------------------------------------------------------------
def test_the_issue_snippet_runs_as_written_and_its_large_weight_changes_the_answer(seed_example):
    market, universe = seed_example
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll() - 1e4 * Funding()
    result = ch.backtest(market, universe, objective, conventions="seed")  # scipy cross-check on (strict warnings)
    baseline = ch.backtest(market, universe, conventions="seed")
    np.testing.assert_allclose(baseline.allocations.to_numpy(), prototype_bang_bang(0.0).to_numpy(), atol=1e-9)
    np.testing.assert_allclose(result.allocations.to_numpy(), prototype_bang_bang(1e4 * 2e-4).to_numpy(), atol=1e-9)
    assert (baseline.allocations.to_numpy() > 0).sum() >= 20  # without funding, protection is bought …
    assert np.all(result.allocations.to_numpy() == 0.0)       # … a funding cost of 2 $mm per CS01 removes it
    assert objective.terms[-1].name == "Funding" and [w for w, _ in objective][-1] == -1e4


@pytest.mark.parametrize("weight", [50.0, 500.0])
@pytest.mark.parametrize("closed_form", [True, False], ids=["closed-form", "lp-solver"])
def test_a_moderate_funding_weight_flips_some_positions(seed_example, weight, closed_form):
    market, universe = seed_example
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll() - weight * Funding()
    result = ch.backtest(market, universe, objective, conventions="seed", closed_form=closed_form)
    expected = prototype_bang_bang(weight * 2e-4)
    np.testing.assert_allclose(result.allocations.to_numpy(), expected.to_numpy(), atol=1e-8)
    baseline = prototype_bang_bang(0.0).to_numpy()
    changed = (np.abs(expected.to_numpy() - baseline) > 0).sum()
    assert 0 < changed < (baseline > 0).sum()
    funding_paid = weight * 2e-4 * result.allocations.sum(axis=1)  # −w · 2e-4 Σh, by hand
    np.testing.assert_allclose(result.term_values["Funding"].to_numpy(), -funding_paid.to_numpy(), atol=1e-12)


# --------------------------------------------------------------------------------------------
# errors that name the term and the period
# --------------------------------------------------------------------------------------------
class BoomInUpdate(Funding):
    def update(self, data):
        raise ZeroDivisionError("no funding rates")


class BoomInValue(Funding):
    def value(self, h, data):
        raise RuntimeError("twin not written yet")


class ValueReadsAMissingKey(Funding):
    def value(self, h, data):
        return float(data["funding_bp"] * 1e-4 * np.sum(h))


class UpdateReadsAMissingKey(Funding):
    def update(self, data):
        self.f_.value = np.full(self.f_.shape, data["funding_bp"] * 1e-4)


class NeedsFundingCurve(Funding):
    requires = ("funding_bp",)

    def update(self, data):
        self.f_.value = np.full(self.f_.shape, data["funding_bp"] * 1e-4)

    def value(self, h, data):
        return float(data["funding_bp"] * 1e-4 * np.sum(h))


def test_an_exception_in_update_names_the_term_and_the_period(seed_example):
    market, universe = seed_example
    with pytest.raises(ch.SpecificationError, match=r"^term BoomInUpdate, period 2021-01-31: update\(\) failed: "
                                                    r"ZeroDivisionError: no funding rates$"):
        ch.backtest(market, universe, ch.HedgePnL() - BoomInUpdate(), conventions="seed")


def test_an_exception_in_value_names_the_term_and_the_period(seed_example):
    market, universe = seed_example
    with pytest.raises(ch.SpecificationError, match=r"^term BoomInValue, period 2021-01-31: value\(\) failed: "
                                                    r"RuntimeError: twin not written yet$"):
        ch.backtest(market, universe, ch.HedgePnL() - BoomInValue(), conventions="seed")
    result = ch.backtest(market, universe, ch.HedgePnL() - BoomInValue(), conventions="seed", horizon="A",
                         cross_check=False)  # the CVXPY side never calls value()
    problem, record = result.problem, result.records[0]
    with pytest.raises(ch.SpecificationError, match=r"^term BoomInValue, period 2021-12-31: value\(\) failed"):
        problem.twin_objective(record.solution.h, record.data)


def test_a_missing_key_is_the_data_error_naming_the_term_and_the_period(seed_example):
    market, universe = seed_example
    with pytest.raises(ch.DataError, match=r"^term ValueReadsAMissingKey, period 2021-01-31: .*no data key "
                                           r"'funding_bp'"):
        ch.backtest(market, universe, ch.HedgePnL() - ValueReadsAMissingKey(), conventions="seed")
    with pytest.raises(ch.DataError, match=r"^term UpdateReadsAMissingKey, period 2021-01-31: .*no data key "
                                           r"'funding_bp'"):
        ch.backtest(market, universe, ch.HedgePnL() - UpdateReadsAMissingKey(), conventions="seed")
    with pytest.raises(ch.DataError, match=r"^term NeedsFundingCurve, period 2021-01-31: needs data key\(s\) "
                                           r"\['funding_bp'\]"):
        ch.backtest(market, universe, ch.HedgePnL() - NeedsFundingCurve(), conventions="seed")
    given = ch.backtest(market, universe, ch.HedgePnL() - ch.Carry() - ch.Roll() - NeedsFundingCurve(),
                        conventions="seed", extra_data={"funding_bp": 2e4})  # 2 $mm per CS01, as 1e4 · Funding
    np.testing.assert_allclose(given.allocations.to_numpy(), prototype_bang_bang(2.0).to_numpy(), atol=1e-9)


def test_period_data_membership_and_get_do_not_raise():
    data = PeriodData({"period": "2021-01-31", "a": 1.0})
    assert "a" in data and "b" not in data
    assert data.get("b") is None and data.get("b", 3.0) == 3.0
    with pytest.raises(ch.DataError, match="period 2021-01-31: no data key 'b'"):
        data["b"]


# --------------------------------------------------------------------------------------------
# custom terms by name
# --------------------------------------------------------------------------------------------
def _read_allocations(path) -> np.ndarray:
    return pd.read_csv(path, index_col=0, parse_dates=True).to_numpy()


@pytest.mark.parametrize(("objective", "funding_per_cs01"), [
    ("pnl - carry - roll - 2*funding", 2 * 2e-4),
    ("pnl - carry - roll - 1e4*funding", 2.0),
])
def test_term_module_names_a_users_term_in_objective(tmp_path, monkeypatch, objective, funding_per_cs01):
    (tmp_path / "desk_terms_inprocess.py").write_text(FUNDING_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "desk_terms_inprocess", raising=False)
    out = tmp_path / "allocations.csv"
    code = main(["run", "--term-module", "desk_terms_inprocess", "--objective", objective, "--quiet",
                 "--out", str(out)])
    assert code == 0
    np.testing.assert_allclose(_read_allocations(out), prototype_bang_bang(funding_per_cs01).to_numpy(), atol=1e-9)


def test_term_module_from_the_command_line(tmp_path):
    (tmp_path / "desk_terms_subprocess.py").write_text(FUNDING_MODULE, encoding="utf-8")
    out = tmp_path / "allocations.csv"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run([sys.executable, "-m", "cdshedge_cvx", "run", "--term-module", "desk_terms_subprocess",
                          "--objective", "pnl - carry - roll - 1e4*funding", "--quiet", "--out", str(out)],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    np.testing.assert_allclose(_read_allocations(out), prototype_bang_bang(2.0).to_numpy(), atol=1e-9)


def _install_plugin(tmp_path, monkeypatch, module: str, entry_points_txt: str) -> None:
    """A real (tiny) installed distribution: a module and its dist-info with entry_points.txt on sys.path."""
    (tmp_path / f"{module}.py").write_text(FUNDING_MODULE, encoding="utf-8")
    info = tmp_path / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(entry_points_txt, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, module, raising=False)


def test_an_installed_entry_point_names_a_term(tmp_path, monkeypatch):
    _install_plugin(tmp_path, monkeypatch, "funding_plugin", "[cdshedge_cvx.terms]\nfunding = funding_plugin:Funding\n")
    factories = discover_terms()
    assert "funding" in factories
    assert type(factories["funding"]()).__name__ == "Funding"
    out = tmp_path / "allocations.csv"
    assert main(["run", "--objective", "pnl - carry - roll - 1e4*funding", "--quiet", "--out", str(out)]) == 0
    np.testing.assert_allclose(_read_allocations(out), prototype_bang_bang(2.0).to_numpy(), atol=1e-9)


def test_a_broken_entry_point_fails_only_when_used_and_names_itself(tmp_path, monkeypatch, capsys):
    _install_plugin(tmp_path, monkeypatch, "broken_plugin",
                    "[cdshedge_cvx.terms]\nbroken = no_such_module_anywhere:Thing\n")
    out = tmp_path / "allocations.csv"
    assert main(["run", "--horizon", "A", "--quiet", "--out", str(out)]) == 0  # not used: no harm
    assert main(["run", "--objective", "pnl - broken", "--quiet"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("cdshedge: error: term 'broken': entry point no_such_module_anywhere:Thing failed to load")
    assert len(error.splitlines()) == 1


def test_a_plugin_may_not_shadow_a_builtin_term(tmp_path, monkeypatch, capsys):
    _install_plugin(tmp_path, monkeypatch, "shadow_plugin", "[cdshedge_cvx.terms]\npnl = shadow_plugin:Funding\n")
    assert main(["run", "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "term name 'pnl' from entry point shadow_plugin:Funding clashes with the built-in term" in error


def test_term_module_errors_are_one_line_usage_errors(tmp_path, monkeypatch, capsys):
    assert main(["run", "--term-module", "no_such_module_anywhere", "--quiet"]) == 2
    assert "--term-module 'no_such_module_anywhere' could not be imported" in capsys.readouterr().err
    (tmp_path / "not_terms.py").write_text("CDSHEDGE_TERMS = {'half': lambda: 0.5}\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "not_terms", raising=False)
    assert main(["run", "--term-module", "not_terms", "--objective", "pnl - half", "--quiet"]) == 2
    assert "term 'half' (--term-module not_terms (CDSHEDGE_TERMS)) built 0.5, which is not a cdshedge_cvx Term" in (
        capsys.readouterr().err)
    assert main(["run", "--term-module", "not_terms", "--objective", "pnl - funding", "--quiet"]) == 2
    expected = "unknown term 'funding'; known terms: carry, cvar, half, pnl, ridge, roll, rollcost, tcost, variance"
    assert expected in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# solver fixes found by check_term
# --------------------------------------------------------------------------------------------
def _variance_data(seed: int, n: int, lower, upper, desk_scale: float, change_scale: float) -> PeriodData:
    rng = np.random.default_rng(seed)
    return PeriodData({"period": f"case {seed}", "risk_changes": rng.normal(0, change_scale, (20, n)),
                       "risk_desk_pnl": rng.normal(0, desk_scale, 20), "horizon_rows": 20, "pnl_scale": 1.0,
                       "fx_rate": np.ones(n), "cs01_min": np.asarray(lower, dtype=float),
                       "cs01_max": np.asarray(upper, dtype=float),
                       # read by the gross and net limits since issue 14 (CS01 in the reporting currency)
                       "n": n, "amount_currency": ["USD"] * n, "instruments": [f"I{i}" for i in range(n)],
                       "reporting_currency": "USD"})


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_reused_problem_follows_a_changed_box(seed):
    """OSQP's warm start used to keep the previous period's bounds: h outside the new box, reported optimal."""
    problem = ch.HedgeProblem(3, -ch.VariancePenalty()).build()
    rng = np.random.default_rng(seed)
    changes = rng.normal(0, 0.005, (20, 3))
    desk = rng.normal(0, 0.01, 20)
    periods = [
        {"risk_changes": changes, "risk_desk_pnl": rng.normal(0, 1.0, 20), "cs01_min": np.zeros(3),
         "cs01_max": np.zeros(3)},
        {"risk_changes": changes, "risk_desk_pnl": desk, "cs01_min": np.array([0.25, 0.0, 0.0]),
         "cs01_max": np.ones(3)},
        {"risk_changes": changes, "risk_desk_pnl": desk, "cs01_min": np.zeros(3), "cs01_max": np.zeros(3)},
    ]
    for values in periods:
        problem.update(PeriodData({"period": "p", "horizon_rows": 20, "pnl_scale": 1.0, "fx_rate": np.ones(3),
                                    **values}))
        solution = problem.solve()
        assert np.all(solution.h >= values["cs01_min"] - 1e-8) and np.all(solution.h <= values["cs01_max"] + 1e-8)
    np.testing.assert_allclose(solution.h, 0.0, atol=1e-8)  # the last box is the single point 0


def test_a_false_infeasibility_verdict_falls_back_instead_of_failing():
    """OSQP called this badly scaled QP on the box {0} infeasible; a box always holds, so the next solver answers."""
    problem = ch.HedgeProblem(5, -ch.VariancePenalty(gamma=1000.0)).build()
    problem.update(_variance_data(6, 5, np.zeros(5), np.zeros(5), desk_scale=15.0, change_scale=50.0))
    solution = problem.solve()
    np.testing.assert_allclose(solution.h, 0.0, atol=1e-8)
    assert solution.status == "optimal"


def test_a_true_infeasibility_is_still_reported_with_its_culprit():
    data = _variance_data(0, 3, np.zeros(3), np.ones(3), desk_scale=1.0, change_scale=1.0)
    problem = ch.HedgeProblem(3, -ch.VariancePenalty(), [ch.NetLimit(lower=5.0)]).build()
    problem.update(data)
    with pytest.raises(ch.InfeasibleError, match=r"period case 0: the limits cannot all hold \(NetLimit\(lower=5.0, "
                                                 r"upper=None\) with the CS01 box limits"):
        problem.solve()
