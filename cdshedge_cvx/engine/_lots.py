"""The whole-lot report of a backtest: per period, what the lots cost against the continuous optimum."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cdshedge_cvx.errors import SpecificationError

if TYPE_CHECKING:
    from cdshedge_cvx.engine._result import HedgeResult

__all__ = ["lot_table"]


def lot_table(result: HedgeResult) -> pd.DataFrame:
    """One row per period of a backtest solved in whole lots (instruments with ``lot_notional`` /
    ``min_trade_notional``).

    Columns: ``objective`` (the whole-lot optimum, $mm), ``continuous_objective`` (the continuous optimum
    it was rounded from), ``rounding_cost`` (their difference), ``mip_gap`` (relative; 0 when proven by
    HiGHS and the outer approximation), ``mip_bound``, ``cuts`` (tangent planes of smooth terms),
    ``check`` (``enumeration`` or ``relaxation bound``), ``proven`` (the enumeration proved the optimum),
    ``shadow_prices_of`` (``continuous relaxation``: the shadow prices of this result are the relaxation's),
    then per instrument ``lots <name>`` (lots traded, bought positive) and ``notional <name>`` (mm traded).

    Raises
    ------
    SpecificationError
        When the backtest was not solved in whole lots.
    """
    rows = []
    names = list(result.universe.names)
    for record in result.records:
        solution = record.solution
        if getattr(solution, "shadow_prices_of", None) is None:
            raise SpecificationError("lots(): this backtest trades continuously; set lot_notional or "
                                     "min_trade_notional on the instruments to solve in whole lots")
        check = record.check
        row = {"objective": solution.objective, "continuous_objective": solution.continuous_objective,
               "rounding_cost": solution.rounding_cost, "mip_gap": solution.mip_gap, "mip_bound": solution.mip_bound,
               "cuts": solution.cuts, "check": getattr(check, "method", None) if check is not None else None,
               "proven": bool(getattr(check, "proven", False)) if check is not None else False,
               "shadow_prices_of": solution.shadow_prices_of}
        row.update({f"lots {name}": float(v) for name, v in zip(names, np.asarray(solution.lots, dtype=float))})
        row.update({f"notional {name}": float(v) for name, v in zip(names, solution.traded_notional)})
        rows.append(row)
    index = pd.DatetimeIndex([r.data["period_end"] for r in result.records], name="period_end")
    return pd.DataFrame(rows, index=index)
