"""Every number of docs/analytics.md and docs/analytics_isda.md recomputed (issue 15).

Worked examples and tables are recomputed with the package at the doc's printed precision; the
tables of measured errors against QuantLib are measured again with QuantLib (as tests/test_isda.py
does; skipped without QuantLib) and must be within the stated test tolerance and of the stated order
(the same power of ten, within a factor 3 of the figure printed). Speed figures (analytics_isda.md §8)
are benchmark output and are not checked here.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from docs_text import doc, flat, grab, table, to_float

import cdshedge_cvx as ch
from cdshedge_cvx.credit import YieldCurve, per_cs01_figures

ANALYTICS = doc("analytics.md")
ISDA = doc("analytics_isda.md")


def _printed(value: float, text: str) -> None:
    """``value`` printed as the doc prints ``text`` (same decimals, thousands separators and minus ignored)."""
    raw = text.replace("%", "").replace("+", "").strip()
    if "e" in raw:
        mantissa = raw.split("e")[0]
        digits = len(mantissa.split(".")[1]) if "." in mantissa else 0
        assert f"{value:.{digits}e}".replace("e-0", "e-") == raw, (value, text)
        return
    places = len(raw.split(".")[1]) if "." in raw else 0
    assert round(value, places) == pytest.approx(to_float(raw), abs=10 ** -(places + 6)), (value, text)


def _of_order(measured: float, stated: str, bound: float | None = None) -> None:
    """A measured maximum error against a doc's '2.2e-12': within the test bound and of the stated order."""
    figure = to_float(stated.replace("< ", ""))
    if bound is not None:
        assert measured <= bound, (measured, bound)
    if stated.startswith("<"):
        assert measured < figure, (measured, stated)
    else:
        assert figure / 3 <= measured <= figure * 3, (measured, stated)


# --- analytics.md: worked examples --------------------------------------------------------------------
def test_worked_examples() -> None:
    assert 0.25 * 365.25 / 360 == pytest.approx(to_float(grab(ANALYTICS, r"a full quarter accrues ([\d.]+)\)")),
                                                abs=5e-6)
    rpv01, cs01 = grab(ANALYTICS, r"has RPV01 ([\d.]+) and CS01 ([\d.]+) \$mm/bp", 0).split(" and CS01 ")
    _printed(ch.rpv01(100.0, 5.0, 0.4), rpv01.split()[-1])
    _printed(ch.notional_to_cs01(10.0, 100.0, 5.0, 0.4), cs01.split()[0])
    _printed(ch.jump_to_default(125.0, 0.4, 125), grab(ANALYTICS, r"protection, R = 40 %: ([\d.]+) \$mm"))
    _printed(ch.premium_accrued(10.0, 100.0, 94), grab(ANALYTICS, r"94 days on ACT/360: ([\d.]+) \$mm"))


# --- analytics.md: rpv01 against QuantLib's IsdaCdsEngine on the same hazard ------------------------
@pytest.fixture(scope="module")
def ql():
    return pytest.importorskip("QuantLib")


def test_rpv01_deviation_table_against_quantlib(ql) -> None:
    from test_analytics import QL_GRID, _quantlib_rpv01

    dev = {(s, t, r): ch.rpv01(s, t, 0.4, r) / _quantlib_rpv01(ql, s, t, 0.4, r) - 1 for s, t, r in QL_GRID}
    rows = table(ANALYTICS, "| maturity | min | max |")
    assert len(rows) == len({t for _, t, _ in QL_GRID})
    for maturity, low, high in rows:
        years = int(maturity.split()[0])
        values = [v for (s, t, r), v in dev.items() if t == years]
        for shown, value in ((low, min(values)), (high, max(values))):
            if shown.startswith("+") or value >= 0:
                assert shown == f"+{100 * value:.3f} %", (maturity, shown, value)
            else:
                assert shown == f"{100 * value:.3f} %", (maturity, shown, value)
    worst = max(dev, key=lambda k: abs(dev[k]))
    text = grab(ANALYTICS, r"\*\*Maximum \|deviation\|: ([\d.]+) %, at (\d+) bp, (\d+) y, (\d+) % rate\*\*", 0)
    figure, spread, years, rate = re.findall(r"[\d.]+", text)
    _printed(100 * abs(dev[worst]), figure)
    assert worst == (float(spread), int(years), float(rate) / 100)
    # conventions.md quotes the same comparison as 'within 0.3 %'
    pattern = r"within ([\d.]+) % of QuantLib's `IsdaCdsEngine` on the same hazard"
    within = to_float(grab(doc("conventions.md"), pattern))
    assert 100 * abs(dev[worst]) < within


