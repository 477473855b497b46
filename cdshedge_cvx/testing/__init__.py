"""Hypothesis strategies and contract checks for users' own terms and constraints.

Import it from your own test suite::

    from hypothesis import given
    from cdshedge_cvx.testing import check_term, parametrize_with_checks, period_data, universes

    def test_my_term():
        check_term(MyTerm())          # DCP/DPP, sign, expr == value, gradient, optimum, missing keys …

    @parametrize_with_checks([MyTerm(), MyLimit(0.5)])
    def test_contract(component, check):   # one pytest item per (component, named check)
        check(component)

Strategies generate valid objects only (lower ≤ upper, positive spreads, finite PnL) and
shrink towards small, simple examples. :func:`check_term` and :func:`check_constraint` work as
plain calls (they run their own hypothesis search) and inside ``@given`` tests (they then draw
their examples from a seeded generator instead, since ``@given`` cannot be nested).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # the checks and strategies are built on hypothesis
    raise ImportError("cdshedge_cvx.testing needs hypothesis: pip install 'cdshedge_cvx[testing]'") from exc

import numpy as np

from cdshedge_cvx.credit._conventions import MARKET, Conventions, get_conventions
from cdshedge_cvx.market._instruments import Universe
from cdshedge_cvx.market._market_data import MarketData
from cdshedge_cvx.periods import PeriodData
from cdshedge_cvx.testing._checks import CheckReport, ContractViolation
from cdshedge_cvx.testing._generation import (
    HypothesisSource,
    make_cs01_vector,
    make_limits,
    make_market,
    make_period_data,
    make_universe,
)
from cdshedge_cvx.testing._named_checks import (
    CONSTRAINT_CHECKS,
    TERM_CHECKS,
    check_clone_and_pickle,
    check_dcp_dpp,
    check_gradient,
    check_hyperparameter_change_after_build,
    check_optimum_vs_scipy,
    check_quadratic_form,
    check_requires_complete,
    check_scipy_form,
    check_shadow_price_vs_bumped_resolve,
    check_sign,
    check_twin_independent,
    check_value_matches_expr,
    check_violation_matches_constraints,
)
from cdshedge_cvx.testing._suite import (
    check_constraint,
    check_term,
    constraint_checks,
    parametrize_with_checks,
    term_checks,
)

__all__ = [
    "CONSTRAINT_CHECKS",
    "TERM_CHECKS",
    "CheckReport",
    "ContractViolation",
    "check_clone_and_pickle",
    "check_constraint",
    "check_dcp_dpp",
    "check_gradient",
    "check_hyperparameter_change_after_build",
    "check_optimum_vs_scipy",
    "check_quadratic_form",
    "check_requires_complete",
    "check_scipy_form",
    "check_shadow_price_vs_bumped_resolve",
    "check_sign",
    "check_term",
    "check_twin_independent",
    "check_value_matches_expr",
    "check_violation_matches_constraints",
    "constraint_checks",
    "cs01_vectors",
    "limits",
    "markets",
    "parametrize_with_checks",
    "period_data",
    "term_checks",
    "universes",
]


@st.composite
def limits(draw: st.DrawFn, allow_short: bool = True) -> tuple[float, float]:
    """A CS01 box (lower, upper) in $mm/bp with lower ≤ upper (upper in [0, 2])."""
    return make_limits(HypothesisSource(draw), allow_short=allow_short)


@st.composite
def universes(draw: st.DrawFn, min_size: int = 1, max_size: int = 6, allow_short: bool = True) -> Universe:
    """Universes of ``min_size`` … ``max_size`` instruments with valid fields and limits."""
    return make_universe(HypothesisSource(draw), min_size, max_size, allow_short)


@st.composite
def markets(draw: st.DrawFn, universe: Universe | None = None, min_days: int = 25, max_days: int = 90,
            start: str = "2022-01-03") -> MarketData:
    """Business-day markets: log-normal random-walk spreads (5–1500 bp) and a desk PnL that
    loads on the spread changes plus noise."""
    source = HypothesisSource(draw)
    if universe is None:
        universe = make_universe(source)
    return make_market(source, universe, min_days, max_days, start)


@st.composite
def period_data(draw: st.DrawFn, universe: Universe | None = None, conventions: str | Conventions = MARKET,
                mode: str = "hindsight", extra: Mapping[str, Any] | None = None) -> PeriodData:
    """One period's :class:`PeriodData` built by the package's own builder on a generated market
    (so every key a built-in term reads is there), with a random ``h_prev`` inside the box.

    ``extra`` adds keys for your own terms: a constant, a callable ``f(data) -> value`` or a
    hypothesis strategy per key.
    """
    source = HypothesisSource(draw)
    if universe is None:
        universe = make_universe(source)
    return make_period_data(source, universe, get_conventions(conventions), mode, extra)


@st.composite
def cs01_vectors(draw: st.DrawFn, universe: Universe) -> np.ndarray:
    """CS01 vectors inside the universe's box, corners included."""
    return make_cs01_vector(HypothesisSource(draw), universe.lower, universe.upper)
