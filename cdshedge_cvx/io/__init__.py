"""Reading input files and writing outputs atomically."""

from __future__ import annotations

from cdshedge_cvx.io._files import (
    atomic_path,
    check_output_path,
    read_csv_checked,
    write_atomic_text,
    write_frame_csv,
)

__all__ = [
    "atomic_path",
    "check_output_path",
    "read_csv_checked",
    "write_atomic_text",
    "write_frame_csv",
]
