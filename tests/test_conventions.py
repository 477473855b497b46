"""Market conventions checked against hand calculations (one worked example per term), the units
of every amount, FX conversion, roll-date cost, remaining maturity and the scaling property.

Every expected number below is computed by hand in the test (closed forms, date arithmetic with
the standard library), never by the code under test. The same examples are in docs/conventions.md.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx.credit._rolls import remaining_maturity, roll_counts, roll_dates
from cdshedge_cvx.periods import PeriodBuilder
from cdshedge_cvx.testing import period_data, universes

K_ACT360 = 365.25 / 360.0  # premium accrued per model year, ACT/360


def annuity_by_hand(spread_bp: float, years: float, recovery: float) -> float:
    """RPV01 at zero rates: k·(1 − e^{−λT})/λ with λ = s/(1 − R) (the continuous-premium annuity,
    which the quarterly ISDA-style sum equals exactly at r = 0)."""
    lam = spread_bp * 1e-4 / (1.0 - recovery)
    return K_ACT360 * (1.0 - math.exp(-lam * years)) / lam


# ------------------------------------------------------------------------------------------
# a hand-made market: February 2024 base, one March 2024 period
# ------------------------------------------------------------------------------------------
DATES = pd.to_datetime(["2024-02-29", "2024-03-01", "2024-03-15", "2024-03-28"])
#: calendar days from the base (29 Feb) to the period end (28 Mar)
DAYS = 28


def _universe() -> ch.Universe:
    return ch.Universe([
        ch.Instrument("IG", 100.0, 0.0, 0.25, currency="USD", recovery=0.4, n_names=125, bid_ask_bp=0.5,
                      maturity_years=5.0),
        ch.Instrument("MAIN", 100.0, 0.0, 0.25, currency="EUR", recovery=0.4, n_names=125, bid_ask_bp=0.5,
                      maturity_years=5.0),
        # rolls 7 US business days after 20 March 2024: 21, 22, 25, 26, 27, 28 March, (Good Friday 29
        # March closed), 1 April -> outside the March period
        ch.Instrument("LATE", 500.0, 0.0, 0.10, currency="USD", recovery=0.3, n_names=100, bid_ask_bp=3.0,
                      maturity_years=5.0, roll_lag_days=7),
    ])


SPREADS = pd.DataFrame({"IG": [60.0, 61.0, 64.0, 66.0], "MAIN": [55.0, 55.0, 58.0, 57.0],
                        "LATE": [350.0, 352.0, 340.0, 345.0]}, index=DATES)
DESK = pd.Series([0.0, -0.5, 1.0, 0.25], index=DATES)
EURUSD = pd.Series([1.08, 1.09, 1.10, 1.12], index=DATES, name="EURUSD")


def _march(conventions="market", fx=EURUSD, roll_jumps=None) -> ch.PeriodData:
    market = ch.MarketData(SPREADS, DESK, fx=fx, roll_jumps=roll_jumps)
    universe = _universe()
    result = ch.backtest(market, universe, ch.HedgePnL(), horizon="M", conventions=conventions, cross_check=False)
    assert len(result.records) == 1
    return result.records[0].data


H = np.array([0.25, 0.25, 0.10])


def test_the_period_is_base_29_february_to_28_march():
    data = _march()
    assert data["base"] == pd.Timestamp("2024-02-29")
    assert data["period_end"] == pd.Timestamp("2024-03-28")
    assert data["calendar_days"] == DAYS == (dt.date(2024, 3, 28) - dt.date(2024, 2, 29)).days
    assert data["rows"] == 3


def test_hedge_pnl_is_spread_change_times_cs01_in_dollars():
    # IG widens 60 -> 66 bp: 6 bp x 0.25 $mm/bp = $1.5mm; MAIN 55 -> 57: 2 bp x 0.25 EUR mm/bp x 1.08 = $0.54mm;
    # LATE 350 -> 345: -5 x 0.10 = -$0.5mm
    data = _march()
    assert ch.HedgePnL().value(H, data) == pytest.approx(1.5 + 0.54 - 0.5, abs=1e-12)
    np.testing.assert_allclose(ch.HedgePnL().coefficients(data), [6.0, 2.0 * 1.08, -5.0], atol=1e-12)


def test_seed_hedge_pnl_keeps_the_prototypes_0_01_and_drops_the_first_change():
    # seed: diff() inside the period (61 -> 66 for IG: 5 bp) x h x 0.01
    data = _march("seed", fx=None)
    assert ch.HedgePnL().coefficients(data)[0] == pytest.approx(5.0 * 0.01)


#: the market conventions with the earlier flat-hazard, r = 0 contract model (the closed forms below)
FLAT = ch.MARKET.replace(contract_model="flat-hazard")


def _isda_figures(data: ch.PeriodData, days: int = DAYS):
    """The ISDA figures of the period's contracts priced here from the instruments (r = 0: no rates given)."""
    from cdshedge_cvx.market._quotes import contract_maturities

    universe = _universe()
    maturities = np.array([contract_maturities(["2024-02-29"], i)[0] for i in universe], dtype="datetime64[D]")
    return ch.per_cs01_figures("2024-02-29", maturities, [60.0, 55.0, 350.0], [100.0, 100.0, 500.0],
                               [0.4, 0.4, 0.3], ch.YieldCurve.flat(0.0, "2024-02-29"), n_names=[125, 125, 100],
                               days=days)


