"""Every worked number of docs/conventions.md recomputed with the package (issue 15).

The worked examples' market is read from the doc's own text (dates, spreads, EURUSD, h), the figures
the doc prints are read from it too and compared at the precision printed; the ``cdshedge convert``
block is run and its output compared line by line.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from docs_text import blocks, decimals, doc, flat, grab, must_contain, run_cli, table, to_float

import cdshedge_cvx as ch

CONV = doc("conventions.md")
FLAT = ch.MARKET.replace(contract_model="flat-hazard")


def _close(value: float, printed: str) -> None:
    """``value`` rounds to the doc's ``printed`` figure at its printed precision."""
    expected, places = to_float(printed), decimals(printed)
    assert round(value, places) == pytest.approx(expected, abs=10 ** -(places + 3)), (value, printed)


# --- the worked examples' market, as the doc states it ----------------------------------------------
def _worked_market():
    base = grab(CONV, r"base \*\*(\d+ \w+ \d{4})\*\*")
    end = grab(CONV, r"end \*\*(\d+ \w+ \d{4})\*\*")
    days_in = grab(CONV, r"rows = 3` \(([\d, and]+) March\)")
    ig = [to_float(v) for v in grab(CONV, r"CDX IG goes ([\d → ]+) bp").split("→")]
    main = [to_float(v) for v in grab(CONV, r"iTraxx Main ([\d → ]+) bp, EURUSD").split("→")]
    fx = to_float(grab(CONV, r"EURUSD on the base date is ([\d.]+)\."))
    h = to_float(grab(CONV, r"`h` = ([\d.]+) \(in \$mm/bp"))
    bid_ask = to_float(grab(CONV, r"bid/ask ([\d.]+) bp, fixed 5-year maturity"))
    march = [int(d) for d in re.split(r", | and ", days_in)]
    dates = pd.to_datetime([pd.Timestamp(base)] + [pd.Timestamp(2024, 3, d) for d in march])
    assert dates[-1] == pd.Timestamp(end)
    universe = ch.Universe([
        ch.Instrument("CDX IG", 100.0, 0.0, h, currency="USD", recovery=0.4, n_names=125, bid_ask_bp=bid_ask,
                      maturity_years=5.0),
        ch.Instrument("iTraxx Main", 100.0, 0.0, h, currency="EUR", recovery=0.4, n_names=125, bid_ask_bp=bid_ask,
                      maturity_years=5.0, calendar="eu")])
    spreads = pd.DataFrame({"CDX IG": ig, "iTraxx Main": main}, index=dates)
    eurusd = pd.Series(fx, index=dates, name="EURUSD")
    return ch.MarketData(spreads, pd.Series(0.0, index=dates), fx=eurusd), universe, h, fx


def _period(conventions, universe=None, objective=None):
    market, default_universe, h, _ = _worked_market()
    if conventions == "seed":
        market = ch.MarketData(market.spreads, market.desk_pnl)
    result = ch.backtest(market, universe or default_universe, objective or ch.HedgePnL(), horizon="M",
                         conventions=conventions, cross_check=False)
    assert len(result.records) == 1
    return result.records[0].data, np.array([h, h])


def test_the_worked_period_has_the_stated_days_and_rows() -> None:
    data, _ = _period("market")
    assert f"`days = {int(data['calendar_days'])}` and `rows = {int(data['rows'])}`" in flat(CONV)