def test_par_spread_of_the_triangle_hazard(ql) -> None:
    """The ISDA par spread of the triangle hazard, from QuantLib and from the 360/365.25 ratio."""
    quantlib, ratio = grab(ANALYTICS, r"\(([\d.]+) bp in QuantLib for 100 bp, 5 y, against ([\d.]+) bp", 0), None
    quantlib, ratio = re.findall(r"(\d+\.\d+) bp", quantlib)
    _printed(100.0 * 360 / 365.25, ratio)
    today = ql.Date(20, ql.March, 2024)
    ql.Settings.instance().evaluationDate = today
    hazard = ql.DefaultProbabilityTermStructureHandle(ql.FlatHazardRate(today, ql.QuoteHandle(ql.SimpleQuote(
        100e-4 / 0.6)), ql.Actual365Fixed()))
    discount = ql.YieldTermStructureHandle(ql.FlatForward(today, 0.0, ql.Actual365Fixed(), ql.Continuous))
    schedule = ql.Schedule(today, today + ql.Period(5, ql.Years), ql.Period(ql.Quarterly), ql.WeekendsOnly(),
                           ql.Following, ql.Unadjusted, ql.DateGeneration.CDS, False)
    cds = ql.CreditDefaultSwap(ql.Protection.Buyer, 1e7, 100e-4, schedule, ql.Following, ql.Actual360(), True, True,
                               today, ql.FaceValueClaim(), ql.Actual360(True), False, today, 3)
    cds.setPricingEngine(ql.IsdaCdsEngine(hazard, 0.4, discount))
    _printed(cds.fairSpread() * 1e4, quantlib)


# --- analytics.md: figures per unit of CS01 -----------------------------------------------------------
def _contract_rows():
    setting = grab(ANALYTICS, r"Traded contract against the par contract \(flat ([\d.]+) %, (\d{4}-\d\d-\d\d), "
                              r"maturity "
                              r"(\d{4}-\d\d-\d\d), (\d+) days\)", 0)
    rate, trade, maturity, days = re.search(r"flat ([\d.]+) %, (\S+), maturity (\S+), (\d+) days", setting).groups()
    curve = YieldCurve.flat(float(rate) / 100, trade)
    rows = table(ANALYTICS, "| contract | notional | carry |")
    out = []
    for row in rows:
        spread, coupon, recovery, names = re.search(r"(\d+)/(\d+), R ([\d.]+), (\d+) names", row[0]).groups()
        figures = per_cs01_figures(trade, maturity, float(spread), float(coupon), float(recovery), curve,
                                   n_names=int(names), days=int(days))
        out.append((row, figures))
    return out


def test_figures_per_cs01_table() -> None:
    for row, f in _contract_rows():
        notional, carry, carry_cash, jtd, d_notional, d_carry, d_jtd = row[1:]
        _printed(float(f.notional), notional)
        _printed(float(f.carry), carry)
        _printed(float(f.carry_cash), carry_cash)
        _printed(float(f.jtd), jtd)
        for shown, ours, par in ((d_notional, f.notional, f.par.notional), (d_carry, f.carry, f.par.carry),
                                 (d_jtd, f.jtd, f.par.jtd)):
            _printed(100 * (float(ours) / float(par) - 1), shown.replace(" %", ""))


def test_figures_footnote() -> None:
    f = next(f for row, f in _contract_rows() if row[0].startswith("CDX HY 350/500"))
    h = to_float(grab(ANALYTICS, r"an `h` of ([\d.]+) \$mm/bp of CDX HY 350/500"))
    notional, carry, jtd = grab(ANALYTICS, r"is \$([\d.]+)mm notional, −\$([\d.]+)mm carry over 30 days and "
                                           r"\+\$([\d.]+)mm if one name", 0), None, None
    notional, carry, jtd = re.findall(r"\$([\d.]+)mm", notional)
    _printed(h * float(f.notional), notional)
    _printed(-h * float(f.carry), carry)
    _printed(h * float(f.jtd), jtd)


