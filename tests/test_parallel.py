"""run_many: identical results, in job order, serially, on thread and process pools and on Dask."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx as ch


@pytest.fixture(scope="module")
def jobs():
    market, universe = ch.examples.seed()
    base = {"market": market, "universe": universe, "conventions": "seed", "cross_check": False}
    return ch.as_jobs(base, {"horizon": ["Q", "A"], "objective": [None, ch.HedgePnL() - 1e3 * ch.VariancePenalty()]})


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        pd.testing.assert_frame_equal(x.allocations, y.allocations)


def test_grid_is_row_major(jobs):
    assert [(j["horizon"], j["objective"] is None) for j in jobs] == [("Q", True), ("Q", False), ("A", True),
                                                                      ("A", False)]


def test_thread_and_process_pools_equal_serial(jobs):
    serial = ch.run_many(jobs)
    assert [len(r.allocations) for r in serial] == [16, 16, 4, 4]
    with ThreadPoolExecutor(2) as pool:
        _same(serial, ch.run_many(jobs, pool))
    with ProcessPoolExecutor(2) as pool:
        _same(serial, ch.run_many(jobs, pool))


def test_dask_local_cluster_equals_serial(jobs):
    pytest.importorskip("dask.distributed")
    serial = ch.run_many(jobs[:2])
    client = ch.local_dask_client(workers=2)
    try:
        _same(serial, ch.run_many(jobs[:2], client))
    finally:
        client.close()
        client.cluster.close()


def test_detached_results_keep_their_tables(jobs):
    result = ch.run_many(jobs[:1])[0]
    assert result.problem is None
    assert np.isfinite(result.summary()["hedge_pnl_mm"])


def test_jobs_must_be_mappings():
    with pytest.raises(ch.SpecificationError, match="job 0 must be a mapping"):
        ch.run_many([("not", "a", "mapping")])