def test_hedge_pnl_worked_example() -> None:
    data, h = _period(FLAT)
    pnl = ch.HedgePnL().coefficients(data) * h
    ig_move = float(data["spread_changes"][:, 0].sum())
    levels = grab(CONV, r"IG widens (\d+ − \d+) = ")
    must_contain(CONV, f"IG widens {levels} = {ig_move:g} bp: "
                       f"`{ig_move:g} × {h[0]:g} = ${pnl[0]:g}mm`")
    main_move = float(data["spread_changes"][:, 1].sum())
    fx = float(data["fx_rate"][1])
    must_contain(CONV, f"Main widens {main_move:g} bp: `{main_move:g} × {h[1]:g} = €{main_move * h[1]:g}mm`, "
                       f"`× {fx:g} = ${pnl[1]:g}mm`")
    seed, _ = _period("seed")
    seed_pnl = float((ch.HedgePnL().coefficients(seed) * h)[0])
    _close(seed_pnl, grab(CONV, r"\(Seed: `\(66 − 61\) × 0\.25 × 0\.01 = ([\d.]+)`"))
    lost = float(data["spread_changes"][0, 0])  # the move from the base date to 1 March, lost by the seed
    assert "100 times too small" in flat(CONV)
    assert pnl[0] * (ig_move - lost) / ig_move / seed_pnl == pytest.approx(100.0)


def test_rpv01_notional_and_carry_worked_examples() -> None:
    data, h = _period(FLAT)
    rpv01 = data["rpv01"]
    assert rpv01[0] == pytest.approx(ch.rpv01(60.0, 5.0, 0.4), rel=1e-12)
    lam, k = 0.0060 / 0.6, 365.25 / 360
    text = grab(CONV, r"`RPV01 = \(365\.25/360\) × \(1 − e\^\{−0\.05\}\) / 0\.01 = ([\d.]+ × [\d.]+ = [\d.]+)` years")
    k_doc, annuity_doc, rpv01_doc = re.split(r" × | = ", text)
    _close(k, k_doc)
    _close((1 - np.exp(-5 * lam)) / lam, annuity_doc)
    _close(rpv01[0], rpv01_doc)
    notional = ch.cs01_to_notional(h[0], 60.0, 5.0)
    _close(notional, grab(CONV, r"= 0\.25 / 4\.948181e−4 = \$([\d.]+)mm`"))
    carry = ch.Carry().coefficients(data) * h
    _close(carry[0], grab(CONV, r"`505\.24 × 0\.0060 × 28/360 = \$([\d.]+)mm`"))
    _close(float(notional * 60e-4 * 28 / 360), grab(CONV, r"`505\.24 × 0\.0060 × 28/360 = \$([\d.]+)mm`"))
    main = grab(CONV, r"Main: `1\.08 × 0\.25 × 55 / ([\d.]+) × 28/360 = \$([\d.]+)mm`", 0)
    main_rpv01, main_carry = re.findall(r"([\d.]+) × 28/360 = \$([\d.]+)mm", main)[0]
    _close(rpv01[1], main_rpv01)
    _close(carry[1], main_carry)

    cash_data, _ = _period(ch.get_conventions("market-cash").replace(contract_model="flat-hazard"))
    cash = float((ch.Carry().coefficients(cash_data) * h)[0])
    _close(cash, grab(CONV, r"`0\.25 × 100 / 4\.948181 × 28/360 = \$([\d.]+)mm`"))
    seed, _ = _period("seed")
    seed_carry = float((ch.Carry().coefficients(seed) * h)[0])
    _close(seed_carry, grab(CONV, r"`0\.25 × 100/10 000 × 3/252 = ([\d.]+)`"))
    smaller = to_float(grab(CONV, r"about ([\d ]+) times smaller: CS01 × coupon").replace(" ", ""))
    assert round(cash / seed_carry, -3) == smaller


def test_market_carry_is_within_the_stated_share_of_the_flat_figure() -> None:
    isda, _ = _period("market")
    flat_data, _ = _period(FLAT)
    share = to_float(grab(CONV, r"within (\d+) % of the figure below"))
    gap = ch.Carry().coefficients(isda)[0] / ch.Carry().coefficients(flat_data)[0] - 1
    assert 0 < gap < share / 100  # the pull-to-par adds to the premium


