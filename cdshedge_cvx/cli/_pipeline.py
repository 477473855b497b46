"""The steps ``cdshedge run`` and ``cdshedge frontier`` share: flags → inputs → model → outputs.

1. :func:`check_output_paths` refuses, before any work, an output that cannot be written.
2. :func:`load_inputs` reads the market and universe (data errors come before CVXPY is imported).
3. :func:`build_objective`, :func:`build_constraints` and :func:`backtest_options` turn the model
   and limit flags into the keyword arguments of :func:`~cdshedge_cvx.engine.backtest`.
4. :func:`write_outputs` renders every output first and only then commits them together
   (:func:`cdshedge_cvx.io.commit_outputs`): a failed run leaves every output as it was.

Heavy imports (pandas, CVXPY, matplotlib) happen inside the functions, never at import.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from typing import Any

from cdshedge_cvx.cli._extras import extra_options, in_reporting_currency, input_files, term_modules_from_cwd

__all__ = ["backtest_options", "build_constraints", "build_objective", "check_output_paths", "format_table",
           "initial_holdings", "input_paths", "load_inputs", "numbers", "rate_quotes", "render_plot",
           "summary_stream",
           "write_bytes_atomic", "write_outputs"]

#: What ``--example market`` prints before the results of ``cdshedge run``.
_MARKET_NOTICE = ("Embedded realistic example market (synthetic 2019-2024, seed 0: US/EU holidays, generic-series "
                  "roll jumps removed, EURUSD; the desk is long credit, CS01 0.8/0.15/0.5/0.08 $mm per bp in "
                  "CDX IG/CDX HY/iTraxx Main/iTraxx Xover).")
_HINDSIGHT_NOTICE = ("\nNote: a linear objective in hindsight puts every period on a limit (0 or the maximum); "
                     "for a hedge decided from past data only, try --mode walk-forward --objective "
                     "'pnl - carry - roll - rollcost - 0.05*variance'.")
#: What the prototype example prints (with ``--example seed`` or no data flag at all).
_PROTOTYPE_NOTICE = ("No data flags: running the embedded prototype example "
                     "(seed conventions, prototype limits and coupons).")


# inputs ---------------------------------------------------------------------------------------
def numbers(text: str, flag: str, *, allow_empty: bool = False) -> list[float | None]:
    """The comma-separated numbers of ``flag``'s value (``None`` for an empty field when ``allow_empty``)."""
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


def input_paths(args: argparse.Namespace) -> list[str]:
    """The input files named on the command line (an output must not overwrite one of them)."""
    names = ("spreads", "desk_pnl", "instruments", "roll_jumps", "fx", "rates", "tenor_spreads")
    return [p for p in (getattr(args, name, None) for name in names) if p] + input_files(args)


def example_name(args: argparse.Namespace, default: str) -> str | None:
    """The embedded example a command runs: ``--example``, else ``default`` when no ``--spreads``."""
    return args.example or (None if args.spreads else default)


