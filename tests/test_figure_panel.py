"""The figure panel's paths against their independent references (issue 13, goal 1).

:func:`~cdshedge_cvx.credit._figure_panel.figure_panel` prices a (periods × instruments) panel from per-grid
Chebyshev tables, profile by profile (instruments whose contracts mature on the same days and discount in the
same currency share their table rows, broadcast along them) or contract by contract (many profiles: each
contract's own rows gathered), and solves the contracts of a grid whose tables did not converge one by one.
Every path is held to one :func:`~cdshedge_cvx.credit.per_cs01_figures` call per period (the contract-by-contract
ISDA solve, equal to QuantLib's ``IsdaCdsEngine`` to 1e-10: ``tests/test_isda.py``). The legs the tables are
built from (``_isda_table._price_points``) are held to :func:`~cdshedge_cvx.credit._isda._legs` on the grids
:func:`~cdshedge_cvx.credit._isda._build_grid` builds date by date, and the vectorised schedule helpers to their
one-date originals.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from test_isda import USD_HIGH

import cdshedge_cvx as ch
from cdshedge_cvx.credit import _figure_panel, _isda_table, per_cs01_figures
from cdshedge_cvx.credit._contract import ContractFigures
from cdshedge_cvx.credit._isda import _build_grid, _legs, _previous_imm_twentieth, cds_maturity
from cdshedge_cvx.credit._isda_grids import previous_imm_twentieths
from cdshedge_cvx.credit._yield_curve import YieldCurve
from cdshedge_cvx.market._instruments import standard_universe
from cdshedge_cvx.market._quotes import contract_maturities, contract_maturity_days

FIELDS = ("notional", "carry", "carry_cash", "roll_down", "jtd", "cs01", "upfront", "rpv01", "hazard_rate")
EPOCH = np.datetime64("1970-01-01", "D")


def _panel(seed: int, periods: int, tenors: list[str], curve: str = "flat", currencies: int = 1,
           days: int = 7, lags: list[int] | None = None) -> dict:
    """A panel of weekly base dates, instrument ``j`` holding the ``tenors[j]`` contract of the date ``lags[j]``
    weeks before its base date (so instruments of one tenor and lag share their maturities; different lags, the
    same maturities but around the rolls), random spreads, coupons 100/500 and recoveries 0.25/0.4; ``curve``:
    one flat curve per currency (``"flat"``) or each period's bootstrapped USD curve (``"isda"``)."""
    rng = np.random.default_rng(seed)
    n = len(tenors)
    weeks = np.zeros(n, dtype=int) if lags is None else np.asarray(lags)
    bases = np.datetime64("2016-01-08") + 7 * np.arange(periods)
    maturity = np.array([[cds_maturity(str(b - 7 * w), t) for t, w in zip(tenors, weeks)] for b in bases],
                        dtype="datetime64[D]")
    spread = np.exp(rng.uniform(np.log(25.0), np.log(1500.0), (periods, n)))
    if curve == "flat":
        flat = tuple(YieldCurve.flat(rate, "2016-01-04") for rate in (0.03, 0.01, 0.05)[:currencies])
        curves = [flat] * periods
    else:
        curves = [(YieldCurve.isda(str(b), *USD_HIGH),) for b in bases]
    return {"trade_dates": bases, "maturity": maturity, "spread_bp": spread,
            "coupon_bp": np.where(np.arange(n) % 2, 100.0, 500.0), "recovery": np.where(np.arange(n) % 3, 0.4, 0.25),
            "n_names": np.full(n, 125.0), "index_factor": np.where(np.arange(n) % 4, 1.0, 0.96),
            "roll_slope_bp_per_year": rng.uniform(-5.0, 20.0, (periods, n)), "curves": curves,
            "currency": np.arange(n) % currencies, "days": np.full(periods, days)}