def test_premium_accrued_and_jump_to_default_examples() -> None:
    accrued = ch.premium_accrued(10.0, 100.0, 94)
    _close(accrued, grab(CONV, r"`10 × 0\.01 × 94/360 = \$([\d.]+)mm = \$[\d,]+`"))
    _close(accrued * 1e6, grab(CONV, r"`10 × 0\.01 × 94/360 = \$[\d.]+mm = \$([\d,]+)`"))
    _close(ch.jump_to_default(500.0, 0.4, 125), grab(CONV, r"`500 × 0\.6 / 125 = \$([\d.]+)mm`"))


def test_roll_down_examples() -> None:
    data, h = _period(FLAT)
    roll = float(ch.Roll().value(np.array([h[0], 0.0]), data))
    fraction = ch.standard_universe()["CDX IG"].roll_fraction
    _close(roll, grab(CONV, rf"`0\.25 × {fraction:g} × 60 × 28/365 = \$([\d.]+)mm`"))
    _, universe, *_ = _worked_market()
    sloped = ch.Universe([i.replace(roll_slope_bp_per_year=9.0) for i in universe])
    data9, _ = _period(FLAT, sloped)
    _close(float(ch.Roll().value(np.array([h[0], 0.0]), data9)), grab(CONV, r"`0\.25 × 9 × 28/365 = \$([\d.]+)mm`"))
    seed, _ = _period("seed")
    seed_roll = float((ch.Roll().coefficients(seed) * h)[0])
    _close(seed_roll, grab(CONV, r"`0\.25 × 0\.2 × 61 × 3/252 × 1e−4 = ([\d.]+)`"))
    smaller = to_float(grab(CONV, r"with the first row's 61 bp: about ([\d ]+) times smaller").replace(" ", ""))
    assert round(roll / seed_roll, -3) == smaller, roll / seed_roll


def test_roll_date_and_transaction_cost_examples() -> None:
    data, h = _period(FLAT)
    np.testing.assert_array_equal(data["roll_count"], [1, 1])
    per = ch.RollDateCost().value(np.array([h[0], 0.0]), data), ch.RollDateCost().value(np.array([0.0, h[1]]), data)
    _close(per[0], grab(CONV, r"IG `0\.25 × 0\.5 = \$([\d.]+)mm`"))
    _close(per[1], grab(CONV, r"Main `0\.25 × 0\.5 × 1\.08 = \$([\d.]+)mm`"))
    assert ch.RollDateCost(multiplier=0.5).value(h, data) == pytest.approx(0.5 * sum(per))
    # "An index rolling 7 US business days after 20 March 2024 ... rolls outside the period"
    lag = int(grab(CONV, r"An index rolling (\d+) US business days after 20 March 2024"))
    late = ch.Instrument("LATE", 500.0, 0.0, 0.1, currency="USD", maturity_years=5.0, roll_lag_days=lag)
    from cdshedge_cvx.credit._rolls import roll_dates

    listed = grab(CONV, r"after 20 March 2024 \(([^)]+)\)")
    assert roll_dates(late, "2024-03-01", "2024-04-30")[0] == pd.Timestamp(f"2024-04-{listed.split(', ')[-1][0]}")
    moved = data.replace(h_prev=np.array([0.05, h[1]]))
    _close(float(ch.TransactionCost().value(h, moved)), grab(CONV, r"`½ × 0\.5 × 0\.20 = \$([\d.]+)mm`"))


def test_fx_cross_term_example() -> None:
    move, fx_move, h = 10.0, 0.02, 0.25
    _close(fx_move * 1.08 * move * h, grab(CONV, r"a 2 % FX move on a 10 bp move of 0\.25 €mm/bp is \$([\d.]+)mm"))


