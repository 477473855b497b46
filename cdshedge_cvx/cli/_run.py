"""``cdshedge run``: optimise the hedge per period, print the allocations and a summary, and write
the allocations (``--out``), the figure (``--plot``) and the HTML report (``--report``)."""

from __future__ import annotations

import argparse
from typing import Any

from cdshedge_cvx.cli._common import EXIT_OK
from cdshedge_cvx.cli._parser import add_data_flags, add_limit_flags, add_model_flags, add_output_flags
from cdshedge_cvx.cli._pipeline import backtest_options, build_objective, format_table, load_inputs, write_outputs

__all__ = ["add_run_command", "announce", "print_run_report", "run_command"]


def add_run_command(subparsers: Any) -> None:
    """Add the ``run`` sub-command to ``subparsers``."""
    parser = subparsers.add_parser("run", help="optimise the hedge per period and print the allocations",
                                   description="Optimise the CS01 hedge per period. With no data flags it runs the "
                                               "embedded prototype example under seed conventions.")
    add_data_flags(parser)
    add_model_flags(parser, objective_default="pnl - carry - roll")
    add_limit_flags(parser)
    add_output_flags(parser, out_help="write the allocations table (period_end × instrument) as CSV; a path ending "
                     "in .xlsx gets a workbook with allocations, attribution and shadow prices, one sheet each",
                     report=True)
    parser.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Load, back-test, write the outputs, print the report; the exit code."""
    market, universe, conventions, notice = load_inputs(args)  # data errors before CVXPY is imported
    from cdshedge_cvx.engine._backtest import backtest
    from cdshedge_cvx.engine._eta import announcing

    objective = build_objective(args)
    with announcing(announce):
        result = backtest(market, universe, objective,
                          **backtest_options(args, universe, conventions=conventions, mode="hindsight"))

    def make_report() -> str:
        from cdshedge_cvx.reporting._report import command_line, report_html

        return report_html(result, inputs=_report_inputs(args, market), command=command_line(args.argv_))

    def tables() -> Any:
        if not str(args.out).lower().endswith(".xlsx"):
            return result.allocations
        return {"allocations": result.allocations, "attribution": result.attribution,
                "shadow_prices": result.shadow_prices}

    write_outputs(args, tables, result.plot, make_report if args.report else None)
    print_run_report(result, notice)
    return EXIT_OK


def announce(line: str) -> None:
    """Print a line about the run's progress (its expected duration) on standard error, also under --quiet."""
    import sys

    print(f"cdshedge: {line}", file=sys.stderr, flush=True)


def _report_inputs(args: argparse.Namespace, market: Any) -> Any:
    """Files given on the command line (hashed byte for byte), else the embedded example's frames."""
    if not args.spreads:
        return market
    files = {"spreads": args.spreads, "desk PnL": args.desk_pnl, "instruments": args.instruments,
             "roll jumps": args.roll_jumps, "FX rates": args.fx, "rates": args.rates}
    return {name: path for name, path in files.items() if path}


def print_run_report(result: Any, notice: str = "") -> None:
    """Print the units, the allocations table and a summary."""
    from cdshedge_cvx.reporting._format import describe_missing, realised_pnl_line
    from cdshedge_cvx.reporting._large import MAX_LISTED, allocation_overview, top_contributors
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
    if len(result.universe) > MAX_LISTED:
        print(f"{len(result.universe)} instruments: per period, the instruments held and on a limit, gross and net "
              "CS01 and the largest holding (full table: --out, or the report):")
        print(allocation_overview(result.allocations, result.universe.lower, result.universe.upper))
    else:
        print(format_table(result.allocations))
    print()
    print(f"periods: {summary['periods']}   solver: {summary['solver']}   "
          f"build {summary['build_time_s'] * 1e3:.1f} ms, solves {summary['solve_time_s'] * 1e3:.1f} ms")
    print(realised_pnl_line(summary, currency))  # one scale, one sign per cost, unmodelled costs labelled
    print(f"hedge effectiveness (1 - Var hedged / Var unhedged, realised, per period): "
          f"{summary['hedge_effectiveness']:.3f}   mean gross CS01: {summary['mean_gross_cs01']:.4f} {unit}   "
          f"mean turnover: {summary['mean_turnover']:.4f} {unit}")
    terms = ", ".join(f"{label} {value:+.4f}" for label, value in summary["objective_terms_mm"].items())
    print(f"objective by term, summed over periods (model, {currency} mm): {terms}")
    if len(result.shadow_prices.columns) > len(result.universe):
        extra = result.shadow_prices.drop(columns=result.universe.names)
        extra = extra[top_contributors(extra.mean(), MAX_LISTED).index]
        prices = ", ".join(f"{name} {extra[name].mean():.4g}" for name in extra.columns)
        print(f"mean shadow price of the limits ({currency} mm per unit of limit): {prices}")
    if summary["cross_check_warnings"] == "off":
        print("scipy cross-check: off")
    else:
        print(f"scipy cross-check: max objective gap {summary['cross_check_max_objective_gap']:.3g} {currency} mm, "
              f"max allocation gap {summary['cross_check_max_allocation_gap']:.3g} {unit}, "
              f"{summary['cross_check_warnings']} period(s) out of tolerance")
    if summary["fallbacks"]:
        print(f"fallback solver used in {summary['fallbacks']} period(s): the report (--report) lists the solver "
              "of every period")
    print(f"missing data: {describe_missing(result.missing)}")
    print(f"hedge statistics per period ({currency} mm; VaR/ES/drawdown as positive losses):")
    print(format_table(result.statistics()))
    from cdshedge_cvx.reporting._notes import stuck_hedge_note

    note = stuck_hedge_note(result)
    if note:
        print(note)
