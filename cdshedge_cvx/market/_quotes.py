r"""Price-quoted indices: conventional spreads from screen prices, per date, through the ISDA model.

CDX HY and CDX EM trade on price (points of par: ``104.5`` means the protection seller pays 4.5 points
upfront on a 500 bp coupon contract). The hedge works in conventional spreads, so a price series is
converted date by date: on each date the contract held (the on-the-run series, or the fixed-tenor
contract) is priced with that date's discount curve and the flat hazard rate that reproduces the price;
the conventional spread is the running spread that flat hazard rate implies
(:func:`~cdshedge_cvx.credit.cds_quote` with ``price=``). All dates of a series are solved together in one
vectorised call (``credit._isda.spreads_from_prices``: each date's contract on its own accrual grid).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from cdshedge_cvx.credit._calendars import on_the_run_maturities, on_the_run_maturity_days
from cdshedge_cvx.credit._isda import cds_maturity, spreads_from_prices
from cdshedge_cvx.credit._isda_grids import previous_imm_twentieths
from cdshedge_cvx.credit._yield_curve import add_months, from_day_numbers
from cdshedge_cvx.errors import DataError, naming
from cdshedge_cvx.market._instruments import Instrument
from cdshedge_cvx.market._rates import RateQuotes

__all__ = ["contract_maturities", "prices_to_spreads"]


def contract_maturities(dates: Any, instrument: Instrument) -> pd.DatetimeIndex:
    """Maturity of the contract ``instrument`` holds on each date (the one its price or spread refers to).

    ``"on-the-run"`` rule: :func:`~cdshedge_cvx.credit.on_the_run_maturities` with the instrument's tenor,
    roll lag and calendar. ``"fixed"`` rule: the standard contract of tenor ``maturity_years`` (rounded to a
    whole number of quarters) traded on the date (:func:`~cdshedge_cvx.credit.cds_maturity`).

    Examples
    --------
    >>> from cdshedge_cvx.market._instruments import standard_universe
    >>> [f"{d:%Y-%m-%d}" for d in contract_maturities(["2024-03-20", "2024-03-27"], standard_universe()["CDX HY"])]
    ['2028-12-20', '2029-06-20']
    """
    if isinstance(dates, pd.DatetimeIndex):  # already dates: no round trip through Python objects
        index = dates.normalize()
    else:
        index = pd.DatetimeIndex(pd.to_datetime(list(np.atleast_1d(np.asarray(dates, dtype=object))))).normalize()
    if instrument.rule == "on-the-run":
        return on_the_run_maturities(index, instrument.tenor_years, roll_lag_days=instrument.roll_lag_days,
                                     calendar=instrument.roll_calendar)  # type: ignore[arg-type]
    months = 3 * round(float(instrument.maturity_years) * 4)  # type: ignore[arg-type]
    if months <= 0:
        raise DataError(f"instrument {instrument.name!r}: maturity_years {instrument.maturity_years} is shorter "
                        "than a quarter; no standard contract")
    tenor = f"{months}M"
    return pd.DatetimeIndex([pd.Timestamp(cds_maturity(d, tenor)) for d in index])


def contract_maturity_days(dates: pd.DatetimeIndex, instrument: Instrument) -> np.ndarray:
    """:func:`contract_maturities` of the dates of a ``DatetimeIndex`` as ``datetime64[D]`` values, vectorised
    (the on-the-run series by :func:`~cdshedge_cvx.credit._calendars.on_the_run_maturity_days`, the fixed tenor's
    standard contract by :func:`~cdshedge_cvx.credit.cds_maturity`'s rule on all dates at once)."""
    if dates.tz is not None:  # the dates of another zone: as contract_maturities reads them
        return contract_maturities(dates, instrument).to_numpy().astype("datetime64[D]")
    if instrument.rule == "on-the-run":
        return on_the_run_maturity_days(dates, instrument.tenor_years, roll_lag_days=instrument.roll_lag_days,
                                        calendar=instrument.roll_calendar)  # type: ignore[arg-type]
    months = 3 * round(float(instrument.maturity_years) * 4)  # type: ignore[arg-type]
    if months <= 0:
        return contract_maturities(dates, instrument).to_numpy().astype("datetime64[D]")  # its error
    day = dates.normalize().to_numpy().astype("datetime64[D]").view(np.int64)
    # cds_maturity: the 20 Mar/Jun/Sep/Dec on or before the date, a quarter back from Jun/Dec, + tenor + 3 months
    anchor = previous_imm_twentieths(day)
    june_or_december = (from_day_numbers(anchor).astype("datetime64[M]").astype(np.int64) % 12 + 1) % 6 == 0
    anchor = np.where(june_or_december, add_months(anchor, -3), anchor)
    return from_day_numbers(add_months(anchor, months + 3))


def prices_to_spreads(prices: ArrayLike | pd.Series, dates: Any, instrument: Instrument,
                      rates: RateQuotes) -> np.ndarray | pd.Series:
    r"""Conventional spreads (bp) from clean prices (points of par), one ISDA curve per date, vectorised.

    On each date :math:`T` with price :math:`p`, the contract of :func:`contract_maturities` (coupon
    :math:`c`, recovery :math:`R` of ``instrument``) is priced with ``rates.curve(T, currency)``; the flat
    hazard :math:`\lambda` solves :math:`(1-R)V - cA = (1 - p/100)\,P(T_{cs})` and the spread is
    :math:`s = (1-R)V/A` (see :func:`~cdshedge_cvx.credit.cds_quote`). A missing price (NaN) gives NaN.

    Parameters
    ----------
    prices : array_like or pandas.Series
        Prices in points of par (``104.5``). A Series may leave ``dates`` as ``None`` (its index is used).
    dates : date-like array or None
        One date per price.
    instrument : Instrument
        Coupon, recovery, currency and maturity rule of the index.
    rates : RateQuotes
        Discount curves per date and currency (``RateQuotes.flat(0.0)`` for r = 0).

    Returns
    -------
    numpy.ndarray or pandas.Series
        Spreads in bp, same shape (a Series, named like ``prices``, when ``prices`` is one).

    Raises
    ------
    DataError
        A price no hazard rate reproduces, missing rates for a date; the message names the instrument and
        the date.

    Examples
    --------
    >>> from cdshedge_cvx.market._instruments import standard_universe
    >>> hy = standard_universe()["CDX HY"]
    >>> s = prices_to_spreads([104.5, 100.0], ["2024-05-15", "2024-05-15"], hy, RateQuotes.flat(0.045))
    >>> [round(float(x), 2) for x in s]
    [388.12, 500.0]
    """
    series = isinstance(prices, pd.Series)
    if dates is None:
        if not series:
            raise DataError("prices_to_spreads: give the dates, or prices as a Series indexed by date")
        dates = prices.index  # type: ignore[union-attr]
    values = np.asarray(prices, dtype=np.float64)
    if values.ndim != 1:
        raise DataError(f"prices_to_spreads: prices must be 1-d, got shape {values.shape}")
    stamps = pd.DatetimeIndex(pd.to_datetime(list(np.asarray(dates, dtype=object))))
    if len(stamps) != values.size:
        raise DataError(f"prices_to_spreads: {values.size} prices for {len(stamps)} dates")
    out = np.full(values.size, np.nan)
    known = np.flatnonzero(np.isfinite(values))
    if known.size:
        maturities = contract_maturities(stamps, instrument).to_numpy().astype("datetime64[D]")
        days = stamps.to_numpy().astype("datetime64[D]")
        curves = {}
        for day in np.unique(days[known]):  # one curve per date (cached by the rates)
            with naming(f"instrument {instrument.name!r}, price on {day}", "the spread conversion"):
                curves[day] = rates.curve(day, instrument.currency)
        # every date in one vectorised hazard-rate solve
        out[known] = spreads_from_prices(days[known], maturities[known], values[known],
                                         coupon_bp=float(instrument.coupon_bp), recovery=float(instrument.recovery),
                                         curves=[curves[d] for d in days[known]],
                                         labels=[f"instrument {instrument.name!r}, price on {d}" for d in days[known]])
    if series:
        return pd.Series(out, index=prices.index, name=prices.name)  # type: ignore[union-attr]
    return out
