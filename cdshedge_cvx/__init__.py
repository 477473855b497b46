"""cdshedge_cvx: CDS index hedging of a desk's PnL as a declarative CVXPY problem.

Names are imported lazily (PEP 562) so ``cdshedge --help`` starts without importing CVXPY.

>>> import cdshedge_cvx as ch
>>> market, universe = ch.examples.seed()
>>> result = ch.backtest(market, universe, conventions="seed")          # doctest: +SKIP
>>> result.allocations                                                   # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    # errors
    "CdsHedgeError": "errors", "DataError": "errors", "SpecificationError": "errors", "SolverError": "errors",
    "InfeasibleError": "errors", "CrossCheckError": "errors", "CrossCheckWarning": "errors",
    # instruments and data
    "Instrument": "instruments", "Universe": "instruments", "standard_universe": "instruments",
    "MarketData": "market", "Conventions": "conventions", "SEED": "conventions", "MARKET": "conventions",
    "get_conventions": "conventions", "PeriodData": "periods", "normalise_horizon": "periods",
    # analytics
    "rpv01": "analytics", "cs01_to_notional": "analytics", "notional_to_cs01": "analytics",
    "jump_to_default": "analytics", "premium_accrued": "analytics",
    # model
    "Term": "terms", "Objective": "terms", "LinearTerm": "terms", "HedgePnL": "terms", "Carry": "terms",
    "Roll": "terms", "VariancePenalty": "terms", "TransactionCost": "terms", "RollDateCost": "terms",
    "Constraint": "constraints", "BoxLimits": "constraints", "GrossLimit": "constraints", "NetLimit": "constraints",
    "JumpToDefaultLimit": "constraints", "TurnoverLimit": "constraints",
    "CovarianceEstimator": "estimators", "SampleCovariance": "estimators",
    "EWMACovariance": "estimators", "LedoitWolfCovariance": "estimators", "get_estimator": "estimators",
    "RollingCovariance": "estimators",
    "ScipyForm": "lifting", "frontier": "frontier", "Frontier": "frontier",
    "HedgeProblem": "problem", "PeriodSolution": "problem",
    "backtest": "backtest", "default_objective": "backtest", "HedgeResult": "result",
    "scipy_solve": "reference", "cross_check": "reference",
    "run_many": "parallel", "local_dask_client": "parallel", "as_jobs": "parallel",
    # figures and reports
    "write_report": "report", "report_html": "report", "save_figure": "plots",
}
_SUBMODULES = ("examples", "testing", "analytics", "calendars", "io", "cli")

__all__ = sorted(_EXPORTS) + list(_SUBMODULES) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """Keeps ``ch.backtest`` and ``ch.frontier`` the functions once their submodules are imported.

    Importing a submodule sets it as an attribute of the package; for the names exported from a
    submodule of the same name the function is stored instead of the module.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if (isinstance(value, types.ModuleType) and _EXPORTS.get(name) == name
                and value.__name__ == f"{__name__}.{name}" and hasattr(value, name)):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
