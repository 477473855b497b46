"""Progress bars appear where someone watches (a terminal, a notebook) and nowhere else; ``--quiet``
silences them; ``cdshedge --help`` starts without importing CVXPY or pandas."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import types
from concurrent.futures import ThreadPoolExecutor

import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.engine import _progress as progress

# a bar at once (no half-second delay), then the CLI: what a long run does on a terminal
_CLI = ("import cdshedge_cvx.engine._progress as p; p.DELAY_S = 0.0; from cdshedge_cvx.cli import main; "
        "raise SystemExit(main({}))")
RUN = ["run", "--no-cross-check"]
FRONTIER = ["frontier", "--example", "seed", "--gammas", "0.1,1", "--no-cross-check", "--horizon", "Q"]


def _cli(args: list[str], *, tty: bool) -> tuple[int, str]:
    """Run the CLI in a subprocess with standard error on a pseudo-terminal or on a pipe."""
    command = [sys.executable, "-c", _CLI.format(args)]
    if not tty:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stderr
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.stdout.read()
    process.wait(timeout=120)
    os.close(master)
    return process.returncode, b"".join(chunks).decode(errors="replace")


def test_a_terminal_shows_the_period_bar_and_quiet_removes_it():
    code, err = _cli(RUN, tty=True)
    assert code == 0 and "periods" in err and "/48" in err and "period/s" in err
    code, err = _cli([*RUN, "--quiet"], tty=True)
    assert code == 0 and "periods" not in err and "%|" not in err


def test_output_that_is_not_a_terminal_has_no_progress_bar():
    code, err = _cli(RUN, tty=False)
    assert code == 0
    assert "periods" not in err and "%|" not in err and "\r" not in err


def test_the_frontier_cli_shows_its_bar_on_a_terminal_and_honours_quiet():
    code, err = _cli(FRONTIER, tty=True)
    assert code == 0 and "gammas" in err and "/2" in err
    code, err = _cli([*FRONTIER, "--quiet"], tty=True)
    assert code == 0 and "gammas" not in err and "%|" not in err
    code, err = _cli(FRONTIER, tty=False)
    assert code == 0 and "gammas" not in err and "%|" not in err


def test_api_progress_true_always_false_never(capsys):
    market, universe = ch.examples.seed()
    ch.backtest(market, universe, conventions="seed", horizon="Q", cross_check=False, progress=True)
    assert "periods" in capsys.readouterr().err
    ch.backtest(market, universe, conventions="seed", horizon="Q", cross_check=False, progress=False)
    ch.backtest(market, universe, conventions="seed", horizon="Q", cross_check=False)  # captured: not a terminal
    assert capsys.readouterr().err == ""


def test_run_many_counts_finished_jobs(capsys):
    market, universe = ch.examples.seed()
    jobs = ch.as_jobs({"market": market, "universe": universe, "conventions": "seed", "cross_check": False},
                      {"horizon": ["Q", "A"]})
    with ThreadPoolExecutor(2) as pool:
        results = ch.run_many(jobs, pool, progress=True)
    assert [len(r.allocations) for r in results] == [16, 4]  # in job order
    assert "jobs" in capsys.readouterr().err


def test_a_jupyter_kernel_counts_as_watched(monkeypatch):
    class ZMQInteractiveShell:
        pass

    fake = types.ModuleType("IPython")
    fake.get_ipython = ZMQInteractiveShell
    monkeypatch.setattr(sys, "stderr", open(os.devnull, "w"))
    assert not progress.interactive()
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert progress.interactive()


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["frontier", "--help"], ["convert", "--help"]])
def test_help_does_not_import_cvxpy_or_pandas(args):
    code = (f"import sys\nfrom cdshedge_cvx.cli import main\ntry:\n    main({args})\nexcept SystemExit:\n    pass\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'cvxpy', 'pandas', 'scipy', 'osqp'})\n"
            "print('HEAVY', heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "usage: cdshedge" in done.stdout
    assert done.stdout.strip().endswith("HEAVY []")
