"""PeriodData: a frozen dataclass of the raw period, readable as a mapping; one ``extra`` signature
``f(data)`` in backtest, check_term and period_data (bug 6)."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.periods import PeriodBuilder
from cdshedge_cvx.testing import check_term


class Funding(ch.LinearTerm):
    """Funding paid on protection bought: funding_bp · 1e-3 per unit of CS01 (subtract it)."""

    requires = ("funding_bp",)

    def coefficients(self, data):
        return np.asarray(data["funding_bp"], dtype=float) * 1e-3

    def twin_coefficients(self, data):
        return 1e-3 * np.asarray(data["funding_bp"], dtype=float)


def five_bp(data):
    return np.full(data["n"], 5.0)


def test_an_extra_callable_that_passes_check_term_works_in_backtest():
    """Bug 6: backtest called f(period) with a Period, check_term f(data): a raw TypeError (CLI exit 1)."""
    check_term(Funding(), extra={"funding_bp": five_bp}, max_examples=3)
    market, universe = ch.examples.seed()
    result = ch.backtest(market, universe, ch.HedgePnL() - Funding(), conventions="seed", horizon="Q",
                         extra_data={"funding_bp": five_bp})
    for record in result.records:
        np.testing.assert_array_equal(record.data["funding_bp"], np.full(len(universe), 5.0))


def test_an_extra_callable_sees_the_period_with_the_holdings_carried_in():
    market, universe = ch.examples.seed()
    seen = []

    def record(data):
        seen.append((data.period, data["h_prev"].copy()))
        return 0.0

    result = ch.backtest(market, universe, conventions="seed", horizon="Q", extra_data={"probe": record},
                         initial_holdings=np.full(len(universe), 0.01))
    assert [label for label, _ in seen] == [r.data.period for r in result.records]
    np.testing.assert_array_equal(seen[0][1], np.full(len(universe), 0.01))
    for (_, carried), previous in zip(seen[1:], result.records[:-1]):
        np.testing.assert_array_equal(carried, previous.solution.h)


def test_an_error_in_an_extra_callable_names_the_key_and_the_period():
    market, universe = ch.examples.seed()
    with pytest.raises(ch.SpecificationError, match=r"extra key 'funding_bp', period 2021-03-31: .*"
                                                    r"failed: ZeroDivisionError"):
        ch.backtest(market, universe, conventions="seed", horizon="Q", extra_data={"funding_bp": lambda d: 1 / 0})


@pytest.fixture(scope="module")
def data() -> ch.PeriodData:
    market, universe = ch.examples.market()
    builder = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, ch.MARKET, "ME", fx=market.fx)
    return builder.build(builder.periods[5], h_prev=np.full(len(universe), 0.1))


def test_period_data_is_a_frozen_dataclass_of_raw_facts(data):
    assert dataclasses.is_dataclass(data)
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.h_prev = np.zeros(4)
    with pytest.raises(TypeError):
        data.extra["funding_bp"] = 1.0
    assert data.conventions is ch.MARKET and data["conventions"] is ch.MARKET
    np.testing.assert_array_equal(data.spread_start, data["spread_start"])
    np.testing.assert_array_equal(data.h_prev, np.full(4, 0.1))
    assert data["n"] == 4 and data["horizon_rows"] == data.rows and data["pnl_scale"] == ch.MARKET.pnl_scale
    for key in ("carry_rate_bp", "carry_annuity", "carry_accrual", "roll_accrual"):  # terms derive these
        assert key not in data
    with pytest.raises(ch.DataError, match=r"period \d{4}-\d\d-\d\d: no data key 'carry_accrual'; available: "
                                           r"amount_currency, base"):
        data["carry_accrual"]


def test_calendar_facts_are_computed_once_and_survive_pickling(data):
    fresh = data.replace()
    assert fresh.maturity_years is fresh.maturity_years and fresh.rpv01 is fresh.rpv01
    assert fresh.figures is fresh.figures
    assert data.figures is not None  # curves and figures are pickled once computed (its contracts priced)
    loaded = pickle.loads(pickle.dumps(data))
    for key in data:
        left, right = data[key], loaded[key]
        if key == "curves":
            assert [repr(c) for c in left] == [repr(c) for c in right]
        elif key == "figures":
            np.testing.assert_array_equal(left.notional, right.notional)
        elif isinstance(left, np.ndarray):
            np.testing.assert_array_equal(left, right)
        else:
            assert left == right, key
    assert list(loaded) == list(data)


def test_replace_and_extra_keep_fields_and_users_keys_apart(data):
    changed = data.replace(h_prev=np.zeros(4), funding_bp=3.0)
    assert changed.extra == {"funding_bp": 3.0} and changed["funding_bp"] == 3.0
    np.testing.assert_array_equal(changed.h_prev, np.zeros(4))
    np.testing.assert_array_equal(data.h_prev, np.full(4, 0.1))  # the original is unchanged
    moved = data.replace(spread_start=2.0 * data.spread_start)
    assert not np.allclose(moved["rpv01"], data["rpv01"])  # the annuity follows the spread


def test_a_mapping_builds_a_period_with_exactly_its_keys():
    data = ch.PeriodData({"period": "p", "rows": 20, "conventions": ch.SEED, "funding_bp": 2.0})
    assert set(data) == {"period", "rows", "conventions", "funding_bp"}
    assert "horizon_rows" not in data and "pnl_scale" not in data  # left out: absent
    assert data.rows == 20 and data.extra == {"funding_bp": 2.0} and data.spread_start is None
    with pytest.raises(ch.DataError, match="period p: no data key 'spread_start'"):
        data["spread_start"]
    legacy = ch.PeriodData({"period": "p", "horizon_rows": 20, "pnl_scale": 1.0})  # no source field: kept
    assert legacy["horizon_rows"] == 20 and legacy["pnl_scale"] == 1.0
