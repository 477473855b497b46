"""Progress bars (tqdm) for long backtests, frontier sweeps and job batches.

``enabled=None`` (the default everywhere) shows a bar only where someone watches it: when
standard error is a terminal, or in a Jupyter notebook, and only once the loop has run for
:data:`DELAY_S` seconds, so short runs print nothing. Output redirected to a file or a pipe
(scripts, CI, ``cdshedge ... > log``) never gets a bar; ``cdshedge --quiet`` and
``progress=False`` turn it off everywhere, ``progress=True`` forces it at once.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["DELAY_S", "interactive", "progress_bar"]

T = TypeVar("T")

#: Seconds a loop must run before the automatic bar appears.
DELAY_S = 0.5


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def interactive() -> bool:
    """Whether someone is watching: standard error is a terminal, or this is a Jupyter kernel."""
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        if callable(isatty) and isatty():
            return True
    except ValueError:  # a closed stream
        return False
    return _in_notebook()


def _tqdm_class() -> Any:
    if _in_notebook():
        try:
            import ipywidgets  # noqa: F401  (tqdm's notebook widget needs it)
        except ImportError:
            pass
        else:
            from tqdm.notebook import tqdm as notebook_tqdm

            return notebook_tqdm
    from tqdm import tqdm

    return tqdm


def progress_bar(items: Iterable[T], *, desc: str, unit: str, total: int | None = None,
                 enabled: bool | None = None) -> Iterator[T]:
    """Iterate ``items`` with a tqdm bar (count done, rate, ETA).

    Parameters
    ----------
    items : iterable
    desc, unit : str
        Label of the bar and of one item (``"periods"``, ``"period"``).
    total : int, optional
        Number of items when ``items`` has no length.
    enabled : bool, optional
        ``None``: only on a terminal or in a notebook, after :data:`DELAY_S` seconds;
        ``True``: always, at once (on standard error); ``False``: never.
    """
    from cdshedge_cvx.engine._eta import timed

    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    items = timed(items, desc=desc, unit=unit, total=total)  # the expected duration, when asked for (CLI)
    if enabled is None:
        if not interactive():
            yield from items
            return
        delay = DELAY_S
    elif enabled:
        delay = 0.0
    else:
        yield from items
        return
    bar_class = _tqdm_class()
    options: dict[str, Any] = {"desc": desc, "unit": unit, "total": total, "leave": False, "delay": delay}
    if bar_class.__module__ == "tqdm.std":
        options["file"] = sys.stderr
    yield from bar_class(items, **options)
