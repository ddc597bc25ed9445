"""The one applier core: run labeling functions over Arrow record batches.

The table is cut into partitions of ``batch_size`` rows; every LF labels each partition
(vectorized LFs in one call on the Arrow batch or a DataFrame, row-wise LFs once per
row), and each form of the partition is built once and shared (:class:`LFBatch`).
Partitions go through an :class:`~headrace.engines.Engine`, so the same core runs
in-process, in a process pool or on Dask, and results come back in row order.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from headrace.engines import Engine, LocalEngine
from headrace.errors import LabelingFunctionError
from headrace.supervision.batch import LFBatch
from headrace.supervision.lf import ABSTAIN, IntArray, LabelingFunction
from headrace.supervision.matrix import LabelMatrix

__all__ = ["ApplyResult", "LFFailure", "apply_lfs"]

# Large enough that per-batch costs (conversions, kernel launches, the shared scans of
# text columns) vanish — in-process, Arrow LFs already run side by side on threads —
# and small enough that a partition's DataFrame and rows stay within tens of MB.
# Process and Dask engines parallelize over partitions: they pay off on data many
# times this size.
DEFAULT_BATCH_SIZE = 131072


@dataclass(frozen=True)
class LFFailure:
    """An LF raised on a row (recorded when ``on_error="abstain"``)."""

    lf: str
    row_id: Any
    error: str


@dataclass(frozen=True)
class ApplyResult:
    """What applying LFs produced: the matrix, the failures and the time each LF took."""

    matrix: LabelMatrix
    failures: list[LFFailure] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _PartitionResult:
    votes: npt.NDArray[np.int8]
    failures: list[LFFailure]
    seconds: list[float]


def apply_lfs(
    lfs: Sequence[LabelingFunction],
    table: pa.Table,
    *,
    id_column: str,
    cardinality: int,
    engine: Engine | None = None,
    on_error: str = "raise",
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> ApplyResult:
    """Apply ``lfs`` to every row of ``table`` and return the label matrix.

    Raises
    ------
    LabelingFunctionError
        An LF raised (with ``on_error="raise"``), or returned a value outside
        ``-1..cardinality-1``; the message names the LF and the row id.
    """
    if on_error not in ("raise", "abstain"):
        raise ValueError(f"on_error must be 'raise' or 'abstain', got {on_error!r}")
    engine = engine or LocalEngine()
    batches = table.to_batches(max_chunksize=batch_size) if table.num_rows else []
    work = partial(
        _apply_partition,
        lfs=tuple(lfs),
        id_column=id_column,
        cardinality=cardinality,
        on_error=on_error,
    )
    parts = engine.map_partitions(work, batches)
    votes = np.concatenate([p.votes for p in parts]) if parts else np.empty((0, len(lfs)), dtype=np.int8)
    seconds = {lf.name: float(sum(p.seconds[j] for p in parts)) for j, lf in enumerate(lfs)}
    matrix = LabelMatrix(
        values=votes,
        lf_names=tuple(lf.name for lf in lfs),
        lf_keys=tuple(lf.key for lf in lfs),
        cardinality=cardinality,
    )
    return ApplyResult(matrix=matrix, failures=[f for p in parts for f in p.failures], seconds=seconds)


def _apply_partition(
    batch: pa.RecordBatch,
    *,
    lfs: tuple[LabelingFunction, ...],
    id_column: str,
    cardinality: int,
    on_error: str,
) -> _PartitionResult:
    data = LFBatch(batch, id_column)

    def run(lf: LabelingFunction) -> tuple[IntArray, list[tuple[Any, str]], float]:
        start = time.perf_counter()
        column, failed = lf.label_batch(data, on_error=on_error)
        return column, failed, time.perf_counter() - start

    # Arrow-native LFs spend their time in C++ with the GIL released: run them side by
    # side on the machine's cores; Python LFs (row-wise, pandas) run one after another.
    native = [j for j, lf in enumerate(lfs) if lf.releases_gil]
    outcomes: dict[int, tuple[IntArray, list[tuple[Any, str]], float]] = {}
    if len(native) > 1 and len(data) >= _THREADED_MIN_ROWS:
        for j, outcome in zip(native, _threads().map(run, [lfs[j] for j in native]), strict=True):
            outcomes[j] = outcome
    votes = np.full((len(data), len(lfs)), ABSTAIN, dtype=np.int8)
    failures: list[LFFailure] = []
    seconds: list[float] = []
    for j, lf in enumerate(lfs):
        column, failed, elapsed = outcomes[j] if j in outcomes else run(lf)
        seconds.append(elapsed)
        bad = (column < ABSTAIN) | (column >= cardinality)
        if bad.any():
            i = int(np.argmax(bad))
            raise LabelingFunctionError(
                f"labeling function {lf.name!r} returned {int(column[i])} on row {data.row_ids[i]!r}; "
                f"expected -1 (abstain) or 0..{cardinality - 1}"
            )
        votes[:, j] = column
        failures.extend(LFFailure(lf.name, row_id, error) for row_id, error in failed)
    return _PartitionResult(votes=votes, failures=failures, seconds=seconds)


_THREADED_MIN_ROWS = 2048
_POOL: ThreadPoolExecutor | None = None


def _threads() -> ThreadPoolExecutor:
    global _POOL  # one pool per process, created on first use (never at import)
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="headrace-lf")
    return _POOL
