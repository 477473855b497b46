"""``cdshedge convert``: CS01 ↔ notional of one index, with its RPV01 and jump-to-default.

::

    cdshedge convert --instrument "CDX IG" --cs01 0.25 --spread 55 [--maturity-years 5.25]
    cdshedge convert --instrument "CDX HY" --cs01 0.1 --price 104.5 --rate 0.045

prints the RPV01 (years), the notional (mm of the index's currency), the upfront and the jump-to-default of
one name, from the ISDA CDS Standard Model. Keep this module import-light: the parser is built on every
``cdshedge`` call; the handler imports the analytics.
"""

from __future__ import annotations

import argparse
from typing import Any

from cdshedge_cvx.cli._common import EXIT_OK, decimal_rate

__all__ = ["add_convert_command", "convert_command", "convert_report"]


def add_convert_command(subparsers: Any) -> None:
    """Add the ``convert`` sub-command to ``subparsers``."""
    parser = subparsers.add_parser(
        "convert", help="CS01 <-> notional of one index, with RPV01 and jump-to-default",
        description="Convert a CS01 (mm per bp) into the notional that carries it, or back, for one index, and "
                    "print the RPV01 and the jump-to-default of one name, all from the ISDA CDS Standard Model "
                    "(CS01 = spread DV01 of the traded contract, flat discount curve at --rate).")
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--cs01", type=float, metavar="MM_PER_BP", help="CS01 in mm of the index's currency per bp "
                      "(+ = protection bought)")
    size.add_argument("--notional", type=float, metavar="MM", help="notional in mm of the index's currency "
                      "(+ = protection bought)")
    parser.add_argument("--instrument", required=True, help="index name or ticker, e.g. 'CDX IG'")
    quote = parser.add_mutually_exclusive_group(required=True)
    quote.add_argument("--spread", type=float, metavar="BP", help="conventional spread in bp")
    quote.add_argument("--price", type=float, metavar="POINTS", help="price in points of par, e.g. 104.5 (CDX HY, "
                       "CDX EM): converted to the conventional spread through the ISDA model")
    parser.add_argument("--maturity-years", type=float, metavar="YEARS",
                        help="remaining maturity; default: the instrument's rule on --date (on-the-run: 20 Jun / "
                             "20 Dec maturity of the current series)")
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="date for the default maturity (default: today)")
    parser.add_argument("--rate", type=decimal_rate, default=0.0, metavar="DECIMAL",
                        help="flat continuously compounded discount rate, e.g. 0.03 (default 0)")
    parser.add_argument("--instruments", metavar="CSV", help="instruments file (default: the four standard indices)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.set_defaults(handler=convert_command)


def _find_instrument(universe: Any, name: str) -> Any:
    from cdshedge_cvx.errors import SpecificationError

    aliases = universe.aliases()
    wanted = name.strip()
    if wanted not in aliases:
        lowered = {k.lower(): v for k, v in aliases.items()}
        if wanted.lower() not in lowered:
            raise SpecificationError(f"--instrument {name!r} is not in the universe; "
                                     f"known: {', '.join(universe.names)}")
        wanted = lowered[wanted.lower()]
    return universe[aliases.get(wanted, wanted)]


def convert_report(instrument: Any, *, spread_bp: float | None = None, cs01_mm: float | None = None,
                   notional_mm: float | None = None, maturity_years: float | None = None,
                   date: str | None = None, rate: float = 0.0, price: float | None = None) -> dict[str, Any]:
    """The numbers ``cdshedge convert`` prints, as a dict, from the ISDA CDS Standard Model.

    The contract is the standard one held on ``date`` (the instrument's maturity rule, or the standard
    contract of ``maturity_years`` traded that day), priced on a flat curve at ``rate``; CS01 is its ISDA
    spread DV01 (:func:`~cdshedge_cvx.credit.per_cs01_figures`).

    Parameters
    ----------
    instrument : Instrument
    spread_bp, price : float
        Exactly one: the conventional spread in bp (> 0), or the price in points of par (``104.5``).
    cs01_mm, notional_mm : float
        Exactly one: CS01 in mm per bp, or notional in mm (of the instrument's currency, original notional).
    maturity_years : float, optional
        Tenor of the contract; default the instrument's rule on ``date``.
    date : str, optional
        Trade date (default today).
    rate : float
        Flat continuously compounded rate (decimal).

    Returns
    -------
    dict
        ``rpv01`` (years), ``cs01`` (mm/bp), ``notional`` (mm), ``jtd`` (mm per name: payout minus the
        name's mark-to-market), ``spread_bp``, ``price``, ``upfront`` (mm, paid by the buyer),
        ``maturity_years``, ``maturity``, ``maturity_note``.
    """
    import numpy as np
    import pandas as pd

    from cdshedge_cvx.credit._contract import per_cs01_figures
    from cdshedge_cvx.credit._isda import cds_quote
    from cdshedge_cvx.credit._yield_curve import YieldCurve
    from cdshedge_cvx.errors import DataError, SpecificationError
    from cdshedge_cvx.market._quotes import contract_maturities

    if (cs01_mm is None) == (notional_mm is None):
        raise SpecificationError("give exactly one of --cs01 and --notional")
    if (spread_bp is None) == (price is None):
        raise SpecificationError("give exactly one of --spread and --price")
    if spread_bp is not None:
        if not spread_bp > 0 or spread_bp != spread_bp:
            raise SpecificationError(f"--spread must be a positive number of bp, got {spread_bp}")
        if spread_bp < 1.0:
            raise SpecificationError(f"--spread {spread_bp} looks like a decimal; give the spread in bp (e.g. 55)")
    if price is not None and not 0 < price < 200:
        raise SpecificationError(f"--price must be in points of par (e.g. 104.5), got {price}")
    if abs(rate) > 0.5:
        raise SpecificationError(f"--rate {rate} looks like a percent; rates are decimals (0.04 = 4 %)")
    try:
        day = pd.Timestamp(date).normalize() if date else pd.Timestamp.today().normalize()
    except ValueError:
        raise SpecificationError(f"--date {date!r} is not a date; use YYYY-MM-DD") from None
    contract = instrument
    if maturity_years is not None:
        if not 0 < maturity_years <= 100:
            raise SpecificationError(f"--maturity-years must be in (0, 100], got {maturity_years}")
        contract = instrument.replace(maturity_rule="fixed", maturity_years=float(maturity_years))
    maturity = contract_maturities([day], contract)[0]
    if maturity_years is not None:
        note = f"standard {maturity_years:g}-year contract traded {day.date()}, maturing {maturity.date()}"
    elif instrument.rule == "fixed":
        note = f"the instrument's fixed maturity_years, contract traded {day.date()}, maturing {maturity.date()}"
    else:
        note = f"on-the-run {instrument.tenor_years}Y series maturing {maturity.date()}, as of {day.date()}"
    curve = YieldCurve.flat(rate, day)
    try:
        if price is not None:
            spread_bp = float(cds_quote(day, maturity, price=price, coupon_bp=instrument.coupon_bp,
                                        recovery=instrument.recovery, curve=curve).spread_bp)
        figures = per_cs01_figures(day, np.datetime64(maturity.date(), "D"), spread_bp, instrument.coupon_bp,
                                   instrument.recovery, curve, n_names=int(instrument.n_names),
                                   index_factor=instrument.index_factor, days=0)
    except DataError as exc:
        raise SpecificationError(f"convert: {exc}") from None
    per_cs01 = float(figures.notional)
    if cs01_mm is not None:
        notional_mm = cs01_mm * per_cs01
    else:
        cs01_mm = notional_mm / per_cs01
    effective = notional_mm * instrument.index_factor
    return {"rpv01": float(figures.rpv01), "cs01": float(cs01_mm), "notional": float(notional_mm),
            "jtd": float(cs01_mm * figures.jtd), "spread_bp": float(spread_bp),
            "price": 100.0 - 100.0 * float(figures.upfront), "upfront": effective * float(figures.upfront),
            "maturity_years": (maturity - day).days / 365.25, "maturity": str(maturity.date()),
            "maturity_note": note}


def convert_command(args: argparse.Namespace) -> int:
    """Print the conversion of one index's CS01 or notional; the exit code."""
    from cdshedge_cvx.market._instruments import Universe, standard_universe

    universe = Universe.from_csv(args.instruments) if args.instruments else standard_universe()
    instrument = _find_instrument(universe, args.instrument)
    numbers = convert_report(instrument, spread_bp=args.spread, price=args.price, cs01_mm=args.cs01,
                             notional_mm=args.notional, maturity_years=args.maturity_years, date=args.date,
                             rate=args.rate)
    ccy = instrument.currency
    recovery, names = instrument.recovery, int(instrument.n_names)
    factor = "" if instrument.index_factor == 1.0 else f", index factor {instrument.index_factor:g}"
    print(f"{instrument.name}: {ccy}, coupon {instrument.coupon_bp:g} bp, recovery {recovery:.2f}, {names} names"
          f"{factor}")
    print(f"spread           {numbers['spread_bp']:.4f} bp (conventional), price {numbers['price']:.4f}, "
          f"rate {args.rate:.4%} flat")
    print(f"maturity         {numbers['maturity_years']:.4f} years ({numbers['maturity_note']})")
    print(f"RPV01            {numbers['rpv01']:.6f} years (ISDA clean risky annuity)")
    print(f"CS01             {numbers['cs01']:.6f} {ccy} mm per bp (ISDA spread DV01 of the traded contract; "
          "+ = protection bought)")
    print(f"notional         {numbers['notional']:.4f} {ccy} mm (ISDA CDS Standard Model)")
    print(f"upfront          {numbers['upfront']:.4f} {ccy} mm (clean, paid by the protection buyer)")
    print(f"jump-to-default  {numbers['jtd']:.4f} {ccy} mm per name defaulting (payout x (1 - {recovery:g}) / "
          f"{names} minus the name's mark-to-market; + = gain to protection bought)")
    return EXIT_OK
