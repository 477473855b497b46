"""ISDA CDS Standard Model (``cdshedge_cvx.credit``) against QuantLib 1.44's ``IsdaCdsEngine`` and the
Markit calculator values that QuantLib's own test suite reproduces.

The QuantLib oracle follows QuantLib's test-suite/creditdefaultswap.cpp (``testIsdaEngine``,
``testIsdaCalculatorReconcile*``): ``PiecewiseLogLinearDiscount`` over ``DepositRateHelper`` /
``SwapRateHelper`` quotes, a CDS2015 schedule, the hazard rate from
``impliedHazardRate(..., CreditDefaultSwap.ISDA)`` and ``IsdaCdsEngine(Taylor, HalfDayBias, Piecewise)``.
Tests that need QuantLib skip when it is not installed; the pasted Markit values need no QuantLib.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdshedge_cvx.credit._isda import CdsQuote, cds_accrued, cds_maturity, cds_quote
from cdshedge_cvx.credit._yield_curve import ISDA_CURVE_CONVENTIONS, YieldCurve
from cdshedge_cvx.errors import DataError, SpecificationError

RTOL = 1e-8  # the accuracy target against QuantLib

# ---------------------------------------------------------------------------
# market data
# ---------------------------------------------------------------------------
# Markit USD rates of 21 May 2009 (QuantLib testIsdaEngine)
USD_2009 = (
    dict(zip(["1M", "2M", "3M", "6M", "9M", "1Y"], [0.003081, 0.005525, 0.007163, 0.012413, 0.014, 0.015488])),
    dict(zip(["2Y", "3Y", "4Y", "5Y", "6Y", "7Y", "8Y", "9Y", "10Y", "12Y", "15Y", "20Y", "25Y", "30Y"],
             [0.011907, 0.01699, 0.021198, 0.02444, 0.026937, 0.028967, 0.030504, 0.031719, 0.03279, 0.034535,
              0.036217, 0.036981, 0.037246, 0.037605])),
)
# Markit EUR rates of 26 July 2021, negative to 10y (QuantLib testIsdaCalculatorReconcileSingleQuote)
EUR_2021 = (
    dict(zip(["1M", "3M", "6M", "1Y"], [-0.0056, -0.00544, -0.00519, -0.00493])),
    dict(zip(["2Y", "3Y", "4Y", "5Y", "6Y", "7Y", "8Y", "9Y", "10Y", "12Y", "15Y", "20Y", "30Y"],
             [-0.00482, -0.00442, -0.00399, -0.00352, -0.00297, -0.00237, -0.00176, -0.00114, -0.00054, 0.00057,
              0.00188, 0.00294, 0.00282])),
)
# the 2009 USD quotes shifted down 150 bp: negative to 2y, so f + h < 0 in places (Taylor branch)
USD_NEGATIVE = (
    {k: v - 0.015 for k, v in USD_2009[0].items()},
    {k: v - 0.015 for k, v in USD_2009[1].items()},
)
# higher rates (4-5 %), USD and EUR
USD_HIGH = (
    dict(zip(["1M", "3M", "6M", "1Y"], [0.0532, 0.0535, 0.0528, 0.0505])),
    dict(zip(["2Y", "3Y", "5Y", "7Y", "10Y", "15Y", "30Y"], [0.0462, 0.0438, 0.0415, 0.0407, 0.0401, 0.0398, 0.0385])),
)

MARKETS = {"USD_2009": ("USD", USD_2009), "EUR_2021": ("EUR", EUR_2021), "USD_NEG": ("USD", USD_NEGATIVE),
           "USD_HIGH": ("USD", USD_HIGH), "EUR_HIGH": ("EUR", USD_HIGH)}

# non-IMM weekday trade dates: around coupon dates, month ends, a leap day, before weekend IMM dates
TRADE_DATES = ["2009-05-21", "2021-07-26", "2016-02-29", "2019-12-19", "2023-09-21", "2020-06-19", "2015-03-23",
               "2022-12-30"]


# ---------------------------------------------------------------------------
# QuantLib oracle
# ---------------------------------------------------------------------------
def _ql() -> Any:
    return pytest.importorskip("QuantLib")


def _qd(ql: Any, day: Any) -> Any:
    d = np.datetime64(day, "D").astype(dt.date)
    return ql.Date(d.day, d.month, d.year)


def ql_curve(ql: Any, trade: str, currency: str, quotes: tuple[dict, dict]) -> Any:
    """Handle to QuantLib's ISDA discount curve (see :func:`ql_raw_curve`)."""
    return ql.YieldTermStructureHandle(ql_raw_curve(ql, trade, currency, quotes))