def test_market_carry_is_the_isda_value_change_with_the_spread_unchanged():
    """Market: −fx · figures.carry (premium plus pull-to-par per CS01); market-cash: −fx · figures.carry_cash."""
    data = _march()
    figures = _isda_figures(data)
    fx = np.array([1.0, 1.08, 1.0])
    np.testing.assert_allclose(ch.Carry().coefficients(data), -fx * figures.carry, rtol=1e-12)
    np.testing.assert_allclose(ch.Carry().twin_coefficients(data), -fx * figures.carry, rtol=1e-12)
    cash = _march("market-cash")
    np.testing.assert_allclose(ch.Carry().coefficients(cash), -fx * figures.carry_cash, rtol=1e-12)
    # the par contract's carry is the flat-hazard formula's premium at the spread: same order, not the same
    assert ch.Carry().coefficients(data)[0] == pytest.approx(60.0 / annuity_by_hand(60.0, 5.0, 0.4) * DAYS / 360,
                                                             rel=0.1)
    assert "r = 0 assumed" in data["rates_note"]


def test_market_jump_to_default_is_payout_minus_the_names_mark_to_market():
    from cdshedge_cvx.model import jump_to_default_per_cs01

    data = _march()
    figures = _isda_figures(data)
    upfront = figures.upfront  # the LATE contract (350 bp on a 500 coupon) is worth upfront < 0 to the buyer
    expected = np.array([1.0, 1.08, 1.0]) * ((1.0 - np.array([0.4, 0.4, 0.3])) - upfront) / (
        np.array([125, 125, 100]) * figures.cs01)
    np.testing.assert_allclose(jump_to_default_per_cs01(data), expected, rtol=1e-12)


def test_economic_carry_is_spread_over_rpv01_times_act_360():
    data = _march(FLAT)
    annuity = annuity_by_hand(60.0, 5.0, 0.4)   # 4.948181 years
    assert annuity == pytest.approx(4.948181, abs=1e-6)
    assert data["rpv01"][0] == pytest.approx(annuity, rel=1e-12)
    notional = 0.25 / (annuity * 1e-4)          # $505.24mm
    expected = notional * 60e-4 * DAYS / 360    # premium on the notional at the spread, ACT/360
    assert expected == pytest.approx(0.235777, abs=1e-6)
    carry = ch.Carry().coefficients(data) * H
    assert carry[0] == pytest.approx(expected, rel=1e-12)
    # EUR leg converted at the base date's EURUSD (1.08), not a later one
    main_annuity = annuity_by_hand(55.0, 5.0, 0.4)
    assert carry[1] == pytest.approx(1.08 * 0.25 * 55.0 / main_annuity * DAYS / 360, rel=1e-12)


def test_cash_carry_pays_the_coupon():
    data = _march(ch.get_conventions("market-cash").replace(contract_model="flat-hazard"))
    annuity = annuity_by_hand(60.0, 5.0, 0.4)
    assert ch.Carry().coefficients(data)[0] * 0.25 == pytest.approx(0.25 * 100.0 / annuity * DAYS / 360, rel=1e-12)


def test_seed_carry_is_the_prototypes_coupon_rows_over_252():
    data = _march("seed", fx=None)
    assert ch.Carry().coefficients(data)[0] == pytest.approx(100.0 / 1e4 * 3 / 252)


