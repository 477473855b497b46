"""Sub-commands of ``cdshedge`` besides ``run``; each registrar adds one sub-parser.

Keep this module import-light: registrars only describe arguments; handlers import what they need.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

__all__ = ["DEFAULT_GAMMAS", "register"]

#: γ grid of ``cdshedge frontier`` when ``--gammas`` is not given (spans the example market's frontier).
DEFAULT_GAMMAS = "0.001,0.003,0.01,0.03,0.1,0.3,1,3"


def register(registry: list[Callable[[Any], None]]) -> None:
    """Append the registrars of the extra sub-commands to ``registry``."""
    from cdshedge_cvx.cli._convert import register_convert

    registry.append(register_convert)
    registry.append(_register_frontier)


def _register_frontier(commands: Any) -> None:
    from cdshedge_cvx.cli._main import _add_data_flags, _add_limit_flags, _add_model_flags, _add_output_flags

    parser = commands.add_parser(
        "frontier", help="risk against cost: re-solve for several variance weights gamma",
        description="Back-test the objective once per variance weight gamma (the problem is compiled once; "
                    "gamma only changes Parameter values) and tabulate model and realised variance, expected "
                    "cost by term, hedge effectiveness and mean gross CS01 per gamma. With no data flags it "
                    "uses the realistic example market in walk-forward mode.")
    _add_data_flags(parser)
    _add_model_flags(parser, objective_default="pnl - carry - roll - variance")
    _add_limit_flags(parser)
    sweep = parser.add_argument_group("sweep")
    sweep.add_argument("--gammas", default=DEFAULT_GAMMAS, metavar="G1,G2,...",
                       help=f"variance weights, $mm per $mm^2 (default {DEFAULT_GAMMAS})")
    where = sweep.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N", help="run on a local Dask cluster of N processes")
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster (tcp://host:8786)")
    _add_output_flags(parser)
    for action in parser._actions:  # the frontier's --out is the frontier table
        if action.dest == "out":
            action.help = "write the frontier table (one row per gamma) as CSV"
    parser.set_defaults(handler=_cmd_frontier)


def _cmd_frontier(args: argparse.Namespace) -> int:
    from cdshedge_cvx.cli._main import (
        EXIT_OK,
        _format_table,
        _numbers,
        _term_factories,
        build_constraints,
        initial_holdings,
        load_inputs,
    )
    from cdshedge_cvx.engine._frontier import example_market, frontier
    from cdshedge_cvx.errors import SpecificationError
    from cdshedge_cvx.io._files import write_frame_csv
    from cdshedge_cvx.market._instruments import Universe
    from cdshedge_cvx.model._parser import parse_objective

    gammas = _numbers(args.gammas, "--gammas")
    if args.workers is not None and args.workers < 1:
        raise SpecificationError(f"--workers must be >= 1, got {args.workers}")
    roll_jumps = None
    if args.spreads or args.example == "seed":
        market, universe, default_conventions, notice = load_inputs(args)
    else:
        if args.desk_pnl:
            raise SpecificationError("--desk-pnl needs --spreads")
        market, universe, roll_jumps = example_market()
        if args.instruments:
            universe = Universe.from_csv(args.instruments)
        default_conventions = "market"
        notice = "Realistic example market (synthetic, seed 0)."
    objective = parse_objective(args.objective, _term_factories(args.term_module, args))
    result = frontier(market, universe, objective, gammas, workers=args.workers, scheduler=args.scheduler,
                      horizon=args.horizon, conventions=args.conventions or default_conventions,
                      mode=args.mode or "walk-forward", cross_check=args.cross_check, solver=args.solver,
                      window=args.window, min_history=args.min_history, strict=args.strict,
                      constraints=build_constraints(args), initial_holdings=initial_holdings(args, universe),
                      roll_jumps=roll_jumps, progress=False if args.quiet else None)
    table = result.table.set_index("gamma")
    figure = None
    if args.plot:
        from cdshedge_cvx.cli._main import render_plot

        figure = render_plot(args.plot, result.plot)
    if args.out:
        write_frame_csv(args.out, table)
    if figure is not None:
        from cdshedge_cvx.cli._main import write_bytes_atomic

        write_bytes_atomic(args.plot, figure)
    if notice:
        print(notice)
    print(f"Efficient frontier [{args.mode or 'walk-forward'}, horizon {args.horizon}, objective: {objective!r}, "
          f"gamma replaced per row]: variances in $mm^2, costs in $mm summed over periods, CS01 in $mm/bp")
    print(_format_table(table.T, digits=4))
    timings = result.timings
    print(f"build {timings['build_time_s'].sum() * 1e3:.1f} ms, solves {timings['solve_time_s'].sum():.2f} s "
          f"({len(gammas)} gamma(s){', on Dask' if args.workers or args.scheduler else ''})")
    return EXIT_OK
