"""A bounded uniform sample of live traffic: the inputs a served model answered.

The server offers every batch it predicted to a :class:`TrafficSampler` (on the model
worker thread, right after the prediction log gets it). Per model, a
:class:`~headrace.data.ReservoirSampler` keeps at most ``rows`` of them, uniformly:
offering a batch costs a few random numbers per *replacement*, not per row, so the hot
path stays cheap. Every ``flush_interval_s`` (and at shutdown) the live reservoir is
merged into the model's sample file and starts afresh::

    .headrace/traffic_sample/model=<model id>.parquet

The file holds a uniform sample of *all* the traffic it has counted (its ``seen``, in
the Parquet metadata): merging a uniform sample of ``a`` rows with one of ``b`` rows
takes a hypergeometric share of each, which is again uniform over the ``a + b``. So
restarts, several worker processes (the merge holds a file lock) and a crash (it
loses the rows since the last flush only) all keep the sample uniform. A file is
written under a temporary name, synced and renamed: it is complete or absent.

:func:`read_traffic_sample` reads it back; :func:`validate_traffic` checks it against
the project's constraints (``headrace validate --traffic``).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from headrace.data import ReservoirSampler, ValidationReport, check_constraints, require_constraints
from headrace.errors import NotFoundError
from headrace.project import Project
from headrace.registry import get_version
from headrace.store import Store
from headrace.store.filelock import file_lock

__all__ = [
    "TRAFFIC_SAMPLE_DIRNAME",
    "TrafficSample",
    "TrafficSampler",
    "merge_samples",
    "read_traffic_sample",
    "validate_traffic",
]

logger = logging.getLogger(__name__)

#: Folder of the store that holds the traffic samples.
TRAFFIC_SAMPLE_DIRNAME = "traffic_sample"

_SEEN = b"headrace.seen"
_MODEL = b"headrace.model_id"
_UPDATED = b"headrace.updated_at"
#: numpy's hypergeometric draw takes populations below 10**9.
_HYPERGEOMETRIC_LIMIT = 10**9


@dataclass(frozen=True)
class TrafficSample:
    """A model's stored traffic sample: the rows, and how many rows they were drawn from."""

    model_id: str
    table: pa.Table
    seen: int
    updated_at: datetime | None


def sample_path(root: Path, model_id: str) -> Path:
    """The sample file of ``model_id`` under the folder ``root`` (``.headrace/traffic_sample``)."""
    return root / f"model={model_id}.parquet"


class TrafficSampler:
    """Keeps a uniform sample of at most ``size`` input rows per served model.

    Parameters
    ----------
    root : Path
        The sample folder (``.headrace/traffic_sample``).
    size : int
        Rows kept per model at most (``serve.sample.rows``).
    seed : int, optional
        Seed of the draws; by default fresh entropy, so reservoirs started one after
        another (one per flush interval) do not repeat the same choices.
    """

    def __init__(self, root: Path, *, size: int, seed: int | None = None) -> None:
        if size < 1:
            raise ValueError(f"size must be a positive integer, got {size!r}")
        self.root = root
        self.size = size
        self._rng = np.random.default_rng(seed)
        # Generators are not thread-safe: offers (worker thread) and merges (flush) draw from their own.
        self._merge_rng = np.random.default_rng(self._rng.integers(2**63))
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._live: dict[str, ReservoirSampler] = {}
        self.rows_offered = 0
        self.flush_errors = 0

    def offer(self, model_id: str, inputs: pa.Table) -> None:
        """Offer a batch of ``model_id``'s inputs; O(1) amortized per row, never raises."""
        try:
            with self._lock:
                sampler = self._live.get(model_id)
                if sampler is None:
                    sampler = self._live[model_id] = self._new_sampler()
                sampler.update(inputs)
                self.rows_offered += inputs.num_rows
        except Exception:
            # A sample is a convenience: it must never fail the prediction it watches.
            logger.exception("could not add %d rows to the traffic sample", inputs.num_rows)

    def live(self, model_id: str) -> tuple[pa.Table, int]:
        """The rows kept since the last flush, and how many were offered."""
        with self._lock:
            sampler = self._live.get(model_id)
            return (pa.table({}), 0) if sampler is None else (sampler.sample(), sampler.seen)

    def flush(self) -> int:
        """Merge every live reservoir into its model's file; returns the rows now stored.

        A reservoir that cannot be written (disk full, …) is logged, counted in
        :attr:`flush_errors` and dropped: the file keeps its previous, still uniform,
        sample of the traffic before.
        """
        with self._flush_lock:
            with self._lock:
                live, self._live = self._live, {}
            stored = 0
            for model_id, sampler in live.items():
                try:
                    stored += self._merge_into_file(model_id, sampler.sample(), sampler.seen)
                except Exception:
                    self.flush_errors += 1
                    logger.exception("could not write the traffic sample of model %s", model_id)
            return stored

    def _new_sampler(self) -> ReservoirSampler:
        return ReservoirSampler(self.size, seed=int(self._rng.integers(2**63)))

    def _merge_into_file(self, model_id: str, rows: pa.Table, seen: int) -> int:
        self.root.mkdir(parents=True, exist_ok=True)
        path = sample_path(self.root, model_id)
        # Several server processes merge into one file in turn.
        with file_lock(path.with_name(path.name + ".lock")):
            previous = read_traffic_sample(self.root, model_id)
            if previous is not None and previous.table.schema.names != rows.schema.names:
                logger.warning(
                    "the inputs of model %s changed columns; its traffic sample starts over", model_id
                )
                previous = None
            if previous is not None:
                rows = merge_samples(previous.table, previous.seen, rows, seen, self.size, self._merge_rng)
                seen += previous.seen
            _write(path, rows, model_id=model_id, seen=seen)
        return int(rows.num_rows)


