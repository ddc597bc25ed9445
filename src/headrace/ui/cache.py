"""Stored objects the pages read again and again, kept in memory.

Objects are content-addressed and immutable, so an object id is a perfect cache key:
nothing is ever stale. Label matrices are small; snapshots can be large, so only a few
are kept.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import pyarrow as pa

from headrace.data import load_snapshot
from headrace.store import Store
from headrace.supervision import LabelMatrix

__all__ = ["ObjectCache"]

T = TypeVar("T")


class _Lru(Generic[T]):
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        # Loaded outside the lock: two threads may both load a cold object, which is
        # harmless (same content) and keeps one slow read from blocking every page.
        value = load()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


class ObjectCache:
    """Decoded objects of one store, by object id.

    Parameters
    ----------
    store : Store
        Where the objects are read from.
    snapshots : int
        How many snapshots (whole tables) to keep.
    """

    def __init__(self, store: Store, *, snapshots: int = 4, others: int = 64) -> None:
        self._store = store
        self._matrices: _Lru[LabelMatrix] = _Lru(others)
        self._tables: _Lru[pa.Table] = _Lru(snapshots)
        self._json: _Lru[Any] = _Lru(others)

    def label_matrix(self, object_id: str) -> LabelMatrix:
        """The label matrix stored as ``object_id``."""
        return self._matrices.get(
            object_id, lambda: LabelMatrix.from_bytes(self._store.objects.read_bytes(object_id))
        )

    def snapshot(self, object_id: str) -> pa.Table:
        """The table of the snapshot ``object_id``."""
        return self._tables.get(object_id, lambda: load_snapshot(self._store, object_id).table)

    def json(self, object_id: str) -> Any:
        """A JSON object (monitor report, LF spec, search history) decoded."""
        return self._json.get(object_id, lambda: json.loads(self._store.objects.read_bytes(object_id)))
