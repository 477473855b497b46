"""``cdshedge convert``: CS01 ↔ notional of one index, with its RPV01 and jump-to-default.

::

    cdshedge convert --instrument "CDX IG" --cs01 0.25 --spread 55 [--maturity-years 5.25]

prints the RPV01 (years), the notional (mm of the index's currency) and the jump-to-default of one
name. Keep this module import-light: the parser is built on every ``cdshedge`` call; the handler
imports the analytics.
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
                    "print the RPV01 and the jump-to-default of one name. RPV01: ISDA-style risky annuity with a "
                    "flat hazard spread/(1-R), quarterly ACT/360 premium.")
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--cs01", type=float, metavar="MM_PER_BP", help="CS01 in mm of the index's currency per bp "
                      "(+ = protection bought)")
    size.add_argument("--notional", type=float, metavar="MM", help="notional in mm of the index's currency "
                      "(+ = protection bought)")
    parser.add_argument("--instrument", required=True, help="index name or ticker, e.g. 'CDX IG'")
    parser.add_argument("--spread", type=float, required=True, metavar="BP", help="index spread in bp")
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


def convert_report(instrument: Any, *, spread_bp: float, cs01_mm: float | None = None,
                   notional_mm: float | None = None, maturity_years: float | None = None,
                   date: str | None = None, rate: float = 0.0) -> dict[str, Any]:
    """The numbers ``cdshedge convert`` prints, as a dict.

    Parameters
    ----------
    instrument : Instrument
    spread_bp : float
        Spread in bp (> 0).
    cs01_mm, notional_mm : float
        Exactly one: CS01 in mm per bp, or notional in mm (of the instrument's currency).
    maturity_years : float, optional
        Remaining maturity; default the instrument's rule on ``date``.
    date : str, optional
        Date of the default maturity (default today).
    rate : float
        Flat continuously compounded rate (decimal).

    Returns
    -------
    dict
        ``rpv01`` (years), ``cs01`` (mm/bp), ``notional`` (mm), ``jtd`` (mm per name),
        ``maturity_years``, ``maturity_note``.
    """
    import pandas as pd

    from cdshedge_cvx.credit._analytics import cs01_to_notional, jump_to_default, notional_to_cs01, rpv01
    from cdshedge_cvx.credit._calendars import standard_maturity
    from cdshedge_cvx.credit._rolls import remaining_maturity, roll_dates
    from cdshedge_cvx.errors import SpecificationError

    if (cs01_mm is None) == (notional_mm is None):
        raise SpecificationError("give exactly one of --cs01 and --notional")
    if not spread_bp > 0 or spread_bp != spread_bp:
        raise SpecificationError(f"--spread must be a positive number of bp, got {spread_bp}")
    if spread_bp < 1.0:
        raise SpecificationError(f"--spread {spread_bp} looks like a decimal; give the spread in bp (e.g. 55)")
    if maturity_years is not None:
        if not 0 < maturity_years <= 100:
            raise SpecificationError(f"--maturity-years must be in (0, 100], got {maturity_years}")
        note = "given"
    else:
        try:
            day = pd.Timestamp(date).normalize() if date else pd.Timestamp.today().normalize()
        except ValueError:
            raise SpecificationError(f"--date {date!r} is not a date; use YYYY-MM-DD") from None
        maturity_years = float(remaining_maturity(instrument, [day])[0])
        if instrument.rule == "fixed":
            note = f"the instrument's fixed maturity_years, as of {day.date()}"
        else:
            launch = roll_dates(instrument, day - pd.DateOffset(years=1), day)[-1]
            maturity = standard_maturity(launch, int(instrument.tenor_years))
            note = (f"on-the-run {instrument.tenor_years}Y series rolled {launch.date()}, maturing {maturity.date()}, "
                    f"as of {day.date()}")
    try:
        annuity = float(rpv01(spread_bp, maturity_years, instrument.recovery, rate))
        if cs01_mm is not None:
            notional_mm = float(cs01_to_notional(cs01_mm, spread_bp, maturity_years, instrument.recovery, rate))
        else:
            cs01_mm = float(notional_to_cs01(notional_mm, spread_bp, maturity_years, instrument.recovery, rate))
        jtd = float(jump_to_default(notional_mm, instrument.recovery, int(instrument.n_names)))
    except ValueError as exc:
        raise SpecificationError(f"convert: {exc}") from None
    return {"rpv01": annuity, "cs01": float(cs01_mm), "notional": float(notional_mm), "jtd": jtd,
            "maturity_years": float(maturity_years), "maturity_note": note}


def convert_command(args: argparse.Namespace) -> int:
    """Print the conversion of one index's CS01 or notional; the exit code."""
    from cdshedge_cvx.market._instruments import Universe, standard_universe

    universe = Universe.from_csv(args.instruments) if args.instruments else standard_universe()
    instrument = _find_instrument(universe, args.instrument)
    numbers = convert_report(instrument, spread_bp=args.spread, cs01_mm=args.cs01, notional_mm=args.notional,
                             maturity_years=args.maturity_years, date=args.date, rate=args.rate)
    ccy = instrument.currency
    recovery, names = instrument.recovery, int(instrument.n_names)
    print(f"{instrument.name}: {ccy}, coupon {instrument.coupon_bp:g} bp, recovery {recovery:.2f}, {names} names")
    print(f"spread           {args.spread:.4g} bp, flat hazard {args.spread / (1 - recovery):.4g} bp/year, "
          f"rate {args.rate:.4%}")
    print(f"maturity         {numbers['maturity_years']:.4f} years ({numbers['maturity_note']})")
    print(f"RPV01            {numbers['rpv01']:.6f} years (risky annuity, quarterly ACT/360 premium)")
    print(f"CS01             {numbers['cs01']:.6f} {ccy} mm per bp (+ = protection bought)")
    print(f"notional         {numbers['notional']:.4f} {ccy} mm (= CS01 / (RPV01 x 1e-4))")
    print(f"jump-to-default  {numbers['jtd']:.4f} {ccy} mm per name defaulting (= notional x (1 - {recovery:g}) / "
          f"{names}; + = gain to protection bought)")
    return EXIT_OK
