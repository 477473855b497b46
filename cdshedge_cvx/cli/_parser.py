"""The parser class of ``cdshedge`` and the flag groups its sub-commands share (data, model, limits, output).

Import-light on purpose: the parser is built on every ``cdshedge`` call, ``--help`` included.
"""

from __future__ import annotations

import argparse

from cdshedge_cvx.cli._common import EXIT_USAGE, decimal_rate

__all__ = ["CommandParser", "add_data_flags", "add_limit_flags", "add_model_flags", "add_output_flags",
           "decimal_rate", "output_file", "positive_int"]


class CommandParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit with code 2; flags are never abbreviated
    (``--report`` must not be taken for ``--reporting-currency``)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print ``prog: error: message (see --help)`` and exit with code 2."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def positive_int(text: str) -> int:
    """``text`` as a whole number ≥ 1 (an argparse ``type``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def output_file(text: str) -> str:
    """An output path (an argparse ``type``): an empty one is refused, not ignored."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; give a file name")
    return text


def add_data_flags(parser: argparse.ArgumentParser) -> None:
    """The ``data`` group: input files, the embedded examples and the missing-data policy."""
    data = parser.add_argument_group("data")
    data.add_argument("--spreads", metavar="CSV", help="daily spreads in bp: first column dates, one column per "
                      "instrument (name, ticker or terminal ticker such as 'ITRX EUR CDSI GEN 5Y Corp'); CSV "
                      "(UTF-8/UTF-16), .xlsx or .parquet")
    data.add_argument("--desk-pnl", metavar="CSV", help="daily desk PnL in $mm: a date column and one value column")
    data.add_argument("--instruments", metavar="CSV", help="instruments file: instrument,coupon_bp,cs01_min,cs01_max"
                      "[,currency,recovery,n_names,maturity_years,roll_fraction,bid_ask_bp,ticker,roll_lag_days,"
                      "maturity_rule,tenor_years,calendar,quote,index_factor,roll_slope_bp_per_year]; default: the "
                      "four standard indices (CDX HY quoted in price)")
    data.add_argument("--roll-jumps", metavar="CSV", help="generic-series roll jumps in bp (spreads layout), removed "
                      "from the daily changes")
    data.add_argument("--tenor-spreads", metavar="CSV", help="spreads in bp of other tenors of the indices, for the "
                      "roll-down slope: first column dates, columns named by instrument and tenor ('CDX IG 3Y', "
                      "'CDX IG 7Y'); a value on every spreads date. Given for an instrument, it replaces its "
                      "roll_slope_bp_per_year, which replaces roll_fraction; CSV, .xlsx or .parquet")
    data.add_argument("--fx", metavar="CSV", help="FX rates: a date column and one column per currency (EUR or "
                      "EURUSD = USD per EUR) converting other currencies' amounts into the reporting currency")
    data.add_argument("--desk-column", action="append", default=None, metavar="NAME",
                      help="desk PnL column to use when the desk file has several (repeatable: the columns are "
                           "summed, e.g. one per book); matched ignoring case")
    data.add_argument("--sort-dates", action="store_true",
                      help="sort every input file's rows by date (terminal exports are newest first); without it "
                           "unsorted dates are refused")
    rates = data.add_mutually_exclusive_group()
    rates.add_argument("--rates", metavar="CSV", help="interest-rate quotes per date and currency (columns date,"
                       "currency,tenor,rate; decimals): ISDA discount curves for notional, carry and jump-to-default "
                       "(default: r = 0, said in the summary)")
    rates.add_argument("--rate", type=decimal_rate, metavar="DECIMAL", help="one flat continuously compounded rate "
                       "for every date and currency instead, e.g. 0.04")
    data.add_argument("--reporting-currency", default="USD", metavar="CCY",
                      help="currency of the desk PnL and of all amounts (USD)")
    data.add_argument("--example", choices=["seed", "market"], help="use an embedded example instead of files")
    data.add_argument("--missing", choices=["error", "ffill", "drop"], default="error",
                      help="missing spreads: refuse (default), forward-fill up to --max-gap rows, or drop the dates")
    data.add_argument("--max-gap", type=positive_int, default=5, metavar="N",
                      help="longest run of missing rows --missing ffill fills (5)")
    data.add_argument("--spread-units", choices=["bp", "percent", "decimal"], default="bp",
                      help="unit of the spreads file, converted to bp (default bp; percent: 0.60 = 60 bp)")


def builtin_keywords() -> list[str]:
    """The objective keywords of the built-in terms, read from the source of ``model/terms/`` without
    importing it (``--help`` must not load CVXPY): each module's class-level ``keyword = "…"``."""
    import ast
    from pathlib import Path

    keywords = []
    for entry in sorted((Path(__file__).resolve().parent.parent / "model" / "terms").glob("_*.py")):
        if entry.name.startswith("__"):
            continue
        for node in ast.walk(ast.parse(entry.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id == "keyword" and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str)):
                keywords.append(node.value.value)
    order = ["pnl", "carry", "roll", "variance", "tcost", "rollcost"]  # the prototype's terms first
    return sorted(keywords, key=lambda k: (order.index(k) if k in order else len(order), k))