def test_variance_example_is_the_minimum_variance_hedge() -> None:
    fx = to_float(grab(CONV, r"with EURUSD at ([\d.]+): the hedge's USD PnL"))
    short = to_float(grab(CONV, r"A desk short ([\d.]+) \$mm/bp of Main risk"))
    dates = pd.bdate_range("2024-01-01", periods=30)
    main = 55.0 + np.cumsum(np.r_[0.0, np.random.default_rng(3).normal(0, 1.5, 29)])
    market = ch.MarketData(pd.DataFrame({"MAIN": main}, index=dates), pd.Series(-short * np.r_[0.0, np.diff(main)],
                                                                                  index=dates),
                           fx=pd.Series(fx, index=dates, name="EUR"))
    universe = ch.Universe([ch.Instrument("MAIN", 100.0, 0.0, 2.0, currency="EUR", maturity_years=5.0)])
    result = ch.backtest(market, universe, -ch.VariancePenalty(), horizon="2ME", cross_check=False)
    _close(float(result.allocations.iloc[0, 0]), grab(CONV, r"`h = 0\.5 / 1\.25 = ([\d.]+) €mm/bp`"))


def test_convert_block_is_the_commands_output() -> None:
    command = grab(CONV, r"the closed form's\. `cdshedge convert ([^`]+)` prints:")
    shown = blocks(CONV, "text")[0]
    assert shown.startswith("CDX IG:")
    out = run_cli("convert", *[a.strip('"') for a in re.findall(r'"[^"]+"|\S+', command)])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines() == shown.strip().splitlines()
    # the flat-hazard closed form above the block, and how far the ISDA notional is from it
    rpv01 = ch.rpv01(55.0, 5.25, 0.4)
    _close(rpv01, grab(CONV, r"\(1 − e\^\{−5\.25λ\}\)/λ = ([\d.]+)` years"))
    notional = ch.cs01_to_notional(0.25, 55.0, 5.25)
    _close(notional, grab(CONV, r"`notional = 0\.25 / 5\.200424e−4 = \$([\d.]+)mm`"))
    jtd = grab(CONV, r"`jump-to-default = 480\.73 × 0\.6 / 125 = \$([\d.]+)mm`")
    _close(ch.jump_to_default(notional, 0.4, 125), jtd)
    isda = to_float(re.search(r"notional\s+([\d.]+) USD mm", shown).group(1))
    below = grab(CONV, r"so its notional is ([\d.]+) % below")
    _close(100 * (1 - isda / notional), below)


def test_remaining_maturity_and_roll_date_examples() -> None:
    from cdshedge_cvx.credit._rolls import remaining_maturity, roll_dates

    universe = ch.examples.spread_quoted(ch.standard_universe())
    for name, day, pattern in (("CDX IG", "2024-03-20", r"20 June 2029, `(\d+) / 365\.25 = ([\d.]+)` years"),
                               ("CDX HY", "2024-03-26", r"on 26 March 2024: `(\d+) / 365\.25 = ([\d.]+)` years")):
        days, years = re.search(pattern, flat(CONV)).groups()
        got = float(remaining_maturity(universe[name], [day])[0])
        assert round(got * 365.25) == int(days)
        _close(got, years)
    rolled = {name: roll_dates(universe[name], "2021-01-01", "2021-06-30")[0] for name in ("CDX IG", "CDX HY",
                                                                                           "iTraxx Main")}
    assert dt.date(2021, 3, 20).weekday() == 5 and "20 March 2021 was a Saturday" in flat(CONV)
    monday, hy_day = grab(CONV, r"rolled on Monday (\d+) March"), grab(CONV, r"and CDX HY on (\d+) March")
    assert rolled["CDX IG"] == rolled["iTraxx Main"] == pd.Timestamp(f"2021-03-{monday}")
    assert rolled["CDX HY"] == pd.Timestamp(f"2021-03-{hy_day}")
    assert universe["CDX HY"].roll_lag_days == int(grab(CONV, r"\(CDX HY: (\d+)\)"))


