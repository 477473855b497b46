"""The ``cdshedge`` command.

Exit codes: 0 success, 1 internal error, 2 usage or data error, 3 infeasible or solver failure.
Errors are one line on standard error (``--debug`` shows the traceback). Outputs are written
atomically: a failed run leaves no partial file. Heavy imports (CVXPY, pandas) happen only
inside the sub-commands, so ``cdshedge --help`` starts fast.

A sub-command that writes a file checks its path with :func:`cdshedge_cvx.io.check_output_path`
before any work and writes it with :func:`cdshedge_cvx.io.atomic_path` after the run succeeded;
a report states the missing-data policy with :func:`describe_missing`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["EXIT_INTERNAL", "EXIT_OK", "EXIT_SOLVER", "EXIT_USAGE", "build_constraints", "build_parser",
           "describe_missing", "initial_holdings", "input_paths", "load_inputs", "main", "print_run_report"]

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_SOLVER = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _add_data_flags(parser: argparse.ArgumentParser) -> None:
    data = parser.add_argument_group("data")
    data.add_argument("--spreads", metavar="CSV", help="daily spreads in bp: first column dates, one column per "
                      "instrument (name or ticker)")
    data.add_argument("--desk-pnl", metavar="CSV", help="daily desk PnL in $mm: a date column and one value column")
    data.add_argument("--instruments", metavar="CSV", help="instruments file: instrument,coupon_bp,cs01_min,cs01_max"
                      "[,currency,recovery,n_names,maturity_years,roll_fraction,bid_ask_bp,ticker,roll_lag_days,"
                      "maturity_rule,tenor_years,calendar]; default: the four standard indices")
    data.add_argument("--roll-jumps", metavar="CSV", help="generic-series roll jumps in bp (spreads layout), removed "
                      "from the daily changes")
    data.add_argument("--fx", metavar="CSV", help="FX rates: a date column and one column per currency (EUR or "
                      "EURUSD = USD per EUR) converting other currencies' amounts into the reporting currency")
    data.add_argument("--reporting-currency", default="USD", metavar="CCY",
                      help="currency of the desk PnL and of all amounts (USD)")
    data.add_argument("--example", choices=["seed", "market"], help="use an embedded example instead of files")
    data.add_argument("--missing", choices=["error", "ffill", "drop"], default="error",
                      help="missing spreads: refuse (default), forward-fill up to --max-gap rows, or drop the dates")
    data.add_argument("--max-gap", type=_positive_int, default=5, metavar="N",
                      help="longest run of missing rows --missing ffill fills (5)")


def _add_model_flags(parser: argparse.ArgumentParser, *, objective_default: str | None) -> None:
    model = parser.add_argument_group("model")
    model.add_argument("--horizon", default="M", help="rebalancing: M, Q, A or a pandas alias (ME, W-FRI, 2W …)")
    model.add_argument("--conventions", choices=["seed", "market", "market-cash"], default=None,
                       help="arithmetic: 'seed' (the prototype) or 'market' (default with data flags)")
    model.add_argument("--mode", choices=["hindsight", "walk-forward"], default=None,
                       help="decide with the period's own data or only with data before it")
    model.add_argument("--objective", default=objective_default, metavar="EXPR",
                       help="weighted term names, e.g. 'pnl - carry - roll - 5*variance' (default "
                            f"{objective_default!r}); terms: pnl, carry, roll, variance, tcost, rollcost, and those "
                            "of --term-module and installed plugins")
    model.add_argument("--term-module", action="append", default=[], metavar="MODULE",
                       help="import MODULE and make its Term subclasses usable in --objective (repeatable)")
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


def _add_limit_flags(parser: argparse.ArgumentParser) -> None:
    limits = parser.add_argument_group("limits (besides the per-instrument CS01 box of the instruments file)")
    limits.add_argument("--gross-limit", type=float, metavar="G", help="gross CS01: sum |h| <= G ($mm/bp)")
    limits.add_argument("--net-limit", metavar="LO,HI", help="net CS01: LO <= sum h <= HI ($mm/bp); leave a side "
                        "empty to keep it open, e.g. '0,' or ',1.5'")
    limits.add_argument("--jtd-limit", type=float, metavar="L", help="jump-to-default of the hedge: |JTD| <= L ($mm)")
    limits.add_argument("--turnover-limit", type=float, metavar="T",
                        help="turnover per period: sum |h - h_prev| <= T ($mm/bp)")
    limits.add_argument("--initial-holdings", metavar="H1,H2,...",
                        help="holdings before the first period, one per instrument ($mm/bp; default 0)")


def _numbers(text: str, flag: str, *, allow_empty: bool = False) -> list[float | None]:
    from cdshedge_cvx.errors import SpecificationError

    values: list[float | None] = []
    for part in text.split(","):
        part = part.strip()
        if not part and allow_empty:
            values.append(None)
            continue
        try:
            values.append(float(part))
        except ValueError:
            raise SpecificationError(f"{flag}: {part!r} is not a number (got {text!r})") from None
    return values


def build_constraints(args: argparse.Namespace) -> list[Any]:
    """The optional limits asked for on the command line."""
    from cdshedge_cvx.errors import SpecificationError
    from cdshedge_cvx.model._limits import GrossLimit, JumpToDefaultLimit, NetLimit, TurnoverLimit

    constraints: list[Any] = []
    if args.gross_limit is not None:
        constraints.append(GrossLimit(args.gross_limit))
    if args.net_limit is not None:
        bounds = _numbers(args.net_limit, "--net-limit", allow_empty=True)
        if len(bounds) != 2 or bounds == [None, None]:
            raise SpecificationError(f"--net-limit needs LO,HI with at least one side, got {args.net_limit!r}")
        constraints.append(NetLimit(lower=bounds[0], upper=bounds[1]))
    if args.jtd_limit is not None:
        constraints.append(JumpToDefaultLimit(args.jtd_limit))
    if args.turnover_limit is not None:
        constraints.append(TurnoverLimit(args.turnover_limit))
    return constraints


def initial_holdings(args: argparse.Namespace, universe: Any) -> list[float] | None:
    """``--initial-holdings`` as one float per instrument (``None`` when not given)."""
    from cdshedge_cvx.errors import SpecificationError

    if args.initial_holdings is None:
        return None
    values = _numbers(args.initial_holdings, "--initial-holdings")
    if len(values) != len(universe):
        raise SpecificationError(f"--initial-holdings needs {len(universe)} values, one per instrument "
                                 f"({', '.join(universe.names)}); got {len(values)}")
    return [float(v) for v in values if v is not None]


def _add_output_flags(parser: argparse.ArgumentParser, *, report: bool = False) -> None:
    out = parser.add_argument_group("output (files are written atomically: a failed run leaves none)")
    out.add_argument("--out", metavar="CSV", help="write the allocations table (period_end × instrument)")
    out.add_argument("--plot", metavar="FILE", help="write the figure (PNG, SVG or PDF, from the suffix; "
                     "byte-identical on rerun)")
    if report:
        out.add_argument("--report", metavar="HTML", help="write a self-contained HTML report (figure embedded, "
                         "inputs' checksums, allocations, attribution, shadow prices, cross-check, effectiveness)")
    out.add_argument("--quiet", action="store_true",
                     help="no progress bar (shown only on a terminal, for runs longer than half a second)")
    out.add_argument("--debug", action="store_true", help="show tracebacks")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``cdshedge`` (sub-commands run, convert, frontier)."""
    parser = _Parser(prog="cdshedge", description="CDS index hedging of a desk's PnL (CVXPY, cross-checked by scipy).")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    run = commands.add_parser("run", help="optimise the hedge per period and print the allocations",
                              description="Optimise the CS01 hedge per period. With no data flags it runs the "
                                          "embedded prototype example under seed conventions.")
    _add_data_flags(run)
    _add_model_flags(run, objective_default="pnl - carry - roll")
    _add_limit_flags(run)
    _add_output_flags(run, report=True)
    run.set_defaults(handler=_cmd_run)
    for register in _EXTRA_COMMANDS:
        register(commands)
    return parser


