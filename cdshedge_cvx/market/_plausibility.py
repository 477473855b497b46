"""Plausibility of market data: spread units and ranges per index kind, isolated bad prints, and the
desk PnL's magnitude against the spread moves.

A spread file in percent (IG 0.60 for 60 bp) or decimals (0.0060) passes every type check and
sizes a hedge 100 or 10 000 times too large; a 6000 bp CDX IG print among 60 bp values moves
that period's hedge; a desk file in $ instead of $mm is a book a million times too large. These
checks refuse each with the fix to apply.

Plausible spread ranges (bp), by the kind of index a column's name shows (override per column
with ``MarketData(spread_ranges={"CDX IG": (1, 5000)})``, or per instrument with the instruments
file's ``min_spread_bp``/``max_spread_bp``, :meth:`Universe.spread_ranges`; a side left out keeps
the kind's):

==================  ==========================================================  ========  =========
kind                names (case-insensitive, any part of the column name)       low bp    high bp
==================  ==========================================================  ========  =========
investment grade    ``CDX IG``, ``CDX.NA.IG``, ``iTraxx Main``, ``Europe``,      5         2 000
                    ``Senior Fin``, ``Japan``, ``Australia``
high yield          ``CDX HY``, ``CDX.NA.HY``, ``Xover``, ``Crossover``,         30        20 000
                    ``Sub Fin``, ``CDX EM``
any other           everything else                                              0.5       100 000 (*)
==================  ==========================================================  ========  =========

(*) the general limits every column gets (a column whose largest spread is below 0.5 bp looks
like decimals; a spread above 100 000 bp is refused); no unit is guessed for such a column.

The lows sit far below the tightest prints on record (CDX IG 2007: ~30 bp; HY 2007: ~250 bp) and
the highs far above the widest (CDX IG 2008: ~280 bp; CDX HY 2008: ~1 800 bp; Xover 2009:
~1 100 bp), so only a wrong unit or a bad print falls outside.

Per cell, both sides are judged: above the range's high is refused; below its low, or more than
``OUTLIER_RATIO`` times below the median of the prints around it (:data:`LOW_WINDOW` rows; a run of
prints in percent among bp, or one at the file's first or last row, which :func:`isolated_prints`
cannot judge) is refused under ``missing="error"`` and otherwise treated as missing and reported
(:func:`low_prints`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["LOW_WINDOW", "MAX_IMPLIED_CS01_MM", "OUTLIER_RATIO", "SPREAD_KINDS", "SPREAD_UNITS", "implied_cs01",
           "isolated_prints", "low_prints", "plausible_range", "spread_kind", "unit_suggestion"]

#: Factor from each accepted spread unit to bp.
SPREAD_UNITS = {"bp": 1.0, "percent": 100.0, "decimal": 10_000.0}

#: (kind, name pattern, low bp, high bp), tried in order; the last matches everything.
SPREAD_KINDS: tuple[tuple[str, str, float, float], ...] = (
    ("high yield", r"\bhy\b|xover|crossover|sub\s*fin|\bem\b|high\s*yield", 30.0, 20_000.0),
    ("investment grade", r"\big\b|main|europe|senior\s*fin|japan|australia|investment\s*grade", 5.0, 2_000.0),
    ("any other", r"", 0.5, 100_000.0),
)

#: A print above this many times both its neighbours (or below 1/this of both) is a bad print.
OUTLIER_RATIO = 10.0

#: Rows of the centred window whose median a print is compared with on the low side (:func:`low_prints`).
LOW_WINDOW = 11

#: Desk PnL that moves like a CS01 above this ($mm per bp of the typical spread move) is in the wrong unit.
MAX_IMPLIED_CS01_MM = 1_000.0


def spread_kind(column: str) -> tuple[str, float, float]:
    """The kind of index ``column`` names and its plausible range in bp: ``(kind, low, high)``."""
    name = re.sub(r"[._\-]+", " ", str(column).lower())
    for kind, pattern, low, high in SPREAD_KINDS:
        if re.search(pattern, name):
            return kind, low, high
    return SPREAD_KINDS[-1][0], SPREAD_KINDS[-1][2], SPREAD_KINDS[-1][3]


def plausible_range(column: str, overrides: Mapping[str, tuple[float | None, float | None]] | None = None
                    ) -> tuple[str, float, float] | None:
    """``(what, low, high)`` for ``column``: the user's override when given (matched exactly, else
    ignoring case and repeated spaces; a side given as ``None`` keeps the kind's, or the general
    limits' for a column of no known kind), else its kind's; ``None`` for a column of no known kind
    and no override (only the general limits of ``MarketData`` apply to it)."""
    kind, low, high = spread_kind(column)
    given = _override(column, overrides)
    if given is not None:
        new_low = low if given[0] is None else float(given[0])
        new_high = high if given[1] is None else float(given[1])
        return "the range given", new_low, new_high
    if kind == SPREAD_KINDS[-1][0]:
        return None
    return f"{kind} indices", low, high


def _override(column: str, overrides: Mapping[str, tuple[float | None, float | None]] | None
              ) -> tuple[float | None, float | None] | None:
    if not overrides:
        return None
    if column in overrides:
        return overrides[column]
    key = " ".join(str(column).split()).casefold()
    for name, bounds in overrides.items():
        if " ".join(str(name).split()).casefold() == key:
            return bounds
    return None


def unit_suggestion(median: float, low: float, high: float) -> str | None:
    """The unit a column whose median is ``median`` seems to be in, when that unit puts it in
    ``[low, high]`` bp and bp does not: ``"percent"``, ``"decimal"`` or ``None``."""
    if low <= median <= high or not np.isfinite(median):
        return None
    for unit in ("percent", "decimal"):
        if low <= median * SPREAD_UNITS[unit] <= high:
            return unit
    return None


def isolated_prints(frame: pd.DataFrame, ratio: float = OUTLIER_RATIO) -> np.ndarray:
    """Mask of the cells more than ``ratio`` times both neighbouring prints of their column (or
    less than 1/``ratio`` of both): a print the market around it contradicts. The neighbours are
    the nearest non-missing values before and after; first and last prints are not judged."""
    values = frame.to_numpy(dtype=float)
    before = frame.ffill().shift(1).to_numpy(dtype=float)
    after = frame.bfill().shift(-1).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        high = (values > ratio * before) & (values > ratio * after)
        low = (values * ratio < before) & (values * ratio < after)
    return (high | low) & np.isfinite(before) & np.isfinite(after) & np.isfinite(values)


def low_prints(frame: pd.DataFrame, ranges: Mapping[str, tuple[float | None, float | None]] | None = None,
               ratio: float = OUTLIER_RATIO) -> tuple[np.ndarray, list[str]]:
    """Mask of the cells too low to be a spread in bp, and per cell the reason (row-major order of the mask).

    A cell is too low when it is below the plausible low of its column (:func:`plausible_range`), or more
    than ``ratio`` times below the median of the non-missing prints in the centred window of
    :data:`LOW_WINDOW` rows around it (at least 3 of them): 0.6 among 60 bp prints, alone or in a run
    of up to half the window, at any row.
    """
    values = frame.to_numpy(dtype=float)
    mask = np.zeros(values.shape, dtype=bool)
    reason = np.full(values.shape, "", dtype=object)
    medians = frame.rolling(LOW_WINDOW, center=True, min_periods=3).median().to_numpy(dtype=float)
    for c, column in enumerate(frame.columns):
        column_values = values[:, c]
        known = plausible_range(column, ranges)
        with np.errstate(invalid="ignore"):
            relative = np.isfinite(medians[:, c]) & (column_values * ratio < medians[:, c])
            below = (column_values < known[1]) if known is not None else np.zeros_like(relative)
        for r in np.flatnonzero((below | relative) & np.isfinite(column_values)):
            mask[r, c] = True
            if below[r]:
                what, low, high = known  # type: ignore[misc]
                reason[r, c] = f"is below {low:g}-{high:,.0f} bp, plausible for {what}"
            else:
                reason[r, c] = (f"is more than {ratio:g} times below {medians[r, c]:.6g} bp, the median of the "
                                "prints around it")
    return mask, [str(reason[r, c]) for r, c in np.argwhere(mask)]


def implied_cs01(desk: np.ndarray, changes: np.ndarray) -> float:
    """The CS01 ($mm/bp) a desk would need for its daily PnL to move as much as it does: the
    standard deviation of the desk PnL over the median standard deviation of the daily spread
    changes. ``inf`` when the desk's moves overflow; ``nan`` when either side has no spread."""
    desk = desk[np.isfinite(desk)]
    if desk.size < 2:
        return float("nan")
    with np.errstate(over="ignore", invalid="ignore"):
        spread = np.nanmedian(np.nanstd(changes, axis=0)) if changes.size else float("nan")
        scale = float(np.max(np.abs(desk)))
        if not np.isfinite(scale) or scale > 1e150:
            return float("inf")
        desk_std = float(np.std(desk))
    if not np.isfinite(spread) or spread <= 0:
        return float("nan")
    return desk_std / spread
