"""Figures per unit of CS01 (``cdshedge_cvx.credit._contract.per_cs01_figures``) against QuantLib 1.44's
``IsdaCdsEngine`` (the oracle of tests/test_isda.py) and against the closed forms of issue 12."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from test_isda import EUR_2021, MARKETS, USD_2009, USD_HIGH, _qd, _ql, _ql_upfront, ql_curve

from cdshedge_cvx.credit._contract import ContractFigures, per_cs01_figures
from cdshedge_cvx.credit._isda import cds_quote
from cdshedge_cvx.credit._yield_curve import YieldCurve
from cdshedge_cvx.errors import DataError, SpecificationError

RTOL = 1e-8

# (trade date, market, maturity, spread bp, coupon bp, recovery, names, factor, days)
CASES = [
    ("2024-05-15", "USD_HIGH", "2029-06-20", 350.0, 500.0, 0.3, 100, 1.0, 30),  # CDX HY, rich
    ("2024-05-15", "USD_HIGH", "2029-06-20", 800.0, 500.0, 0.3, 100, 0.96, 30),  # CDX HY, wide, 4 defaults
    ("2024-05-15", "USD_HIGH", "2029-06-20", 55.0, 100.0, 0.4, 125, 1.0, 91),  # CDX IG
    ("2021-07-26", "EUR_2021", "2026-06-20", 300.0, 500.0, 0.4, 75, 1.0, 30),  # Xover, negative rates
    ("2021-07-26", "EUR_2021", "2026-06-20", 48.0, 100.0, 0.4, 125, 1.0, 7),  # Main
    ("2009-05-21", "USD_2009", "2014-06-20", 1500.0, 500.0, 0.25, 100, 0.9, 60),  # distressed, ex-IMM
]


def _ql_figures(ql: Any, trade: str, market: str, mat: str, s: float, c: float, r: float, n: int, f: float,
                days: int) -> dict[str, float]:
    """Notional, carry, jtd per unit of CS01 from QuantLib objects (upfronts at T and T + days, spread bumps)."""
    currency, quotes = MARKETS[market]
    td, md = _qd(ql, trade), _qd(ql, mat)
    ql.Settings.instance().evaluationDate = td
    yts = ql_curve(ql, trade, currency, quotes)
    _, u0, _ = _ql_upfront(ql, td, md, s * 1e-4, c * 1e-4, r, yts, 1.0)
    _, u1, _ = _ql_upfront(ql, td, md, (s + 1.0) * 1e-4, c * 1e-4, r, yts, 1.0)
    delta = u1 - u0
    end = str(np.datetime64(trade, "D") + days)
    ql.Settings.instance().evaluationDate = _qd(ql, end)
    yts_end = ql_curve(ql, end, currency, quotes)
    _, u_end, _ = _ql_upfront(ql, _qd(ql, end), md, s * 1e-4, c * 1e-4, r, yts_end, 1.0)
    ql.Settings.instance().evaluationDate = td
    return {"notional": 1.0 / (f * delta), "carry": (u_end - u0 - c * 1e-4 * days / 360.0) / delta,
            "jtd": ((1.0 - r) - u0) / (n * f * delta), "cs01": delta}


def _ours(trade: str, market: str, mat: str, s: float, c: float, r: float, n: int, f: float,
          days: int) -> ContractFigures:
    currency, quotes = MARKETS[market]
    return per_cs01_figures(trade, mat, s, c, r, YieldCurve.isda(trade, *quotes, currency=currency), n_names=n,
                            index_factor=f, days=days)


def contract_figure_errors() -> dict[str, float]:
    """Max relative errors of notional, carry, jtd and cs01 against QuantLib over CASES (docs' table)."""
    ql = _ql()
    errs: dict[str, float] = {}
    for case in CASES:
        ours, ref = _ours(*case), _ql_figures(ql, *case)
        for key, value in ref.items():
            err = abs(float(getattr(ours, key)) - value) / abs(value)
            errs[key] = max(errs.get(key, 0.0), err)
    return errs


def test_figures_match_quantlib() -> None:
    errs = contract_figure_errors()
    assert max(errs.values()) < RTOL, errs


def test_figures_vectorised_with_one_curve_per_contract() -> None:
    trades = "2024-05-15"
    usd = YieldCurve.isda(trades, *USD_HIGH, currency="USD")
    eur = YieldCurve.isda(trades, *USD_HIGH, currency="EUR")
    mats = ["2029-06-20", "2029-06-20", "2029-06-20", "2029-06-20"]
    spreads, coupons = [55.0, 350.0, 58.0, 300.0], [100.0, 500.0, 100.0, 500.0]
    recs, names = [0.4, 0.3, 0.4, 0.4], [125, 100, 125, 75]
    both = per_cs01_figures(trades, mats, spreads, coupons, recs, [usd, usd, eur, eur], n_names=names, days=30)
    for i, crv in enumerate([usd, usd, eur, eur]):
        one = per_cs01_figures(trades, mats[i], spreads[i], coupons[i], recs[i], crv, n_names=names[i], days=30)
        for key in ("notional", "carry", "carry_cash", "jtd", "cs01", "upfront", "rpv01"):
            assert float(getattr(both, key)[i]) == pytest.approx(float(getattr(one, key)), rel=1e-12)
            assert float(getattr(both.par, key)[i]) == pytest.approx(float(getattr(one.par, key)), rel=1e-12)
    assert both.notional.shape == (4,)


def test_carry_closed_form_within_0_3_percent() -> None:
    r"""Per unit notional, carry ~ -[c + (s - c) e^{-(lambda + r) T}] d/360 (flat curve, flat hazard): within 0.3 %
    for index-like contracts over a month with no coupon date; the exact ISDA carry is checked against QuantLib
    above. Far from the coupon (IG at 30 bp) the bracket nearly cancels and the closed form is ~1 % off."""
    rate, trade = 0.045, "2024-05-15"
    curve = YieldCurve.flat(rate, trade)
    years = (np.datetime64("2029-06-20") - np.datetime64(trade)).astype(int) / 365.0
    for coupon, spreads in ((100.0, [75.0, 100.0, 150.0]), (500.0, [300.0, 350.0, 500.0, 800.0, 1500.0])):
        s = np.asarray(spreads)
        f = per_cs01_figures(trade, "2029-06-20", s, coupon, 0.4, curve, days=30)
        closed = -(coupon + (s - coupon) * np.exp(-(f.hazard_rate + rate) * years)) * 1e-4 * 30 / 360
        np.testing.assert_allclose(f.carry * f.cs01, closed, rtol=3e-3)


def test_par_figures_and_identities() -> None:
    curve = YieldCurve.flat(0.03, "2024-05-15")
    f = per_cs01_figures("2024-05-15", "2029-06-20", [350.0, 800.0], 500.0, 0.3, curve, n_names=100,
                         index_factor=[1.0, 0.9], days=30, roll_slope_bp_per_year=36.0)
    par = f.par
    assert par is not None and par.par is None
    # the par contract: upfront 0, carry = premium only at the spread, jtd = (1 - R) share
    q = cds_quote("2024-05-15", "2029-06-20", [350.0, 800.0], coupon_bp=[350.0, 800.0], recovery=0.3, curve=curve)
    np.testing.assert_allclose(par.cs01, q.cs01, rtol=1e-12)
    np.testing.assert_allclose(par.carry, -np.array([350.0, 800.0]) * 1e-4 * 30 / 360 / q.cs01, rtol=1e-12)
    np.testing.assert_allclose(par.jtd, 0.7 / (100 * np.array([1.0, 0.9]) * q.cs01), rtol=1e-12)
    # the traded contract: cash carry is the coupon only; the index factor scales notional and jtd by 1/f
    np.testing.assert_allclose(f.carry_cash, -500e-4 * 30 / 360 / f.cs01, rtol=1e-12)
    np.testing.assert_allclose(f.notional * f.cs01 * [1.0, 0.9], 1.0, rtol=1e-12)
    np.testing.assert_allclose(f.roll_down, -36.0 * 30 / 365)
    # pull-to-par: a contract above its coupon (buyer paid upfront) loses value as time passes, and vice versa
    assert f.carry[0] > f.carry_cash[0] and f.carry[1] < f.carry_cash[1]
    # zero horizon: no carry
    z = per_cs01_figures("2024-05-15", "2029-06-20", 350.0, 500.0, 0.3, curve, days=0)
    assert float(z.carry) == 0.0 and float(z.carry_cash) == 0.0


def test_bad_inputs() -> None:
    curve = YieldCurve.flat(0.03, "2024-05-15")
    args = ("2024-05-15", "2029-06-20", 350.0, 500.0, 0.3)
    with pytest.raises(DataError, match="index_factor"):
        per_cs01_figures(*args, curve, index_factor=0.0)
    with pytest.raises(DataError, match="n_names"):
        per_cs01_figures(*args, curve, n_names=0)
    with pytest.raises(SpecificationError, match="days"):
        per_cs01_figures(*args, curve, days=-1)
    with pytest.raises(SpecificationError, match="curve"):
        per_cs01_figures(*args, "flat")
    with pytest.raises(SpecificationError, match="2 curves for 1"):
        per_cs01_figures(*args, [curve, curve])
    with pytest.raises(SpecificationError, match="anchored"):
        per_cs01_figures(*args, YieldCurve.flat(0.03, "2024-05-16"))
    with pytest.raises(DataError, match="reaches the maturity"):
        per_cs01_figures("2024-05-15", "2024-06-20", 350.0, 500.0, 0.3, curve, days=40)
    with pytest.raises(DataError, match="spread_bp"):
        per_cs01_figures("2024-05-15", "2029-06-20", -1.0, 500.0, 0.3, curve)
    # tenors roll on the trade date and stay fixed over the horizon
    f = per_cs01_figures("2024-05-15", "5Y", 350.0, 500.0, 0.3, curve, days=30)
    g = per_cs01_figures("2024-05-15", "2029-06-20", 350.0, 500.0, 0.3, curve, days=30)
    assert float(f.carry) == float(g.carry)


def test_rebased_curve_rebuilds_the_quotes() -> None:
    curve = YieldCurve.isda("2021-07-26", *EUR_2021, currency="EUR")
    moved = curve.rebased("2021-08-25")
    again = YieldCurve.isda("2021-08-25", *EUR_2021, currency="EUR")
    np.testing.assert_array_equal(moved.node_log_discount, again.node_log_discount)
    assert moved.convention == curve.convention and str(moved.trade_date) == "2021-08-25"
    assert YieldCurve.isda("2009-05-21", *USD_2009).rebased("2009-06-01").currency == "USD"
