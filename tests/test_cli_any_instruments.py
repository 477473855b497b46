"""`cdshedge run --conventions seed` on instruments other than the four indices returns the exact
optimum: the prototype's arithmetic computed independently here, answer on the bound its
coefficient points to."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cdshedge_cvx.cli import main


def _seed_optimum(spreads: pd.DataFrame, coupons: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> pd.DataFrame:
    """The prototype's monthly objective, by hand: periods exclude the first date, < 2 rows skipped,
    coefficient = 0.01·(S_last − S_first) − coupon/1e4·rows/252 − 0.2·S_first·rows/252·1e-4."""
    after_first = spreads.iloc[1:]
    rows = {}
    for _month, block in after_first.groupby(after_first.index.to_period("M")):
        if len(block) < 2:
            continue
        first, last, n = block.iloc[0].to_numpy(), block.iloc[-1].to_numpy(), len(block)
        c = 0.01 * (last - first) - coupons / 1e4 * n / 252 - 0.2 * first * n / 252 * 1e-4
        rows[block.index[-1]] = np.where(c > 0, upper, np.where(c < 0, lower, np.clip(0.0, lower, upper)))
    return pd.DataFrame(rows, index=spreads.columns).T


@settings(max_examples=8, deadline=None)
@given(st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_custom_instruments_through_the_cli(tmp_path_factory, n, seed):
    rng = np.random.default_rng(seed)
    tmp = tmp_path_factory.mktemp("custom")
    dates = pd.bdate_range("2023-01-02", periods=130)
    names = [f"Bespoke {i}" for i in range(n)]
    spreads = pd.DataFrame(np.exp(np.log(rng.uniform(20, 800, n)) + np.cumsum(rng.normal(0, 0.02, (130, n)), axis=0)),
                           index=dates, columns=names)
    spreads.index.name = "date"
    desk = pd.Series(rng.normal(0, 1, 130), index=dates, name="pnl")
    coupons = rng.choice([25.0, 100.0, 500.0], n)
    lower = -rng.uniform(0, 1, n) * rng.integers(0, 2, n)
    upper = rng.uniform(0.01, 2, n)
    instruments = pd.DataFrame({"instrument": names, "coupon_bp": coupons, "cs01_min": lower, "cs01_max": upper})
    spreads.to_csv(tmp / "s.csv", float_format="%.17g")
    desk.rename_axis("date").to_csv(tmp / "d.csv")
    instruments.to_csv(tmp / "i.csv", index=False, float_format="%.17g")
    out = tmp / "alloc.csv"
    assert main(["run", "--spreads", str(tmp / "s.csv"), "--desk-pnl", str(tmp / "d.csv"), "--instruments",
                 str(tmp / "i.csv"), "--conventions", "seed", "--out", str(out), "--quiet"]) == 0
    got = pd.read_csv(out, index_col=0, parse_dates=True)
    expected = _seed_optimum(spreads, coupons, lower, upper)
    assert list(got.columns) == names
    assert list(got.index) == list(expected.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=1e-9, rtol=0)
