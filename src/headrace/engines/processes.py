"""The process-pool engine: partitions run in parallel worker processes.

Meant for row-wise LFs, whose Python loop holds the GIL. The work function is
serialized once with cloudpickle (so LFs defined in a project's ``lfs.py``, which
workers cannot import by name, travel by value) and each worker unpickles it once.
Workers start with ``spawn``: forking a process that already runs Arrow's and BLAS's
thread pools can deadlock.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

import cloudpickle

__all__ = ["ProcessEngine"]

T = TypeVar("T")
R = TypeVar("R")

_WORKER_FUNCTIONS: dict[bytes, Callable[[Any], Any]] = {}


def _run(payload: bytes, partition: Any) -> Any:
    fn = _WORKER_FUNCTIONS.get(payload)
    if fn is None:
        fn = _WORKER_FUNCTIONS.setdefault(payload, cloudpickle.loads(payload))
    return fn(partition)


class ProcessEngine:
    """Runs partitions on a pool of ``workers`` processes, results in partition order.

    Parameters
    ----------
    workers : int, optional
        Number of worker processes (default: the machine's CPU count).
    """

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def map_partitions(self, fn: Callable[[T], R], partitions: Sequence[T]) -> list[R]:
        """Return ``[fn(p) for p in partitions]`` computed in worker processes."""
        if not partitions:
            return []
        payload = cloudpickle.dumps(fn)
        pool = self._executor()
        return list(pool.map(_run, [payload] * len(partitions), partitions))

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers or os.cpu_count() or 1,
                mp_context=multiprocessing.get_context("spawn"),
            )
        return self._pool
