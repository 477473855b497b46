"""Reading input files and writing outputs atomically."""

from __future__ import annotations

from cdshedge_cvx.io._files import (
    STDOUT,
    atomic_path,
    check_output_path,
    check_output_paths,
    commit_outputs,
    read_csv_checked,
    resolve_output,
    write_atomic_text,
    write_frame_csv,
)

__all__ = [
    "STDOUT",
    "atomic_path",
    "check_output_path",
    "check_output_paths",
    "commit_outputs",
    "read_csv_checked",
    "resolve_output",
    "write_atomic_text",
    "write_frame_csv",
]
