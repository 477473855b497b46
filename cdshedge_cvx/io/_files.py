"""File input and output: checked CSV reading and atomic writing.

Reading turns every pandas/OS failure into a :class:`~cdshedge_cvx.errors.DataError` that names
the file (and the line when the CSV is malformed); writing goes through a temporary file in the
target's folder and a rename, so a failed run never leaves a partial output behind.

Every file the package writes (``--out``, plots, reports) goes through :func:`atomic_path`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from cdshedge_cvx.errors import DataError

__all__ = ["STDOUT", "atomic_path", "check_output_path", "check_output_paths", "commit_outputs", "read_csv_checked",
           "resolve_output", "write_atomic_text", "write_frame_csv"]

#: The output name that streams to standard output instead of a file.
STDOUT = "-"

_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _data_lines(text: str) -> list[int] | None:
    """File line number of every data row as pandas reads it (blank lines skipped), or ``None``.

    The first non-blank record is the header. Quoted fields spanning lines are handled by
    :mod:`csv` (the number is the record's first line).
    """
    try:
        reader = csv.reader(io.StringIO(text), skipinitialspace=True)
        lines, start, header_seen = [], 1, False
        for record in reader:
            if len(record) > 1 or (record and record[0].strip()):
                if header_seen:
                    lines.append(start)
                header_seen = True
            start = reader.line_num + 1
        return lines
    except csv.Error:
        return None


def _header_problem(text: str) -> str | None:
    """A duplicate or misplaced-delimiter problem in the header line, described, or ``None``."""
    try:
        header = next((r for r in csv.reader(io.StringIO(text), skipinitialspace=True)
                       if r and any(c.strip() for c in r)), None)
    except csv.Error:
        return None
    if header is None:
        return None
    names = [c.strip() for c in header]
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            return f"duplicate column {name!r} in the header; give every column its own name"
        seen.add(name)
    if len(names) == 1:
        for delimiter, label in ((";", "semicolon"), ("\t", "tab")):
            if delimiter in names[0]:
                return f"the header is {label}-separated ({names[0][:40]!r}); save the file as comma-separated CSV"
    return None


#: Byte-order marks and the encodings they announce (Excel's "Unicode text" is UTF-16 LE with a BOM).
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
#: Suffixes read as spreadsheets or columnar files instead of CSV text.
TABLE_SUFFIXES = (".xlsx", ".xlsm", ".parquet")
_SEP_LINE = re.compile(r"^\s*sep=(.)\s*$", re.IGNORECASE)


def _decode(raw: bytes, label: str) -> str:
    """The text of a CSV's bytes: UTF-8 (with or without BOM) or UTF-16 with a BOM (also BOM-less
    UTF-16 recognised by its zero bytes); refuse binary and other encodings."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise DataError(f"{label} is not {encoding.upper()} text (byte {exc.start}); save it as UTF-8 CSV") \
                    from None
    if b"\x00" in raw:
        even, odd = raw[0::2], raw[1::2]
        for zeros, encoding in ((odd, "utf-16-le"), (even, "utf-16-be")):
            if len(zeros) and zeros.count(0) >= 0.9 * len(zeros):
                try:
                    return raw.decode(encoding)
                except UnicodeDecodeError:
                    break
        raise DataError(f"{label} is not a text CSV (binary content)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{label} is not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV") from None


def _strip_sep_line(text: str) -> tuple[str, str]:
    """Drop Excel's ``sep=X`` first line; the delimiter it names (``","`` when absent).

    The line is replaced by an empty line, so file line numbers in messages stay right.
    """
    first, newline, rest = text.partition("\n")
    match = _SEP_LINE.match(first)
    if not match:
        return text, ","
    return newline + rest, match.group(1)


def _trailing_empty_column(text: str, delimiter: str) -> bool:
    """``True`` when every non-blank line ends with the delimiter (a trailing separator on every row,
    header included): the column it opens has no name and no values."""
    lines = [line.rstrip("\r") for line in text.splitlines() if line.strip()]
    return bool(lines) and all(line.rstrip().endswith(delimiter) for line in lines)