def test_roll_down_is_fraction_of_spread_per_year_act_365():
    # 0.25 $mm/bp x 0.1 (the default fraction) x 60 bp x 28/365 = $0.115068mm
    data = _march()
    assert ch.Roll().value(np.array([0.25, 0.0, 0.0]), data) == pytest.approx(0.25 * 0.1 * 60 * 28 / 365, rel=1e-12)
    assert ch.Roll().coefficients(data)[0] * 0.25 == pytest.approx(0.25 * 0.1 * 60 * 28 / 365, rel=1e-12)
    assert 0.25 * 0.1 * 60 * 28 / 365 == pytest.approx(0.115068, abs=1e-6)


def test_roll_down_from_a_given_curve_slope():
    # IG's curve rises 9 bp per year of maturity: 0.25 $mm/bp x 9 bp x 28/365, whatever the spread
    universe = ch.Universe([i.replace(roll_slope_bp_per_year=9.0) if i.name == "IG" else i for i in _universe()])
    result = ch.backtest(ch.MarketData(SPREADS, DESK, fx=EURUSD), universe, ch.HedgePnL() - ch.Roll(), horizon="M",
                         cross_check=True)
    data = result.records[0].data
    expected = 9.0 * 28 / 365
    assert ch.Roll().coefficients(data)[0] == pytest.approx(expected, rel=1e-12)
    assert ch.Roll().twin_coefficients(data)[0] == pytest.approx(expected, rel=1e-12)
    assert ch.Roll().coefficients(data)[1] == pytest.approx(1.08 * 0.1 * 55.0 * 28 / 365, rel=1e-12)


def test_seed_roll_keeps_the_stray_1e_4_and_first_row_spread():
    data = _march("seed", fx=None)
    # first row of the period is 61 bp for IG
    assert ch.Roll().coefficients(data)[0] == pytest.approx(0.2 * 61.0 * 3 / 252 * 1e-4)


def test_roll_date_cost_pays_the_bid_ask_on_each_roll_inside_the_period():
    data = _march()
    # IG rolls 20 March (in the period), MAIN 20 March (EU), LATE 1 April (outside)
    np.testing.assert_array_equal(data["roll_count"], [1.0, 1.0, 0.0])
    # 0.25 x 0.5 bp = $0.125mm; MAIN 0.25 x 0.5 x 1.08 = $0.135mm; LATE nothing
    assert ch.RollDateCost().value(H, data) == pytest.approx(0.125 + 0.135, abs=1e-12)
    assert ch.RollDateCost(multiplier=0.5).value(H, data) == pytest.approx(0.5 * (0.125 + 0.135), abs=1e-12)
    # sign does not matter: selling protection across the roll pays too
    assert ch.RollDateCost().value(-H, data) == pytest.approx(0.26, abs=1e-12)


def test_transaction_cost_is_half_the_bid_ask_on_cs01_traded():
    data = _march().replace(h_prev=np.array([0.05, 0.25, 0.0]))
    # IG trades 0.20: 0.5 x 0.5 x 0.20 = $0.05mm; MAIN nothing; LATE 0.10 x 0.5 x 3 = $0.15mm
    assert ch.TransactionCost().value(H, data) == pytest.approx(0.05 + 0.15, abs=1e-12)


def test_variance_is_in_reporting_currency():
    """The minimum-variance hedge of a desk short 0.5 $mm/bp of MAIN risk is 0.5 / EURUSD in EUR CS01."""
    dates = pd.bdate_range("2024-01-01", periods=30)
    rng = np.random.default_rng(3)
    main = 55.0 + np.cumsum(np.r_[0.0, rng.normal(0, 1.5, 29)])
    fx = pd.Series(1.25, index=dates, name="EUR")
    desk = pd.Series(-0.5 * np.r_[0.0, np.diff(main)], index=dates)
    market = ch.MarketData(pd.DataFrame({"MAIN": main}, index=dates), desk, fx=fx)
    universe = ch.Universe([ch.Instrument("MAIN", 100.0, 0.0, 2.0, currency="EUR", maturity_years=5.0)])
    result = ch.backtest(market, universe, -ch.VariancePenalty(), horizon="2ME", cross_check=True)
    # USD PnL of h EUR mm/bp is 1.25·Δs·h: variance (1.25 h − 0.5)² Var(Δs) is zero at h = 0.5/1.25 = 0.4
    assert result.allocations.iloc[0, 0] == pytest.approx(0.4, abs=1e-6)