def add_model_flags(parser: argparse.ArgumentParser, *, objective_default: str) -> None:
    """The ``model`` group: horizon, conventions, mode, objective, solver, risk window and cross-check."""
    model = parser.add_argument_group("model")
    model.add_argument("--horizon", default="M", help="rebalancing: M, Q, A or a pandas alias (ME, W-FRI, 2W …)")
    model.add_argument("--conventions", choices=["seed", "market", "market-cash"], default=None,
                       help="arithmetic: 'seed' (the prototype) or 'market' (default with data flags)")
    model.add_argument("--mode", choices=["hindsight", "walk-forward"], default=None,
                       help="decide with the period's own data or only with data before it")
    model.add_argument("--objective", default=objective_default, metavar="EXPR",
                       help="weighted term names, e.g. 'pnl - carry - roll - 5*variance' (default "
                            f"{objective_default!r}); terms: {', '.join(builtin_keywords())}, and those "
                            "of --term-module and installed plugins")
    model.add_argument("--term-module", action="append", default=[], metavar="MODULE",
                       help="import MODULE and make its Term subclasses usable in --objective (repeatable)")
    model.add_argument("--forecast", metavar="CSV", help="walk-forward: expected spread change (bp) per period, "
                       "indexed by period end, one column per instrument (periods left out expect 0)")
    model.add_argument("--extra", action="append", default=[], metavar="KEY=FILE",
                       help="data for your own terms (data.extra[KEY]): a number, or a file of dates and one value "
                            "column (a scalar) or one column per instrument, taken as of each period's base date "
                            "(repeatable)")
    model.add_argument("--solver", default=None, help="CVXPY solver (default: HIGHS for LPs, OSQP for QPs)")
    model.add_argument("--window", type=int, default=252, metavar="N",
                       help="walk-forward: trailing observations for risk, ending on the base date (252)")
    model.add_argument("--min-history", type=int, default=20, metavar="N",
                       help="walk-forward: skip periods with fewer trailing observations (20)")
    model.add_argument("--estimator", choices=["sample", "ewma", "ledoit-wolf"], default="sample",
                       help="covariance estimator of the 'variance' term (default sample)")
    model.add_argument("--half-life", type=float, default=None, metavar="N",
                       help="half-life in observations of --estimator ewma (default 63)")
    model.add_argument("--cross-check", action=argparse.BooleanOptionalAction, default=True,
                       help="re-solve every period with scipy and report the gaps (default on)")
    model.add_argument("--strict", action="store_true", help="a cross-check disagreement is an error (exit 3)")


def add_limit_flags(parser: argparse.ArgumentParser) -> None:
    """The ``limits`` group: gross, net, jump-to-default and turnover limits, initial holdings."""
    limits = parser.add_argument_group("limits (besides the per-instrument CS01 box of the instruments file)")
    limits.add_argument("--gross-limit", type=float, metavar="G", help="gross CS01: sum |h| <= G ($mm/bp)")
    limits.add_argument("--net-limit", metavar="LO,HI", help="net CS01: LO <= sum h <= HI ($mm/bp); leave a side "
                        "empty to keep it open, e.g. '0,' or ',1.5'")
    limits.add_argument("--jtd-limit", type=float, metavar="L", help="jump-to-default of the hedge: |JTD| <= L ($mm)")
    limits.add_argument("--turnover-limit", type=float, metavar="T",
                        help="turnover per period: sum |h - h_prev| <= T ($mm/bp)")
    limits.add_argument("--initial-holdings", metavar="H1,H2,...",
                        help="holdings before the first period, one per instrument ($mm/bp; default 0)")
    limits.add_argument("--allow-mixed-currency", action="store_true",
                        help="without --fx, let gross/net limits add CS01 of different currencies unconverted")


def add_output_flags(parser: argparse.ArgumentParser, *, out_help: str, report: bool = False) -> None:
    """The ``output`` group: ``--out`` (what it holds: ``out_help``), ``--plot``, ``--report`` when
    ``report``, ``--quiet`` and ``--debug``."""
    out = parser.add_argument_group("output (files are written atomically: a failed run leaves none)")
    out.add_argument("--out", metavar="CSV", type=output_file, help=out_help)
    out.add_argument("--plot", metavar="FILE", type=output_file,
                     help="write the figure (PNG, SVG or PDF, from the suffix; byte-identical on rerun)")
    if report:
        out.add_argument("--report", metavar="HTML", type=output_file,
                         help="write a self-contained HTML report (figure embedded, inputs' checksums, allocations, "
                              "attribution, shadow prices, cross-check, effectiveness)")
    out.add_argument("--quiet", action="store_true",
                     help="no progress bar (shown only on a terminal, for runs longer than half a second)")
    out.add_argument("--debug", action="store_true", help="show tracebacks")