def _read_table_file(path: Path, label: str, index_col: int | None) -> pd.DataFrame:
    """An ``.xlsx`` (first sheet, via openpyxl) or ``.parquet`` (via pyarrow) file as a DataFrame whose
    first column is the index when ``index_col == 0``; row numbers count the header as line 1."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
            if not isinstance(frame.index, pd.RangeIndex):  # a stored (date) index becomes the first column
                frame = frame.reset_index()
        else:
            frame = pd.read_excel(path, sheet_name=0, engine="openpyxl", keep_default_na=False, na_values=[""])
    except ImportError as exc:
        package = "pyarrow" if suffix == ".parquet" else "openpyxl"
        raise DataError(f"{label}: reading {suffix} files needs the {package} package ({exc}); "
                        f"pip install {package}, or save the file as CSV") from None
    except Exception as exc:  # any reader failure is the file's problem, named once
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise DataError(f"{label} is not a readable {suffix} file: {detail}") from None
    frame = frame.dropna(axis=1, how="all").dropna(axis=0, how="all")
    names = [str(c).strip() for c in frame.columns]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError(f"{label}: duplicate column {name!r} in the header; give every column its own name")
        seen.add(name)
    if frame.shape[1] == 0:
        raise DataError(f"{label} has no columns")
    if frame.shape[0] == 0:
        raise DataError(f"{label} has a header but no data rows")
    lines = [int(i) + 2 for i in frame.index] if isinstance(frame.index, pd.RangeIndex) or \
        pd.api.types.is_integer_dtype(frame.index) else list(range(2, len(frame) + 2))
    frame = frame.set_axis(names, axis=1).reset_index(drop=True)
    if index_col is not None:
        frame = frame.set_index(frame.columns[index_col])
    frame.attrs["csv_lines"] = lines
    return frame


def read_csv_checked(path: str | Path, *, what: str, index_col: int | None = 0) -> pd.DataFrame:
    """Read a CSV (or ``.xlsx``/``.parquet``) file into a DataFrame or raise :class:`DataError` naming ``path``.

    Read as desks export them: UTF-8 with or without BOM, UTF-16 (Excel's "Unicode text"), Excel's
    ``sep=,`` first line (its delimiter is used), a trailing separator on every row (the empty
    column it opens is dropped); ``.xlsx`` files (first sheet, openpyxl) and ``.parquet`` files
    (pyarrow) by their suffix.

    Refused: a missing file or a folder, an unreadable file, an empty or blank file, binary or
    other-encoding content, a duplicate or ``;``/tab-separated header (without a ``sep=`` line),
    rows with more fields than the header, and a header with no data rows. The file line of every
    data row is stored in ``frame.attrs["csv_lines"]`` so later messages can name the line even
    when the file has blank lines.

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
    label = f"{what} {str(path)!r}"
    if not path.exists():
        raise DataError(f"{label} does not exist")
    if path.is_dir():
        raise DataError(f"{label} is a directory, not a CSV file")
    if path.suffix.lower() in TABLE_SUFFIXES:
        return _read_table_file(path, label, index_col)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{label} cannot be read: {exc.strerror or type(exc).__name__}") from None
    if not raw.strip():
        raise DataError(f"{label} is empty")
    if raw[:4] == b"PK\x03\x04":
        raise DataError(f"{label} is a spreadsheet (zip) file, not CSV text; name it .xlsx or save it as CSV")
    text = _decode(raw, label).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DataError(f"{label} is empty")
    text, delimiter = _strip_sep_line(text)
    if delimiter != ",":
        text = _to_commas(text, delimiter, label)
    if _trailing_empty_column(text, ","):
        text = "\n".join(line.rstrip()[:-1] if line.strip() else line for line in text.split("\n"))
    problem = _header_problem(text)
    if problem:
        raise DataError(f"{label}: {problem}")
    try:
        frame = pd.read_csv(io.StringIO(text), index_col=index_col, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{label} has no columns") from None
    except (pd.errors.ParserError, ValueError, IndexError, OverflowError) as exc:
        detail = str(exc).strip()
        fields = _FIELDS.search(detail)
        if fields:
            expected, line, saw = fields.groups()
            raise DataError(f"{label}, line {line}: {saw} fields where the header has {expected}; "
                            "remove the extra cells or quote values that contain commas") from None
        first_line = detail.splitlines()[0] if detail else type(exc).__name__
        raise DataError(f"{label} is not a well-formed CSV: {first_line}") from None
    if frame.shape[0] == 0:
        raise DataError(f"{label} has a header but no data rows")
    lines = _data_lines(text)
    if lines is not None and len(lines) == len(frame):
        frame.attrs["csv_lines"] = lines
    return frame


def _to_commas(text: str, delimiter: str, label: str) -> str:
    """Re-write a ``sep=X``-announced file with commas (quoting handled by :mod:`csv`)."""
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise DataError(f"{label} is not a well-formed {delimiter!r}-separated file: {exc}") from None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def resolve_output(target: str | Path, *, flag: str = "output") -> Path:
    """The regular file that writing ``target`` changes: a symbolic link is followed to its target.

    Writing goes *through* a link (the link stays, its target gets the new content), never onto
    the link itself. A target that exists and is not a regular file (a FIFO, a device such as
    ``/dev/null``, a socket) is refused: replacing it by a rename would destroy it. Use ``-`` to
    stream an output to standard output.

    Raises
    ------
    DataError
        For a dangling link, a link loop, or a non-regular target.
    """
    import stat

    target = Path(target)
    if target.is_symlink():
        try:
            resolved = target.resolve(strict=False)
        except (OSError, RuntimeError):
            raise DataError(f"{flag} {str(target)!r} is a symbolic link that cannot be resolved (a loop?); "
                            "give the file itself") from None
        target = resolved
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise DataError(f"{flag} {str(target)!r} cannot be examined: {exc.strerror or type(exc).__name__}") from None
    if stat.S_ISDIR(mode):
        raise DataError(f"{flag} {str(target)!r} is a directory; give a file name")
    if not stat.S_ISREG(mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
        raise DataError(f"{flag} {str(target)!r} is {kind}, not a regular file; it would be replaced, not written: "
                        "give a file name, or '-' to write to standard output")
    return target


def check_output_path(target: str | Path, *, flag: str = "output", inputs: Iterable[str | Path | None] = ()) -> Path:
    """Refuse, before any work is done, an output path that cannot be written or would overwrite an input.

    Parameters
    ----------
    target : str or Path
        The file to be written (``"-"``: standard output, always accepted).
    flag : str, default "output"
        How messages name the path (the command line passes its flag, e.g. ``"--plot"``).
    inputs : iterable of path
        Files read by the run, which the output must not overwrite.

    Returns
    -------
    Path
        The file that will be written (a symbolic link resolved to its target).

    Raises
    ------
    DataError
        When the folder does not exist, the target is a folder, a FIFO, a device or a socket, or
        it is one of ``inputs``.
    """
    if str(target) == STDOUT:
        return Path(STDOUT)
    given = Path(target)
    target = resolve_output(given, flag=flag)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise DataError(f"{flag} {str(given)!r}: folder {str(folder)!r} does not exist; create it first")
    for source in inputs:
        if source is not None and Path(source).exists() and target.exists() and target.samefile(source):
            raise DataError(f"{flag} {str(given)!r} is also an input file; choose another output name")
    return target


def check_output_paths(outputs: dict[str, str | Path | None], *,
                       inputs: Iterable[str | Path | None] = ()) -> dict[str, Path]:
    """:func:`check_output_path` for every named output, and one file per output.

    Parameters
    ----------
    outputs : dict
        ``{flag: path}``; ``None`` entries are skipped.
    inputs : iterable of path
        Files the outputs must not overwrite.

    Raises
    ------
    DataError
        When two outputs name the same file (also through a link), or two stream to standard output.
    """
    inputs = list(inputs)
    checked: dict[str, Path] = {}
    seen: dict[str, str] = {}
    for flag, value in outputs.items():
        if not value:
            continue
        path = check_output_path(value, flag=flag, inputs=inputs)
        key = STDOUT if str(path) == STDOUT else os.path.normcase(os.path.abspath(path))
        if key in seen:
            where = "standard output" if key == STDOUT else repr(str(value))
            raise DataError(f"{seen[key]} and {flag} both write {where}; give each output its own file")
        seen[key] = flag
        checked[flag] = path
    return checked


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _temporary_beside(target: Path) -> tuple[int, str, int]:
    """(open handle, name, permissions) of a new hidden temporary file in ``target``'s folder, the
    permissions ``target``'s own (or the default for a new file)."""
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise DataError(f"cannot write {str(target)!r}: folder {str(folder)!r} does not exist")
    try:
        mode = target.stat().st_mode & 0o777 if target.exists() else _default_mode()
        handle, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix or ".tmp", dir=folder)
    except OSError as exc:
        raise DataError(f"cannot write {str(target)!r}: {exc.strerror or type(exc).__name__}") from None
    return handle, name, mode


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` only on success.

    The temporary file is hidden (``.name.XXXX.ext``), keeps ``target``'s extension (so
    ``savefig(tmp)`` infers the format), is flushed to disk before the rename, and is removed
    if the block raises: ``target`` is then left as it was (absent, or its previous complete
    content). The final file gets the permissions of the file it replaces, else the umask's.

    Examples
    --------
    >>> with atomic_path("out.png") as tmp:        # doctest: +SKIP
    ...     figure.savefig(tmp)
    """
    target = resolve_output(target, flag="cannot write: output")
    handle, name, mode = _temporary_beside(target)
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        if not tmp.exists():
            raise DataError(f"cannot write {str(target)!r}: the writer produced no file")
        with open(tmp, "r+b") as written:
            os.fsync(written.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        raise DataError(f"cannot write {str(target)!r}: {exc.strerror or type(exc).__name__}") from None
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


def _stage(target: Path, content: bytes) -> Path:
    """``content`` in a hidden, fsynced temporary file beside ``target`` with ``target``'s permissions."""
    handle, name, mode = _temporary_beside(target)
    tmp = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp, mode)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise DataError(f"cannot write {str(target)!r}: {exc.strerror or type(exc).__name__}") from None
        raise
    return tmp


def _backup(target: Path) -> Path | None:
    """A hidden hard link (else copy) of ``target``'s current content, or ``None`` when it does not exist."""
    import shutil

    if not target.exists():
        return None
    folder = target.parent if str(target.parent) else Path(".")
    handle, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".bak", dir=folder)
    os.close(handle)
    backup = Path(name)
    try:
        backup.unlink()
        os.link(target, backup)
    except OSError:
        shutil.copy2(target, backup)
    return backup


def commit_outputs(outputs: dict[str | Path, bytes], *, stdout: Any = None) -> None:
    """Write every output or none: stage all to temporary files, then rename them all into place.

    Each target is resolved as by :func:`resolve_output` (links written through, non-regular files
    refused); ``"-"`` streams its content to ``stdout`` (default ``sys.stdout``'s binary buffer)
    after the files are committed. When staging fails nothing is renamed; when a rename fails the
    files already renamed get their previous content back (or are removed when they were new).

    Parameters
    ----------
    outputs : dict
        ``{path: content}``, written in this order.
    stdout : binary file, optional
        Where ``"-"`` writes.

    Raises
    ------
    DataError
        When an output cannot be written; no output is then changed.
    """
    import sys

    files = {str(p): c for p, c in outputs.items() if str(p) != STDOUT}
    streamed = [c for p, c in outputs.items() if str(p) == STDOUT]
    targets = {name: resolve_output(name, flag="cannot write: output") for name in files}
    staged: dict[Path, Path] = {}
    try:
        for name, content in files.items():
            staged[targets[name]] = _stage(targets[name], content)
        done: list[tuple[Path, Path | None]] = []
        try:
            for target, tmp in staged.items():
                backup = _backup(target)
                done.append((target, backup))
                os.replace(tmp, target)
        except BaseException as exc:
            for target, backup in reversed(done):
                with contextlib.suppress(OSError):
                    if backup is not None:
                        os.replace(backup, target)
                        backup.unlink(missing_ok=True)  # rename between two links of one file does nothing
                    elif target.exists():
                        target.unlink()
            if isinstance(exc, OSError):
                raise DataError(f"cannot write {str(target)!r}: {exc.strerror or type(exc).__name__}; "
                                "no output was changed") from None
            raise
        for _, backup in done:
            if backup is not None:
                backup.unlink(missing_ok=True)
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
    if streamed:
        stream = stdout if stdout is not None else sys.stdout.buffer
        sys.stdout.flush()
        for content in streamed:
            stream.write(content)
        stream.flush()