#: Sub-command registrars ``f(subparsers)`` added by other modules (convert, frontier …).
_EXTRA_COMMANDS: list[Callable[[Any], None]] = []


def _term_factories(modules: Sequence[str], args: argparse.Namespace | None = None) -> dict[str, Callable[[], Any]]:
    import functools

    from cdshedge_cvx.errors import SpecificationError
    from cdshedge_cvx.model._parser import builtin_term_factories
    from cdshedge_cvx.model._registry import discover_terms
    from cdshedge_cvx.model._terms import VariancePenalty
    from cdshedge_cvx.risk._estimators import EWMACovariance, get_estimator

    factories = builtin_term_factories()
    if args is not None:
        half_life = getattr(args, "half_life", None)
        name = getattr(args, "estimator", "sample")
        if half_life is not None and name != "ewma":
            raise SpecificationError("--half-life applies to --estimator ewma only")
        estimator = EWMACovariance(half_life) if half_life is not None else get_estimator(name)
        factories["variance"] = functools.partial(VariancePenalty, estimator=estimator)
    factories.update(discover_terms(modules, reserved=factories))
    return factories


def load_inputs(args: argparse.Namespace) -> tuple[Any, Any, str, str]:
    """Market and universe from the data flags; also the default conventions and a notice line."""
    from cdshedge_cvx.datasets import _examples as examples
    from cdshedge_cvx.errors import SpecificationError
    from cdshedge_cvx.market._instruments import Universe, standard_universe
    from cdshedge_cvx.market._market_data import MarketData

    if args.example and (args.spreads or args.desk_pnl):
        raise SpecificationError("--example cannot be combined with --spreads/--desk-pnl")
    if args.desk_pnl and not args.spreads:
        raise SpecificationError("--desk-pnl needs --spreads")
    for flag, value in (("--fx", getattr(args, "fx", None)), ("--roll-jumps", getattr(args, "roll_jumps", None))):
        if value and not args.spreads:
            raise SpecificationError(f"{flag} needs --spreads")
    if args.example == "market":
        market_example = getattr(examples, "market", None)
        if market_example is None:
            raise SpecificationError("the realistic example market is not available in this version")
        market, universe = market_example()
        notice = ("Embedded realistic example market (synthetic 2019-2024, seed 0: US/EU holidays, generic-series "
                  "roll jumps removed, EURUSD; the desk is long credit, CS01 0.8/0.15/0.5/0.08 $mm per bp in "
                  "CDX IG/CDX HY/iTraxx Main/iTraxx Xover).")
        if getattr(args, "mode", None) in (None, "hindsight"):
            notice += ("\nNote: a linear objective in hindsight puts every period on a limit (0 or the maximum); "
                       "for a hedge decided from past data only, try --mode walk-forward --objective "
                       "'pnl - carry - roll - rollcost - 0.05*variance'.")
        return market, universe, "market", notice
    if args.spreads:
        market = MarketData.from_csv(args.spreads, args.desk_pnl, missing=args.missing, max_gap=args.max_gap,
                                     roll_jumps=getattr(args, "roll_jumps", None), fx=getattr(args, "fx", None),
                                     reporting_currency=getattr(args, "reporting_currency", "USD"))
        universe = Universe.from_csv(args.instruments) if args.instruments else standard_universe()
        market.for_universe(universe)  # columns vs instruments, before any heavy import
        return market, universe, "market", ""
    market, universe = examples.seed()
    if args.instruments:
        universe = Universe.from_csv(args.instruments)
    return market, universe, "seed", ("No data flags: running the embedded prototype example "
                                      "(seed conventions, prototype limits and coupons).")