def test_jump_to_default_limit_is_in_reporting_currency():
    from cdshedge_cvx.model import jump_to_default_per_cs01

    data = _march(FLAT)
    # 1 €mm/bp of MAIN at 55 bp, 5 y: notional 1/(RPV01·1e-4) € mm, one of 125 names at R = 0.4, in USD at 1.08
    expected = 1.08 / (annuity_by_hand(55.0, 5.0, 0.4) * 1e-4) * 0.6 / 125
    assert jump_to_default_per_cs01(data)[1] == pytest.approx(expected, rel=1e-12)
    market = ch.MarketData(SPREADS, DESK, fx=EURUSD)
    result = ch.backtest(market, _universe(), ch.HedgePnL(), constraints=[ch.JumpToDefaultLimit(1.0)],
                         cross_check=True)
    h = result.allocations.iloc[0].to_numpy()
    # no netting across indices: the worst single index's default is at the limit
    assert float(np.max(np.abs(jump_to_default_per_cs01(result.records[0].data) * h))) == pytest.approx(1.0, abs=1e-6)


def test_premium_accrued_worked_example():
    # $10mm at 100 bp for 94 days, ACT/360: 10 x 0.01 x 94/360 = $0.026111mm = $26,111
    assert ch.premium_accrued(10.0, 100.0, 94) * 1e6 == pytest.approx(26_111.11, abs=0.01)


def test_jump_to_default_worked_example():
    # $500mm of CDX IG, one of 125 names defaults at 40 % recovery: 500 x 0.6 / 125 = $2.4mm
    assert ch.jump_to_default(500.0, 0.4, 125) == pytest.approx(2.4)


# ------------------------------------------------------------------------------------------
# remaining maturity and roll dates
# ------------------------------------------------------------------------------------------
def test_on_the_run_remaining_maturity_by_date_arithmetic():
    universe = ch.examples.spread_quoted(ch.standard_universe())
    ig, hy = universe["CDX IG"], universe["CDX HY"]
    # CDX IG rolls on 20 March 2024: the new series matures 20 June 2029
    got = remaining_maturity(ig, ["2024-03-20", "2024-09-19", "2024-09-20"])
    expected = [(dt.date(2029, 6, 20) - dt.date(2024, 3, 20)).days / 365.25,
                (dt.date(2029, 6, 20) - dt.date(2024, 9, 19)).days / 365.25,
                (dt.date(2029, 12, 20) - dt.date(2024, 9, 20)).days / 365.25]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    # CDX HY rolls 5 US business days later (27 March 2024): on 26 March the old series (Dec 2028) is still held
    got = remaining_maturity(hy, ["2024-03-26", "2024-03-27"])
    expected = [(dt.date(2028, 12, 20) - dt.date(2024, 3, 26)).days / 365.25,
                (dt.date(2029, 6, 20) - dt.date(2024, 3, 27)).days / 365.25]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_fixed_maturity_rule_and_csv_defaults():
    fixed = ch.Instrument("X", 100.0, 0.0, 1.0, maturity_years=3.0)
    assert fixed.rule == "fixed"
    np.testing.assert_array_equal(remaining_maturity(fixed, ["2024-01-05", "2030-06-01"]), [3.0, 3.0])
    assert ch.Instrument("Y", 100.0, 0.0, 1.0).rule == "on-the-run"


def test_roll_dates_follow_the_calendar_and_lag():
    universe = ch.examples.spread_quoted(ch.standard_universe())
    # 20 March 2021 was a Saturday: IG and Main roll on Monday 22 March; HY 5 US business days later (29 March)
    assert list(roll_dates(universe["CDX IG"], "2021-01-01", "2021-12-31").strftime("%Y-%m-%d")) == [
        "2021-03-22", "2021-09-20"]
    assert list(roll_dates(universe["CDX HY"], "2021-01-01", "2021-12-31").strftime("%Y-%m-%d")) == [
        "2021-03-29", "2021-09-27"]
    bases = pd.DatetimeIndex(["2021-02-26", "2021-03-22", "2021-03-31"])
    ends = pd.DatetimeIndex(["2021-03-22", "2021-03-31", "2021-09-30"])
    np.testing.assert_array_equal(roll_counts(universe["CDX IG"], bases, ends), [1, 0, 1])
    np.testing.assert_array_equal(roll_counts(universe["CDX HY"], bases, ends), [0, 1, 1])


