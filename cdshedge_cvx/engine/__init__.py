"""Running the model over periods: backtest, result, frontier, parallel runs, progress."""

from __future__ import annotations

from cdshedge_cvx.engine._backtest import (
    backtest,
    default_objective,
)
from cdshedge_cvx.engine._frontier import (
    Frontier,
    frontier,
    run_on_dask,
)
from cdshedge_cvx.engine._lots import lot_table
from cdshedge_cvx.engine._parallel import (
    as_jobs,
    local_dask_client,
    run_many,
)
from cdshedge_cvx.engine._progress import (
    DELAY_S,
    interactive,
    progress_bar,
)
from cdshedge_cvx.engine._result import (
    HedgeResult,
    PeriodRecord,
    realised_attribution,
)
from cdshedge_cvx.engine._statistics import (
    hedge_statistics,
)

__all__ = [
    "DELAY_S",
    "Frontier",
    "HedgeResult",
    "PeriodRecord",
    "as_jobs",
    "backtest",
    "default_objective",
    "frontier",
    "hedge_statistics",
    "interactive",
    "local_dask_client",
    "lot_table",
    "progress_bar",
    "realised_attribution",
    "run_many",
    "run_on_dask",
]