def load_inputs(args: argparse.Namespace, *, default_example: str = "seed") -> tuple[Any, Any, str, str]:
    """Market and universe from the data flags; also the default conventions and a notice line.

    Without ``--spreads`` the command runs an embedded example: ``--example``, else
    ``default_example`` (``"seed"``: the prototype example; ``"market"``: the realistic example
    market). ``--instruments`` replaces the example's universe.
    """
    from cdshedge_cvx.errors import SpecificationError
    from cdshedge_cvx.market._instruments import Universe, standard_universe

    if args.example and (args.spreads or args.desk_pnl):
        raise SpecificationError("--example cannot be combined with --spreads/--desk-pnl")
    if args.desk_pnl and not args.spreads:
        raise SpecificationError("--desk-pnl needs --spreads")
    for flag, value in (("--fx", args.fx), ("--roll-jumps", args.roll_jumps)):
        if value and not args.spreads:
            raise SpecificationError(f"{flag} needs --spreads")
    example = example_name(args, default_example)
    if example is None:
        from cdshedge_cvx.market._market_data import MarketData

        universe = Universe.from_csv(args.instruments) if args.instruments else standard_universe()
        market = MarketData.from_csv(args.spreads, args.desk_pnl, missing=args.missing, max_gap=args.max_gap,
                                     roll_jumps=args.roll_jumps, fx=args.fx, reporting_currency=args.reporting_currency,
                                     rates=rate_quotes(args), sort_dates=args.sort_dates,
                                     desk_columns=args.desk_column, spread_units=getattr(args, "spread_units", "bp"),
                                     tenor_spreads=getattr(args, "tenor_spreads", None),
                                     spread_ranges=universe.spread_ranges() or None)
        market.for_universe(universe)  # columns vs instruments, before any heavy import
        market.tenor_spreads_for_universe(universe)
        return market, universe, "market", ""
    from cdshedge_cvx.datasets import _examples as examples

    if example == "market":
        market, universe = examples.market()
        conventions, notice = "market", _MARKET_NOTICE
        if args.mode in (None, "hindsight"):
            notice += _HINDSIGHT_NOTICE
    else:
        market, universe = examples.seed()
        conventions, notice = "seed", _PROTOTYPE_NOTICE
    if args.instruments:
        universe = Universe.from_csv(args.instruments)
    market = in_reporting_currency(market, args.reporting_currency, f"the {example} example")
    rates = rate_quotes(args)
    if rates is not None:
        market = market.with_rates(rates)
    if getattr(args, "tenor_spreads", None):
        market = market.with_tenor_spreads(args.tenor_spreads, sort_dates=args.sort_dates)
        market.tenor_spreads_for_universe(universe)
    return market, universe, conventions, notice


def rate_quotes(args: argparse.Namespace) -> Any:
    """The interest rates of ``--rates`` (a file) or ``--rate`` (a flat rate); ``None`` when neither is given."""
    from cdshedge_cvx.market._rates import RateQuotes

    if getattr(args, "rates", None):
        return RateQuotes.from_csv(args.rates)
    if getattr(args, "rate", None) is not None:
        return RateQuotes.flat(args.rate)
    return None


def build_objective(args: argparse.Namespace) -> Any:
    """The objective of ``--objective``: built-in terms (``variance`` with ``--estimator`` and
    ``--half-life``), those of ``--term-module`` and of installed plugins."""
    from cdshedge_cvx.errors import SpecificationError
    from cdshedge_cvx.model import VariancePenalty
    from cdshedge_cvx.model._parser import builtin_term_factories, parse_objective
    from cdshedge_cvx.model._registry import discover_terms
    from cdshedge_cvx.risk._estimators import EWMACovariance, get_estimator

    if args.half_life is not None and args.estimator != "ewma":
        raise SpecificationError("--half-life applies to --estimator ewma only")
    factories = builtin_term_factories()
    estimator = EWMACovariance(args.half_life) if args.half_life is not None else get_estimator(args.estimator)
    factories["variance"] = functools.partial(VariancePenalty, estimator=estimator)
    term_modules_from_cwd(args.term_module)
    factories.update(discover_terms(args.term_module, reserved=factories))
    return parse_objective(args.objective, factories)


def build_constraints(args: argparse.Namespace) -> list[Any]:
    """The optional limits asked for on the command line."""
    from cdshedge_cvx.errors import SpecificationError
    from cdshedge_cvx.model import GrossLimit, JumpToDefaultLimit, NetLimit, TurnoverLimit

    constraints: list[Any] = []
    mixed = bool(getattr(args, "allow_mixed_currency", False))
    if args.gross_limit is not None:
        constraints.append(GrossLimit(args.gross_limit, allow_mixed_currency=mixed))
    if args.net_limit is not None:
        bounds = numbers(args.net_limit, "--net-limit", allow_empty=True)
        if len(bounds) != 2 or bounds == [None, None]:
            raise SpecificationError(f"--net-limit needs LO,HI with at least one side, got {args.net_limit!r}")
        constraints.append(NetLimit(lower=bounds[0], upper=bounds[1], allow_mixed_currency=mixed))
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
    values = numbers(args.initial_holdings, "--initial-holdings")
    if len(values) != len(universe):
        raise SpecificationError(f"--initial-holdings needs {len(universe)} values, one per instrument "
                                 f"({', '.join(universe.names)}); got {len(values)}")
    return [float(v) for v in values if v is not None]


