"""Outputs are atomic (a failed run leaves no partial or changed file) and deterministic (the
same inputs give byte-identical files)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.io import atomic_path, write_atomic_text, write_frame_csv

DATA = Path(__file__).parent / "data"
INPUTS = ["--spreads", DATA / "valid" / "spreads.csv", "--desk-pnl", DATA / "valid" / "desk_pnl.csv",
          "--instruments", DATA / "valid" / "instruments.csv", "--horizon", "W-FRI", "--quiet"]


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cdshedge_cvx", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_failure_inside_atomic_path_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("<html>half a rep")
        raise RuntimeError("the writer crashed")
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "allocations.csv"
    target.write_text("previous complete run\n")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("partial")
        raise RuntimeError("crash")
    assert target.read_text() == "previous complete run\n"
    assert [p.name for p in tmp_path.iterdir()] == ["allocations.csv"]


def test_a_crash_while_writing_a_frame_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    def half_write(self, text, *args, **kwargs):
        with open(self, "w", encoding="utf-8") as handle:
            handle.write(text[: len(text) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", half_write)
    target = tmp_path / "allocations.csv"
    with pytest.raises(ch.DataError, match=r"cannot write .*allocations\.csv.*No space left on device"):
        write_frame_csv(target, pd.DataFrame({"a": [1.0, 2.0]}))
    assert list(tmp_path.iterdir()) == []


def test_temporary_file_is_hidden_beside_the_target_with_its_extension(tmp_path: Path) -> None:
    """So ``figure.savefig(tmp)`` infers the format and a rename never crosses file systems."""
    target = tmp_path / "plot.png"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".plot.") and tmp.suffix == ".png"
        tmp.write_bytes(b"png")
    assert target.read_bytes() == b"png"


def test_new_files_get_the_usual_permissions(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        write_atomic_text(tmp_path / "a.csv", "x\n")
    finally:
        os.umask(mask)
    assert (tmp_path / "a.csv").stat().st_mode & 0o777 == 0o644  # not mkstemp's 0o600


def test_a_failed_cli_run_leaves_an_existing_out_untouched(tmp_path: Path) -> None:
    out = tmp_path / "allocations.csv"
    out.write_text("previous complete run\n")
    proc = run_cli("run", *INPUTS, "--solver", "NOT-A-SOLVER", "--out", out)
    assert proc.returncode == 2
    assert out.read_text() == "previous complete run\n"
    assert [p.name for p in tmp_path.iterdir()] == ["allocations.csv"]


def test_two_runs_give_byte_identical_files(tmp_path: Path) -> None:
    outputs = []
    for name in ("first.csv", "second.csv"):
        out = tmp_path / name
        proc = run_cli("run", *INPUTS, "--objective", "pnl - carry - roll - 5*variance - tcost", "--out", out)
        assert proc.returncode == 0, proc.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    # and the bytes are the allocations, as the API computes them (10 significant digits)
    market = ch.MarketData.from_csv(DATA / "valid" / "spreads.csv", DATA / "valid" / "desk_pnl.csv")
    universe = ch.Universe.from_csv(DATA / "valid" / "instruments.csv")
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll() - 5.0 * ch.VariancePenalty() - ch.TransactionCost()
    expected = ch.backtest(market, universe, objective, horizon="W-FRI", cross_check=False).allocations
    written = pd.read_csv(tmp_path / "first.csv", index_col=0, parse_dates=True)
    assert list(written.columns) == universe.names
    assert list(written.index) == list(expected.index)
    np.testing.assert_allclose(written.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-15)
    assert outputs[0].endswith(b"\n") and b"\r" not in outputs[0]