def ql_raw_curve(ql: Any, trade: str, currency: str, quotes: tuple[dict, dict]) -> Any:
    """QuantLib's ISDA discount curve, as in its testIsdaEngine, for the conventions of ``currency``."""
    conv = ISDA_CURVE_CONVENTIONS[currency]
    day_counts = {"ACT/360": ql.Actual360(), "ACT/365F": ql.Actual365Fixed(),
                  "30/360": ql.Thirty360(ql.Thirty360.BondBasis)}
    cal = ql.WeekendsOnly()
    helpers = [ql.DepositRateHelper(r, ql.Period(t), 2, cal, ql.ModifiedFollowing, False, day_counts[conv.mm_day_count])
               for t, r in quotes[0].items()]
    index = ql.IborIndex("IsdaIbor", ql.Period(conv.float_months, ql.Months), 2, ql.USDCurrency(), cal,
                         ql.ModifiedFollowing, False, ql.Actual360())
    freq = ql.Semiannual if conv.fixed_months == 6 else ql.Annual
    helpers += [ql.SwapRateHelper(r, ql.Period(t), cal, freq, ql.ModifiedFollowing, day_counts[conv.fixed_day_count],
                                  index) for t, r in quotes[1].items()]
    curve = ql.PiecewiseLogLinearDiscount(_qd(ql, trade), helpers, ql.Actual365Fixed())
    curve.enableExtrapolation()  # LogLinear: the last segment's forward continues
    return curve


def ql_cds(ql: Any, trade: Any, maturity: Any, spread: float, notional: float = 1.0) -> Any:
    """Standard CDS: CDS2015 schedule from the trade date, Following, ACT/360 (last period incl. maturity day),
    protection from the trade date, accrual rebate, upfront on T+3 business days (MakeCreditDefaultSwap's)."""
    sched = ql.Schedule(trade, maturity, ql.Period(ql.Quarterly), ql.WeekendsOnly(), ql.Following, ql.Unadjusted,
                        ql.DateGeneration.CDS2015, False)
    settle = ql.WeekendsOnly().advance(trade, 3, ql.Days)
    return ql.CreditDefaultSwap(ql.Protection.Buyer, notional, 0.0, spread, sched, ql.Following, ql.Actual360(),
                                True, True, trade, settle, ql.FaceValueClaim(), ql.Actual360(True), True, trade, 3)


def _ql_upfront(ql: Any, trade: Any, maturity: Any, spread: float, coupon: float, recovery: float, yts: Any,
                notional: float) -> tuple[float, float, Any]:
    h = ql_cds(ql, trade, maturity, spread).impliedHazardRate(0.0, yts, ql.Actual365Fixed(), recovery, 1e-16,
                                                              ql.CreditDefaultSwap.ISDA)
    prob = ql.DefaultProbabilityTermStructureHandle(
        ql.FlatHazardRate(trade, ql.QuoteHandle(ql.SimpleQuote(h)), ql.Actual365Fixed()))
    engine = ql.IsdaCdsEngine(prob, recovery, yts, False, ql.IsdaCdsEngine.Taylor, ql.IsdaCdsEngine.HalfDayBias,
                              ql.IsdaCdsEngine.Piecewise)
    cds = ql_cds(ql, trade, maturity, coupon, notional)
    cds.setPricingEngine(engine)
    return h, notional * cds.fairUpfront(), cds


