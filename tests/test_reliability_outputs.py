"""Issue 14, items 9-12: outputs never touch a path outside the named files, are committed all
together, stream to standard output with ``-``; a closed pipe and a bad Dask scheduler exit cleanly.

Every test here fails on the main before issue 14 (noted per test)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cdshedge_cvx as ch
from cdshedge_cvx import io as chio
from cdshedge_cvx.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str | Path, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "cdshedge_cvx", *map(str, args)], capture_output=True, text=True,
                          timeout=180, env=env, **kwargs)


def snapshot(folder: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every entry of ``folder``: its file type and, for regular files, its content (links not followed)."""
    out = {}
    for entry in sorted(folder.iterdir()):
        mode = entry.lstat().st_mode
        content = entry.read_bytes() if stat.S_ISREG(mode) else (os.readlink(entry).encode()
                                                                  if stat.S_ISLNK(mode) else None)
        out[entry.name] = (stat.S_IFMT(mode), content)
    return out


# item 9: symlinks and non-regular targets ---------------------------------------------------------
def test_symlinked_output_is_written_through_and_the_link_kept(tmp_path: Path) -> None:
    """Main replaced the link by a regular file and left the target's old content."""
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    chio.commit_outputs({link: b"new\n"})
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new\n"


def test_fifo_output_is_refused_and_left_a_fifo(tmp_path: Path) -> None:
    """Main renamed a regular file over the FIFO."""
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(ch.DataError, match=r"pipe\.csv.*named pipe \(FIFO\), not a regular file.*'-'"):
        chio.check_output_paths({"--out": fifo})
    with pytest.raises(ch.DataError, match="named pipe"):
        chio.commit_outputs({fifo: b"x"})
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def _device(tmp_path: Path) -> Path:
    """A character device like /dev/null, made in ``tmp_path`` (never the system's own: a broken
    implementation under test would replace it, as the main before issue 14 did as root)."""
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    return node


def test_device_output_is_refused_by_the_cli_and_the_device_survives(tmp_path: Path) -> None:
    """Main (as root) replaced /dev/null by a regular file; now exit 2 naming the device, nothing written."""
    device = _device(tmp_path)
    before = os.lstat(device)
    result = run_cli("run", "--quiet", "--out", device)
    assert result.returncode == 2, result.stderr
    assert f"--out '{device}' is a device, not a regular file" in result.stderr
    assert "Traceback" not in result.stderr
    after = os.lstat(device)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_a_link_to_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "out.csv"
    link.symlink_to(_device(tmp_path))
    with pytest.raises(ch.DataError, match="is a device"):
        chio.resolve_output(link, flag="--out")