def test_market_rpv01_uses_the_remaining_maturity_of_the_on_the_run_series():
    """Under market conventions the carry's RPV01 is at the on-the-run maturity, not a flat 5 years."""
    market, universe = ch.examples.market()
    result = ch.backtest(market, universe, ch.HedgePnL() - ch.Carry(), horizon="M", cross_check=False)
    data = result.records[0].data  # base 2019-01-02, IG series of Sep 2018 matures 2023-12-20
    assert data["base"] == pd.Timestamp("2019-01-02")
    years = (dt.date(2023, 12, 20) - dt.date(2019, 1, 2)).days / 365.25
    assert data["maturity_years"][0] == pytest.approx(years, abs=1e-12)
    assert data["rpv01"][0] == pytest.approx(annuity_by_hand(data["spread_start"][0], years, 0.4), rel=1e-12)


# ------------------------------------------------------------------------------------------
# roll jumps and FX on MarketData
# ------------------------------------------------------------------------------------------
def test_market_roll_jumps_are_removed_by_default_and_an_argument_overrides_them():
    # IG jumps +3 bp on 15 March (a roll): the contract held moved 61 -> 64 - 3 = 61, period change 6 - 3 = 3
    jumps = pd.DataFrame({"IG": [3.0]}, index=pd.to_datetime(["2024-03-15"]))
    data = _march(roll_jumps=jumps)
    np.testing.assert_allclose(data["expected_change"], [3.0, 2.0, -5.0])
    market = ch.MarketData(SPREADS, DESK, roll_jumps=jumps)
    other = pd.DataFrame({"LATE": [1.0]}, index=pd.to_datetime(["2024-03-01"]))
    result = ch.backtest(market, _universe(), ch.HedgePnL(), roll_jumps=other, cross_check=False)
    np.testing.assert_allclose(result.records[0].data["expected_change"], [6.0, 2.0, -6.0])


def test_a_jump_on_a_dropped_date_moves_to_the_next_kept_date():
    spreads = SPREADS.copy()
    spreads.loc["2024-03-15", "MAIN"] = np.nan
    jumps = pd.DataFrame({"IG": [3.0]}, index=pd.to_datetime(["2024-03-15"]))
    market = ch.MarketData(spreads, DESK, roll_jumps=jumps, missing="drop")
    assert list(market.roll_jumps.index) == list(DATES.delete(2))
    assert market.roll_jumps.loc["2024-03-28", "IG"] == 3.0


@pytest.mark.parametrize(("jumps", "match"), [
    (pd.DataFrame({"XX": [1.0]}, index=pd.to_datetime(["2024-03-15"])), "column 'XX' is not a spreads column"),
    (pd.DataFrame({"IG": [1.0]}, index=pd.to_datetime(["2024-03-16"])), "2024-03-16 is not a date of the spreads"),
    (pd.DataFrame({"IG": [np.nan]}, index=pd.to_datetime(["2024-03-15"])), "write 0 where there is no jump"),
    (pd.DataFrame({"IG": ["big"]}, index=pd.to_datetime(["2024-03-15"])), "'big' is not a number"),
])
def test_bad_roll_jumps_are_refused(jumps, match):
    with pytest.raises(ch.DataError, match=match):
        ch.MarketData(SPREADS, DESK, roll_jumps=jumps)


def test_fx_series_forms_and_as_of_alignment():
    unnamed = pd.Series([1.1], index=pd.to_datetime(["2024-02-28"]))
    market = ch.MarketData(SPREADS, DESK, fx=unnamed)
    assert list(market.fx.columns) == ["EUR"]
    np.testing.assert_allclose(market.fx["EUR"], 1.1)  # the 28 Feb rate is the latest on every date
    assert market.missing_report["fx_as_of"] == 4
    frame = pd.DataFrame({"EUR/USD": EURUSD.to_numpy(), "GBPUSD": 1.27}, index=DATES)
    assert list(ch.MarketData(SPREADS, DESK, fx=frame).fx.columns) == ["EUR", "GBP"]