def ql_quote(ql: Any, trade: str, maturity: Any, spread_bp: float, coupon_bp: float, recovery: float, yts: Any,
             notional: float = 1.0) -> dict[str, float]:
    """upfront, rpv01, cs01 (spread + 1 bp, hazard re-solved), accrued, hazard rate from QuantLib."""
    ql.Settings.instance().evaluationDate = _qd(ql, trade)
    td, md = _qd(ql, trade), _qd(ql, maturity)
    c = coupon_bp * 1e-4
    h, upfront, cds = _ql_upfront(ql, td, md, spread_bp * 1e-4, c, recovery, yts, notional)
    _, upfront_up, _ = _ql_upfront(ql, td, md, (spread_bp + 1.0) * 1e-4, c, recovery, yts, notional)
    df_settle = yts.discount(ql.WeekendsOnly().advance(td, 3, ql.Days))
    rpv01 = (-cds.couponLegNPV() - cds.accrualRebateNPV()) / (c * notional) / df_settle
    return {"upfront": upfront, "rpv01": rpv01, "cs01": upfront_up - upfront, "accrued": cds.accrualRebate().amount(),
            "hazard_rate": h, "npv": cds.NPV()}


def _imm_maturities(trade: str) -> list[np.datetime64]:
    """IMM maturities from 6 months to 10 years after the trade date."""
    t = np.datetime64(trade, "D")
    first = np.datetime64(trade, "M") + 6
    out = []
    for k in range(0, 130):
        m = first + k
        if (m.astype(int) % 12 + 1) % 3 == 0:
            d = m.astype("datetime64[D]") + 19
            if t + 182 <= d <= t + 3653 + 10:
                out.append(d)
    return out


def grid_contracts(n_per_market: int = 52, seed: int = 7) -> list[tuple[str, str, list]]:
    """Deterministic grid: per market and trade date, maturities 6m-10y, spreads 5-3000 bp (log-uniform),
    recoveries 0.2-0.4, coupons 100/500 bp. 5 markets x 52 = 260 contracts."""
    rng = np.random.default_rng(seed)
    out = []
    for name in MARKETS:
        rows = []
        for i in range(n_per_market):
            trade = TRADE_DATES[(i + len(name)) % len(TRADE_DATES)]
            mats = _imm_maturities(trade)
            mat = mats[int(rng.integers(len(mats)))]
            spread = float(np.exp(rng.uniform(np.log(5.0), np.log(3000.0))))
            rows.append((trade, mat, spread, float(rng.choice([100.0, 500.0])), float(rng.uniform(0.2, 0.4))))
        out.append((name, MARKETS[name][0], rows))
    return out


def _rel(ours: np.ndarray, ref: np.ndarray, floor: np.ndarray | float = 0.0) -> np.ndarray:
    return np.abs(np.asarray(ours) - np.asarray(ref)) / np.maximum(np.abs(np.asarray(ref)), floor)


