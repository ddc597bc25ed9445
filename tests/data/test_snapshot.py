"""Snapshots: the exact table a run saw, stored as Parquet under its content hash."""

from __future__ import annotations

import pyarrow as pa

from headrace.data import Snapshot, load_snapshot, write_snapshot
from headrace.store import Store

TABLE = pa.table({"id": ["a", "b", "c"], "text": ["x", None, "zz"], "n": [1, 2, 3]})


def test_a_snapshot_round_trips_through_the_store(store: Store) -> None:
    written = write_snapshot(store, TABLE, role="unlabeled")

    loaded = load_snapshot(store, written.id)

    assert isinstance(loaded, Snapshot)
    assert loaded.id == written.id
    assert loaded.num_rows == 3
    assert loaded.table.equals(TABLE)


def test_a_snapshot_is_registered_with_its_role_and_row_count(store: Store) -> None:
    snapshot = write_snapshot(store, TABLE, role="gold_dev")

    info = store.object_info(snapshot.id)

    assert info.kind == "snapshot"
    assert info.meta == {"role": "gold_dev", "rows": 3}


def test_equal_tables_give_the_same_snapshot_and_different_tables_do_not(store: Store) -> None:
    first = write_snapshot(store, TABLE, role="unlabeled")
    again = write_snapshot(store, pa.table(TABLE.to_pydict()), role="unlabeled")
    changed = write_snapshot(store, TABLE.slice(0, 2), role="unlabeled")

    assert again.id == first.id
    assert changed.id != first.id