def _format_table(frame: Any, digits: int = 6) -> str:
    return frame.to_string(float_format=lambda v: f"{v:.{digits}f}")


def input_paths(args: argparse.Namespace) -> list[str]:
    """The input files named on the command line (for refusing an output that would overwrite one)."""
    return [p for p in (getattr(args, name, None) for name in ("spreads", "desk_pnl", "instruments")) if p]


def _cmd_run(args: argparse.Namespace) -> int:
    from cdshedge_cvx.io._files import check_output_path, write_frame_csv

    if args.out:
        check_output_path(args.out, flag="--out", inputs=input_paths(args))
    market, universe, default_conventions, notice = load_inputs(args)  # data errors before CVXPY is imported
    from cdshedge_cvx.engine._backtest import backtest
    from cdshedge_cvx.model._parser import parse_objective

    conventions = args.conventions or default_conventions
    mode = args.mode or "hindsight"
    objective = parse_objective(args.objective, _term_factories(args.term_module, args))
    result = backtest(market, universe, objective, horizon=args.horizon, conventions=conventions, mode=mode,
                      cross_check=args.cross_check, solver=args.solver, window=args.window,
                      min_history=args.min_history, strict=args.strict, constraints=build_constraints(args),
                      initial_holdings=initial_holdings(args, universe),
                      progress=False if args.quiet else None)
    figure = render_plot(args.plot, result.plot) if args.plot else None
    report = None
    if getattr(args, "report", None):
        from cdshedge_cvx.reporting._report import command_line, report_html

        report = report_html(result, inputs=_report_inputs(args, market), command=command_line(args.argv_))
    # everything is rendered: now write (each file atomically)
    if args.out:
        write_frame_csv(args.out, result.allocations)
    if figure is not None:
        write_bytes_atomic(args.plot, figure)
    if report is not None:
        write_bytes_atomic(args.report, report.encode("utf-8"))
    print_run_report(result, notice)
    return EXIT_OK


