"""The store: metadata database (runs, lineage, registry tables) and content-addressed objects."""

from headrace.store.db import HEAD_REVISION, current_revision, open_database
from headrace.store.hashing import canonical_json, hash_bytes, hash_file, hash_json
from headrace.store.lineage import LineageNode, trace
from headrace.store.objects import ObjectStore
from headrace.store.runs import ActiveRun, RunLog, RunRecord, RunStatus
from headrace.store.store import STORE_DIRNAME, ObjectInfo, Store

__all__ = [
    "HEAD_REVISION",
    "STORE_DIRNAME",
    "ActiveRun",
    "LineageNode",
    "ObjectInfo",
    "ObjectStore",
    "RunLog",
    "RunRecord",
    "RunStatus",
    "Store",
    "canonical_json",
    "current_revision",
    "hash_bytes",
    "hash_file",
    "hash_json",
    "open_database",
    "trace",
]
