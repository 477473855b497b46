"""Benchmarks of ``cdshedge_cvx``: ``python -m benchmarks`` (or ``make bench``).

Every figure is a ratio against a baseline timed in the same run, on the same machine:

1. the prototype problem (4 indices, 48 monthly periods, first call, compile included) against
   the prototype's own scipy loop (:mod:`benchmarks.prototype`), without and with the scipy
   cross-check;
2. a walk-forward backtest at scale (125 instruments, about 260 weekly periods, a variance term
   on a trailing-window covariance) against a bare OSQP solve of the same box QP with its data
   updated per period;
3. a frontier sweep (50 γ × 48 periods) serially and on a Dask ``LocalCluster`` of 2 worker
   processes;
4. ``cdshedge --help`` start-up against ``python -c pass``;
5. the peak memory of the scale case.

This package imports nothing heavy itself, so ``python -m benchmarks`` can fix the BLAS thread
count before numpy loads.
"""
