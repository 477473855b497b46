"""The ISDA figures of a long backtest from per-grid Chebyshev tables (issue 13, goal 1).

Reference: the contract-by-contract ISDA solve (``spread_quote_groups``, equal to ``cds_quote`` to the bit and
to QuantLib's ``IsdaCdsEngine`` to 1e-10, ``tests/test_isda.py``), and ``cds_quote`` itself per period.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_isda import USD_HIGH, _ql, _rel, ql_curve, ql_quote

import cdshedge_cvx as ch
from cdshedge_cvx.credit import _isda_table
from cdshedge_cvx.credit._figure_panel import figure_panel
from cdshedge_cvx.credit._isda import _BP, cds_maturity
from cdshedge_cvx.credit._isda_batch import QuoteGroup, spread_quote_groups
from cdshedge_cvx.credit._isda_table import tabulated_quote_groups
from cdshedge_cvx.credit._yield_curve import YieldCurve
from cdshedge_cvx.errors import DataError
from cdshedge_cvx.periods import PeriodBuilder
from cdshedge_cvx.periods._figures import contract_figures

FIELDS = ("upfront", "cs01", "rpv01", "hazard_rate", "cs01_par")


def _groups(seed: int, dates: int = 30, n: int = 60, low: float = 20.0, high: float = 900.0,
            tenors: tuple[str, ...] = ("3Y", "5Y", "10Y"), nodes: bool = True) -> list[QuoteGroup]:
    rng = np.random.default_rng(seed)
    groups = []
    for k in range(dates):
        day = np.datetime64("2015-01-05") + np.timedelta64(7 * k, "D")
        curve = YieldCurve.isda(str(day), *USD_HIGH) if nodes and k % 3 == 0 else YieldCurve.flat(0.03, str(day))
        mats = np.array([cds_maturity(str(day), t) for t in rng.choice(tenors, n)])
        today = int((day - np.datetime64("1970-01-01", "D")).astype(np.int64))
        groups.append(QuoteGroup(curve, today, mats.astype("datetime64[D]").astype(np.int64),
                                 np.exp(rng.uniform(np.log(low), np.log(high), n)), rng.choice([100.0, 500.0], n),
                                 rng.uniform(0.2, 0.5, n)))
    return groups


def _compare(groups: list[QuoteGroup], tabulated: list, tolerance: float = 1e-12) -> None:
    """The tables against the contract-by-contract solve, every hazard rate solved to the rounding level of its
    residual, at the quote and at the quote + 1 bp.

    The solve's own cs01 is the difference of two upfronts, each (1-R)V - cA with terms of size s rpv01 and
    c rpv01: its rounding is (s + c)/1bp times that of the legs (1e-11 at 3000 bp). The tables compute cs01
    from the rpv01 at both quotes, (s + 1bp - c) rpv01(s + 1bp) - (s - c) rpv01(s), and 1bp rpv01(s + 1bp)
    at par (an identity at the solution, (1-R)V = sA). So the rpv01s are compared tightly, the cs01s with
    the same formulas on the exact rpv01s, then with the solve's own cs01s to its rounding.
    """
    exact = spread_quote_groups(groups, early=False)
    up = spread_quote_groups([dataclasses.replace(g, spread_bp=g.spread_bp + 1.0) for g in groups], early=False)
    s = np.concatenate([g.spread_bp for g in groups])
    c = np.concatenate([g.coupon_bp for g in groups])
    rpv01, rpv01_up = (np.concatenate([q.rpv01 for q in quotes]) for quotes in (exact, up))
    reference = {"upfront": (s - c) * _BP * rpv01, "rpv01": rpv01,
                 "hazard_rate": np.concatenate([q.hazard_rate for q in exact]),
                 "cs01": (s + 1.0 - c) * _BP * rpv01_up - (s - c) * _BP * rpv01, "cs01_par": _BP * rpv01_up}
    for name in FIELDS:
        b = np.concatenate([getattr(q, name) for q in tabulated])
        own = np.concatenate([getattr(q, name) for q in exact])
        # the upfront and cs01 measured against (s - c) rpv01 and 1 bp rpv01 (the upfront vanishes at par)
        scale = (np.abs(s - c) + 1.0) * _BP * rpv01 if name in ("upfront", "cs01") else np.abs(reference[name])
        worst = np.max(np.abs(reference[name] - b) / scale)
        assert worst <= tolerance, f"{name}: {worst:.2e} from the exact rpv01s"
        # the solve's own figures: to their rounding, 1e-13 of the size of its terms (1-R)V ~ (s + 1 bp) rpv01
        # and c rpv01
        allowed = 1e-12 * np.abs(own) + 1e-13 * (s + c + 1.0) * _BP * rpv01
        assert np.all(np.abs(own - b) <= allowed), f"{name}: {np.max(np.abs(own - b) / allowed):.2f} x the rounding"


def _counting_points(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the points each table solve prices (none: the contracts were solved one by one)."""
    solved: list[int] = []
    solve = _isda_table._price_points

    def counted(rows, row, z):
        solved.append(row.size)
        return solve(rows, row, z)

    monkeypatch.setattr(_isda_table, "_price_points", counted)
    return solved


