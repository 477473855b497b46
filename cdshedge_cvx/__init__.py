"""cdshedge_cvx: CDS index hedging of a desk's PnL as a declarative CVXPY problem.

Names are imported lazily (PEP 562) so ``cdshedge --help`` starts without importing CVXPY.

>>> import cdshedge_cvx as ch
>>> market, universe = ch.examples.seed()
>>> result = ch.backtest(market, universe, conventions="seed")          # doctest: +SKIP
>>> result.allocations                                                   # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    # errors
    "CdsHedgeError": "errors", "DataError": "errors", "SpecificationError": "errors", "SolverError": "errors",
    "InfeasibleError": "errors", "CrossCheckError": "errors", "CrossCheckWarning": "errors",
    # instruments and data
    "Instrument": "market", "Universe": "market", "standard_universe": "market", "MarketData": "market",
    "RateQuotes": "market", "prices_to_spreads": "market",
    "Conventions": "credit", "SEED": "credit", "MARKET": "credit", "get_conventions": "credit",
    "PeriodData": "periods", "normalise_horizon": "periods",
    # analytics
    "rpv01": "credit", "cs01_to_notional": "credit", "notional_to_cs01": "credit",
    "jump_to_default": "credit", "premium_accrued": "credit",
    "YieldCurve": "credit", "cds_quote": "credit", "CdsQuote": "credit", "cds_accrued": "credit",
    "curve_roll_slope": "credit", "spreads_from_prices": "credit",
    "cds_maturity": "credit",
    "per_cs01_figures": "credit", "ContractFigures": "credit",
    # model
    "Term": "model", "Objective": "model", "LinearTerm": "model", "HedgePnL": "model", "Carry": "model",
    "Roll": "model", "VariancePenalty": "model", "TransactionCost": "model", "RollDateCost": "model",
    "Constraint": "model", "BoxLimits": "model", "GrossLimit": "model", "NetLimit": "model",
    "JumpToDefaultLimit": "model", "TurnoverLimit": "model", "ScipyForm": "model",
    "CovarianceEstimator": "risk", "SampleCovariance": "risk", "EWMACovariance": "risk",
    "LedoitWolfCovariance": "risk", "get_estimator": "risk", "RollingCovariance": "risk",
    "HedgeProblem": "solve", "PeriodSolution": "solve",
    "CVaRLimit": "model", "FactorCovariance": "risk", "hedge_statistics": "engine",
    "CompiledProblem": "solve",
    "LotSolution": "solve", "MipPath": "solve", "LotCrossCheck": "crosscheck", "lot_table": "engine",
    "scipy_solve": "crosscheck", "cross_check": "crosscheck",
    "frontier": "engine", "Frontier": "engine", "backtest": "engine", "default_objective": "engine",
    "HedgeResult": "engine", "run_many": "engine", "local_dask_client": "engine", "as_jobs": "engine",
    "UnidentifiedHedgeWarning": "solve._min_norm", "MixedCurrencyWarning": "model.limits._currency",
    # figures and reports
    "write_report": "reporting", "report_html": "reporting", "save_figure": "reporting",
}
_SUBMODULES = ("examples", "testing", "analytics", "calendars", "io", "cli")


def _term_names() -> list[str]:
    """Public names of :mod:`cdshedge_cvx.model.terms` (every built-in term, found there by module)."""
    return list(importlib.import_module(".model.terms", __name__).__all__)


def __getattr__(name: str) -> Any:
    if name == "__all__":  # lazily: listing the built-in terms imports them (and CVXPY)
        return sorted(set(_EXPORTS) | set(_term_names())) + list(_SUBMODULES) + ["__version__"]
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    if not name.startswith("_") and name in _term_names():  # a built-in term not listed above (RidgePenalty …)
        value = getattr(importlib.import_module(".model.terms", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__getattr__("__all__")))