def test_instrument_specs_table_is_the_standard_universe() -> None:
    universe = ch.standard_universe()
    header = next(line for line in CONV.splitlines() if line.startswith("| instrument | coupon | CS01 max |"))
    names = [cell.strip() for cell in header.strip().strip("|").split("|")]
    rows = [dict(zip(names, row)) for row in table(CONV, "| instrument | coupon | CS01 max |")]
    assert [r["instrument"] for r in rows] == [i.name for i in universe]
    for row, inst in zip(rows, universe):
        assert (to_float(row["coupon"]), to_float(row["CS01 max"]), row["currency"], to_float(row["R"]),
                int(row["names"]), to_float(row["bid/ask bp"])) == (
            inst.coupon_bp, inst.cs01_max, inst.currency, inst.recovery, inst.n_names, inst.bid_ask_bp), row
        if inst.roll_lag_days:
            assert row["roll"].startswith(f"{inst.roll_lag_days} {inst.roll_calendar.upper()} business days later")
        else:
            assert f"{inst.roll_calendar.upper()} calendar" in row["roll"], row
        assert inst.cs01_min == 0 and inst.tenor_years == 5 and inst.rule == "on-the-run"
    fraction = to_float(grab(CONV, r"roll-down ([\d.]+) of the spread a year \(the example market's"))
    assert {i.roll_fraction for i in universe} == {fraction}
    assert [i.quote for i in universe if i.name == "CDX HY"] == ["price"]


def test_a_flat_five_years_misstates_carry_by_the_stated_share() -> None:
    """'A flat 5 years would misstate carry by up to about 5 % either side of a roll' (carry ∝ 1/RPV01; the
    on-the-run maturity slides between 4.75 and 5.25 years), at the example market's long-run levels."""
    share = to_float(grab(CONV, r"A flat 5 years would misstate carry by up to about (\d+) %"))
    gaps = [abs(ch.rpv01(s, 5.0, 0.4) / ch.rpv01(s, t, 0.4) - 1) for s in (58, 60, 280, 345) for t in (4.75, 5.25)]
    assert round(100 * max(gaps)) == share


def test_example_market_has_the_stated_number_of_dates() -> None:
    market, _ = ch.examples.market()
    assert f"Six years of daily HY prices ({len(market.spreads)} dates)" in flat(CONV)


def test_roll_down_default_against_the_generators_curve_slopes() -> None:
    from cdshedge_cvx.datasets._synthetic import _CALIBRATION, _CURVE_SLOPE_BP_PER_YEAR

    slopes = grab(CONV, r"3y–5y slopes of ([\d, and]+) bp per year")
    assert [to_float(v) for v in re.split(r", | and ", slopes)] == list(_CURVE_SLOPE_BP_PER_YEAR)
    levels = [to_float(v) for v in re.split(r", | and ", grab(CONV, r"at long-run levels of ([\d, and]+) bp"))]
    level_row = next(row for row in _CALIBRATION if row[0].startswith("long-run 5Y level"))
    assert [to_float(v) for v in re.findall(r"\d+", level_row[1])] == levels
    ratio = _CURVE_SLOPE_BP_PER_YEAR / np.array(levels)
    low, high = (to_float(v) for v in grab(CONV, r"i\.e\. ([\d.]+–[\d.]+) of the spread").split("–"))
    assert low == round(ratio.min(), 2) and high == round(ratio.max(), 2), ratio


def test_isda_figures_moved_table(example_periods) -> None:
    """'How much the example market's figures moved' against the flat-hazard approximation."""
    from cdshedge_cvx.model import jump_to_default_per_cs01

    isda, flat_hazard = example_periods
    moved = {"notional": [], "carry": [], "jump-to-default": []}
    for a, b in zip(isda.records, flat_hazard.records):
        moved["notional"].append(np.asarray(a.data["figures"].notional) * np.asarray(b.data["rpv01"]) * 1e-4 - 1)
        moved["carry"].append(ch.Carry().coefficients(a.data) / ch.Carry().coefficients(b.data) - 1)
        moved["jump-to-default"].append(jump_to_default_per_cs01(a.data) / jump_to_default_per_cs01(b.data) - 1)
    rows = {row[0]: row[1:] for row in table(CONV, "| figure | CDX IG | CDX HY |")}
    pct = lambda v: f"{100 * v:+.1f} %".replace("-", "−")  # noqa: E731
    for name, values in moved.items():
        values = np.array(values)
        assert rows[name][:4] == [pct(v) for v in values.mean(axis=0)], name
        assert rows[name][4] == f"{pct(values.min())} … {pct(values.max())}", name