def grid_errors() -> dict[str, float]:
    """Max relative errors against QuantLib over the grid (also used for the docs' table).

    ``upfront`` errors are relative to max(|upfront|, 1 bp running x rpv01 x notional), so contracts whose
    spread is at the coupon (upfront near 0) are measured against a 1 bp upfront.
    """
    ql = _ql()
    errs: dict[str, list[float]] = {"upfront": [], "rpv01": [], "cs01": [], "hazard_rate": [], "accrued_abs": [],
                                    "curve_df": []}
    count = 0
    for name, currency, rows in grid_contracts():
        quotes = MARKETS[name][1]
        by_trade: dict[str, list] = {}
        for row in rows:
            by_trade.setdefault(row[0], []).append(row)
        for trade, items in by_trade.items():
            yts = ql_curve(ql, trade, currency, quotes)
            curve = YieldCurve.isda(trade, *quotes, currency=currency)
            days = np.arange(0, 3700, 5)
            ql.Settings.instance().evaluationDate = _qd(ql, trade)
            ref_df = np.array([yts.discount(_qd(ql, trade) + int(d)) for d in days])
            errs["curve_df"].append(float(np.max(_rel(curve.discount(days / 365.0), ref_df))))
            mats = np.array([r[1] for r in items])
            spreads = np.array([r[2] for r in items])
            coupons = np.array([r[3] for r in items])
            recs = np.array([r[4] for r in items])
            q = cds_quote(trade, mats, spreads, coupon_bp=coupons, recovery=recs, curve=curve, notional=1e7)
            for i, (_, mat, s, c, r) in enumerate(items):
                ref = ql_quote(ql, trade, mat, s, c, r, yts, notional=1e7)
                floor = 1e-4 * ref["rpv01"] * 1e7
                errs["upfront"].append(float(_rel(q.upfront[i], ref["upfront"], floor)))
                errs["rpv01"].append(float(_rel(q.rpv01[i], ref["rpv01"])))
                errs["cs01"].append(float(_rel(q.cs01[i], ref["cs01"])))
                errs["hazard_rate"].append(float(_rel(q.hazard_rate[i], ref["hazard_rate"])))
                errs["accrued_abs"].append(abs(float(q.accrued[i]) - ref["accrued"]))
                count += 1
    out = {k: max(v) for k, v in errs.items()}
    out["contracts"] = count
    return out


# ---------------------------------------------------------------------------
# curves
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(MARKETS))
@pytest.mark.parametrize("trade", ["2009-05-21", "2016-02-29", "2021-07-26", "2019-08-30"])
def test_isda_curve_matches_quantlib(name: str, trade: str) -> None:
    ql = _ql()
    currency, quotes = MARKETS[name]
    ql.Settings.instance().evaluationDate = _qd(ql, trade)
    raw = ql_raw_curve(ql, trade, currency, quotes)
    yts = ql.YieldTermStructureHandle(raw)
    curve = YieldCurve.isda(trade, *quotes, currency=currency)
    ql_nodes = [d.ISO() for d in raw.dates()][1:]
    assert [str(d) for d in curve.node_dates] == ql_nodes
    days = np.arange(0, 11000, 3)
    ref = np.array([yts.discount(_qd(ql, trade) + int(d)) for d in days])
    np.testing.assert_allclose(curve.discount(days / 365.0), ref, rtol=1e-11, atol=0)
    dates = np.datetime64(trade, "D") + days[:50].astype("timedelta64[D]")
    np.testing.assert_allclose(curve.discount(dates), ref[:50], rtol=1e-11)


@pytest.mark.parametrize("currency", ["GBP", "CHF", "JPY"])
def test_isda_curve_other_currencies_match_quantlib(currency: str) -> None:
    ql = _ql()
    trade = "2019-08-30"
    ql.Settings.instance().evaluationDate = _qd(ql, trade)
    yts = ql_curve(ql, trade, currency, USD_HIGH)
    curve = YieldCurve.isda(trade, *USD_HIGH, currency=currency)
    days = np.arange(0, 11000, 7)
    ref = np.array([yts.discount(_qd(ql, trade) + int(d)) for d in days])
    np.testing.assert_allclose(curve.discount(days / 365.0), ref, rtol=1e-11)


def test_flat_curve_and_zero_rates() -> None:
    curve = YieldCurve.flat(-0.005, "2021-07-26")
    t = np.array([0.0, 0.5, 10.0])
    np.testing.assert_allclose(curve.discount(t), np.exp(0.005 * t), rtol=1e-15)
    np.testing.assert_allclose(curve.zero_rate(t), -0.005, rtol=1e-12)
    assert curve.discount("2021-07-26") == 1.0
    usd = YieldCurve.isda("2009-05-21", *USD_2009)
    z = usd.zero_rate(np.array([1.0, 5.0]))
    np.testing.assert_allclose(np.exp(-z * np.array([1.0, 5.0])), usd.discount(np.array([1.0, 5.0])), rtol=1e-14)
    # beyond the last node the last segment's forward is held flat
    t_last = usd.node_days[-1] / 365.0
    fwd = np.log(usd.discount(t_last + 1.0) / usd.discount(t_last + 2.0))
    assert fwd == pytest.approx(usd.tail_rate, rel=1e-12)


