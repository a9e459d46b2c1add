"""A live Dask cluster (scheduler + two worker processes on 127.0.0.1), shared by the module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .cluster_kit import LiveCluster, start_cluster


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCluster]:
    cluster = start_cluster(tmp_path_factory.mktemp("dask-logs"), workers=2)
    try:
        yield cluster
    finally:
        cluster.close()