def test_tables_equal_the_contract_by_contract_solve(monkeypatch):
    """Flat and bootstrapped curves, three tenors, coupons 100/500, recoveries 0.2-0.5, spreads 20-900 bp."""
    solved = _counting_points(monkeypatch)
    groups = _groups(0, dates=20, n=240)
    tabulated = tabulated_quote_groups(groups)
    assert solved and sum(solved) < sum(g.maturity.size for g in groups) / 3  # the tables were built, and pay
    _compare(groups, tabulated)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), low=st.floats(1.0, 300.0), width=st.floats(1.0, 40.0))
def test_tables_hold_on_any_spread_range(seed, low, width):
    """Spreads from 1 bp to 12,000 bp, one tenor (many contracts per grid, so the tables are built)."""
    groups = _groups(seed, dates=4, n=200, low=low, high=low * width, tenors=("5Y",), nodes=False)
    with pytest.MonkeyPatch.context() as patch:
        solved = _counting_points(patch)
        tabulated = tabulated_quote_groups(groups)
    assert solved
    _compare(groups, tabulated)


def test_a_grid_whose_table_does_not_converge_is_solved_contract_by_contract(monkeypatch):
    groups = _groups(1, dates=6, n=150, tenors=("5Y",), nodes=False)
    monkeypatch.setattr(_isda_table, "_LEVELS", (9,))
    monkeypatch.setattr(_isda_table, "_TOLERANCE", 0.0)  # no table is ever accepted
    tabulated = tabulated_quote_groups(groups)
    exact = spread_quote_groups(groups)
    for name in FIELDS:
        np.testing.assert_array_equal(np.concatenate([getattr(q, name) for q in tabulated]),
                                      np.concatenate([getattr(q, name) for q in exact]))


def test_few_contracts_per_grid_are_solved_one_by_one():
    groups = _groups(2, dates=5, n=6)
    tabulated, exact = tabulated_quote_groups(groups), spread_quote_groups(groups)
    for name in FIELDS:
        np.testing.assert_array_equal(np.concatenate([getattr(q, name) for q in tabulated]),
                                      np.concatenate([getattr(q, name) for q in exact]))


def test_groups_without_the_bump_have_no_cs01():
    groups = _groups(3, dates=3, n=120, tenors=("5Y",), nodes=False)
    tabulated = tabulated_quote_groups(groups, [True, False, True])
    assert np.all(np.isnan(tabulated[1].cs01)) and np.all(np.isnan(tabulated[1].hazard_rate))
    assert np.all(np.isfinite(tabulated[0].cs01)) and np.all(np.isfinite(tabulated[1].upfront))
    exact = spread_quote_groups(groups)
    np.testing.assert_allclose(tabulated[1].upfront, exact[1].upfront, rtol=0, atol=1e-13)


# --- the panel of a backtest -------------------------------------------------------------------------------------
def _market(n: int = 50, days: int = 400, seed: int = 0) -> tuple[ch.MarketData, ch.Universe]:
    from cdshedge_cvx.datasets import make_market

    rng = np.random.default_rng(seed)
    names = [f"IDX{i:02d}" for i in range(n)]
    loadings = rng.uniform(0.3, 1.0, (n, 2)) * 0.01
    market = make_market(names, days, rng, levels=rng.uniform(30.0, 600.0, n),
                         covariance=loadings @ loadings.T + 0.01**2 * np.eye(n), log=True,
                         exposure=rng.uniform(0.0, 0.05, n), noise=0.3, start="2016-01-04", source="table test")
    universe = ch.Universe([ch.Instrument(name, coupon_bp=100.0 if i % 2 else 500.0, recovery=0.4 if i % 3 else 0.25,
                                          cs01_min=-0.05, cs01_max=0.05) for i, name in enumerate(names)])
    return market, universe