@pytest.mark.parametrize(("fx", "match"), [
    (pd.Series([0.92] * 4, index=DATES, name="USDEUR"), r"is EUR per USD; give EURUSD \(USD per EUR, i.e. 1/USDEUR\)"),
    (pd.Series([1.1] * 4, index=DATES, name="USD"), "is the reporting currency itself"),
    (pd.Series([1.1, -1.0, 1.1, 1.1], index=DATES, name="EUR"), r"row 1 \(2024-03-01\), column 'EUR'.*not a positive"),
    (pd.Series([1.1], index=pd.to_datetime(["2024-03-01"]), name="EUR"), "FX must start on or before it"),
    (pd.Series([1.1] * 4, index=DATES, name="euro"), "not a currency code"),
    (pd.Series([1.1] * 4, index=DATES, name="EURGBP"), "quotes EUR in GBP, not in the reporting currency USD"),
])
def test_bad_fx_is_refused(fx, match):
    with pytest.raises(ch.DataError, match=match):
        ch.MarketData(SPREADS, DESK, fx=fx)


def test_an_fx_series_without_the_instruments_currency_is_refused():
    market = ch.MarketData(SPREADS, DESK, fx=pd.Series(1.27, index=DATES, name="GBP"))
    with pytest.raises(ch.DataError, match="instrument 'MAIN' is in EUR but the FX series has no EUR column"):
        ch.backtest(market, _universe(), ch.HedgePnL(), cross_check=False)


def test_without_fx_eur_amounts_stay_in_eur():
    data = _march(fx=None)
    np.testing.assert_allclose(data["fx_rate"], [1.0, 1.0, 1.0])
    assert data["amount_currency"] == ["USD", "EUR", "USD"]


def test_spreads_given_as_decimals_are_refused():
    decimals = SPREADS / 1e4
    with pytest.raises(ch.DataError, match="spreads look like decimals"):
        ch.MarketData(decimals, DESK)


# ------------------------------------------------------------------------------------------
# instruments file: every field settable
# ------------------------------------------------------------------------------------------
def test_every_instrument_field_can_be_set_from_the_csv(tmp_path):
    path = tmp_path / "instruments.csv"
    path.write_text(
        "instrument,coupon_bp,cs01_min,cs01_max,currency,recovery,n_names,maturity_years,roll_fraction,"
        "bid_ask_bp,ticker,roll_lag_days,maturity_rule,tenor_years,calendar\n"
        "CDX EM,100,-0.05,0.10,usd,0.25,20,,0.15,4,CDX EM CDSI GEN 5Y Corp,2,on-the-run,5,weekday\n"
        "OLD,100,0,0.1,EUR,0.4,125,3.5,0.2,1,,0,,5,auto\n", encoding="utf-8")
    universe = ch.Universe.from_csv(path)
    em, old = universe["CDX EM"], universe["OLD"]
    assert (em.currency, em.recovery, em.n_names, em.roll_fraction, em.bid_ask_bp, em.ticker, em.roll_lag_days,
            em.rule, em.tenor_years, em.calendar) == ("USD", 0.25, 20, 0.15, 4.0, "CDX EM CDSI GEN 5Y Corp", 2,
                                                      "on-the-run", 5, "weekday")
    assert em.cs01_min == -0.05
    assert old.rule == "fixed" and old.maturity_years == 3.5 and old.roll_calendar == "eu"
    assert ch.Universe.from_frame(universe.to_frame()) == universe
    assert ch.Universe.from_frame(ch.standard_universe().to_frame()) == ch.standard_universe()


@pytest.mark.parametrize(("row", "match"), [
    ("A,100,0,1,USD,0.4,125,4,0.2,1,,0,on-the-run,5,auto", "only used with maturity_rule 'fixed'"),
    ("A,100,0,1,USD,0.4,125,,0.2,1,,0,fixed,5,auto", "maturity_rule 'fixed' needs maturity_years"),
    ("A,100,0,1,USD,0.4,125,,0.2,1,,0,rolling,5,auto", "maturity_rule must be one of"),
    ("A,100,0,1,USD,0.4,125,,0.2,1,,0,,5.5,auto", "column 'tenor_years': 5.5 is not a whole number"),
    ("A,100,0,1,USD,0.4,125,,0.2,1,,0,,5,tokyo", "calendar must be one of"),
    ("A,100,0,1,USD,0.4,125,,0.2,1,,-1,,5,auto", "'roll_lag_days' must be a whole number >= 0"),
])
def test_bad_instrument_fields_name_the_row_and_column(tmp_path, row, match):
    path = tmp_path / "instruments.csv"
    path.write_text("instrument,coupon_bp,cs01_min,cs01_max,currency,recovery,n_names,maturity_years,roll_fraction,"
                    f"bid_ask_bp,ticker,roll_lag_days,maturity_rule,tenor_years,calendar\n{row}\n", encoding="utf-8")
    with pytest.raises(ch.DataError, match=match) as info:
        ch.Universe.from_csv(path)
    assert "row 2" in str(info.value)