def _assert_equals_per_period(panel: ContractFigures, case: dict, rtol: float = 1e-11) -> None:
    """Each period's figures against its own ``per_cs01_figures`` call (each field relative to its size)."""
    assert panel is not None
    for p, base in enumerate(case["trade_dates"]):
        by_currency = case["curves"][p]
        if by_currency[0].node_days.size == 0:  # anchored at the trade date, one object per currency
            by_currency = [curve.rebased(str(base)) for curve in by_currency]
        curves = [by_currency[c] for c in case["currency"]]
        alone = per_cs01_figures(str(base), case["maturity"][p], case["spread_bp"][p], case["coupon_bp"],
                                 case["recovery"], curves, case["n_names"], case["index_factor"],
                                 int(case["days"][p]), case["roll_slope_bp_per_year"][p])
        got = panel.row(p)
        for name in FIELDS:
            for ours, ref, figures in ((getattr(got, name), getattr(alone, name), alone),
                                       (getattr(got.par, name), getattr(alone.par, name), alone.par)):
                scale = np.maximum(np.abs(ref), 1e-6 * np.max(np.abs(ref)) + 1e-300)
                if name == "carry":  # a difference of upfronts: relative to the size of its terms
                    terms = 2.0 * np.abs(figures.upfront) + np.abs(figures.carry_cash * figures.cs01)
                    scale = np.maximum(scale, terms / figures.cs01)
                worst = float(np.max(np.abs(ours - ref) / scale))
                assert worst <= rtol, f"period {p}, {name}: {worst:.2e}"


