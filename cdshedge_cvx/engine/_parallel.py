"""Run many independent backtests (parameter grids, desks, scenarios) serially, on any
:class:`concurrent.futures.Executor`, or on a Dask cluster through a ``dask.distributed.Client``.

Results come back in the order of the jobs and are identical to a serial run: every job is a
plain function call on its own inputs, so nothing depends on where or when it ran.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from cdshedge_cvx.errors import SpecificationError

__all__ = ["as_jobs", "local_dask_client", "run_many"]


def _call(function: Callable[..., Any], job: Mapping[str, Any]) -> Any:
    result = function(**job)
    detach = getattr(result, "detach", None)
    return detach() if callable(detach) else result


def run_many(jobs: Iterable[Mapping[str, Any]], executor: Any = None, *,
             function: Callable[..., Any] | None = None, progress: bool | None = None) -> list[Any]:
    """Run ``function(**job)`` for every job and return the results in job order.

    Parameters
    ----------
    jobs : iterable of mapping
        Keyword arguments of each call, e.g. ``{"market": m, "universe": u, "objective": o}``.
    executor : concurrent.futures.Executor or dask.distributed.Client, optional
        Where to run; ``None`` runs serially in this process. Anything with ``submit(fn, *args)``
        returning futures with ``result()`` works (a Dask ``Client`` does).
    function : callable, optional
        Defaults to :func:`cdshedge_cvx.backtest`. Must be importable (picklable) for process
        executors and Dask.
    progress : bool, optional
        Progress bar over finished jobs: ``None`` on a terminal or in a notebook once the run
        has taken half a second, ``True`` always, ``False`` never.

    Returns
    -------
    list
        One result per job, in order. Results with a ``detach()`` method (HedgeResult) are
        detached from their compiled CVXPY problem so they can cross process boundaries.
    """
    from cdshedge_cvx.engine._progress import progress_bar

    if function is None:
        from cdshedge_cvx.engine._backtest import backtest as function
    jobs = list(jobs)
    for position, job in enumerate(jobs):
        if not isinstance(job, Mapping):
            raise SpecificationError(f"job {position} must be a mapping of keyword arguments, got {type(job).__name__}")
    if executor is None:
        return [_call(function, job) for job in progress_bar(jobs, desc="jobs", unit="job", enabled=progress)]
    submit = getattr(executor, "submit", None)
    if submit is None:
        raise SpecificationError(f"executor {executor!r} has no submit(); pass a concurrent.futures.Executor or "
                                 "a dask.distributed.Client")
    if _is_dask_client(executor):
        futures = [executor.submit(_call, function, job, pure=False) for job in jobs]
    else:
        futures = [submit(_call, function, job) for job in jobs]
    for _ in progress_bar(_as_completed(executor, futures), desc="jobs", unit="job", total=len(futures),
                          enabled=progress):
        pass
    return [future.result() for future in futures]


def _as_completed(executor: Any, futures: list[Any]) -> Iterable[Any]:
    """The futures as they finish (in submission order when the executor's kind is unknown)."""
    if _is_dask_client(executor):
        from dask.distributed import as_completed

        return as_completed(futures)
    import concurrent.futures

    if all(isinstance(future, concurrent.futures.Future) for future in futures):
        return concurrent.futures.as_completed(futures)
    return futures


def _is_dask_client(executor: Any) -> bool:
    return type(executor).__module__.startswith("distributed")


#: Seconds to wait for an existing Dask scheduler before the address is reported as unreachable.
SCHEDULER_TIMEOUT_S = 5


def local_dask_client(workers: int | None = None, scheduler: str | None = None) -> Any:
    """A ``dask.distributed.Client``: on an existing cluster (``scheduler="tcp://host:8786"``)
    or on a new local cluster of ``workers`` processes (one thread each).

    Close it with ``client.close()`` (and ``client.cluster.close()`` for a local one), or use
    it as a context manager.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise SpecificationError("Dask is not installed: pip install 'cdshedge_cvx[dask]'") from exc
    if scheduler:
        try:
            return Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
        except (OSError, ValueError, TypeError) as exc:  # unreachable, timed out, or a malformed address
            detail = " ".join(str(exc).split()) or type(exc).__name__
            raise SpecificationError(f"Dask scheduler {scheduler!r} cannot be reached: {detail}; check the "
                                     "address (tcp://host:8786) and that the scheduler is running") from None
    if workers is None or workers < 1:
        raise SpecificationError("local_dask_client needs workers >= 1 or a scheduler address")
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster)


def as_jobs(base: Mapping[str, Any], grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The Cartesian product of ``grid`` over ``base`` keyword arguments, in row-major order."""
    import itertools

    keys = list(grid)
    return [{**base, **dict(zip(keys, values))} for values in itertools.product(*(grid[k] for k in keys))]