def test_standard_universe_specs():
    universe = ch.standard_universe()
    table = {i.name: (i.coupon_bp, i.currency, i.recovery, i.n_names, i.bid_ask_bp, i.cs01_max, i.rule,
                      i.tenor_years, i.roll_lag_days, i.roll_calendar) for i in universe}
    assert table == {
        "CDX IG": (100.0, "USD", 0.4, 125, 0.5, 0.25, "on-the-run", 5, 0, "us"),
        "CDX HY": (500.0, "USD", 0.3, 100, 3.0, 0.10, "on-the-run", 5, 5, "us"),
        "iTraxx Main": (100.0, "EUR", 0.4, 125, 0.5, 0.25, "on-the-run", 5, 0, "eu"),
        "iTraxx Xover": (500.0, "EUR", 0.4, 75, 2.0, 0.10, "on-the-run", 5, 0, "eu"),
    }
    # CDX HY trades on price; roll-down 0.1 of the spread a year (the example market's 3y-5y slopes)
    assert [i.quote for i in universe] == ["spread", "price", "spread", "spread"]
    assert [i.roll_fraction for i in universe] == [0.1] * 4


# ------------------------------------------------------------------------------------------
# the roll-date cost term in the model
# ------------------------------------------------------------------------------------------
def test_rollcost_is_convex_and_must_be_subtracted():
    with pytest.raises(ch.SpecificationError, match="RollDateCost"):
        ch.HedgeProblem(_universe(), ch.HedgePnL() + ch.RollDateCost()).build()


def test_rollcost_keeps_a_small_edge_out_of_the_hedge():
    """IG's edge over the period is 6 bp but the roll costs 0.5 bp: still held. With a 10x cost it is not."""
    market = ch.MarketData(SPREADS, DESK)
    universe = _universe()
    result = ch.backtest(market, universe, ch.HedgePnL() - ch.RollDateCost(), cross_check=True)
    np.testing.assert_allclose(result.allocations.iloc[0], [0.25, 0.25, 0.0], atol=1e-8)
    assert result.pnl["rollcost"].iloc[0] == pytest.approx(0.25 * 0.5 + 0.25 * 0.5, abs=1e-9)
    expensive = ch.backtest(market, universe, ch.HedgePnL() - 20.0 * ch.RollDateCost(), cross_check=True)
    # IG: 6 < 20 x 0.5 = 10 -> 0; MAIN: 2 < 10 -> 0
    np.testing.assert_allclose(expensive.allocations.iloc[0], [0.0, 0.0, 0.0], atol=1e-8)
    # without the term the hedge is not rolled: no roll cost in the realised PnL
    plain = ch.backtest(market, universe, ch.HedgePnL(), cross_check=False)
    assert plain.pnl["rollcost"].iloc[0] == 0.0


def test_objective_parser_knows_rollcost():
    from cdshedge_cvx.model._parser import parse_objective

    objective = parse_objective("pnl - carry - roll - 2*rollcost")
    assert [t.name for t in objective.terms][-1] == "RollDateCost"
    assert objective.terms[-1].multiplier == 2.0


# ------------------------------------------------------------------------------------------
# scaling property
# ------------------------------------------------------------------------------------------
@settings(max_examples=25)
@given(universe=universes(max_size=4), data=st.data(), k=st.floats(min_value=0.05, max_value=20.0),
       with_rollcost=st.booleans())
def test_scaling_all_limits_by_k_scales_the_linear_optimum_by_k(universe, data, k, with_rollcost):
    """Under market conventions the objective is positively homogeneous in h (linear, plus c·|h|), so the
    optimum over the box k·[L, U] is k times the optimum over [L, U]."""
    period = data.draw(period_data(universe))
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll()
    coefficient = (ch.HedgePnL().coefficients(period) - ch.Carry().coefficients(period)
                   - ch.Roll().coefficients(period))
    if with_rollcost:
        objective = objective - ch.RollDateCost()
        cost = ch.RollDateCost().cost_per_cs01(period)
        assume(np.all(np.abs(np.abs(coefficient) - cost) > 1e-6))
    assume(np.all(np.abs(coefficient) > 1e-6))
    scaled = universe.with_limits(lower=k * universe.lower, upper=k * universe.upper)
    answers = []
    for u in (universe, scaled):
        problem = ch.HedgeProblem(u, objective).build()
        problem.update(period.replace(cs01_min=u.lower, cs01_max=u.upper))
        answers.append(problem.solve())
    np.testing.assert_allclose(answers[1].h, k * answers[0].h, rtol=1e-6, atol=1e-7 * max(1.0, k))
    assert answers[1].objective == pytest.approx(k * answers[0].objective, rel=1e-6, abs=1e-8)


