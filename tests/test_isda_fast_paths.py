"""The fast paths of ``cds_quote`` (issue 12, items 4 and 3): contracts sorted into bands whose unsolved
subsets are evaluated band by band, the solve's early stop with chord-extrapolated legs, the reused
workspace, and the price series converted in one solve across dates. Each is compared with a slower
independent route: one contract at a time (a single band, no subsets), the full solve to rounding level,
and one ``cds_quote(price=...)`` per date. The accuracy against QuantLib is tests/test_isda.py's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_isda import USD_2009

from cdshedge_cvx.credit import _isda
from cdshedge_cvx.credit._isda import cds_quote, spreads_from_prices
from cdshedge_cvx.credit._yield_curve import YieldCurve
from cdshedge_cvx.errors import DataError
from cdshedge_cvx.market._instruments import standard_universe
from cdshedge_cvx.market._quotes import contract_maturities, prices_to_spreads
from cdshedge_cvx.market._rates import RateQuotes

TRADE = "2009-05-21"


def _contracts(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"maturity": (np.datetime64("2009-06", "M") + rng.integers(2, 41, n) * 3).astype("datetime64[D]") + 19,
            "spread_bp": np.exp(rng.uniform(np.log(5.0), np.log(3000.0), n)),
            "coupon_bp": rng.choice([100.0, 500.0], n), "recovery": rng.uniform(0.2, 0.4, n)}


def _close(ours: object, ref: object, rtol: float) -> None:
    for field in ("upfront", "rpv01", "cs01", "hazard_rate", "jtd", "price"):
        a, b = np.asarray(getattr(ours, field)), np.asarray(getattr(ref, field))
        floor = 1e-4 * np.asarray(ref.rpv01) if field in ("upfront", "jtd") else 0.0  # 1 bp running
        assert np.all(np.abs(a - b) <= rtol * np.maximum(np.abs(b), floor)), field


def test_bands_and_unsolved_subsets_match_one_contract_at_a_time() -> None:
    """1,500 contracts (three bands; unsorted input) against each contract priced alone (one band)."""
    curve = YieldCurve.isda(TRADE, *USD_2009)
    c = _contracts(1500, seed=5)
    many = cds_quote(TRADE, c["maturity"], c["spread_bp"], coupon_bp=c["coupon_bp"], recovery=c["recovery"],
                     curve=curve)
    assert len(_isda._build_grid(curve, int(_isda.to_day_numbers(TRADE, "t").ravel()[0]),
                                 np.sort(_isda.to_day_numbers(c["maturity"], "m"))).bands) == 3
    rows = np.random.default_rng(1).choice(1500, 150, replace=False)
    for i in rows:
        one = cds_quote(TRADE, c["maturity"][i], c["spread_bp"][i], coupon_bp=c["coupon_bp"][i],
                        recovery=c["recovery"][i], curve=curve)
        for field in ("upfront", "rpv01", "cs01", "hazard_rate"):
            ref = float(getattr(one, field))
            floor = 1e-4 * float(one.rpv01) if field == "upfront" else 0.0
            assert abs(float(getattr(many, field)[i]) - ref) <= 1e-9 * max(abs(ref), floor), (field, i)
        assert str(many.maturity[i]) == str(one.maturity)


def test_early_stop_agrees_with_the_full_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    curve = YieldCurve.isda(TRADE, *USD_2009)
    c = _contracts(3000, seed=9)
    args = (TRADE, c["maturity"], c["spread_bp"])
    kwargs = {"coupon_bp": c["coupon_bp"], "recovery": c["recovery"], "curve": curve}
    fast = cds_quote(*args, **kwargs)
    monkeypatch.setattr(_isda, "_CLOSE", 0.0)  # never stop early: every solve to its rounding level
    full = cds_quote(*args, **kwargs)
    _close(fast, full, 1e-9)


def test_price_series_in_one_solve_matches_one_solve_per_date() -> None:
    """Consecutive calendar days across a coupon date and weekends, an ISDA curve per date, prices 85-110,
    and two contracts on some dates."""
    from cdshedge_cvx.datasets._synthetic import generate_rates

    days = pd.date_range("2024-03-10", "2024-04-05", freq="D")
    rates = generate_rates(days, 3)
    hy = standard_universe()["CDX HY"]
    rng = np.random.default_rng(2)
    dates = np.concatenate([days.to_numpy(), days[::4].to_numpy()]).astype("datetime64[D]")
    mats = contract_maturities(pd.DatetimeIndex(dates), hy).to_numpy().astype("datetime64[D]")
    # the extra contracts of a date mature two years later (a 7Y-like contract)
    mats[len(days):] = [np.datetime64(f"{int(str(m)[:4]) + 2}{str(m)[4:]}") for m in mats[len(days):]]
    prices = rng.uniform(85.0, 110.0, dates.size)
    curves = [rates.curve(d, "USD") for d in dates]
    ours = spreads_from_prices(dates, mats, prices, coupon_bp=500.0, recovery=0.3, curves=curves)
    for k in range(dates.size):
        ref = cds_quote(dates[k], mats[k], price=prices[k], coupon_bp=500.0, recovery=0.3, curve=curves[k])
        assert ours[k] == pytest.approx(float(ref.spread_bp), rel=1e-12)
    # the Series route: NaN kept, the rest the same
    series = pd.Series(prices[: len(days)], index=days)
    series.iloc[3] = np.nan
    converted = prices_to_spreads(series, None, hy, rates)
    assert np.isnan(converted.iloc[3])
    np.testing.assert_allclose(converted.drop(converted.index[3]).to_numpy(),
                               np.delete(ours[: len(days)], 3), rtol=1e-12)


def test_a_bad_price_among_many_names_its_date() -> None:
    dates = pd.bdate_range("2024-05-01", periods=40)
    prices = pd.Series(np.linspace(98.0, 104.0, 40), index=dates)
    prices.iloc[27] = 150.0
    with pytest.raises(DataError, match=rf"instrument 'CDX HY', price on {dates[27].date()}: price = 150.0 is worth "
                                        "more than a default-free contract"):
        prices_to_spreads(prices, None, standard_universe()["CDX HY"], RateQuotes.flat(0.04))
    with pytest.raises(DataError, match=r"contract 1: maturity 2024-05-21"):
        spreads_from_prices(["2024-05-01", "2024-05-01"], ["2029-06-20", "2024-05-21"], [100.0, 100.0],
                            coupon_bp=500.0, recovery=0.3, curves=[YieldCurve.flat(0.04, "2024-05-01")] * 2)


def test_no_contracts_give_empty_figures() -> None:
    """An empty batch (a universe with nothing priced on a date) prices to empty arrays (main: ValueError)."""
    q = cds_quote("2024-05-15", np.array([], dtype="datetime64[D]"), np.array([]),
                  curve=YieldCurve.flat(0.03, "2024-05-15"))
    assert q.upfront.shape == (0,) and q.cs01.shape == (0,) and q.maturity.dtype == np.dtype("datetime64[D]")
    assert spreads_from_prices([], [], [], coupon_bp=500.0, recovery=0.3, curves=[]).shape == (0,)


def test_previous_imm_twentieth_by_brute_force() -> None:
    """The integer-arithmetic anchor against stepping back one day at a time to a 20 Mar/Jun/Sep/Dec."""
    import datetime as dt

    epoch = dt.date(1970, 1, 1)
    for number in range(18_000, 20_000, 7):  # 2019-04 ... 2024-10, every weekday in turn
        day = epoch + dt.timedelta(days=number)
        while not (day.day == 20 and day.month % 3 == 0):
            day -= dt.timedelta(days=1)
        assert _isda._previous_imm_twentieth(number) == (day - epoch).days
