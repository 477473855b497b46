"""A real progress bar (tqdm) that stays silent when output is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["progress_bar"]

T = TypeVar("T")


def progress_bar(items: Iterable[T], *, desc: str, unit: str, total: int | None = None,
                 enabled: bool | None = None) -> Iterator[T]:
    """Iterate ``items`` with a tqdm bar (count, rate, ETA) on a terminal or in a notebook.

    ``enabled=None`` shows it only when standard error is a terminal (tqdm.auto picks the
    notebook widget in Jupyter); ``False`` never shows it.
    """
    if enabled is None:
        enabled = bool(getattr(sys.stderr, "isatty", lambda: False)())
    if not enabled:
        yield from items
        return
    from tqdm.auto import tqdm

    yield from tqdm(items, desc=desc, unit=unit, total=total, leave=False)
