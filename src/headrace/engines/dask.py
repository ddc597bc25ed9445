"""The Dask engine: partitions run on a ``dask.distributed`` cluster.

With an address it connects to a running scheduler (``tcp://host:8786``); without one
it starts a ``LocalCluster`` of worker processes sized to the machine, and closes it
again in :meth:`DaskEngine.close`. Dask is imported only when this engine is used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from headrace.errors import EngineError

__all__ = ["DaskEngine"]

T = TypeVar("T")
R = TypeVar("R")


class DaskEngine:
    """Runs partitions as Dask tasks and gathers the results in partition order.

    Parameters
    ----------
    address : str, optional
        Scheduler address; ``None`` starts a local cluster.
    workers : int, optional
        Worker processes of the local cluster (ignored with an address).
    """

    name = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        self.address = address
        self.workers = workers
        self._client: Any = None
        self._cluster: Any = None

    def map_partitions(self, fn: Callable[[T], R], partitions: Sequence[T]) -> list[R]:
        """Return ``[fn(p) for p in partitions]`` computed on the cluster."""
        if not partitions:
            return []
        client = self._connect()
        # pure=False: identical partitions are still distinct tasks; scatter keeps large
        # batches out of the task graph.
        data = client.scatter(list(partitions))
        futures = client.map(fn, data, pure=False)
        return list(client.gather(futures))

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this engine started one."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def _connect(self) -> Any:
        if self._client is None:
            try:
                from distributed import Client, LocalCluster
            except ImportError as exc:
                raise EngineError(
                    "the dask engine needs dask.distributed: pip install 'headrace[dask]'"
                ) from exc
            if self.address is None:
                self._cluster = LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None
                )
                self._client = Client(self._cluster)
            else:
                self._client = Client(self.address)
        return self._client
