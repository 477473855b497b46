"""Expected duration of a long loop, announced once at its start (after the first item), whatever
the progress bar does: ``cdshedge --quiet`` still tells the user a run will take 20 minutes.

The library announces nothing unless asked: :func:`announcing` installs a callback (the command
line prints to standard error) for the loops run inside it. Only the outermost loop announces (a
frontier sweep, not each backtest inside it).
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

__all__ = ["ANNOUNCE_AFTER_S", "announcing", "timed"]

T = TypeVar("T")
#: A loop whose projected duration is at least this (seconds) is announced.
ANNOUNCE_AFTER_S = 10.0
#: Items timed before the projection (the first one also compiles the problem).
WARM_UP = 2
_CALLBACK: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar("eta_callback",
                                                                                       default=None)
_ACTIVE: contextvars.ContextVar[bool] = contextvars.ContextVar("eta_active", default=False)


@contextlib.contextmanager
def announcing(callback: Callable[[str], None]) -> Iterator[None]:
    """Loops run inside the block announce their expected duration through ``callback(line)``."""
    token = _CALLBACK.set(callback)
    try:
        yield
    finally:
        _CALLBACK.reset(token)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def timed(items: Iterable[T], *, desc: str, unit: str, total: int | None = None) -> Iterator[T]:
    """Yield ``items``; once :data:`WARM_UP` + 1 of them are done, announce the projected duration
    (time so far + the fastest item after the first × the items left: the first item also compiles
    the problem) when a callback is installed, this is the outermost loop and the projection reaches
    :data:`ANNOUNCE_AFTER_S`."""
    callback = _CALLBACK.get()
    count = total if total is not None else (len(items) if hasattr(items, "__len__") else None)  # type: ignore[arg-type]
    if callback is None or _ACTIVE.get() or not count:
        yield from items
        return
    token = _ACTIVE.set(True)
    try:
        start = last = time.perf_counter()
        steps: list[float] = []
        for position, item in enumerate(items):
            yield item
            now = time.perf_counter()
            steps.append(now - last)
            last = now
            if position == min(WARM_UP, count - 1):
                per_item = min(steps[1:]) if len(steps) > 1 else steps[0]
                expected = (now - start) + per_item * (count - position - 1)
                if expected >= ANNOUNCE_AFTER_S:
                    callback(f"expected duration: about {_duration(expected)} for {count} {desc} "
                             f"(about {per_item:.2g} s per {unit})")
    finally:
        try:
            _ACTIVE.reset(token)
        except ValueError:  # closed from another context (garbage collection of an abandoned loop)
            _ACTIVE.set(False)