@pytest.fixture(scope="module")
def example_periods():
    market, universe = ch.examples.market()
    isda = ch.backtest(market, universe, ch.HedgePnL(), horizon="M", cross_check=False)
    flat_hazard = ch.backtest(market, universe, ch.HedgePnL(), horizon="M", conventions=FLAT, cross_check=False)
    return isda, flat_hazard


def test_price_quote_worked_example() -> None:
    from cdshedge_cvx.market._quotes import prices_to_spreads

    hy = ch.standard_universe()["CDX HY"]
    price = to_float(grab(CONV, r"CDX HY at ([\d.]+) on its roll date 2024-03-27"))
    at_zero = float(prices_to_spreads([price], ["2024-03-27"], hy, ch.RateQuotes.flat(0.0))[0])
    at_rate = float(prices_to_spreads([price], ["2024-03-27"], hy, ch.RateQuotes.flat(0.045))[0])
    _close(at_zero, grab(CONV, r"\*\*([\d.]+) bp at r = 0\*\*"))
    _close(at_rate, grab(CONV, r"and ([\d.]+) bp at a flat 4\.5 %"))
    _close(at_zero / price, grab(CONV, r"off by a factor (\d+\.\d+)"))


def test_rates_message_and_defaults(tmp_path) -> None:
    import inspect

    from cdshedge_cvx.market import _rates

    message = grab(CONV, r"`(rates file 'r\.csv', line 7, [^`]+)`")
    rows = ["date,currency,tenor,rate"] + [f"2024-05-15,USD,{t},{r}" for t, r in (
        ("1W", 0.0531), ("1M", 0.0532), ("3M", 0.0535), ("6M", 0.0528), ("1Y", 0.0505), ("2Y", 4.62))]
    (tmp_path / "r.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(ch.DataError) as info:
        ch.RateQuotes.from_csv(tmp_path / "r.csv")
    assert str(info.value).replace(str(tmp_path / "r.csv"), "r.csv") == message
    assert inspect.signature(ch.RateQuotes.from_csv).parameters["max_age_days"].default == int(
        grab(CONV, r"older than `max_age_days` \(default (\d+) calendar days\)"))
    assert _rates.MAX_DECIMAL_RATE == to_float(grab(CONV, r"A rate with `\|rate\| > ([\d.]+)` looks like a percent"))


def test_decimal_spreads_threshold() -> None:
    """Units table: 'a spreads frame whose largest value in a column is below … bp is refused as decimals'."""
    from cdshedge_cvx.market._market_data import MIN_COLUMN_MAX_BP

    threshold = to_float(grab(CONV, r"a spreads column whose values are all below ([\d.]+) bp is refused as decimals"))
    assert threshold == MIN_COLUMN_MAX_BP


def test_the_instrument_column_lists_name_every_column() -> None:
    """README's input table and conventions.md list exactly the instruments file's columns."""
    from cdshedge_cvx.market._instruments import OPTIONAL_DEFAULTS, REQUIRED_COLUMNS

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    conventions = (Path(__file__).parents[1] / "docs" / "conventions.md").read_text()
    for text in (readme, " ".join(conventions.split())):
        found = re.search(r"`(instrument[, ]+coupon_bp[, ]+cs01_min[, ]+cs01_max)`.*?optional `([^`]+)`", text, re.S)
        assert found, "no column list"
        required = [c.strip() for c in re.split(r"[, ]+", found.group(1))]
        optional = [c.strip() for c in found.group(2).split(",")]
        assert tuple(required) == REQUIRED_COLUMNS and optional == list(OPTIONAL_DEFAULTS)
