"""The Dask engine: partitions run on a ``dask.distributed`` cluster.

With an address it connects to a running scheduler (``tcp://host:8786``), whose
workers may be on other machines; without one it starts a ``LocalCluster`` of worker
processes (one thread each) sized to the machine, and closes it again in
:meth:`DaskEngine.close`. Dask is imported only when this engine is used.

How work travels:

* The function is serialized once with cloudpickle, so LFs from a project's
  ``lfs.py`` (which workers cannot import by name) travel by value, as with the
  process engine. It goes to every worker once and is unpickled once per worker;
  later calls with the same function (batch prediction calls once per window) reuse it.
* Partitions go from this process straight to a worker (no hop through the
  scheduler), at most ``partitions_in_flight`` per worker thread at a time. When a
  worker finishes one, the next partition goes to that worker. Worker memory so holds
  a few partitions whatever the input's size, sending overlaps computing, and a faster
  worker gets more partitions.
* Results come back to this process and are returned in partition order.

Workers need headrace (and what the LFs or the model import) installed, at the same
version as this process: ``pip install 'headrace[dask]'`` on every node.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import cloudpickle

from headrace.errors import EngineError

__all__ = ["DaskEngine"]

T = TypeVar("T")
R = TypeVar("R")

#: Distinct functions a worker keeps unpickled (a long-lived cluster serves many runs).
_CACHED_FUNCTIONS = 8
_worker_functions: OrderedDict[str, Callable[[Any], Any]] = OrderedDict()
_worker_lock = threading.Lock()


def _run(digest: str, payload: bytes, partition: Any) -> tuple[str, Any]:
    """On a worker: ``fn(partition)``, with the worker's address (where to send the next one)."""
    from distributed import get_worker

    with _worker_lock:
        fn = _worker_functions.get(digest)
        if fn is None:
            fn = _worker_functions[digest] = cloudpickle.loads(payload)
            while len(_worker_functions) > _CACHED_FUNCTIONS:
                _worker_functions.popitem(last=False)
        else:
            _worker_functions.move_to_end(digest)
    return get_worker().address, fn(partition)


