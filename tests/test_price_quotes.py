"""Price-quoted indices: the instrument fields ``quote`` and ``index_factor`` and the conversion of screen
prices to conventional spreads (``cdshedge_cvx.market._quotes.prices_to_spreads``), against QuantLib 1.44's
``IsdaCdsEngine`` (the oracle of tests/test_isda.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_isda import USD_HIGH, _qd, _ql, _ql_upfront, ql_curve

from cdshedge_cvx.credit._isda import cds_quote
from cdshedge_cvx.credit._yield_curve import YieldCurve
from cdshedge_cvx.errors import DataError
from cdshedge_cvx.market._instruments import Instrument, Universe, standard_universe
from cdshedge_cvx.market._quotes import contract_maturities, prices_to_spreads
from cdshedge_cvx.market._rates import RateQuotes

HY = standard_universe()["CDX HY"]


def ql_spread_from_price(trade: str, maturity: str, price: float, coupon_bp: float, recovery: float,
                         yts: object) -> float:
    """The conventional spread QuantLib's ISDA engine implies: the spread whose flat-hazard upfront (coupon
    ``coupon_bp``) is ``1 - price/100``."""
    from scipy.optimize import brentq

    ql = _ql()
    ql.Settings.instance().evaluationDate = _qd(ql, trade)
    td, md = _qd(ql, trade), _qd(ql, maturity)
    target = 1.0 - price / 100.0

    def gap(s_bp: float) -> float:
        return _ql_upfront(ql, td, md, s_bp * 1e-4, coupon_bp * 1e-4, recovery, yts, 1.0)[1] - target

    return brentq(gap, 10.0, 3000.0, xtol=1e-13, rtol=1e-15)


def test_issue_example_401_7_bp() -> None:
    """The issue's 401.7 bp: CDX HY at 104.5 on its March 2024 roll date (2024-03-27, series maturing
    2029-06-20) at r = 0. At 4.5 % flat the same price is 390.4 bp."""
    ql = _ql()
    for rate, expected in ((0.0, 401.669), (0.045, 390.0)):
        trade = "2024-03-27"
        ours = prices_to_spreads([104.5], [trade], HY, RateQuotes.flat(rate))[0]
        yts = ql.YieldTermStructureHandle(ql.FlatForward(_qd(ql, trade), rate, ql.Actual365Fixed()))
        ref = ql_spread_from_price(trade, "2029-06-20", 104.5, 500.0, 0.3, yts)
        assert ours == pytest.approx(ref, rel=1e-8)
        assert ours == pytest.approx(expected, abs=0.5 if rate else 1e-3)


def test_prices_match_quantlib_on_isda_curves() -> None:
    ql = _ql()
    frame = pd.DataFrame([(d, "USD", t, r) for d in ("2024-05-15", "2024-06-14") for t, r in
                          (*USD_HIGH[0].items(), *USD_HIGH[1].items())], columns=["date", "currency", "tenor", "rate"])
    rates = RateQuotes.from_frame(frame)
    dates = ["2024-05-15", "2024-05-17", "2024-06-14", "2024-06-14"]
    prices = [104.5, 92.25, 101.0, 108.0]
    ours = prices_to_spreads(prices, dates, HY, rates)
    for day, price, spread in zip(dates, prices, ours):
        yts = ql_curve(ql, day, "USD", USD_HIGH)
        assert spread == pytest.approx(ql_spread_from_price(day, "2029-06-20", price, 500.0, 0.3, yts), rel=1e-8)


def test_vectorised_series_and_missing() -> None:
    rates = RateQuotes.flat(0.04)
    dates = pd.bdate_range("2024-03-20", periods=30)
    prices = pd.Series(np.linspace(103.0, 106.0, 30), index=dates, name="CDX HY")
    prices.iloc[4] = np.nan
    spreads = prices_to_spreads(prices, None, HY, rates)
    assert isinstance(spreads, pd.Series) and spreads.name == "CDX HY" and spreads.index.equals(dates)
    assert np.isnan(spreads.iloc[4]) and np.isfinite(spreads.drop(dates[4])).all()
    mats = contract_maturities(dates, HY)
    for i in (0, 10, 29):  # the HY roll (2024-03-27) switches the contract from the Dec-28 to the Jun-29 series
        q = cds_quote(dates[i], mats[i].date(), price=prices.iloc[i], coupon_bp=500.0, recovery=0.3,
                      curve=YieldCurve.flat(0.04, dates[i]))
        assert spreads.iloc[i] == pytest.approx(float(q.spread_bp), rel=1e-12)
    assert str(mats[0].date()) == "2028-12-20" and str(mats[29].date()) == "2029-06-20"
    # a higher price is a lower spread
    assert spreads.dropna().diff().dropna().lt(0).sum() >= 25
    fixed = HY.replace(maturity_rule="fixed", maturity_years=3.0)
    assert str(contract_maturities(["2024-05-15"], fixed)[0].date()) == "2027-06-20"


def test_conversion_errors_name_instrument_and_date() -> None:
    with pytest.raises(DataError, match=r"instrument 'CDX HY', price on 2024-05-15.*price = 150"):
        prices_to_spreads([104.0, 150.0], ["2024-05-14", "2024-05-15"], HY, RateQuotes.flat(0.04))
    frame = pd.DataFrame({"date": ["2024-05-15"], "currency": ["USD"], "tenor": ["2Y"], "rate": [0.046]})
    with pytest.raises(DataError, match=r"price on 2024-05-14.*no USD rate quotes on or before 2024-05-14"):
        prices_to_spreads([104.0], ["2024-05-14"], HY, RateQuotes.from_frame(frame))
    with pytest.raises(DataError, match="2 prices for 1 dates"):
        prices_to_spreads([104.0, 103.0], ["2024-05-14"], HY, RateQuotes.flat(0.04))
    with pytest.raises(DataError, match="Series"):
        prices_to_spreads([104.0], None, HY, RateQuotes.flat(0.04))


def test_instrument_quote_and_index_factor_fields() -> None:
    universe = standard_universe()
    # CDX HY trades on price: MarketData converts its column to conventional spreads per date
    assert [i.quote for i in universe] == ["spread", "price", "spread", "spread"]
    assert all(i.index_factor == 1.0 for i in universe)
    assert Universe.from_frame(universe.to_frame()) == universe
    with pytest.raises(DataError, match="quote must be one of spread, price, got 'points'"):
        Instrument("X", 500.0, 0.0, 1.0, quote="points")
    with pytest.raises(DataError, match=r"index_factor must be in \(0, 1\]"):
        Instrument("X", 500.0, 0.0, 1.0, index_factor=1.2)
    frame = pd.DataFrame({"instrument": ["HY", "IG"], "coupon_bp": [500, 100], "cs01_min": [0, 0],
                          "cs01_max": [1, 1], "quote": [" Price", ""], "index_factor": [0.96, None]})
    read = Universe.from_frame(frame, source="inst.csv")
    assert read["HY"].quote == "price" and read["HY"].index_factor == 0.96
    assert read["IG"].quote == "spread" and read["IG"].index_factor == 1.0
    frame.loc[1, "index_factor"] = 0.0
    with pytest.raises(DataError, match=r"inst.csv, row 3\).*index_factor"):
        Universe.from_frame(frame, source="inst.csv")
    frame["index_factor"] = ["0.96", "x"]
    with pytest.raises(DataError, match=r"inst.csv, row 3, column 'index_factor'"):
        Universe.from_frame(frame, source="inst.csv")


def test_spreads_given_for_a_price_quoted_instrument_are_refused_with_the_fix() -> None:
    """A spread series (hundreds of bp) for CDX HY, which the standard universe quotes in price, is refused
    naming the column and how to mark it, rather than failing deep in the hazard solve."""
    from cdshedge_cvx import examples

    market, _ = examples.market()
    with pytest.raises(DataError, match=r"column 'CDX HY'.*quote='spread'"):
        market.for_universe(standard_universe())
