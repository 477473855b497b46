"""``python -m benchmarks [--only NAME …] [--blas-threads N|default] [--json FILE]``.

BLAS runs single-threaded unless told otherwise (``--blas-threads``, or the usual environment
variables already set): the dense algebra here is small (at most 126 × 126), where threads only
add contention, and Dask gives its worker processes one thread each too. The variables must be
set before numpy is imported, which is why this module imports nothing else first.
"""

from __future__ import annotations

import os
import sys

_BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _set_blas_threads(argv: list[str]) -> list[str]:
    value, explicit = "1", False
    if "--blas-threads" in argv:
        at = argv.index("--blas-threads")
        if at + 1 >= len(argv):
            raise SystemExit("--blas-threads needs a number or 'default'")
        value, explicit = argv[at + 1], True
        del argv[at:at + 2]
    if value != "default":
        for key in _BLAS_VARIABLES:
            if explicit:
                os.environ[key] = value
            else:
                os.environ.setdefault(key, value)
    elif explicit:
        for key in _BLAS_VARIABLES:
            os.environ.pop(key, None)
    return argv


def _child(argv: list[str]) -> int:
    import argparse

    from benchmarks import suite

    parser = argparse.ArgumentParser(prog="python -m benchmarks --child")
    parser.add_argument("name", choices=["prototype", "memory", "scale500"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cross-check", action="store_true")
    parser.add_argument("--n", type=int, default=125)
    parser.add_argument("--periods", type=int, default=260)
    parser.add_argument("--window", type=int, default=252)
    parser.add_argument("--years", type=int, default=15)
    args = parser.parse_args(argv)
    if args.name == "prototype":
        suite.emit(suite.prototype_child(args.cross_check, args.repeats))
    elif args.name == "scale500":
        from benchmarks.realistic import scale500_child

        suite.emit(scale500_child(500 if args.n == 125 else args.n, args.years, args.window))
    else:
        suite.emit(suite.memory_child(args.n, args.periods, args.window))
    return 0


def main() -> int:
    argv = _set_blas_threads(sys.argv[1:])
    if argv and argv[0] == "--child":
        return _child(argv[1:])
    from benchmarks.suite import main as run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