def test_dash_streams_the_csv_to_stdout_and_the_summary_to_stderr(tmp_path: Path) -> None:
    """Main wrote a file named '-' in the working folder and printed the summary on stdout."""
    result = run_cli("run", "--quiet", "--out", "-", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("period_end,CDX IG,CDX HY,iTraxx Main,iTraxx Xover\n")
    assert "realised PnL" in result.stderr and "realised PnL" not in result.stdout
    assert list(tmp_path.iterdir()) == []


# item 10: one path per output ---------------------------------------------------------------------
def test_the_same_path_for_two_outputs_is_refused(tmp_path: Path, capsys) -> None:
    """Main: exit 0 and x.csv held the report, the allocations lost."""
    code = main(["run", "--quiet", "--out", str(tmp_path / "x.csv"), "--report", str(tmp_path / "x.csv")])
    assert code == 2
    assert "--out and --report both write" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_two_outputs_reaching_one_file_through_a_link_are_refused(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("keep\n")
    (tmp_path / "y.csv").symlink_to(tmp_path / "x.csv")
    with pytest.raises(ch.DataError, match="--out and --plot both write"):
        chio.check_output_paths({"--out": tmp_path / "x.csv", "--plot": tmp_path / "y.csv"})


def test_two_outputs_on_stdout_are_refused() -> None:
    with pytest.raises(ch.DataError, match="both write standard output"):
        chio.check_output_paths({"--out": "-", "--report": "-"})


# item 11: all outputs or none ---------------------------------------------------------------------
def test_a_failure_on_the_second_output_leaves_both_as_they_were(tmp_path: Path, monkeypatch, capsys) -> None:
    """Main: new a.csv beside the old r.html (the run failed after the first rename)."""
    a, r = tmp_path / "a.csv", tmp_path / "r.html"
    a.write_text("old allocations\n")
    r.write_text("old report\n")
    real_replace, calls = os.replace, []

    def failing_replace(src, dst):
        if Path(dst) == r and str(src).endswith(".html"):
            calls.append(dst)
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    code = main(["run", "--quiet", "--out", str(a), "--report", str(r)])
    assert code == 2 and calls
    assert "no output was changed" in capsys.readouterr().err
    assert a.read_text() == "old allocations\n" and r.read_text() == "old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "r.html"]


@settings(max_examples=15, deadline=None)
@given(fail_at=st.integers(0, 3), existing=st.lists(st.booleans(), min_size=3, max_size=3))
def test_no_path_outside_the_named_outputs_changes_and_failures_change_nothing(tmp_path_factory, fail_at,
                                                                              existing) -> None:
    """Property: a commit changes exactly the named files (all of them), or, when a rename fails
    part-way, nothing at all."""
    folder = tmp_path_factory.mktemp("out")
    (folder / "bystander.txt").write_text("untouched")
    names = [folder / "a.csv", folder / "b.html", folder / "c.png"]
    for name, exists in zip(names, existing, strict=True):
        if exists:
            name.write_bytes(b"previous " + name.name.encode())
    before = snapshot(folder)
    real_replace, count = os.replace, [0]

    def replace(src, dst):
        if str(src).endswith(".bak"):
            return real_replace(src, dst)  # restoring a backup
        count[0] += 1
        if count[0] == fail_at + 1 and fail_at < 3:
            raise OSError(5, "Input/output error")
        return real_replace(src, dst)

    os.replace = replace
    try:
        if fail_at < 3:
            with pytest.raises(ch.DataError, match="no output was changed"):
                chio.commit_outputs({n: b"new " + n.name.encode() for n in names})
            assert snapshot(folder) == before
        else:
            chio.commit_outputs({n: b"new " + n.name.encode() for n in names})
            after = snapshot(folder)
            assert after["bystander.txt"] == before["bystander.txt"]
            assert sorted(after) == sorted(["bystander.txt", "a.csv", "b.html", "c.png"])
            assert all(after[n.name][1] == b"new " + n.name.encode() for n in names)
    finally:
        os.replace = real_replace


# item 12: broken pipe, scheduler errors -----------------------------------------------------------
def test_a_closed_pipe_exits_quietly() -> None:
    """Main: 'internal error (BrokenPipeError)', exit 1."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "cdshedge_cvx", "run", "--quiet"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    process.stdout.read(10)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    code = process.wait(timeout=180)
    assert code == 141, stderr
    assert "error" not in stderr and "Traceback" not in stderr and "BrokenPipe" not in stderr


@pytest.mark.parametrize(("address", "detail"), [("not an address", "missing port"),
                                                 ("bogus://x:1", "unknown address scheme"),
                                                 ("tcp://127.0.0.1:1", "Timed out")])
def test_a_bad_scheduler_is_a_usage_error_naming_the_address(address: str, detail: str) -> None:
    """Main: 'internal error', exit 1, after 38 s for an unreachable address."""
    pytest.importorskip("dask.distributed")
    result = run_cli("frontier", "--quiet", "--gammas", "0.1", "--scheduler", address)
    assert result.returncode == 2, result.stderr
    assert f"Dask scheduler {address!r} cannot be reached" in result.stderr and detail in result.stderr
    assert "internal error" not in result.stderr
