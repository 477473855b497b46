"""The prototype notebook cell, kept verbatim except that HORIZON is a parameter and pandas 3
needs 'ME'/'QE'/'YE'. It regenerates its own data with ``np.random.seed(42)``: an independent
reference for both the package's seed example data and its seed conventions (the seed
reproduction tests), and the baseline the benchmarks time (``python -m benchmarks``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize

TICKERS = ['CDX IG', 'CDX HY', 'iTraxx Main', 'iTraxx Xover']
CS01_LIMITS = {'CDX IG': 0.25, 'CDX HY': 0.10, 'iTraxx Main': 0.25, 'iTraxx Xover': 0.10}  # in millions
COUPON = {'CDX IG': 100, 'CDX HY': 500, 'iTraxx Main': 100, 'iTraxx Xover': 500}  # bps/year


def run_prototype(horizon: str = "ME") -> pd.DataFrame:
    np.random.seed(42)
    dates = pd.date_range('2021-01-01', '2025-01-01', freq='D')
    desk_pnl = pd.Series(np.random.normal(0, 0.01, len(dates)), index=dates)
    cds_data = pd.DataFrame({t: np.random.normal(100, 10, len(dates)) for t in TICKERS}, index=dates)

    def hedge_pnl(cds_df, cs01_vec):
        daily_pnl = pd.Series(0.0, index=cds_df.index)
        for i, t in enumerate(TICKERS):
            spread_change = cds_df[t].diff().fillna(0)
            daily_pnl += spread_change * cs01_vec[i] * 0.01  # in millions
        return daily_pnl

    def hedge_cost(cs01_vec, days):
        return sum(cs01_vec[i] * COUPON[TICKERS[i]] / 10000 * days / 252 for i in range(len(cs01_vec)))

    def roll_cost(cs01_vec, current_spread, days):
        return sum(cs01_vec[i] * current_spread[TICKERS[i]] * 0.2 * days / 252 * 0.0001 for i in range(len(cs01_vec)))

    def optimize_period(desk, cds, cs01_limits):
        bounds = [(0, cs01_limits[t]) for t in TICKERS]
        current_spread = cds.iloc[0]
        days = len(desk)

        def objective(cs01_vec):
            pnl = hedge_pnl(cds, cs01_vec)
            pnl_sum = desk.sum() + pnl.sum()
            cost = hedge_cost(cs01_vec, days)
            roll = roll_cost(cs01_vec, current_spread, days)
            return - (pnl_sum - cost - roll)

        result = minimize(objective, x0=np.zeros(len(TICKERS)), bounds=bounds)
        return result.x if result.success else np.zeros(len(TICKERS))

    cs01_optimized = pd.DataFrame(columns=TICKERS)
    period_ends = desk_pnl.resample(horizon).apply(lambda x: x.index[-1])
    for end_date in period_ends:
        start_date = period_ends[period_ends < end_date].max() if (period_ends < end_date).any() else desk_pnl.index.min()
        mask = (desk_pnl.index > start_date) & (desk_pnl.index <= end_date)
        if mask.sum() < 2:
            continue
        desk_period = desk_pnl[mask]
        cds_period = cds_data.loc[mask]
        cs01_vec = optimize_period(desk_period, cds_period, CS01_LIMITS)
        cs01_optimized.loc[end_date] = cs01_vec
    return cs01_optimized.astype(float)