def test_curve_bad_inputs() -> None:
    with pytest.raises(SpecificationError, match="currency"):
        YieldCurve.isda("2024-01-05", {"1M": 0.05}, currency="XXX")
    with pytest.raises(DataError, match="tenor"):
        YieldCurve.isda("2024-01-05", {"1Q": 0.05})
    with pytest.raises(DataError, match="decimal"):
        YieldCurve.isda("2024-01-05", {"1M": 5.0})
    with pytest.raises(DataError, match="at least one"):
        YieldCurve.isda("2024-01-05")
    with pytest.raises(DataError, match="both end"):
        YieldCurve.isda("2024-01-05", {"12M": 0.05}, {"1Y": 0.05})
    with pytest.raises(DataError, match="trade_date"):
        YieldCurve.flat(0.01, "not a date")
    with pytest.raises(DataError, match="on or after"):
        YieldCurve.flat(0.01, "2024-01-05").discount("2024-01-04")


# ---------------------------------------------------------------------------
# Markit calculator values reproduced by QuantLib's test suite (no QuantLib needed)
# ---------------------------------------------------------------------------
# testIsdaEngine: trade 21 May 2009, notional 10mm, coupon 100 bp; clean upfront (buyer pays) per
# maturity x conventional spread (10, 1000 bp) x recovery (0.2, 0.4)
MARKIT_2009 = {
    "2010-06-20": [-97798.29358, -97776.11889, 914971.5977, 894985.6298],
    "2011-06-20": [-186921.3594, -186839.8148, 1646623.672, 1579803.626],
    "2012-06-20": [-274298.9203, -274122.4725, 2279730.93, 2147972.527],
    "2016-06-20": [-592420.2297, -591571.2294, 3993550.206, 3545843.418],
    "2019-06-20": [-797501.1422, -795915.9787, 4702034.688, 4042340.999],
}


def test_markit_values_2009() -> None:
    curve = YieldCurve.isda("2009-05-21", *USD_2009)
    mats = np.array(list(MARKIT_2009), dtype="datetime64[D]")[:, None]
    spreads = np.array([10.0, 10.0, 1000.0, 1000.0])
    recs = np.array([0.2, 0.4, 0.2, 0.4])
    q = cds_quote("2009-05-21", mats, spreads, recovery=recs, curve=curve, notional=10e6)
    expected = np.array(list(MARKIT_2009.values()))
    assert q.upfront.shape == (5, 4)
    np.testing.assert_allclose(q.upfront, expected, rtol=RTOL)  # QuantLib's own tolerance: 1e-6 %
    np.testing.assert_allclose(q.price, 100.0 - 100.0 * expected / 10e6, atol=1e-7)  # values rounded to 10 digits


def test_markit_reconcile_single_quote_eur_negative_rates() -> None:
    # testIsdaCalculatorReconcileSingleQuote: EUR 26 Jul 2021, 67.13 bp on a 100 bp coupon, 1mm notional:
    # clean value -16070.7 at the trade date, accrued 1000 (36 days at 100 bp), cash settlement on T+3;
    # ...SingleWithIssueDateInThePast: the value without the accrued rebate is -17070.77
    curve = YieldCurve.isda("2021-07-26", *EUR_2021, currency="EUR")
    q = cds_quote("2021-07-26", "2026-06-20", 67.13, recovery=0.4, curve=curve, notional=1e6)
    df_settle = curve.discount("2021-07-29")
    assert float(q.upfront) * df_settle == pytest.approx(-16070.7, rel=1e-5)
    assert float(q.accrued) == pytest.approx(1000.0, abs=0.005)
    assert float(q.cash_settlement) * df_settle == pytest.approx(-17070.77, rel=1e-5)
    assert str(q.maturity) == "2026-06-20"
    assert str(cds_maturity("2021-07-26", "5Y")) == "2026-06-20"


