"""Result tables written to the format the path asks for: CSV text, or an ``.xlsx`` workbook with one
sheet per table (openpyxl), atomically either way."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from cdshedge_cvx.errors import DataError

__all__ = ["EXCEL_SUFFIXES", "tables_bytes", "workbook_bytes", "write_tables"]

EXCEL_SUFFIXES = (".xlsx",)


def workbook_bytes(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """An ``.xlsx`` workbook of ``tables``, one sheet each (sheet name = key, at most 31 characters)."""
    try:
        import openpyxl  # noqa: F401 - only to name the missing package clearly
    except ImportError:
        raise DataError("writing .xlsx needs the openpyxl package: pip install openpyxl, or write CSV") from None
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in tables.items():
            table = frame.copy()
            if isinstance(table.index, pd.DatetimeIndex):
                table.index = table.index.date  # dates, not midnight timestamps
            table.to_excel(writer, sheet_name=str(name)[:31])
    return buffer.getvalue()


def tables_bytes(target: str | Path, tables: pd.DataFrame | Mapping[str, pd.DataFrame]) -> bytes:
    """The bytes :func:`write_tables` would write to ``target``: a workbook for ``.xlsx``, else the first
    table as CSV (``%.10g``, ``\n`` line ends)."""
    named = {"table": tables} if isinstance(tables, pd.DataFrame) else dict(tables)
    if Path(target).suffix.lower() in EXCEL_SUFFIXES:
        return workbook_bytes(named)
    return next(iter(named.values())).to_csv(float_format="%.10g", lineterminator="\n").encode("utf-8")


def write_tables(target: str | Path, tables: pd.DataFrame | Mapping[str, pd.DataFrame]) -> None:
    """Write ``tables`` to ``target``: an ``.xlsx`` path gets a workbook with one sheet per table; any
    other path gets the first table as CSV (:func:`~cdshedge_cvx.io.write_frame_csv`)."""
    from cdshedge_cvx.io._files import atomic_path, write_frame_csv

    named = {"table": tables} if isinstance(tables, pd.DataFrame) else dict(tables)
    if Path(target).suffix.lower() in EXCEL_SUFFIXES:
        content = workbook_bytes(named)
        with atomic_path(target) as tmp:
            tmp.write_bytes(content)
        return
    write_frame_csv(target, next(iter(named.values())))
