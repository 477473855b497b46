"""The cold scipy re-solve reaches the answer at 500 instruments.

On main, above 50 instruments the cold re-solve (L-BFGS-B restarted) stopped 1e-4–6e-4 $mm/bp from
the answer and flagged periods as differing although the warm certificate held; it now finishes
with projected Newton steps on the twins' curvature. Both answers are checked by the KKT conditions
of the period's QP built here from numpy (np.cov of the window), independently of the package.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.crosscheck import cross_check
from cdshedge_cvx.errors import CrossCheckWarning

N = 500
GAMMA = 5.0


def _period(window: int):
    """The first period of a 500-instrument daily walk-forward on the roll calendar: (problem, data, P, q)."""
    from benchmarks.realistic import realistic_market
    from cdshedge_cvx.credit._conventions import get_conventions
    from cdshedge_cvx.periods import PeriodBuilder

    market, universe = realistic_market(N, periods=6, window=window, days_per_period=1)
    builder = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, get_conventions("market"),
                            "B", "walk-forward", window=window, min_history=window)
    data = builder.build(builder.periods[0])
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll() - GAMMA * ch.VariancePenalty()
    problem = ch.HedgeProblem(universe, objective).build()
    scale = data["pnl_scale"] * data["fx_rate"]
    sigma = np.cov(np.column_stack([data["risk_desk_pnl"], scale * data["risk_changes"]]), rowvar=False)
    c = sum(w * term.coefficients(data) for w, term in ch.HedgePnL() - ch.Carry() - ch.Roll())
    weight = 2.0 * GAMMA * data["horizon_rows"]
    return problem, data, weight * sigma[1:, 1:], weight * sigma[1:, 0] - c


def _kkt_residual(P: np.ndarray, q: np.ndarray, h: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """max violation of the box QP's KKT conditions at h, relative to the gradient's size: g = Ph + q
    vanishes off the bounds, g ≥ 0 at the lower bound, g ≤ 0 at the upper bound."""
    g = P @ h + q
    width = 1e-12 * np.maximum(1.0, np.abs(upper))
    at_lower, at_upper = h <= lower + width, h >= upper - width
    violation = np.where(at_lower, np.maximum(-g, 0.0), np.where(at_upper, np.maximum(g, 0.0), np.abs(g)))
    return float(np.max(violation) / max(np.max(np.abs(q)), 1e-12))


@pytest.mark.filterwarnings("ignore::cdshedge_cvx.UnidentifiedHedgeWarning")
@pytest.mark.parametrize("window", [600, 252], ids=["identified", "flat-directions"])
def test_the_cold_resolve_agrees_to_1e_6_at_500_instruments(window) -> None:
    problem, data, P, q = _period(window)
    problem.update(data)
    solution = problem.solve()
    lower, upper = np.asarray(data["cs01_min"]), np.asarray(data["cs01_max"])
    assert solution.path == "box-qp"
    assert _kkt_residual(P, q, solution.h, lower, upper) <= 1e-9
    start = np.zeros(N)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CrossCheckWarning)
        check = cross_check(problem, data, solution.h, solution.objective, starts=[start])
    assert check.ok, check.message
    box_range = float(np.max(upper - lower))
    assert check.allocation_gap <= 1e-6 * box_range
    assert abs(check.objective_gap) <= 1e-6 * abs(check.cvxpy_objective)
    assert _kkt_residual(P, q, check.scipy_h, lower, upper) <= 1e-9
    assert np.isclose(check.scipy_h @ P @ check.scipy_h / 2 + q @ check.scipy_h,
                      solution.h @ P @ solution.h / 2 + q @ solution.h, rtol=1e-9, atol=0)
    # a wrong answer is still flagged: moved along a curved direction, inside the box
    vectors = np.linalg.eigh(P)[1]
    free = (solution.h > lower + 1e-3) & (solution.h < upper - 1e-3)
    direction = np.where(free, vectors[:, -1], 0.0)
    wrong = solution.h + 1e-3 * direction / np.max(np.abs(direction))
    bad = cross_check(problem, data, wrong, float(sum(problem.compiled.term_values(wrong).values())), warn=False,
                      starts=[start])
    assert not bad.ok and "allocations differ" in bad.message