def _report_inputs(args: argparse.Namespace, market: Any) -> Any:
    """Files given on the command line (hashed byte for byte), else the embedded example's frames."""
    if not args.spreads:
        return market
    files = {"spreads": args.spreads, "desk PnL": args.desk_pnl, "instruments": args.instruments,
             "roll jumps": getattr(args, "roll_jumps", None), "FX rates": getattr(args, "fx", None)}
    return {name: path for name, path in files.items() if path}


def check_output_paths(args: argparse.Namespace) -> None:
    """Refuse, before any work, an output (``--out``, ``--plot``, ``--report``) whose folder does not
    exist, that is a folder or an input file, or a figure format matplotlib cannot write."""
    for flag in ("out", "plot", "report"):
        value = getattr(args, flag, None)
        if value:
            from cdshedge_cvx.io._files import check_output_path

            check_output_path(value, flag=f"--{flag}", inputs=input_paths(args))
    if getattr(args, "plot", None):
        from cdshedge_cvx.reporting._plots import figure_format

        figure_format(args.plot)


def render_plot(path: str, make_figure: Callable[[], Any]) -> bytes:
    """Draw ``make_figure()`` off-screen and encode it for ``path`` (format from the suffix)."""
    import matplotlib

    matplotlib.use("Agg")  # a command draws off-screen, whatever the environment's default backend
    import matplotlib.pyplot as plt

    from cdshedge_cvx.reporting._plots import SAVE_DPI, figure_bytes, figure_format

    figure = make_figure()
    try:
        return figure_bytes(figure, figure_format(path), dpi=SAVE_DPI)
    finally:
        plt.close(figure)