def _builder(market: ch.MarketData, universe: ch.Universe) -> PeriodBuilder:
    from cdshedge_cvx.credit._conventions import get_conventions

    return PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, get_conventions("market"),
                         "W-FRI", "walk-forward", window=60, min_history=60)


def test_every_period_of_a_backtest_equals_its_own_pricing():
    """The panel's figures of each period against one ``per_cs01_figures`` (``cds_quote``) call per period."""
    market, universe = _market()
    builder = _builder(market, universe)
    assert builder._figure_panel(0) is not None  # the tables are used here
    worst = 0.0
    for period in builder.periods:
        data = builder.build(period)
        panel, alone = data.figures, contract_figures(data)
        for field in dataclasses.fields(alone):
            if field.name == "par":
                continue
            a, b = getattr(alone, field.name), getattr(panel, field.name)
            scale = np.maximum(np.abs(a), 1e-6 * np.max(np.abs(a)) + 1e-300)
            worst = max(worst, float(np.max(np.abs(a - b) / scale)))
            np.testing.assert_allclose(getattr(panel.par, field.name), getattr(alone.par, field.name),
                                       rtol=1e-11, atol=1e-14)
    assert worst <= 1e-11, worst


def test_a_backtest_on_the_panel_prices_no_contract_per_period(monkeypatch):
    from cdshedge_cvx.credit import _contract

    calls = {"cds_quote": 0}
    quote = _contract.cds_quote

    def counted(*args, **kwargs):
        calls["cds_quote"] += 1
        return quote(*args, **kwargs)

    monkeypatch.setattr(_contract, "cds_quote", counted)
    market, universe = _market(n=45, days=300)
    result = ch.backtest(market, universe, ch.HedgePnL() - ch.Carry() - ch.Roll() - 2.0 * ch.VariancePenalty(),
                         horizon="W-FRI", mode="walk-forward", window=60, min_history=60, conventions="market",
                         progress=False)
    assert result.cross_check["ok"].all()
    assert calls["cds_quote"] == 0


def test_the_panel_refuses_what_per_period_pricing_refuses():
    market, universe = _market(n=45, days=200)
    builder = _builder(market, universe)
    periods = builder.periods
    maturity = np.asarray(builder._contract_maturities, dtype="datetime64[D]")
    bases = np.asarray([np.datetime64(pd.Timestamp(p.base).date(), "D") for p in periods])
    spreads = builder.levels[[builder._start_row(p) for p in periods]].copy()
    curves = [[YieldCurve.flat(0.03, str(b))] for b in bases]
    args = dict(coupon_bp=np.full(45, 100.0), recovery=np.full(45, 0.4), n_names=np.full(45, 125.0),
                index_factor=np.ones(45), roll_slope_bp_per_year=np.zeros_like(spreads), curves=curves,
                currency=np.zeros(45, dtype=np.int64), days=np.full(len(periods), 7))
    assert figure_panel(bases, maturity, spreads, **args) is not None
    spreads[3, 7] = -1.0
    with pytest.raises(DataError, match="spread"):
        figure_panel(bases, maturity, spreads, **args)
    spreads[3, 7] = 50.0
    with pytest.raises(DataError, match="horizon reaches a maturity"):
        figure_panel(bases, maturity, spreads, **{**args, "days": np.full(len(periods), 4000)})


def _equal_to_own_pricing(builder: PeriodBuilder) -> int:
    """Every period's figures against one ``per_cs01_figures`` call for it; the number of periods checked."""
    checked = 0
    for period in builder.periods:
        data = builder.build(period)
        panel, alone = data.figures, contract_figures(data)
        for field in dataclasses.fields(alone):
            if field.name != "par":
                a, b = getattr(alone, field.name), getattr(panel, field.name)
                np.testing.assert_allclose(b, a, rtol=1e-11, atol=1e-12 * np.max(np.abs(a)), err_msg=field.name)
        checked += 1
    return checked


def test_the_panel_takes_each_periods_roll_down_from_the_other_tenors():
    """With tenor spreads the roll-down slope changes per period (periods/_roll_slopes.py): the panel's rows
    take the period's own slope."""
    market, universe = _market(n=45, days=260)
    spreads = market.spreads
    tenors = pd.DataFrame({"IDX00 3Y": spreads["IDX00"] * 0.6, "IDX00 7Y": spreads["IDX00"] * 1.3,
                           "IDX07 10Y": spreads["IDX07"] * 1.6}, index=spreads.index)
    market = market.with_tenor_spreads(tenors)
    from cdshedge_cvx.credit._conventions import get_conventions

    builder = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, get_conventions("market"),
                            "W-FRI", "walk-forward", window=60, min_history=60,
                            tenor_spreads=market.tenor_spreads_for_universe(universe))
    assert builder._figure_panel(0) is not None
    slopes = {float(builder.build(p).figures.roll_down[0]) for p in builder.periods}
    assert len(slopes) > 5  # IDX00's roll-down follows its curve period by period
    assert _equal_to_own_pricing(builder) > 20


