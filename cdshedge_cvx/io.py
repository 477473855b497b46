"""File input and output: checked CSV reading and atomic writing.

Reading turns every pandas/OS failure into a :class:`~cdshedge_cvx.errors.DataError` that names
the file; writing goes through a temporary file in the target's folder and a rename, so a failed
run never leaves a partial output behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from .errors import DataError

__all__ = ["atomic_path", "read_csv_checked", "write_atomic_text", "write_frame_csv"]


def read_csv_checked(path: str | Path, *, what: str, index_col: int | None = 0) -> pd.DataFrame:
    """Read a CSV into a DataFrame or raise :class:`DataError` naming ``path``.

    Parameters
    ----------
    path : str or Path
        The file.
    what : str
        What the file is ("spreads file", ...), used in messages.
    index_col : int or None
        Passed to :func:`pandas.read_csv`.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{what} {str(path)!r} does not exist")
    if path.is_dir():
        raise DataError(f"{what} {str(path)!r} is a directory, not a CSV file")
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError(f"{what} {str(path)!r} is empty")
    if b"\x00" in raw:
        raise DataError(f"{what} {str(path)!r} is not a text CSV (binary content)")
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{what} {str(path)!r} is not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV") from None
    try:
        frame = pd.read_csv(path, index_col=index_col, encoding="utf-8-sig", skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{what} {str(path)!r} has no columns") from None
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{what} {str(path)!r} is not a well-formed CSV: {first_line}") from None
    if frame.shape[0] == 0:
        raise DataError(f"{what} {str(path)!r} has a header but no data rows")
    return frame


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` only on success.

    Examples
    --------
    >>> with atomic_path("out.png") as tmp:        # doctest: +SKIP
    ...     figure.savefig(tmp, format="png")
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.exists():
        raise DataError(f"cannot write {str(target)!r}: folder {str(folder)!r} does not exist")
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_atomic_text(target: str | Path, text: str) -> None:
    """Write ``text`` to ``target`` atomically (UTF-8, ``\\n`` line ends)."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def write_frame_csv(target: str | Path, frame: pd.DataFrame,
                    float_format: str | Callable[[float], str] | None = "%.10g") -> None:
    """Write ``frame`` as CSV atomically with a fixed float format (byte-identical reruns)."""
    write_atomic_text(target, frame.to_csv(float_format=float_format, lineterminator="\n"))
