"""ISDA CDS pricing speed: ``cds_quote`` on 10,000 contracts vs a Python loop of QuantLib objects.

``python -m benchmarks.isda [--n 10000] [--sample 500] [--full]``

Both sides price upfront, RPV01 and CS01 (spread + 1 bp, hazard rate recalibrated) of the same
contracts: trade date 21 May 2009, the ISDA USD curve of QuantLib's ``testIsdaEngine``, IMM maturities
6 months to 10 years, spreads 5-3000 bp, recoveries 0.2-0.4, coupons 100/500 bp. The curve is built
once on each side, outside the timings. The QuantLib loop (``impliedHazardRate(..., ISDA)`` twice and an
``IsdaCdsEngine`` per contract, as a desk script would) is timed on a random sample of ``--sample``
contracts and scaled to ``--n`` (``--full`` times every contract instead); the ratio is measured in this
run. QuantLib is needed only here and in the tests. A last line times the conversion of a price series
(CDX HY, 1551 dates, an ISDA curve per date, curves bootstrapped beforehand) to conventional spreads.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

import numpy as np

__all__ = ["run"]

_DEPOSITS = dict(zip(["1M", "2M", "3M", "6M", "9M", "1Y"], [0.003081, 0.005525, 0.007163, 0.012413, 0.014, 0.015488]))
_SWAPS = dict(zip(["2Y", "3Y", "4Y", "5Y", "6Y", "7Y", "8Y", "9Y", "10Y", "12Y", "15Y", "20Y", "25Y", "30Y"],
                  [0.011907, 0.01699, 0.021198, 0.02444, 0.026937, 0.028967, 0.030504, 0.031719, 0.03279, 0.034535,
                   0.036217, 0.036981, 0.037246, 0.037605]))
_TRADE = "2009-05-21"
_GOAL = 20.0


def _contracts(n: int, seed: int = 11) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    months = np.datetime64("2009-06", "M") + rng.integers(2, 41, n) * 3  # Dec 2009 ... Jun 2019
    return {
        "maturity": months.astype("datetime64[D]") + 19,
        "spread_bp": np.exp(rng.uniform(np.log(5.0), np.log(3000.0), n)),
        "coupon_bp": rng.choice([100.0, 500.0], n),
        "recovery": rng.uniform(0.2, 0.4, n),
    }


def _quantlib_loop(ql: Any, c: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    cal = ql.WeekendsOnly()
    trade = ql.Date(21, 5, 2009)
    ql.Settings.instance().evaluationDate = trade
    helpers = [ql.DepositRateHelper(r, ql.Period(t), 2, cal, ql.ModifiedFollowing, False, ql.Actual360())
               for t, r in _DEPOSITS.items()]
    index = ql.IborIndex("IsdaIbor", ql.Period("3M"), 2, ql.USDCurrency(), cal, ql.ModifiedFollowing, False,
                         ql.Actual360())
    helpers += [ql.SwapRateHelper(r, ql.Period(t), cal, ql.Semiannual, ql.ModifiedFollowing,
                                  ql.Thirty360(ql.Thirty360.BondBasis), index) for t, r in _SWAPS.items()]
    yts = ql.YieldTermStructureHandle(ql.PiecewiseLogLinearDiscount(trade, helpers, ql.Actual365Fixed()))
    yts.discount(1.0)  # bootstrap outside the timing
    settle = cal.advance(trade, 3, ql.Days)
    df_settle = yts.discount(settle)
    dc = ql.Actual365Fixed()

    def cds(maturity: Any, spread: float) -> Any:
        sched = ql.Schedule(trade, maturity, ql.Period(ql.Quarterly), cal, ql.Following, ql.Unadjusted,
                            ql.DateGeneration.CDS2015, False)
        return ql.CreditDefaultSwap(ql.Protection.Buyer, 1.0, 0.0, spread, sched, ql.Following, ql.Actual360(),
                                    True, True, trade, settle, ql.FaceValueClaim(), ql.Actual360(True), True, trade, 3)

    def upfront(maturity: Any, spread: float, coupon: float, recovery: float) -> tuple[float, Any]:
        h = cds(maturity, spread).impliedHazardRate(0.0, yts, dc, recovery, 1e-12, ql.CreditDefaultSwap.ISDA)
        prob = ql.DefaultProbabilityTermStructureHandle(ql.FlatHazardRate(trade, ql.QuoteHandle(ql.SimpleQuote(h)),
                                                                          dc))
        engine = ql.IsdaCdsEngine(prob, recovery, yts, False, ql.IsdaCdsEngine.Taylor, ql.IsdaCdsEngine.HalfDayBias,
                                  ql.IsdaCdsEngine.Piecewise)
        contract = cds(maturity, coupon)
        contract.setPricingEngine(engine)
        return contract.fairUpfront(), contract

    out = {"upfront": np.empty(rows.size), "rpv01": np.empty(rows.size), "cs01": np.empty(rows.size)}
    for k, i in enumerate(rows):
        d = c["maturity"][i].astype(object)
        maturity = ql.Date(d.day, d.month, d.year)
        s, cp, r = c["spread_bp"][i] * 1e-4, c["coupon_bp"][i] * 1e-4, float(c["recovery"][i])
        u, contract = upfront(maturity, s, cp, r)
        u_up, _ = upfront(maturity, s + 1e-4, cp, r)
        out["upfront"][k] = u
        out["cs01"][k] = u_up - u
        out["rpv01"][k] = (-contract.couponLegNPV() - contract.accrualRebateNPV()) / cp / df_settle
    return out


def _price_series_line(repeats: int) -> str:
    import pandas as pd

    from cdshedge_cvx.datasets._synthetic import generate_rates
    from cdshedge_cvx.market._instruments import standard_universe
    from cdshedge_cvx.market._quotes import prices_to_spreads

    hy = standard_universe()["CDX HY"]
    dates = pd.bdate_range("2018-01-02", periods=1551)
    rng = np.random.default_rng(1)
    prices = pd.Series(100.0 + np.cumsum(rng.normal(0.0, 0.3, dates.size)).clip(-10.0, 8.0), index=dates)
    rates = generate_rates(dates, 0)
    for day in dates:  # curves outside the timing (cached per date)
        rates.curve(day, "USD")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        prices_to_spreads(prices, None, hy, rates)
        times.append(time.perf_counter() - start)
    best = statistics.median(times)
    return (f"  price series to spreads (CDX HY, {dates.size} dates, one solve for all dates): {best:.3f} s, "
            f"{1e3 * best / dates.size:.3f} ms per date (median of {repeats})")


def run(n: int = 10_000, sample: int = 500, full: bool = False, repeats: int = 5) -> list[str]:
    """Time ``cds_quote`` on ``n`` contracts and the QuantLib loop (on ``sample`` of them, scaled, unless
    ``full``); return the report lines (the ratio first)."""
    from cdshedge_cvx.credit._isda import cds_quote
    from cdshedge_cvx.credit._yield_curve import YieldCurve

    c = _contracts(n)
    curve = YieldCurve.isda(_TRADE, _DEPOSITS, _SWAPS, currency="USD")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        q = cds_quote(_TRADE, c["maturity"], c["spread_bp"], coupon_bp=c["coupon_bp"], recovery=c["recovery"],
                      curve=curve)
        times.append(time.perf_counter() - start)
    ours = statistics.median(times)

    try:
        import QuantLib as ql
    except ImportError:
        return [f"isda: cds_quote on {n} contracts (upfront, rpv01, cs01): {ours:.3f} s (median of {repeats}); "
                "QuantLib not installed, no ratio"]
    rows = np.arange(n) if full else np.sort(np.random.default_rng(5).choice(n, size=min(sample, n), replace=False))
    start = time.perf_counter()
    ref = _quantlib_loop(ql, c, rows)
    ql_seconds = time.perf_counter() - start
    ql_total = ql_seconds * n / rows.size
    ratio = ql_total / ours
    err = {k: float(np.max(np.abs(getattr(q, k)[rows] - ref[k]) / np.maximum(np.abs(ref[k]), 1e-4 * ref["rpv01"])))
           for k in ("upfront", "rpv01", "cs01")}
    measured = "all" if rows.size == n else f"a sample of {rows.size}, scaled x{n / rows.size:g}"
    status = "ok" if ratio >= _GOAL else "BELOW GOAL"
    return [
        f"isda ratio (QuantLib loop / cds_quote), {n} contracts: {ratio:.1f}x (goal >= {_GOAL:g}x) {status}",
        f"  cds_quote: {ours:.3f} s (median of {repeats}: {', '.join(f'{t:.3f}' for t in times)})",
        f"  QuantLib {ql.__version__} loop: {ql_total:.2f} s ({ql_seconds:.2f} s measured on {measured})",
        "  max relative difference on the QuantLib contracts: "
        + ", ".join(f"{k} {v:.1e}" for k, v in err.items()),
        _price_series_line(3),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.isda", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--full", action="store_true", help="time QuantLib on every contract")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    for line in run(args.n, args.sample, args.full, args.repeats):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