def test_closed_form_carry_accuracy_claims() -> None:
    """The closed-form carry paragraph: its accuracy for index-like contracts, at IG 30 bp and with a coupon
    date inside the horizon."""
    bound = to_float(grab(ANALYTICS, r"exact `carry × δ` within ([\d.]+) %"))
    rate = 0.045

    def gap(trade, spreads, coupon, days=30):
        curve = YieldCurve.flat(rate, trade)
        years = (np.datetime64("2029-06-20") - np.datetime64(trade)).astype(int) / 365.0
        s = np.asarray(spreads, dtype=float)
        f = per_cs01_figures(trade, "2029-06-20", s, coupon, 0.4, curve, days=days)
        closed = -(coupon + (s - coupon) * np.exp(-(f.hazard_rate + rate) * years)) * 1e-4 * days / 360
        return np.abs(closed / (f.carry * f.cs01) - 1) * 100

    assert gap("2024-05-15", [75, 100, 150], 100.0).max() < bound
    assert gap("2024-05-15", [300, 500, 800, 1500], 500.0).max() < bound
    _printed(float(gap("2024-05-15", [30], 100.0)[0]), grab(ANALYTICS, r"\(IG at 30 bp\) it is ([\d.]+) % off"))
    adds = to_float(grab(ANALYTICS, r"coupon date inside the horizon adds up to about ([\d.]+) %"))
    at_30 = to_float(grab(ANALYTICS, r"\(about ([\d.]+) % for IG at 30 bp\)"))
    crossing = ["2024-05-25", "2024-06-01", "2024-06-05", "2024-06-10", "2024-06-15"]  # 20 June within 30 days
    index_like = max(max(gap(t, [75, 100, 150], 100.0).max(), gap(t, [300, 500, 800, 1500], 500.0).max())
                     for t in crossing)
    assert adds / 2 < index_like < adds * 1.1, index_like
    assert at_30 * 0.75 < max(gap(t, [30], 100.0).max() for t in crossing) < at_30 * 1.25


def test_measured_errors_table_against_quantlib(ql) -> None:
    from test_contract_figures import RTOL, contract_figure_errors

    rows = {row[0].strip("`").split("`")[0]: row for row in table(ANALYTICS, "| quantity | cases | max relative error")}
    errors = contract_figure_errors()
    for key in ("cs01", "notional", "carry", "jtd"):
        label = next(k for k in rows if k.startswith(key))
        _of_order(errors[key], rows[label][2], RTOL)
    assert "6 contracts" in rows[next(k for k in rows if k.startswith("cs01"))][1]


PRICE_CASES = [("2009-05-21", "USD_2009", "2014-06-20"), ("2024-05-15", "USD_HIGH", "2029-06-20"),
               ("2021-07-26", "EUR_2021", "2026-06-20")]