# testAccrualRebateAmounts: ISDA CDS model site values, 10mm at 100 bp maturing 20 Jun 2014
ISDA_ACCRUED = {"2009-03-18": 24166.67, "2009-03-19": 0.00, "2009-03-20": 277.78, "2009-03-23": 1111.11,
                "2009-06-19": 25555.56, "2009-06-20": 25833.33, "2009-06-21": 0.00, "2009-06-22": 277.78,
                "2014-06-18": 25277.78, "2014-06-19": 25555.56}


@pytest.mark.parametrize(("trade", "expected"), list(ISDA_ACCRUED.items()))
def test_isda_accrued_values(trade: str, expected: float) -> None:
    assert round(float(cds_accrued(trade, "2014-06-20", 100.0, 1e7)), 2) == expected


def test_accrued_matches_quantlib_around_coupon_dates_and_weekends() -> None:
    ql = _ql()
    start = np.datetime64("2019-12-10")
    worst = 0.0
    for offset in range(0, 130):  # 10 Dec 2019 - 18 Apr 2020: IMM dates on Fri 20 Dec, Fri 20 Mar, weekends
        trade = start + offset
        for maturity in ["2020-03-20", "2020-06-20", "2021-12-20", "2030-03-20"]:
            if np.datetime64(maturity) <= trade + 1:
                continue
            ours = float(cds_accrued(trade, maturity, 500.0, 1e7))
            td = _qd(ql, trade)
            ql.Settings.instance().evaluationDate = td
            ref = ql_cds(ql, td, _qd(ql, maturity), 0.05, 1e7).accrualRebate().amount()
            worst = max(worst, abs(ours - ref))
    assert worst < 0.005  # to the cent


# ---------------------------------------------------------------------------
# the grid against QuantLib
# ---------------------------------------------------------------------------
def test_grid_against_quantlib() -> None:
    errors = grid_errors()
    assert errors["contracts"] >= 200
    assert errors["upfront"] <= RTOL, errors
    assert errors["rpv01"] <= RTOL, errors
    assert errors["cs01"] <= RTOL, errors
    assert errors["hazard_rate"] <= RTOL, errors
    assert errors["accrued_abs"] < 0.005, errors
    assert errors["curve_df"] <= 1e-11, errors


_weekday_dates = st.dates(dt.date(2008, 1, 1), dt.date(2030, 12, 31)).filter(
    lambda d: d.weekday() < 5 and not (d.day == 20 and d.month % 3 == 0))


@settings(max_examples=30, deadline=None)
@given(trade=_weekday_dates, market=st.sampled_from(list(MARKETS)), k=st.integers(0, 38),
       log_spread=st.floats(np.log(5.0), np.log(3000.0)), coupon=st.sampled_from([25.0, 100.0, 500.0, 1000.0]),
       recovery=st.floats(0.2, 0.4))
def test_hypothesis_against_quantlib(trade: dt.date, market: str, k: int, log_spread: float, coupon: float,
                                     recovery: float) -> None:
    ql = _ql()
    currency, quotes = MARKETS[market]
    t = str(trade)
    mats = _imm_maturities(t)
    mat = mats[k % len(mats)]
    spread = float(np.exp(log_spread))
    yts = ql_curve(ql, t, currency, quotes)
    curve = YieldCurve.isda(t, *quotes, currency=currency)
    q = cds_quote(t, mat, spread, coupon_bp=coupon, recovery=recovery, curve=curve, notional=1e7)
    ref = ql_quote(ql, t, mat, spread, coupon, recovery, yts, notional=1e7)
    assert _rel(q.upfront, ref["upfront"], 1e-4 * ref["rpv01"] * 1e7) <= RTOL
    assert _rel(q.rpv01, ref["rpv01"]) <= RTOL
    assert _rel(q.cs01, ref["cs01"]) <= RTOL
    assert abs(float(q.accrued) - ref["accrued"]) < 0.005
    # price quotes give back the spread
    back = cds_quote(t, mat, price=q.price, coupon_bp=coupon, recovery=recovery, curve=curve, notional=1e7)
    assert float(back.spread_bp) == pytest.approx(spread, rel=1e-9)
    assert float(back.upfront) == pytest.approx(float(q.upfront), rel=1e-9, abs=1e-6)