class DaskEngine:
    """Runs partitions as Dask tasks and gathers the results in partition order.

    Parameters
    ----------
    address : str, optional
        Scheduler address (``tcp://host:8786``); ``None`` starts a local cluster.
    workers : int, optional
        Worker processes of the local cluster (default: one per CPU). Ignored with an
        address: the cluster's workers are whatever joined its scheduler.
    partitions_in_flight : int
        Partitions sent ahead per worker thread: 2 keeps every worker busy while the
        next partition travels; more only costs worker memory.
    connect_timeout_s : float
        How long to wait for the scheduler, and for at least one worker to join it.

    Examples
    --------
    >>> engine = DaskEngine(address="tcp://10.0.0.5:8786")  # doctest: +SKIP
    >>> engine.map_partitions(len, [[1, 2], [3]])  # doctest: +SKIP
    [2, 1]
    >>> engine.close()  # doctest: +SKIP
    """

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        *,
        partitions_in_flight: int = 2,
        connect_timeout_s: float = 30.0,
    ) -> None:
        if workers is not None and workers < 1:
            raise EngineError(f"the dask engine's workers must be a positive integer, got {workers}")
        if partitions_in_flight < 1:
            raise EngineError(
                "the dask engine's partitions_in_flight must be a positive integer, "
                f"got {partitions_in_flight}"
            )
        self.address = address
        self._workers = workers
        self.partitions_in_flight = partitions_in_flight
        self.connect_timeout_s = connect_timeout_s
        self._client: Any = None
        self._cluster: Any = None
        self._function: tuple[str, Any] | None = None

    @property
    def workers(self) -> int:
        """Worker threads the work spreads over: as configured, else counted on the cluster.

        Counting starts the local cluster, or connects to the scheduler, if that has not
        happened yet.
        """
        if self._workers is not None and self.address is None:
            return self._workers
        threads: dict[str, int] = self._connect().nthreads()
        return max(1, sum(threads.values()))

    def map_partitions(self, fn: Callable[[T], R], partitions: Sequence[T]) -> list[R]:
        """Return ``[fn(p) for p in partitions]`` computed on the cluster."""
        if not partitions:
            return []
        from distributed import KilledWorker, as_completed

        client = self._connect()
        results: list[Any] = [None] * len(partitions)
        pending: dict[Any, int] = {}
        finished = as_completed()
        sent = 0

        def send(count: int, worker: str | None) -> None:
            nonlocal sent
            chunk = range(sent, min(sent + count, len(partitions)))
            sent = chunk.stop
            if not chunk:
                return
            data = client.scatter(
                [partitions[i] for i in chunk],
                workers=None if worker is None else [worker],
                direct=True,
                hash=False,
                timeout=self.connect_timeout_s,
            )
            for i, datum in zip(chunk, data, strict=True):
                future = client.submit(_run, digest, payload, datum, pure=False)
                pending[future] = i
                finished.add(future)

        task_failed = False
        try:
            digest, payload = self._send_function(client, fn)
            send(self.partitions_in_flight * self.workers, None)
            for future in finished:
                if future.status == "error" and not isinstance(future.exception(), KilledWorker):
                    task_failed = True
                    future.result()  # raises the function's own exception, as it is
                worker, value = future.result()
                results[pending.pop(future)] = value
                send(1, worker)
        except BaseException as exc:
            self._abandon(client, list(pending))
            if task_failed or not isinstance(exc, Exception):
                raise
            # Not the function's doing: a worker or the scheduler went away, or data was lost.
            where = self.address or "a local cluster"
            raise EngineError(f"the Dask cluster ({where}) failed: {type(exc).__name__}: {exc}") from exc
        return results

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this engine started one."""
        self._function = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def _abandon(self, client: Any, futures: list[Any]) -> None:
        """Cancel what is still running after a failure, and forget the function sent.

        A lost worker may have held the function's bytes: the next call sends them again.
        """
        self._function = None
        with contextlib.suppress(Exception):  # the cluster may be gone; the first error matters
            client.cancel(futures)

    def _send_function(self, client: Any, fn: Callable[[Any], Any]) -> tuple[str, Any]:
        """The function's digest and its bytes, on every worker (sent once per distinct function)."""
        payload = cloudpickle.dumps(fn)
        digest = hashlib.sha256(payload).hexdigest()
        if self._function is None or self._function[0] != digest:
            self._function = (digest, client.scatter(payload, broadcast=True, hash=False, direct=True))
        return self._function

    def _connect(self) -> Any:
        if self._client is not None:
            return self._client
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise EngineError("the dask engine needs dask.distributed: pip install 'headrace[dask]'") from exc
        if self.address is None:
            try:
                self._cluster = LocalCluster(
                    n_workers=self._workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    # The scheduler always serves HTTP (health, metrics); on a free local
                    # port, so that a dashboard already on :8787 is no conflict.
                    dashboard_address="127.0.0.1:0",
                    scheduler_kwargs={"dashboard": False},
                )
            except Exception as exc:
                raise EngineError(
                    f"cannot start a local Dask cluster: {type(exc).__name__}: {exc} (a script that "
                    "starts one must guard its code with `if __name__ == '__main__':`)"
                ) from exc
            self._client = Client(self._cluster)
            return self._client
        try:
            client = Client(self.address, timeout=self.connect_timeout_s)
        except (OSError, TimeoutError, ValueError) as exc:
            raise EngineError(
                f"cannot reach the Dask scheduler at {self.address!r} within {self.connect_timeout_s:g}s "
                f"({type(exc).__name__}: {exc}); start one with `dask scheduler` or fix engine.address "
                "(--dask-address)"
            ) from exc
        try:
            client.wait_for_workers(1, timeout=self.connect_timeout_s)
        except TimeoutError as exc:
            client.close()
            raise EngineError(
                f"the Dask scheduler at {self.address!r} has no workers after {self.connect_timeout_s:g}s; "
                f"start some with `dask worker {self.address}`"
            ) from exc
        self._client = client
        return client
