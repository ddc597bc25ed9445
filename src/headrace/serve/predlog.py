"""The prediction log: every served prediction, as Parquet files in the store.

Requests never wait for the disk: :meth:`PredictionLog.append` puts a batch's rows
on a queue and returns; a background thread writes them, one file per model and day
each time ``flush_rows`` rows wait or ``flush_interval_s`` passes. A file is written
under a temporary name, synced and renamed, so every ``*.parquet`` file is complete
and readable — a ``kill -9`` loses at most the rows of the last flush interval.

Layout (Hive-style, so DuckDB and ``pyarrow.dataset`` read the partitions as columns)::

    .headrace/predictions/model=<model id>/date=YYYY-MM-DD/part-<time>-<pid>-<n>.parquet

Columns: ``request_id``, ``logged_at`` (UTC), ``model_id``, ``model_version``,
``inputs`` (a struct of the model's input columns), ``label`` and ``probabilities``
(a struct with one field per class).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from headrace.serve.predictor import Predictions, ServedModel

__all__ = ["PREDICTIONS_DIRNAME", "PredictionLog", "read_prediction_log"]

logger = logging.getLogger(__name__)

#: Folder of the store that holds the prediction log.
PREDICTIONS_DIRNAME = "predictions"

_STOP = object()


@dataclass(frozen=True)
class _Entry:
    model_id: str
    day: str
    table: pa.Table


class PredictionLog:
    """Background writer of logged predictions.

    Parameters
    ----------
    root : Path
        The log folder (``.headrace/predictions``).
    flush_rows : int
        Write once this many rows wait.
    flush_interval_s : float
        Write waiting rows at least this often; the most a crash can lose.
    """

    def __init__(self, root: Path, *, flush_rows: int = 10_000, flush_interval_s: float = 1.0) -> None:
        self.root = root
        self.flush_rows = flush_rows
        self.flush_interval_s = flush_interval_s
        self._queue: queue.SimpleQueue[_Entry | object] = queue.SimpleQueue()
        self._pending_rows = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._sequence = 0
        self.rows_written = 0
        self.files_written = 0
        self.write_errors = 0

    @property
    def pending_rows(self) -> int:
        """Rows appended but not yet in a file."""
        return self._pending_rows

    def start(self) -> None:
        """Start the writer thread."""
        if self._thread is None:
            self.root.mkdir(parents=True, exist_ok=True)
            self._thread = threading.Thread(target=self._run, name="headrace-prediction-log", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Write everything appended so far, then stop the writer thread."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None

    def append(
        self,
        model: ServedModel,
        inputs: pa.Table,
        predictions: Predictions,
        request_ids: list[str],
        logged_at: datetime | None = None,
    ) -> None:
        """Queue one batch of predictions for the log; returns at once."""
        when = logged_at or datetime.now(UTC)
        table = log_table(model, inputs, predictions, request_ids, when)
        with self._lock:
            self._pending_rows += table.num_rows
        self._queue.put(_Entry(model.model_id, when.strftime("%Y-%m-%d"), table))

    def _run(self) -> None:
        buffer: list[_Entry] = []
        rows = 0
        first_at = 0.0
        while True:
            timeout = None if not buffer else max(0.0, first_at + self.flush_interval_s - time.monotonic())
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                item = None
            if isinstance(item, _Entry):
                if not buffer:
                    first_at = time.monotonic()
                buffer.append(item)
                rows += item.table.num_rows
            stopping = item is _STOP
            due = buffer and (rows >= self.flush_rows or time.monotonic() - first_at >= self.flush_interval_s)
            if buffer and (due or stopping):
                if self._flush(buffer):
                    with self._lock:
                        self._pending_rows -= rows
                    buffer, rows = [], 0
                else:
                    # Keep the rows and try again next interval (disk full, …).
                    first_at = time.monotonic()
            if stopping:
                return

    def _flush(self, buffer: list[_Entry]) -> bool:
        groups: dict[tuple[str, str], list[pa.Table]] = defaultdict(list)
        for entry in buffer:
            groups[(entry.model_id, entry.day)].append(entry.table)
        try:
            for (model_id, day), tables in groups.items():
                self._write(self.root / f"model={model_id}" / f"date={day}", pa.concat_tables(tables))
        except OSError:
            self.write_errors += 1
            logger.exception("could not write the prediction log under %s", self.root)
            return False
        return True

    def _write(self, folder: Path, table: pa.Table) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._sequence += 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"part-{stamp}-{os.getpid()}-{self._sequence}.parquet"
        temporary = folder / f".{name}.tmp"
        if self._sequence > 1 and (folder / name).exists():  # pragma: no cover - clock went backwards
            name = f"part-{stamp}-{os.getpid()}-{self._sequence}-{time.monotonic_ns()}.parquet"
        pq.write_table(table, temporary, compression="zstd")
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, folder / name)
        self.rows_written += table.num_rows
        self.files_written += 1


def log_table(
    model: ServedModel,
    inputs: pa.Table,
    predictions: Predictions,
    request_ids: list[str],
    logged_at: datetime,
) -> pa.Table:
    """The log rows of one batch (see the module docstring for the columns)."""
    n = inputs.num_rows
    if len(request_ids) != n or len(predictions) != n:
        raise ValueError(
            f"{n} input rows but {len(request_ids)} request ids and {len(predictions)} predictions"
        )
    version = model.version_number
    table = predictions.to_table()
    probabilities = pa.StructArray.from_arrays(
        [table.column(i).combine_chunks() for i in range(1, table.num_columns)], names=predictions.classes
    )
    inputs_struct = pa.StructArray.from_arrays(
        [column.combine_chunks() for column in inputs.columns], names=inputs.column_names
    )
    return pa.table(
        {
            "request_id": pa.array(request_ids, type=pa.string()),
            "logged_at": pa.array([logged_at] * n, type=pa.timestamp("us", tz="UTC")),
            "model_id": pa.array([model.model_id] * n, type=pa.string()),
            "model_version": pa.array([version] * n, type=pa.int64()),
            "inputs": inputs_struct,
            "label": table.column("label"),
            "probabilities": probabilities,
        }
    )


def read_prediction_log(root: Path, model_id: str | None = None) -> pa.Table:
    """Every logged prediction under ``root`` (optionally of one model), in no particular order.

    Temporary files of writes in progress (or cut short by a crash) are skipped.
    """
    if not root.exists():
        return pa.table({})
    folder = root if model_id is None else root / f"model={model_id}"
    files = sorted(str(p) for p in folder.rglob("*.parquet") if not p.name.startswith("."))
    if not files:
        return pa.table({})
    # Models differ in their input columns: read every file under the union of schemas.
    schema = pa.unify_schemas([pq.read_schema(f) for f in files])
    dataset = ds.dataset(
        files, schema=schema, format="parquet", partitioning="hive", partition_base_dir=str(root)
    )
    return dataset.to_table()