def test_period_builder_records_units_and_roll_counts_for_every_period():
    market, universe = ch.examples.market()
    builder = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, ch.MARKET, "QE",
                            roll_jumps=market.roll_jumps_for_universe(universe), fx=market.fx)
    counts = np.array([builder.build(p)["roll_count"] for p in builder.periods])
    # two rolls a year per index over 2019-2024: 12 each, all inside a period
    np.testing.assert_array_equal(counts.sum(axis=0), [12, 12, 12, 12])
    # a roll lands in the March and September quarters only (CDX HY's lag never crosses a quarter end here)
    months = np.array([p.end.month for p in builder.periods])
    assert set(months[counts.sum(axis=1) > 0]) == {3, 9}


# ------------------------------------------------------------------------------------------
# the example market
# ------------------------------------------------------------------------------------------
def test_example_market_carries_roll_jumps_fx_and_the_standard_universe():
    from cdshedge_cvx.datasets._synthetic import generate_market

    market, universe = ch.examples.market(seed=0)
    synthetic = generate_market(0)
    assert universe == ch.examples.spread_quoted(ch.standard_universe())
    pd.testing.assert_frame_equal(market.spreads, synthetic.spreads, check_freq=False, check_names=False)
    np.testing.assert_array_equal(market.roll_jumps.to_numpy(), synthetic.roll_jumps.to_numpy())
    assert list(market.fx.columns) == ["EUR"] and market.reporting_currency == "USD"
    fx = market.fx["EUR"]
    assert fx.iloc[0] == pytest.approx(1.14)
    yearly_vol = float(np.diff(np.log(fx.to_numpy())).std() * np.sqrt(260))
    assert 0.05 < yearly_vol < 0.10          # EURUSD moves about 7 % a year
    assert 0.85 < fx.min() and fx.max() < 1.45
    # a different seed gives a different path; the same seed the same one
    assert not np.allclose(ch.examples.market(seed=1)[0].fx["EUR"].to_numpy(), fx.to_numpy())
    np.testing.assert_array_equal(ch.examples.market(seed=0)[0].fx["EUR"].to_numpy(), fx.to_numpy())


@settings(max_examples=40)
@given(day=st.dates(min_value=dt.date(2005, 1, 1), max_value=dt.date(2040, 12, 31)))
def test_remaining_maturity_agrees_with_calendars_years_to_maturity_away_from_roll_adjustments(day):
    """For an index rolling on 20 Mar / 20 Sep (no lag), the on-the-run maturity is the calendar module's
    standard maturity, except between a nominal roll date and its business-day adjusted roll."""
    from cdshedge_cvx.calendars import years_to_maturity

    assume(not (day.month in (3, 9) and 20 <= day.day <= 26))
    ig = ch.standard_universe()["CDX IG"]
    assert remaining_maturity(ig, [day])[0] == pytest.approx(years_to_maturity(day), abs=1e-12)


def test_a_period_not_made_by_the_builder_gets_its_own_schedule():
    from cdshedge_cvx.periods import Period

    market = ch.MarketData(SPREADS, DESK, fx=EURUSD)
    universe = _universe()
    builder = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, ch.MARKET, "ME",
                            fx=market.fx)
    made = builder.periods[0]
    shorter = Period(end=DATES[2], base=DATES[0], first=1, last=2)   # 29 Feb -> 15 Mar: no roll yet
    np.testing.assert_array_equal(builder.build(shorter)["roll_count"], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(builder.build(made)["roll_count"], [1.0, 1.0, 0.0])


def test_walk_forward_example_with_rollcost_passes_the_scipy_cross_check():
    """The kink of |h| at 0 does not stall the independent scipy solve (strict: a disagreement raises)."""
    market, universe = ch.examples.market()
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll() - ch.RollDateCost() - 0.05 * ch.VariancePenalty()
    result = ch.backtest(market, universe, objective, horizon="2ME", mode="walk-forward", strict=True)
    assert result.cross_check["ok"].all()
    assert result.pnl["rollcost"].sum() > 0
