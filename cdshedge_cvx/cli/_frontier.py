"""``cdshedge frontier``: back-test the objective once per variance weight γ and print (``--out``:
write) the frontier table; ``--plot`` draws variance against cost."""

from __future__ import annotations

import argparse
from typing import Any

from cdshedge_cvx.cli._common import EXIT_OK
from cdshedge_cvx.cli._parser import add_data_flags, add_limit_flags, add_model_flags, add_output_flags
from cdshedge_cvx.cli._pipeline import (
    backtest_options,
    build_objective,
    example_name,
    format_table,
    load_inputs,
    numbers,
    write_outputs,
)

__all__ = ["DEFAULT_GAMMAS", "add_frontier_command", "frontier_command"]

#: γ grid of ``cdshedge frontier`` when ``--gammas`` is not given (spans the example market's frontier).
DEFAULT_GAMMAS = "0.001,0.003,0.01,0.03,0.1,0.3,1,3"

#: What the realistic example market prints before the frontier (the default without ``--spreads``).
_MARKET_NOTICE = "Realistic example market (synthetic, seed 0)."


def add_frontier_command(subparsers: Any) -> None:
    """Add the ``frontier`` sub-command to ``subparsers``."""
    parser = subparsers.add_parser(
        "frontier", help="risk against cost: re-solve for several variance weights gamma",
        description="Back-test the objective once per variance weight gamma (the problem is compiled once; "
                    "gamma only changes Parameter values) and tabulate model and realised variance, expected "
                    "cost by term, hedge effectiveness and mean gross CS01 per gamma. With no data flags it "
                    "uses the realistic example market in walk-forward mode.")
    add_data_flags(parser)
    add_model_flags(parser, objective_default="pnl - carry - roll - variance")
    add_limit_flags(parser)
    sweep = parser.add_argument_group("sweep")
    sweep.add_argument("--gammas", default=DEFAULT_GAMMAS, metavar="G1,G2,...",
                       help=f"variance weights, $mm per $mm^2 (default {DEFAULT_GAMMAS})")
    where = sweep.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N", help="run on a local Dask cluster of N processes")
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster (tcp://host:8786)")
    add_output_flags(parser, out_help="write the frontier table (one row per gamma) as CSV, or .xlsx by the suffix")
    parser.set_defaults(handler=frontier_command)


def frontier_command(args: argparse.Namespace) -> int:
    """Load, sweep γ, write the outputs, print the table; the exit code."""
    from cdshedge_cvx.errors import SpecificationError

    gammas = numbers(args.gammas, "--gammas")
    if args.workers is not None and args.workers < 1:
        raise SpecificationError(f"--workers must be >= 1, got {args.workers}")
    market, universe, conventions, notice = load_inputs(args, default_example="market")
    if example_name(args, "market") == "market":
        notice = _MARKET_NOTICE
    from cdshedge_cvx.cli._run import announce
    from cdshedge_cvx.engine._eta import announcing
    from cdshedge_cvx.engine._frontier import frontier

    objective = build_objective(args)
    with announcing(announce):
        result = frontier(market, universe, objective, gammas, workers=args.workers, scheduler=args.scheduler,
                          **backtest_options(args, universe, conventions=conventions, mode="walk-forward"))
    table = result.table.set_index("gamma")
    write_outputs(args, {"frontier": table}, result.plot)
    if notice:
        print(notice)
    print(f"Efficient frontier [{args.mode or 'walk-forward'}, horizon {args.horizon}, objective: {objective!r}, "
          f"gamma replaced per row]: variances in $mm^2, costs in $mm summed over periods, CS01 in $mm/bp")
    print(format_table(table.T, digits=4))
    timings = result.timings
    print(f"build {timings['build_time_s'].sum() * 1e3:.1f} ms, solves {timings['solve_time_s'].sum():.2f} s "
          f"({len(gammas)} gamma(s){', on Dask' if args.workers or args.scheduler else ''})")
    return EXIT_OK
