"""Every period's ISDA contract figures are priced in one batch (issue 13, goal 1): the same numbers, to the bit,
as one pricing per period, and neither the carry term, its cross-check twin nor the jump-to-default limit prices
a contract again per period."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_isda import USD_HIGH

import cdshedge_cvx as ch
from cdshedge_cvx.credit import _contract
from cdshedge_cvx.credit._isda import _grid_parts, cds_maturity, cds_quote
from cdshedge_cvx.credit._isda_batch import QuoteGroup, spread_quote_groups
from cdshedge_cvx.credit._isda_grids import flat_grid_parts
from cdshedge_cvx.credit._yield_curve import YieldCurve
from cdshedge_cvx.periods._figures import contract_figures

DATES = pd.bdate_range("2024-02-01", "2024-10-31")


def _rates() -> ch.RateQuotes:
    deposits, swaps = USD_HIGH
    rows = [("2024-01-02", currency, tenor, rate + (0.0 if currency == "USD" else -0.015))
            for currency in ("USD", "EUR") for tenor, rate in {**deposits, **swaps}.items()]
    return ch.RateQuotes.from_frame(pd.DataFrame(rows, columns=["date", "currency", "tenor", "rate"]),
                                    max_age_days=None)


def _backtest(horizon: str = "M", cross_check: bool | str = True) -> ch.HedgeResult:
    steps = np.arange(len(DATES))
    spreads = pd.DataFrame({"CDX IG": 55.0 + 3.0 * np.sin(steps / 7.0), "CDX HY": 350.0 + 20.0 * np.cos(steps / 5.0),
                            "iTraxx Main": 60.0 + 2.0 * np.sin(steps / 3.0)}, index=DATES)
    fx = pd.DataFrame({"EUR": 1.08 + 0.01 * np.sin(steps / 11.0)}, index=DATES)
    market = ch.MarketData(spreads, pd.Series(0.1 * np.sin(steps), index=DATES), rates=_rates(), fx=fx)
    standard = ch.standard_universe()
    universe = ch.Universe([standard["CDX IG"], standard["CDX HY"].replace(quote="spread"), standard["iTraxx Main"]])
    return ch.backtest(market, universe, ch.HedgePnL() - ch.Carry() - ch.Roll() - 2.0 * ch.VariancePenalty(),
                       horizon=horizon, mode="walk-forward", window=40, min_history=20, conventions="market",
                       constraints=[ch.JumpToDefaultLimit(5.0)],
                       cross_check=cross_check, progress=False)


def _fields(figures: ch.ContractFigures) -> dict[str, np.ndarray]:
    out = {f.name: getattr(figures, f.name) for f in dataclasses.fields(figures) if f.name != "par"}
    out.update({f"par.{k}": v for k, v in _fields(figures.par).items()} if figures.par is not None else {})
    return out


@pytest.mark.parametrize("horizon", ["M", "W-FRI"])
def test_batched_figures_are_one_pricing_per_period_to_the_bit(horizon):
    result = _backtest(horizon, cross_check=False)
    assert len(result.records) > 3
    for record in result.records:
        batched = record.data.figures
        alone = contract_figures(record.data)  # one per_cs01_figures call: cds_quote per currency and date
        for name, value in _fields(alone).items():
            np.testing.assert_array_equal(_fields(batched)[name], value, err_msg=f"{record.data.period} {name}")


def test_no_contract_is_priced_per_period(monkeypatch):
    """Fails before the batch: per period, the figures, the carry twin and the jump-to-default twin each priced
    the contracts again (8 ``cds_quote`` calls per period and currency)."""
    calls = {"cds_quote": 0, "batch": 0}
    quote, batch = _contract.cds_quote, getattr(_contract, "tabulated_quote_groups", None)

    def counted_quote(*args, **kwargs):
        calls["cds_quote"] += 1
        return quote(*args, **kwargs)

    def counted_batch(*args, **kwargs):
        calls["batch"] += 1
        return batch(*args, **kwargs)

    monkeypatch.setattr(_contract, "cds_quote", counted_quote)
    monkeypatch.setattr(_contract, "tabulated_quote_groups", counted_batch, raising=False)
    result = _backtest("W-FRI", cross_check="full")
    assert result.cross_check["ok"].all()
    assert len(result.records) > 20
    assert calls == {"cds_quote": 0, "batch": 1}


def test_spread_quote_groups_equal_separate_cds_quote_calls_to_the_bit():
    rng = np.random.default_rng(3)
    groups, separate, pars = [], [], []
    for k, n in enumerate([125, 3, 1100, 40]):  # 1100 contracts: two bands in cds_quote
        day = np.datetime64("2015-01-05") + np.timedelta64(9 * k, "D")
        curve = (YieldCurve.isda(str(day), *USD_HIGH) if k % 2 else YieldCurve.flat(0.03, str(day)))
        mats = np.array([cds_maturity(str(day), t) for t in rng.choice(["6M", "3Y", "5Y", "10Y"], n)])
        spread, coupon, recovery = rng.uniform(20, 900, n), rng.choice([100.0, 500.0], n), rng.uniform(0.2, 0.5, n)
        separate.append(cds_quote(str(day), mats, spread, coupon_bp=coupon, recovery=recovery, curve=curve))
        pars.append(cds_quote(str(day), mats, spread, coupon_bp=spread, recovery=recovery, curve=curve).cs01)
        today = int((day - np.datetime64("1970-01-01", "D")).astype(np.int64))
        groups.append(QuoteGroup(curve, today, mats.astype("datetime64[D]").astype(np.int64), spread, coupon,
                                 recovery))
    for chunk in (100_000, 500):  # one solve, or several chunks
        for alone, par, together in zip(separate, pars, spread_quote_groups(groups, chunk_rows=chunk)):
            for name in ("upfront", "cs01", "rpv01", "hazard_rate"):
                np.testing.assert_array_equal(getattr(together, name), getattr(alone, name), err_msg=name)
            np.testing.assert_array_equal(together.cs01_par, par)  # the par contract: coupon = spread


def test_a_refused_period_still_names_itself():
    """A spread the model refuses leaves the batch to each period; the refused period's figures raise as before."""
    result = _backtest("M", cross_check=False)
    data = result.records[1].data
    bad = data.replace(spread_start=np.array([-1.0, 300.0, 60.0]))
    with pytest.raises(ch.DataError, match="spread"):
        _ = bad.figures


