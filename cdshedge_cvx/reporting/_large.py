"""Summaries that stay readable for large universes (hundreds of instruments).

Above :data:`MAX_LISTED` instruments the terminal shows aggregates per period and the top
contributors instead of every column; the full tables go to the files (``--out``, the report).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["MAX_LISTED", "TOP", "allocation_overview", "names_text", "top_contributors"]

#: Most instruments listed by name (tables, unit lines, report cards); beyond it: counts and top contributors.
MAX_LISTED = 12
#: How many instruments a "top contributors" list shows.
TOP = 10


def names_text(names: Sequence[str], limit: int = MAX_LISTED) -> str:
    """``"A, B, C"``, or ``"125 instruments (A, B, C, … and 122 more)"`` past ``limit`` names."""
    names = list(names)
    if len(names) <= limit:
        return ", ".join(names)
    shown = ", ".join(names[:3])
    return f"{len(names)} instruments ({shown}, … and {len(names) - 3} more)"


def top_contributors(values: pd.Series, top: int = TOP) -> pd.Series:
    """The ``top`` entries of ``values`` with the largest absolute value (ties: first in order)."""
    order = np.argsort(-np.abs(values.to_numpy(dtype=float)), kind="stable")[:top]
    return values.iloc[order]


def allocation_overview(allocations: pd.DataFrame, lower: np.ndarray, upper: np.ndarray, *, digits: int = 6,
                        top: int = TOP) -> str:
    """Per period: instruments held, on a limit, gross and net CS01, largest holding; then the ``top``
    instruments by mean absolute holding with their mean, min and max.

    Parameters
    ----------
    allocations : DataFrame
        period_end × instrument, CS01 (mm per bp).
    lower, upper : ndarray
        The box limits per instrument.
    """
    values = allocations.to_numpy(dtype=float)
    tol = 1e-9 * np.maximum(1.0, np.maximum(np.abs(lower), np.abs(upper)))
    held = np.abs(values) > tol
    on_limit = (np.abs(values - upper) <= tol) | (np.abs(values - lower) <= tol)
    largest = np.abs(values).argmax(axis=1)
    per_period = pd.DataFrame({
        "held": held.sum(axis=1),
        "on_limit": on_limit.sum(axis=1),
        "gross": np.abs(values).sum(axis=1),
        "net": values.sum(axis=1),
        "largest": [allocations.columns[j] if held[i, j] else "-" for i, j in enumerate(largest)],
    }, index=allocations.index)
    mean_abs = pd.Series(np.abs(values).mean(axis=0), index=allocations.columns)
    leaders = top_contributors(mean_abs, top).index
    table = pd.DataFrame({"mean": allocations[leaders].mean(), "min": allocations[leaders].min(),
                          "max": allocations[leaders].max(),
                          "periods_held": held[:, [allocations.columns.get_loc(c) for c in leaders]].sum(axis=0)},
                         index=pd.Index(leaders, name="instrument"))
    fmt = {"float_format": lambda v: f"{v:.{digits}f}"}
    return (f"{per_period.to_string(**fmt)}\n\nTop {len(leaders)} of {allocations.shape[1]} instruments by mean "
            f"|CS01| held:\n{table.to_string(**fmt)}")