def test_spread_from_price_errors_against_quantlib(ql) -> None:
    """The 'spread from price' row: 15 prices 85–108 on the USD 2009/2024 and EUR 2021 ISDA curves."""
    from test_isda import MARKETS, ql_curve
    from test_price_quotes import ql_spread_from_price

    from cdshedge_cvx.credit import cds_quote

    row = next(r for r in table(ANALYTICS, "| quantity | cases | max relative error") if "prices_to_spreads" in r[0])
    count, low, high = re.search(r"(\d+): prices (\d+)–(\d+)", row[1]).groups()
    prices = np.linspace(float(low), float(high), int(count) // len(PRICE_CASES))
    worst = 0.0
    for trade, market, maturity in PRICE_CASES:
        currency, quotes = MARKETS[market]
        curve = YieldCurve.isda(trade, *quotes, currency=currency)
        ours = cds_quote(trade, maturity, price=prices, coupon_bp=500.0, recovery=0.3, curve=curve).spread_bp
        yts = ql_curve(ql, trade, currency, quotes)
        for price, spread in zip(prices, np.asarray(ours)):
            ref = ql_spread_from_price(trade, maturity, float(price), 500.0, 0.3, yts)
            worst = max(worst, abs(spread - ref) / ref)
    _of_order(worst, row[2], 1e-8)
    assert "test_docs_analytics.py" in row[3]


def test_issue_price_example_row() -> None:
    from cdshedge_cvx.market._quotes import prices_to_spreads

    row = next(r for r in table(ANALYTICS, "| quantity | cases | max relative error") if "104.5" in r[0])
    at_zero = to_float(re.search(r"→ ([\d.]+) bp", row[0]).group(1))
    at_rate = to_float(re.search(r"4\.5 %: ([\d.]+) bp", row[1]).group(1))
    hy = ch.standard_universe()["CDX HY"]
    _printed(float(prices_to_spreads([104.5], ["2024-03-27"], hy, ch.RateQuotes.flat(0.0))[0]), str(at_zero))
    _printed(float(prices_to_spreads([104.5], ["2024-03-27"], hy, ch.RateQuotes.flat(0.045))[0]), str(at_rate))


# --- analytics_isda.md --------------------------------------------------------------------------------
def test_isda_grid_table_against_quantlib(ql) -> None:
    import test_isda

    errors = test_isda.grid_errors()
    assert f"Grid: {errors['contracts']} contracts on {len(test_isda.TRADE_DATES)} non-IMM weekday trade dates" in (
        flat(ISDA))
    rows = {row[0]: row for row in table(ISDA, "| quantity | max relative error (grid")}
    keys = {"discount factors": "curve_df", "hazard rate": "hazard_rate", "upfront": "upfront", "rpv01": "rpv01",
            "cs01": "cs01", "accrued": "accrued_abs"}
    assert f"(grid, {errors['contracts']} contracts)" in flat(ISDA)
    for label, row in rows.items():
        key = next(v for k, v in keys.items() if label.startswith(k))
        _of_order(errors[key], row[1].split()[0], to_float(row[2]))
    # the test tolerances the table quotes are the ones tests/test_isda.py asserts
    assert to_float(rows["rpv01"][2]) == test_isda.RTOL


def test_markit_values() -> None:
    import test_isda

    from cdshedge_cvx.credit import cds_quote

    rows = table(ISDA, "| case | Markit | `cds_quote` | relative |")
    first = rows[0]
    markit, ours = to_float(first[1].replace("e.g. ", "")), to_float(first[2])
    curve = YieldCurve.isda("2009-05-21", *test_isda.USD_2009)
    mats = np.array(list(test_isda.MARKIT_2009), dtype="datetime64[D]")[:, None]
    q = cds_quote("2009-05-21", mats, np.array([10.0, 10.0, 1000.0, 1000.0]), recovery=np.array([0.2, 0.4, 0.2, 0.4]),
                  curve=curve, notional=10e6)
    expected = np.array(list(test_isda.MARKIT_2009.values()))
    at = np.argwhere(np.isclose(expected, markit, rtol=0, atol=1e-3))
    assert len(at) == 1, markit
    _printed(float(q.upfront[tuple(at[0])]), first[2])
    _of_order(float(np.max(np.abs(q.upfront / expected - 1))), first[3].split()[1])
    del ours

    eur = YieldCurve.isda("2021-07-26", *test_isda.EUR_2021, currency="EUR")
    q = cds_quote("2021-07-26", "2026-06-20", 67.13, recovery=0.4, curve=eur, notional=1e6)
    settle = float(eur.discount("2021-07-29"))
    clean, accrued, rebate = rows[1], rows[2], rows[3]
    for row, value in ((clean, float(q.upfront) * settle), (accrued, float(q.accrued)),
                       (rebate, float(q.cash_settlement) * settle)):
        _printed(value, row[2])
        shown = row[3].split()[0]
        rel = abs(value / to_float(row[1]) - 1)
        if shown == "0":
            assert rel == 0.0
        else:
            _printed(float(f"{rel:.1e}"), shown)


def test_accrued_values_of_the_isda_site() -> None:
    from cdshedge_cvx.credit import cds_accrued

    text = grab(ISDA, r"maturity 20 Jun 2014: (.*?), \.\.\.\)")
    months = {"Mar": 3, "Jun": 6}
    found = re.findall(r"([\d,]+\.\d\d|0) on (?:\w+ )?(\d+) (Mar|Jun)(?: (\d{4}))?", text)
    assert len(found) >= 6
    year = None
    for value, day, month, yr in found:
        year = yr or year
        trade = f"{year or 2009}-{months[month]:02d}-{int(day):02d}"
        assert round(float(cds_accrued(trade, "2014-06-20", 100.0, 1e7)), 2) == to_float(value), trade


def test_isda_accuracy_numbers_in_prose() -> None:
    """'30 hypothesis examples', the curve conventions table against ch.credit.ISDA_CURVE_CONVENTIONS."""
    import inspect

    import test_isda

    settings = inspect.getsource(test_isda.test_hypothesis_against_quantlib)
    examples = int(grab(ISDA, r"Also asserted: (\d+) hypothesis examples"))
    assert f"max_examples={examples}" in settings
    from cdshedge_cvx.credit import ISDA_CURVE_CONVENTIONS

    rows = table(ISDA, "| currency | money market | swap fixed leg |")
    assert sorted(r[0] for r in rows) == sorted(ISDA_CURVE_CONVENTIONS)
    for currency, money_market, fixed_leg, frequency, floating in rows:
        convention = ISDA_CURVE_CONVENTIONS[currency]
        assert (money_market, fixed_leg) == (convention.mm_day_count, convention.fixed_day_count), currency
        assert {"semiannual": 6, "annual": 12}[frequency] == convention.fixed_months, currency
        assert floating == f"{convention.float_months}M", currency


def _quantlib_cds(ql, spread_bp: float, maturity: int, hazard: float, rate: float):
    """The CDS of ``test_analytics._quantlib_rpv01`` on a given flat hazard rate."""
    today = ql.Date(20, ql.March, 2024)
    ql.Settings.instance().evaluationDate = today
    probability = ql.DefaultProbabilityTermStructureHandle(ql.FlatHazardRate(today, ql.QuoteHandle(
        ql.SimpleQuote(hazard)), ql.Actual365Fixed()))
    discount = ql.YieldTermStructureHandle(ql.FlatForward(today, rate, ql.Actual365Fixed(), ql.Continuous))
    schedule = ql.Schedule(today, today + ql.Period(maturity, ql.Years), ql.Period(ql.Quarterly), ql.WeekendsOnly(),
                           ql.Following, ql.Unadjusted, ql.DateGeneration.CDS, False)
    cds = ql.CreditDefaultSwap(ql.Protection.Buyer, 1e7, spread_bp * 1e-4, schedule, ql.Following, ql.Actual360(),
                               True, True, today, ql.FaceValueClaim(), ql.Actual360(True), False, today, 3)
    cds.setPricingEngine(ql.IsdaCdsEngine(probability, 0.4, discount))
    return cds


def test_rpv01_deviation_with_a_bootstrapped_hazard(ql) -> None:
    """The paragraph on a QuantLib hazard bootstrapped to the par spread: how much more hazard, the worst
    deviation and where."""
    from scipy.optimize import brentq
    from test_analytics import QL_GRID

    text = grab(ANALYTICS, r"\(([\d.]+–[\d.]+) % more hazard\), the deviation over the same grid grows to at most "
                           r"([\d.]+) % \((\d+) bp, (\d+) y, (\d+) %\)", 0)
    more = re.match(r"\(([\d.]+–[\d.]+) %", text).group(1)
    worst_shown, spread, years, rate = re.findall(r"[\d.]+", text.split("hazard")[1])
    deviation, extra = {}, []
    for s, t, r in QL_GRID:
        triangle = s * 1e-4 / 0.6
        hazard = brentq(lambda h, s=s, t=t, r=r: _quantlib_cds(ql, s, t, h, r).fairSpread() - s * 1e-4, triangle * 0.9,
                        triangle * 1.2, xtol=1e-14)
        extra.append(hazard / triangle - 1)
        deviation[(s, t, r)] = ch.rpv01(s, t, 0.4, r) / (abs(_quantlib_cds(ql, s, t, hazard, r).couponLegBPS()) / 1e7
                                                         / 1e-4) - 1
    worst = max(deviation, key=lambda k: abs(deviation[k]))
    _printed(100 * abs(deviation[worst]), worst_shown)
    assert worst == (float(spread), int(years), float(rate) / 100)
    low, high = more.split("–")
    _printed(100 * min(extra), low)
    _printed(100 * max(extra), high)