def backtest_options(args: argparse.Namespace, universe: Any, *, conventions: str, mode: str) -> dict[str, Any]:
    """Keyword arguments of :func:`~cdshedge_cvx.engine.backtest` from the model and limit flags
    (``conventions`` and ``mode`` apply when ``--conventions`` and ``--mode`` are not given)."""
    return {"horizon": args.horizon, "conventions": args.conventions or conventions, "mode": args.mode or mode,
            "cross_check": args.cross_check, "solver": args.solver, "window": args.window,
            "min_history": args.min_history, "strict": args.strict, "constraints": build_constraints(args),
            "initial_holdings": initial_holdings(args, universe), "progress": False if args.quiet else None,
            **extra_options(args, universe)}


# outputs --------------------------------------------------------------------------------------
def check_output_paths(args: argparse.Namespace) -> None:
    """Refuse, before any work, an output (``--out``, ``--plot``, ``--report``) whose folder does not
    exist, that is a folder, a FIFO, a device or an input file, that another output also names, or a
    figure format matplotlib cannot write. A symbolic link is written through to its target; ``-``
    streams the output to standard output."""
    from cdshedge_cvx.io._files import STDOUT
    from cdshedge_cvx.io._files import check_output_paths as check_paths

    outputs = {f"--{flag}": getattr(args, flag, None) for flag in ("out", "plot", "report")}
    if any(outputs.values()):
        check_paths(outputs, inputs=input_paths(args))
    if getattr(args, "plot", None) and args.plot != STDOUT:
        from cdshedge_cvx.reporting._plots import figure_format

        figure_format(args.plot)
    elif getattr(args, "plot", None) == STDOUT:
        from cdshedge_cvx.errors import SpecificationError

        raise SpecificationError("--plot -: a figure cannot be streamed to standard output; give a file name "
                                 "(its suffix picks the format)")


def summary_stream(args: argparse.Namespace) -> Any:
    """Where a command prints its summary: standard error when an output streams to standard
    output (``--out -``), so the stream stays a clean CSV/HTML; else standard output."""
    import contextlib
    import sys

    args.stdout_ = sys.stdout  # where "-" outputs go
    if "-" in (getattr(args, flag, None) for flag in ("out", "plot", "report")):
        return contextlib.redirect_stdout(sys.stderr)
    return contextlib.nullcontext()


def format_table(frame: Any, digits: int = 6) -> str:
    """``frame`` as printed text, floats with ``digits`` decimals."""
    return frame.to_string(float_format=lambda v: f"{v:.{digits}f}")


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


def write_outputs(args: argparse.Namespace, table: Any, make_figure: Callable[[], Any],
                  make_report: Callable[[], str] | None = None) -> None:
    """Render the outputs asked for (``--out``: ``table`` as CSV, or one sheet per table for ``.xlsx``;
    ``--plot`` from ``make_figure``; ``--report`` from ``make_report``, given when the command was asked
    for a report), then commit
    them together (:func:`cdshedge_cvx.io.commit_outputs`): all are staged in temporary files first
    and renamed into place only when every one is ready, so a failure leaves every output as it was."""
    from cdshedge_cvx.io._files import commit_outputs
    from cdshedge_cvx.io._tables import tables_bytes

    outputs: dict[str, bytes] = {}
    if args.out:
        outputs[args.out] = tables_bytes(args.out, table() if callable(table) else table)
    if args.plot:
        outputs[args.plot] = render_plot(args.plot, make_figure)
    if make_report is not None and args.report:
        outputs[args.report] = make_report().encode("utf-8")
    stdout = getattr(args, "stdout_", None)
    commit_outputs(outputs, stdout=getattr(stdout, "buffer", None))