def _paths(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the evaluation path of every pass: per profile (one table row per period) or per contract."""
    seen: list[str] = []
    evaluate = _figure_panel._figures_pass

    def recorded(tables, index, inputs, out, rows, cols, base_grid, end_grid):
        seen.append("profile" if base_grid.ndim == 1 else "contract")
        return evaluate(tables, index, inputs, out, rows, cols, base_grid, end_grid)

    monkeypatch.setattr(_figure_panel, "_figures_pass", recorded)
    return seen


def test_one_profile_of_flat_curves(monkeypatch):
    paths = _paths(monkeypatch)
    case = _panel(0, 40, ["5Y"] * 60)
    _assert_equals_per_period(_figure_panel.figure_panel(**case), case)
    assert set(paths) == {"profile"}


def test_profiles_of_interleaved_instruments_and_currencies(monkeypatch):
    """Two tenors and two currencies, the instruments of a profile not next to each other (each profile's
    columns gathered, the z ranges of the blocks from the columns in profile order)."""
    paths = _paths(monkeypatch)
    case = _panel(1, 30, ["3Y", "3Y", "7Y", "7Y"] * 40, currencies=3)
    _assert_equals_per_period(_figure_panel.figure_panel(**case), case)
    assert set(paths) == {"profile"}


def test_many_profiles_are_evaluated_contract_by_contract(monkeypatch):
    """48 profiles (on-the-run contracts rolled 0 to 47 weeks late: the same few maturities on a date, switching
    in different weeks) for 96 instruments: the contracts' own table rows, gathered."""
    paths = _paths(monkeypatch)
    case = _panel(2, 60, ["5Y"] * 96, lags=[j % 48 for j in range(96)])
    _assert_equals_per_period(_figure_panel.figure_panel(**case), case)
    assert set(paths) == {"contract"}


def test_curves_with_nodes_rebased_to_each_horizon():
    case = _panel(3, 12, ["5Y", "10Y"] * 40, curve="isda", days=30)
    _assert_equals_per_period(_figure_panel.figure_panel(**case), case)


def test_grids_without_tables_are_solved_contract_by_contract(monkeypatch):
    """No table converges: every contract is solved one by one, the same numbers as per-period pricing."""
    monkeypatch.setattr(_isda_table, "_LEVELS", (9,))
    monkeypatch.setattr(_isda_table, "_TOLERANCE", 0.0)
    case = _panel(4, 20, ["5Y"] * 50)
    _assert_equals_per_period(_figure_panel.figure_panel(**case), case, rtol=1e-14)


@pytest.mark.parametrize("lags", [[0] * 60, [j % 48 for j in range(96)]])
def test_some_grids_without_tables(monkeypatch, lags):
    """Every other grid's tables dropped: their contracts, at the base date or at the horizon, solved one by one
    within passes that evaluate the others from the tables (both evaluation paths)."""
    tables = _figure_panel.grid_tables

    def every_other(*args):
        found = tables(*args)
        terms = found.terms.copy()
        terms[::2] = 0
        return dataclasses.replace(found, terms=terms)

    monkeypatch.setattr(_figure_panel, "grid_tables", every_other)
    case = _panel(5, 24, ["5Y"] * len(lags), lags=lags)
    _assert_equals_per_period(_figure_panel.figure_panel(**case), case)


def test_too_few_contracts_per_grid_give_no_panel():
    case = _panel(6, 20, ["1Y", "2Y", "3Y", "5Y", "7Y", "10Y"] * 3)  # 18 contracts per grid at most
    assert _figure_panel.figure_panel(**case) is None


@pytest.mark.parametrize("curve", ["flat", "isda"])
def test_legs_of_the_tables_equal_the_contract_legs(curve):
    """z = V / (A - accrued P(T_cs)) and the clean RPV01 of ``_price_points`` against ``_legs`` on each date's own
    grid, hazard rates from 1e-6 (the Taylor branch of a zero rate) to 3."""
    index = _isda_table.DateIndex()
    days, maturities = [], []
    for k in range(5):
        day = np.datetime64("2019-03-11") + 9 * k
        today = int((day - EPOCH).astype(np.int64))
        crv = YieldCurve.flat(0.0 if k % 2 else 0.04, str(day)) if curve == "flat" else \
            YieldCurve.isda(str(day), *USD_HIGH)
        for tenor in ("6M", "5Y", "10Y"):
            days.append(index.add(crv, today))
            maturities.append(int((cds_maturity(str(day), tenor) - EPOCH).astype(np.int64)))
    row_date, row_maturity = np.asarray(days), np.asarray(maturities)
    rows = _isda_table._row_arrays(index, row_date, row_maturity)
    lam = np.geomspace(1e-6, 3.0, 23)[None, :] * np.linspace(0.9, 1.1, row_date.size)[:, None]
    z, rho = _isda_table._price_points(rows, np.broadcast_to(np.arange(row_date.size)[:, None], lam.shape), lam)
    for g in range(row_date.size):
        grid = _build_grid(index.curves[row_date[g]], index.todays[row_date[g]], np.full(lam.shape[1],
                                                                                        row_maturity[g]))
        protection, annuity = _legs(grid, lam[g])
        clean = annuity - grid.rebate * grid.df_settle
        np.testing.assert_allclose(z[g], protection / clean, rtol=1e-14, atol=0)
        np.testing.assert_allclose(rho[g], clean / grid.df_settle, rtol=1e-14, atol=0)


def test_previous_imm_twentieths_of_every_day():
    days = np.arange(-3000, 30000)
    np.testing.assert_array_equal(previous_imm_twentieths(days), [_previous_imm_twentieth(int(d)) for d in days])


def test_rows_of_a_panel_are_its_rows():
    case = _panel(7, 10, ["5Y"] * 50)
    panel = _figure_panel.figure_panel(**case)
    rows = panel.rows()
    assert len(rows) == 10
    for k, got in enumerate(rows):
        want = panel.row(k)
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
            np.testing.assert_array_equal(getattr(got.par, name), getattr(want.par, name))
        assert got.par.par is None
        with pytest.raises(dataclasses.FrozenInstanceError):
            got.carry = want.carry  # type: ignore[misc]


def test_contract_maturity_days_of_every_rule():
    """The backtest's contract maturities (numpy dates) against :func:`contract_maturities` (pandas dates, one
    ``cds_maturity`` per date for a fixed tenor) on every day of 24 years: the standard indices (roll lags, US and
    EU calendars), a 3-year on-the-run index and fixed tenors from a quarter to ten years."""
    dates = pd.DatetimeIndex(pd.date_range("2003-01-01", "2026-12-31", freq="D"))
    instruments = [*standard_universe(), ch.Instrument("T3", 100.0, -1.0, 1.0, tenor_years=3),
                   *(ch.Instrument(f"F{m}", 100.0, -1.0, 1.0, maturity_years=m) for m in (0.25, 1, 2.5, 5, 10))]
    for instrument in instruments:
        got = contract_maturity_days(dates, instrument)
        assert got.dtype == np.dtype("datetime64[D]")
        np.testing.assert_array_equal(got, contract_maturities(dates, instrument).to_numpy().astype("datetime64[D]"),
                                      err_msg=instrument.name)