def write_bytes_atomic(path: str, content: bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file and a rename."""
    from cdshedge_cvx.io._files import atomic_path

    with atomic_path(path) as tmp:
        tmp.write_bytes(content)


def print_run_report(result: Any, notice: str = "") -> None:
    """Print the units, the allocations table and a summary."""
    from cdshedge_cvx.reporting._units import units_lines

    summary = result.summary()
    if notice:
        print(notice)
    first = result.records[0].data
    for line in units_lines(first, result.conventions):
        print(line)
    unit = "mm per bp" if len(set(first["currency"])) > 1 else f"{first['currency'][0]} mm per bp"
    currency = first["reporting_currency"]
    print(f"Optimised CS01 allocation ({unit}, + = protection bought) per period "
          f"[{summary['conventions']} conventions, {summary['mode']}, horizon {summary['horizon']}, "
          f"objective: {summary['objective']}]:")
    print(_format_table(result.allocations))
    print()
    print(f"periods: {summary['periods']}   solver: {summary['solver']}   "
          f"build {summary['build_time_s'] * 1e3:.1f} ms, solves {summary['solve_time_s'] * 1e3:.1f} ms")
    rollcost = f", rollcost -{summary['rollcost_mm']:.4f}" if summary["rollcost_mm"] else ""
    print(f"realised PnL ({currency} mm): desk {summary['desk_pnl_mm']:.4f}, hedge {summary['hedge_pnl_mm']:.4f}, "
          f"carry -{summary['carry_mm']:.4f}, tcost -{summary['tcost_mm']:.4f}{rollcost}, "
          f"hedged {summary['hedged_pnl_mm']:.4f} (model roll-down {summary['roll_mm']:.4f}, already in hedge PnL)")
    print(f"hedge effectiveness (1 - Var hedged / Var unhedged, realised, per period): "
          f"{summary['hedge_effectiveness']:.3f}   mean gross CS01: {summary['mean_gross_cs01']:.4f} {unit}   "
          f"mean turnover: {summary['mean_turnover']:.4f} {unit}")
    terms = ", ".join(f"{label} {value:+.4f}" for label, value in summary["objective_terms_mm"].items())
    print(f"objective by term, summed over periods (model, {currency} mm): {terms}")
    if len(result.shadow_prices.columns) > len(result.universe):
        extra = result.shadow_prices.drop(columns=result.universe.names)
        prices = ", ".join(f"{name} {extra[name].mean():.4g}" for name in extra.columns)
        print(f"mean shadow price of the limits ({currency} mm per unit of limit): {prices}")
    if summary["cross_check_warnings"] == "off":
        print("scipy cross-check: off")
    else:
        print(f"scipy cross-check: max objective gap {summary['cross_check_max_objective_gap']:.3g} {currency} mm, "
              f"max allocation gap {summary['cross_check_max_allocation_gap']:.3g} {unit}, "
              f"{summary['cross_check_warnings']} period(s) out of tolerance")
    if summary["fallbacks"]:
        print(f"fallback solver used in {summary['fallbacks']} period(s): see result.solver_info")
    print(f"missing data: {describe_missing(result.missing)}")


def describe_missing(report: Any) -> str:
    """One line on the missing-data policy used and what it did (``result.missing``)."""
    policy = report.get("policy", "error")
    text = f"policy {policy!r}"
    if policy == "ffill":
        text += f" (max gap {report.get('max_gap')} rows)"
    if report.get("filled"):
        text += f", {report['filled']} value(s) forward-filled"
    if report.get("dropped_rows"):
        text += f", {report['dropped_rows']} date(s) dropped"
    if report.get("first"):
        text += f", first missing at {report['first']}"
    if not report.get("filled") and not report.get("dropped_rows"):
        text += ", nothing missing"
    if report.get("desk_dates_ignored"):
        text += f"; {report['desk_dates_ignored']} desk PnL date(s) without spreads ignored"
    return text


def _show_warning_one_line(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                           file: Any = None, line: str | None = None) -> None:
    """Warnings as one line on standard error (``--debug`` keeps Python's format)."""
    text = " ".join(str(message).split())
    print(f"cdshedge: warning: {text} ({category.__name__})", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cdshedge``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from cdshedge_cvx import __version__

        print(__version__)
        return EXIT_OK
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    debug = getattr(args, "debug", False)
    args.argv_ = list(sys.argv[1:] if argv is None else argv)
    try:
        import warnings

        from cdshedge_cvx.errors import CrossCheckWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CrossCheckWarning)  # reported in the summary instead
            if not debug:
                warnings.showwarning = _show_warning_one_line
            check_output_paths(args)
            return int(args.handler(args))
    except Exception as exc:
        from cdshedge_cvx.errors import CdsHedgeError, DataError, SolverError, SpecificationError

        if debug:
            raise
        if isinstance(exc, (DataError, SpecificationError)):
            code = EXIT_USAGE
        elif isinstance(exc, SolverError):
            code = EXIT_SOLVER
        else:
            code = EXIT_INTERNAL
        kind = type(exc).__name__
        text = exc.message_for("cli") if isinstance(exc, CdsHedgeError) else str(exc)
        message = " ".join(text.split()) or kind
        if code == EXIT_INTERNAL:
            message = f"internal error ({kind}): {message}; rerun with --debug and report it"
        print(f"cdshedge: error: {message}", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        print("cdshedge: interrupted", file=sys.stderr)
        return 130


def entry_point() -> None:
    """Console-script wrapper: ``sys.exit(main())``."""
    sys.exit(main())


def _register_builtin_commands() -> None:
    from cdshedge_cvx.cli import _frontier as cli_commands

    cli_commands.register(_EXTRA_COMMANDS)


_register_builtin_commands()
