"""Rate input (``cdshedge_cvx.market.RateQuotes``): the rates file layout, curves per date and currency,
and the refusals (percent-looking rates, bad rows) naming file, line, column, date and currency."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_isda import EUR_2021, USD_HIGH

from cdshedge_cvx.credit._yield_curve import YieldCurve
from cdshedge_cvx.errors import DataError
from cdshedge_cvx.market._rates import RateQuotes


def _rows(day: str, currency: str, quotes: tuple[dict, dict]) -> list[tuple[str, str, str, float]]:
    return [(day, currency, tenor, rate) for tenor, rate in (*quotes[0].items(), *quotes[1].items())]


def _write(tmp_path: Path, rows: list[tuple], name: str = "rates.csv") -> Path:
    path = tmp_path / name
    lines = ["date,currency,tenor,rate"] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_curve_per_date_and_currency_from_csv(tmp_path: Path) -> None:
    rows = _rows("2024-05-15", "USD", USD_HIGH) + _rows("2021-07-26", "EUR", EUR_2021) + _rows(
        "2024-05-31", "usd", ({k: v + 0.001 for k, v in USD_HIGH[0].items()}, USD_HIGH[1]))
    rates = RateQuotes.from_csv(_write(tmp_path, rows))
    assert rates.currencies == ["EUR", "USD"] and not rates.is_flat
    # the latest quotes on or before the date, bootstrapped at the date
    curve = rates.curve("2024-05-20", "USD")
    expected = YieldCurve.isda("2024-05-20", *USD_HIGH, currency="USD")
    np.testing.assert_array_equal(curve.node_log_discount, expected.node_log_discount)
    assert str(curve.trade_date) == "2024-05-20"
    assert rates.quote_date("2024-05-31", "USD") == pd.Timestamp("2024-05-31")
    assert rates.quote_date("2024-05-30", "usd") == pd.Timestamp("2024-05-15")
    assert rates.curve("2024-05-20", "USD") is curve  # cached
    eur = rates.curve("2021-07-27", "EUR")
    assert eur.currency == "EUR" and float(eur.zero_rate(2.0)) < 0  # negative rates
    assert rates.to_frame().shape == (len(rows), 4)
    assert "USD ISDA curves" in repr(rates) or "EUR, USD ISDA curves" in repr(rates)


def test_flat_rates() -> None:
    flat = RateQuotes.flat(0.04)
    assert flat.is_flat and flat.describe() == "flat 0.04"
    c = flat.curve("2024-05-15", "JPY")
    assert c.tail_rate == 0.04 and str(c.trade_date) == "2024-05-15"
    per = RateQuotes.flat({"usd": 0.05, "EUR": -0.005})
    assert per.curve("2021-01-04", "EUR").tail_rate == -0.005
    with pytest.raises(DataError, match="no flat rate for currency GBP"):
        per.curve("2021-01-04", "GBP")
    with pytest.raises(DataError, match=r"flat rate: 4\.5 looks like a percent"):
        RateQuotes.flat(4.5)
    with pytest.raises(DataError, match="flat rate of EUR must be a number"):
        RateQuotes.flat({"EUR": "x"})
    with pytest.raises(DataError, match="must be finite"):
        RateQuotes.flat(float("nan"))


def test_percent_values_are_refused_not_guessed(tmp_path: Path) -> None:
    rows = _rows("2024-05-15", "USD", USD_HIGH)
    rows[5] = ("2024-05-15", "USD", "2Y", 4.62)
    path = _write(tmp_path, rows)
    with pytest.raises(DataError) as info:
        RateQuotes.from_csv(path)
    message = str(info.value)
    assert "\n" not in message
    for part in (str(path), "line 7", "column 'rate'", "USD 2Y 2024-05-15", "4.62 looks like a percent",
                 "unit='percent'"):
        assert part in message, (part, message)
    # all in percent: read with unit="percent"
    percent = [(d, c, t, round(r * 100, 6)) for d, c, t, r in _rows("2024-05-15", "USD", USD_HIGH)]
    rates = RateQuotes.from_csv(_write(tmp_path, percent, "pct.csv"), unit="percent")
    np.testing.assert_allclose(rates.curve("2024-05-15", "USD").node_log_discount,
                               YieldCurve.isda("2024-05-15", *USD_HIGH).node_log_discount, rtol=1e-12)
    with pytest.raises(DataError, match="is the file in bp"):
        RateQuotes.from_frame(pd.DataFrame([("2024-05-15", "USD", "1M", 532.0)],
                                           columns=["date", "currency", "tenor", "rate"]), unit="percent")
    with pytest.raises(DataError, match=r"'4.5%' is not a number \(write 0.045 for 4.5 %\)"):
        RateQuotes.from_frame(pd.DataFrame([("2024-05-15", "USD", "1M", "4.5%")],
                                           columns=["date", "currency", "tenor", "rate"]))


@pytest.mark.parametrize(("row", "match"), [
    (("2024-13-01", "USD", "1M", 0.05), r"line 3, column 'date': '2024-13-01' is not a date"),
    (("2024-05-15", "", "1M", 0.05), r"line 3, column 'currency': missing currency on 2024-05-15"),
    (("2024-05-15", "CAD", "1M", 0.05), r"line 3, column 'currency': 'CAD' on 2024-05-15 has no ISDA curve"),
    (("2024-05-15", "USD", "18M", 0.05), r"line 3, column 'tenor', USD 2024-05-15: tenor '18M' is between 1Y and 2Y"),
    (("2024-05-15", "USD", "5X", 0.05), r"line 3, column 'tenor', USD 2024-05-15: tenor must look like"),
    (("2024-05-15", "USD", "1M", ""), r"line 3, column 'rate', USD 1M 2024-05-15: missing or non-finite rate"),
    (("2024-05-15", "USD", "1M", "abc"), r"line 3, column 'rate', USD 1M 2024-05-15: 'abc' is not a number"),
    (("2024-05-15", "USD", "3M", 0.05), r"line 3, column 'rate', USD 3M 2024-05-15: a second USD 3M quote on "
                                        r"2024-05-15 \(first at line 2\)"),
    (("2024-05-15", "USD", "12M", 0.05), r"a second USD 12M quote on 2024-05-15 \(first at line 2\)"),
])
def test_bad_rows_name_file_line_column_date_currency(tmp_path: Path, row: tuple, match: str) -> None:
    first = ("2024-05-15", "USD", "1Y" if "12M" in row else "3M", 0.0535)
    path = _write(tmp_path, [first, row])
    with pytest.raises(DataError, match=match) as info:
        RateQuotes.from_csv(path)
    assert str(info.value).startswith(f"rates file {str(path)!r}")


def test_bad_tables_and_lookups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DataError, match=r"missing column\(s\) \['tenor'\]"):
        RateQuotes.from_frame(pd.DataFrame({"date": [], "currency": [], "rate": []}))
    with pytest.raises(DataError, match=r"unknown column\(s\) \['source'\]"):
        RateQuotes.from_frame(pd.DataFrame({"date": [], "currency": [], "tenor": [], "rate": [], "source": []}))
    with pytest.raises(DataError, match="no rate quotes"):
        RateQuotes.from_frame(pd.DataFrame({"date": [], "currency": [], "tenor": [], "rate": []}))
    with pytest.raises(DataError, match="unit must be one of decimal, percent"):
        RateQuotes.from_frame(pd.DataFrame({"date": [], "currency": [], "tenor": [], "rate": []}), unit="bp")
    with pytest.raises(DataError, match="does not exist"):
        RateQuotes.from_csv(tmp_path / "nope.csv")
    rates = RateQuotes.from_csv(_write(tmp_path, _rows("2024-05-15", "USD", USD_HIGH)))
    with pytest.raises(DataError, match=r"rates.csv'?: no rate quotes for currency EUR \(have: USD\)"):
        rates.curve("2024-05-15", "EUR")
    with pytest.raises(DataError, match="no USD rate quotes on or before 2024-05-14 \\(the first are of 2024-05-15\\)"):
        rates.curve("2024-05-14", "USD")
    with pytest.raises(DataError, match="are of 2024-05-15, 47 days old \\(max_age_days=31\\)"):
        rates.curve("2024-07-01", "USD")
    old = RateQuotes.from_csv(tmp_path / "rates.csv", max_age_days=None)
    assert str(old.curve("2025-07-01", "USD").trade_date) == "2025-07-01"
    with pytest.raises(DataError, match="date must be one date"):
        rates.curve("soon", "USD")
    # quotes no curve fits: the bootstrap's message gets the file, the lines, the currency and the dates
    bad = _write(tmp_path, [("2024-05-15", "USD", "1M", 0.05), ("2024-05-15", "USD", "2Y", 0.04)], "bad.csv")

    def refuse(*args: object, **kwargs: object) -> YieldCurve:
        raise DataError("swaps['2Y']: the swap rate cannot be matched by a positive discount factor")

    monkeypatch.setattr(YieldCurve, "isda", refuse)
    with pytest.raises(DataError, match=r"bad.csv'?, lines? 2 to 3: USD rates of 2024-05-15 for 2024-05-16"):
        RateQuotes.from_csv(bad).curve("2024-05-16", "USD")


def test_generated_rate_paths_are_realistic_and_reproducible() -> None:
    from cdshedge_cvx.datasets._synthetic import generate_market, generate_rates

    dates = generate_market(0).spreads.index
    rates = generate_rates(dates, seed=0)
    assert rates.currencies == ["EUR", "USD"]
    frame = rates.to_frame()
    assert len(frame) == 2 * 10 * len(dates)
    three = frame[frame.tenor == "3M"].pivot(index="date", columns="currency", values="rate")
    usd, eur = three["USD"], three["EUR"]
    assert 0.018 < usd.loc["2019"].mean() < 0.028
    assert usd.loc["2020-06":"2021-12"].max() < 0.004
    assert 0.050 < usd.loc["2023-07":"2023-12"].mean() < 0.055
    assert eur.loc[:"2022-05"].max() < 0.0
    assert 0.035 < eur.loc["2023-07":"2023-12"].mean() < 0.041
    # every date gives a curve; the 2023 USD curve is inverted
    c = rates.curve("2023-09-29", "USD")
    assert float(c.zero_rate(0.25)) > float(c.zero_rate(10.0))
    again = generate_rates(dates, seed=0).to_frame()
    pd.testing.assert_frame_equal(frame, again)
    assert not generate_rates(dates, seed=1).to_frame().equals(frame)
