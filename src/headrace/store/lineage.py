"""Lineage queries: walk from an object back through the runs that produced it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from headrace.store.store import Store

__all__ = ["LineageNode", "trace"]


@dataclass(frozen=True)
class LineageNode:
    """An object, the run that produced it, and that run's inputs (recursively)."""

    role: str
    object_id: str
    kind: str
    meta: dict[str, Any]
    run_id: str | None = None
    run_kind: str | None = None
    run_finished_at: datetime | None = None
    inputs: list[LineageNode] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready nested dict."""
        return {
            "role": self.role,
            "object_id": self.object_id,
            "kind": self.kind,
            "meta": self.meta,
            "run": None
            if self.run_id is None
            else {
                "id": self.run_id,
                "kind": self.run_kind,
                "finished_at": None if self.run_finished_at is None else self.run_finished_at.isoformat(),
            },
            "inputs": [node.to_dict() for node in self.inputs],
        }


def trace(store: Store, object_id: str, *, role: str = "object") -> LineageNode:
    """Return the lineage tree of ``object_id``: its producer, its producer's inputs, and so on."""
    info = store.object_info(object_id)
    run = store.runs.producer_of(object_id)
    if run is None:
        return LineageNode(role=role, object_id=object_id, kind=info.kind, meta=info.meta)
    return LineageNode(
        role=role,
        object_id=object_id,
        kind=info.kind,
        meta=info.meta,
        run_id=run.id,
        run_kind=run.kind,
        run_finished_at=run.finished_at,
        inputs=[trace(store, oid, role=r) for r, oid in sorted(run.inputs.items())],
    )