def merge_samples(
    first: pa.Table, first_seen: int, second: pa.Table, second_seen: int, size: int, rng: np.random.Generator
) -> pa.Table:
    """A uniform sample of at most ``size`` rows of two streams, from a uniform sample of each.

    Of ``m = min(size, first_seen + second_seen)`` rows, the number from the first
    stream is hypergeometric (``first_seen`` good of ``first_seen + second_seen``, ``m``
    drawn) — the law it has in a uniform sample of the union — and each stream gives a
    uniform subset of its sample. Older rows come first.
    """
    total = first_seen + second_seen
    wanted = min(size, total)
    if total == 0 or wanted == 0:
        return first.slice(0, 0)
    if total < _HYPERGEOMETRIC_LIMIT:
        from_first = int(rng.hypergeometric(first_seen, second_seen, wanted))
    else:
        # Populations this large make the hypergeometric a binomial to any precision.
        from_first = int(rng.binomial(wanted, first_seen / total))
    # A sample smaller than its share can give (serve.sample.rows was raised since) gives all it has.
    from_first = min(from_first, first.num_rows)
    from_second = min(wanted - from_first, second.num_rows)
    keep_first = np.sort(rng.choice(first.num_rows, size=from_first, replace=False))
    keep_second = np.sort(rng.choice(second.num_rows, size=from_second, replace=False))
    parts = [
        first.take(pa.array(keep_first, type=pa.int64())),
        second.take(pa.array(keep_second, type=pa.int64())),
    ]
    return pa.concat_tables(parts, promote_options="permissive")


def read_traffic_sample(root: Path, model_id: str) -> TrafficSample | None:
    """The stored sample of ``model_id`` under ``root``; ``None`` when nothing was sampled yet."""
    path = sample_path(root, model_id)
    if not path.is_file():
        return None
    table = pq.read_table(path)
    meta = table.schema.metadata or {}
    updated = meta.get(_UPDATED)
    return TrafficSample(
        model_id=model_id,
        table=table.replace_schema_metadata(None),
        seen=int(meta.get(_SEEN, table.num_rows)),
        updated_at=None if updated is None else datetime.fromisoformat(updated.decode()),
    )


def validate_traffic(
    project: Project, store: Store, ref: str | None = None
) -> tuple[TrafficSample, ValidationReport]:
    """Check the traffic sample of the model ``ref`` (default ``serve.model``) against the constraints.

    Only the model's input columns travel with traffic, already typed by the server,
    so the check is partial: absent columns and types are not checked.

    Raises
    ------
    ProjectFileError
        The project has no constraints file yet.
    NotFoundError
        No such model, or no traffic sampled for it yet.
    """
    constraints = require_constraints(project)
    version = get_version(store, ref or project.config.serve.model)
    sample = read_traffic_sample(store.root / TRAFFIC_SAMPLE_DIRNAME, version.object_id)
    if sample is None:
        raise NotFoundError(
            f"no traffic sampled for model v{version.version} yet: serve it (headrace serve, with "
            "serve.sample.rows > 0) and check again once it has answered requests"
        )
    source = f"traffic of model v{version.version} ({sample.table.num_rows} sampled of {sample.seen} rows)"
    return sample, check_constraints(sample.table, constraints, source=source, partial=True)


def _write(path: Path, table: pa.Table, *, model_id: str, seen: int) -> None:
    metadata = {
        _SEEN: str(seen).encode(),
        _MODEL: model_id.encode(),
        _UPDATED: datetime.now(UTC).isoformat().encode(),
    }
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table.replace_schema_metadata(metadata), temporary, compression="zstd")
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