@settings(max_examples=25, deadline=None)
@given(start=st.integers(0, 3000), steps=st.lists(st.integers(1, 40), min_size=1, max_size=12),
       rate=st.sampled_from([0.0, 0.03, -0.004]),
       tenors=st.lists(st.sampled_from(["6M", "1Y", "3Y", "5Y", "7Y", "10Y"]), min_size=1, max_size=4))
def test_flat_grids_of_many_dates_equal_one_grid_per_date_to_the_bit(start, steps, rate, tenors):
    """The vectorised grids of many trade dates on a flat curve are :func:`_grid_parts` of each date, every
    array to the bit (weekends, IMM roll dates, steps across a roll, several maturities per date)."""
    days = int((np.datetime64("2012-01-02", "D") - np.datetime64("1970-01-01", "D")).astype(np.int64)) + start
    todays = list(days + np.cumsum([0, *steps]))
    curve = YieldCurve.flat(rate, "2012-01-02")
    umats = []
    for today in todays:
        day = str(np.datetime64(int(today), "D"))
        mats = np.unique([cds_maturity(day, t) for t in tenors]).astype("datetime64[D]").astype(np.int64)
        umats.append(mats[mats > today + 1])
    keep = [i for i, u in enumerate(umats) if u.size]
    todays, umats = [int(todays[i]) for i in keep], [umats[i] for i in keep]
    for today, umat, fast in zip(todays, umats, flat_grid_parts(curve, todays, umats)):
        slow = _grid_parts(curve, today, umat)
        for field in dataclasses.fields(slow):
            np.testing.assert_array_equal(getattr(fast, field.name), getattr(slow, field.name),
                                          err_msg=f"{field.name} at day {today}")
            assert np.shape(getattr(fast, field.name)) == np.shape(getattr(slow, field.name)), field.name