def test_flat_curve_against_quantlib() -> None:
    ql = _ql()
    trade = "2024-05-15"
    for rate in (-0.01, 0.0, 0.045):
        ql.Settings.instance().evaluationDate = _qd(ql, trade)
        yts = ql.YieldTermStructureHandle(ql.FlatForward(_qd(ql, trade), rate, ql.Actual365Fixed()))
        curve = YieldCurve.flat(rate, trade)
        for mat, s, c in [("2024-12-20", 40.0, 100.0), ("2029-06-20", 350.0, 500.0), ("2034-06-20", 2500.0, 500.0)]:
            q = cds_quote(trade, mat, s, coupon_bp=c, recovery=0.3, curve=curve, notional=1e7)
            ref = ql_quote(ql, trade, mat, s, c, 0.3, yts, notional=1e7)
            assert _rel(q.upfront, ref["upfront"]) <= RTOL
            assert _rel(q.cs01, ref["cs01"]) <= RTOL
            assert _rel(q.rpv01, ref["rpv01"]) <= RTOL


# ---------------------------------------------------------------------------
# identities, vectorisation and inputs (no QuantLib)
# ---------------------------------------------------------------------------
def test_identities_and_broadcasting() -> None:
    curve = YieldCurve.isda("2021-07-26", *EUR_2021, currency="EUR")
    mats = np.array(["2022-06-20", "2024-12-20", "2026-06-20", "2031-06-20"])
    spreads = np.array([[20.0], [300.0], [1500.0]])
    q = cds_quote("2021-07-26", mats, spreads, coupon_bp=100.0, recovery=0.35, curve=curve, notional=5e6,
                  n_names=100)
    assert isinstance(q, CdsQuote)
    assert q.upfront.shape == (3, 4)
    np.testing.assert_allclose(q.upfront, 5e6 * (spreads - 100.0) * 1e-4 * q.rpv01, rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(q.cash_settlement, q.upfront - q.accrued)
    np.testing.assert_allclose(q.price, 100.0 - 100.0 * q.upfront / 5e6)
    np.testing.assert_allclose(q.jtd, 5e6 / 100 * (1 - 0.35) - q.upfront / 100)
    np.testing.assert_allclose(q.spread_bp, np.broadcast_to(spreads, (3, 4)))
    assert np.all(q.cs01 > 0) and np.all(np.diff(q.cs01[0]) > 0)
    # the CS01 is close to, but not, the par annuity times 1 bp
    par = cds_quote("2021-07-26", mats, 100.0, coupon_bp=100.0, recovery=0.35, curve=curve, notional=5e6)
    np.testing.assert_allclose(par.upfront, 0.0, atol=1e-6)
    np.testing.assert_allclose(par.cs01, 5e6 * 1e-4 * par.rpv01, rtol=2e-3)
    # one contract at a time gives the same numbers
    one = cds_quote("2021-07-26", mats[2], 300.0, recovery=0.35, curve=curve, notional=5e6, n_names=100)
    assert one.upfront.shape == ()
    for field in ("upfront", "accrued", "price", "cash_settlement", "spread_bp", "rpv01", "cs01", "jtd"):
        assert float(getattr(one, field)) == pytest.approx(float(getattr(q, field)[1, 2]), rel=1e-12, abs=1e-9)


def test_price_quotes_cdx_hy() -> None:
    curve = YieldCurve.flat(0.045, "2024-03-22")
    q = cds_quote("2024-03-22", "5Y", price=[104.5, 100.0, 92.0], coupon_bp=500.0, recovery=0.3, curve=curve,
                  notional=1e7)
    np.testing.assert_allclose(q.price, [104.5, 100.0, 92.0], rtol=1e-12)
    assert q.spread_bp[1] == pytest.approx(500.0, rel=1e-12)
    assert 350.0 < q.spread_bp[0] < 450.0 and q.spread_bp[2] > 650.0
    np.testing.assert_allclose(q.upfront, 1e7 * (100.0 - np.array([104.5, 100.0, 92.0])) / 100.0, rtol=1e-12)


def test_many_contracts_vectorised() -> None:
    curve = YieldCurve.isda("2009-05-21", *USD_2009)
    rng = np.random.default_rng(3)
    n = 2000
    mats = (np.datetime64("2009-06", "M") + rng.integers(2, 41, n) * 3).astype("datetime64[D]") + 19
    spreads = np.exp(rng.uniform(np.log(5.0), np.log(3000.0), n))
    q = cds_quote("2009-05-21", mats, spreads, coupon_bp=500.0, recovery=rng.uniform(0.2, 0.4, n), curve=curve)
    assert np.all(np.isfinite(q.upfront)) and np.all(q.cs01 > 0)
    same = np.sort(spreads[mats == mats[0]])
    u = cds_quote("2009-05-21", mats[0], same, coupon_bp=500.0, recovery=0.4, curve=curve).upfront
    assert np.all(np.diff(u) > 0)


def test_bad_inputs() -> None:
    curve = YieldCurve.flat(0.03, "2024-05-15")
    with pytest.raises(SpecificationError, match="exactly one"):
        cds_quote("2024-05-15", "5Y", 100.0, price=99.0, curve=curve)
    with pytest.raises(SpecificationError, match="exactly one"):
        cds_quote("2024-05-15", "5Y", curve=curve)
    with pytest.raises(SpecificationError, match="anchored"):
        cds_quote("2024-05-16", "5Y", 100.0, curve=curve)
    with pytest.raises(SpecificationError, match="YieldCurve"):
        cds_quote("2024-05-15", "5Y", 100.0, curve=0.03)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="roll date"):
        cds_quote("2024-05-15", "2029-06-21", 100.0, curve=curve)
    with pytest.raises(DataError, match="step-in"):
        cds_quote("2024-05-15", "2024-03-20", 100.0, curve=curve)
    with pytest.raises(DataError, match="spread_bp must be > 0"):
        cds_quote("2024-05-15", "5Y", [100.0, 0.0], curve=curve)
    with pytest.raises(DataError, match="recovery"):
        cds_quote("2024-05-15", "5Y", 100.0, recovery=1.0, curve=curve)
    with pytest.raises(DataError, match="finite"):
        cds_quote("2024-05-15", "5Y", np.nan, curve=curve)
    with pytest.raises(DataError, match="price = 130"):
        cds_quote("2024-05-15", "5Y", price=130.0, coupon_bp=500.0, curve=curve)
    with pytest.raises(DataError, match="price = 20"):
        cds_quote("2024-05-15", "5Y", price=20.0, coupon_bp=100.0, recovery=0.4, curve=curve)
    with pytest.raises(DataError, match="tenor"):
        cds_quote("2024-05-15", "5M", 100.0, curve=curve)
    with pytest.raises(DataError, match="broadcast"):
        cds_quote("2024-05-15", ["5Y", "3Y"], [100.0, 200.0, 300.0], curve=curve)
    with pytest.raises(SpecificationError, match="n_names"):
        cds_quote("2024-05-15", "5Y", 100.0, curve=curve, n_names=0)


def test_cds_maturity_roll_rule() -> None:
    # CDS2015: 20 Mar - 19 Sep trades roll to June maturities, 20 Sep - 19 Mar to December ones
    assert str(cds_maturity("2024-03-19", "5Y")) == "2028-12-20"
    assert str(cds_maturity("2024-03-20", "5Y")) == "2029-06-20"
    assert str(cds_maturity("2024-09-19", "5Y")) == "2029-06-20"
    assert str(cds_maturity("2024-09-20", "5Y")) == "2029-12-20"
    assert str(cds_maturity("2024-05-15", "6M")) == "2024-12-20"