def test_periods_longer_than_the_contracts_life_are_scaled_as_alone():
    """One-year contracts on an annual horizon: some periods are priced over the contracts' remaining life less
    the step-in and the carry scaled back to the period (contract_figures)."""
    from cdshedge_cvx.credit._conventions import get_conventions
    from cdshedge_cvx.periods._figures import figures_days

    market, universe = _market(n=45, days=1400)
    universe = ch.Universe([i.replace(tenor_years=1) for i in universe])
    builder = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, get_conventions("market"),
                            "YE", "walk-forward", window=60, min_history=60)
    assert builder._figure_panel(0) is not None
    short = [p for p in builder.periods
             if figures_days(p.base, builder.build(p).contract_maturity, p.calendar_days) < p.calendar_days]
    assert short  # the case is exercised
    assert _equal_to_own_pricing(builder) == len(builder.periods)


def test_blocks_of_periods_give_the_same_figures_in_any_order(monkeypatch):
    """Figures are priced in blocks of periods (bounded memory); the blocks read last are kept, any other one
    is priced again when read: every period's figures equal its own pricing, read forwards or backwards."""
    from cdshedge_cvx.periods import _builder as builder_module

    market, universe = _market(n=45, days=400)
    monkeypatch.setattr(builder_module, "_PANEL_CONTRACTS", 45 * 12)  # blocks of 12 periods
    builder = _builder(market, universe)
    assert len(builder._figure_inputs["edges"]) > 5
    periods = list(builder.periods)
    whole = {}
    for k in [*range(len(periods)), *range(len(periods) - 1, -1, -1)]:
        data = builder.build(periods[k])
        got, alone = data.figures, contract_figures(data)
        assert builder._figure_panel(k) is not None
        np.testing.assert_allclose(got.cs01, alone.cs01, rtol=1e-11)
        np.testing.assert_allclose(got.carry, alone.carry, rtol=1e-11, atol=1e-12 * np.max(np.abs(alone.carry)))
        whole.setdefault(k, got.carry)
        np.testing.assert_array_equal(got.carry, whole[k])  # the same numbers when a block is priced again
    assert len(builder._figure_inputs["priced"]) <= 3


def test_tabulated_figures_match_quantlibs_isda_engine():
    """The tables against QuantLib 1.44's ``IsdaCdsEngine`` directly (``tests/test_isda.py``'s oracle): a sample
    of the contracts of a batch priced from the tables (bootstrapped USD curve, three tenors, coupons 100/500,
    recoveries 0.2-0.5), within the 1e-8 the contract-by-contract solve is held to."""
    ql = _ql()
    with pytest.MonkeyPatch.context() as patch:
        solved = _counting_points(patch)
        groups = [dataclasses.replace(g, curve=YieldCurve.isda(str(_day(g.today)), *USD_HIGH)) for g in
                  _groups(5, dates=3, n=300, nodes=False)]
        tabulated = tabulated_quote_groups(groups)
    assert solved  # priced from the tables
    rng = np.random.default_rng(0)
    for g, q in zip(groups, tabulated):
        trade = str(_day(g.today))
        yts = ql_curve(ql, trade, "USD", USD_HIGH)
        for i in rng.choice(g.maturity.size, 6, replace=False):
            ref = ql_quote(ql, trade, _day(int(g.maturity[i])), float(g.spread_bp[i]), float(g.coupon_bp[i]),
                           float(g.recovery[i]), yts)
            assert _rel(q.upfront[i], ref["upfront"], 1e-4 * ref["rpv01"]) <= 1e-8
            assert _rel(q.rpv01[i], ref["rpv01"]) <= 1e-8
            assert _rel(q.cs01[i], ref["cs01"]) <= 1e-8
            assert _rel(q.hazard_rate[i], ref["hazard_rate"]) <= 1e-8


def _day(number: int) -> np.datetime64:
    return np.datetime64("1970-01-01", "D") + np.timedelta64(int(number), "D")
