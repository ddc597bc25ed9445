"""Snapshots: immutable Parquet copies of the data a run saw, named by content."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from headrace.store import Store

__all__ = ["GOLD_COLUMN", "Snapshot", "load_snapshot", "read_parquet_object", "write_snapshot"]

#: Column of a gold snapshot holding the encoded class index of each row.
GOLD_COLUMN = "__gold__"


@dataclass(frozen=True)
class Snapshot:
    """A stored table: its object id and the table itself."""

    id: str
    table: pa.Table

    @property
    def num_rows(self) -> int:
        """Number of rows."""
        return int(self.table.num_rows)


def write_snapshot(store: Store, table: pa.Table, *, role: str) -> Snapshot:
    """Write ``table`` to the store as Parquet and return the snapshot."""

    def write(path: Path) -> None:
        pq.write_table(table, path, compression="zstd")

    object_id = store.put("snapshot", write=write, meta={"role": role, "rows": table.num_rows})
    return Snapshot(id=object_id, table=table)


def load_snapshot(store: Store, object_id: str) -> Snapshot:
    """Read a stored snapshot back."""
    return Snapshot(id=object_id, table=read_parquet_object(store, object_id))


def read_parquet_object(store: Store, object_id: str) -> pa.Table:
    """Read a stored Parquet object (a snapshot, training labels) as a table.

    A local store's object is read by path (pyarrow's threaded native reader, about a
    third faster than through a Python file object); a remote one through
    :meth:`ObjectStore.open`, so only the byte ranges Parquet asks for are fetched.
    """
    objects = store.objects
    if objects.is_local:
        return pq.read_table(objects.path(object_id))
    with objects.open(object_id) as handle:
        return pq.read_table(handle)
