"""A model version's lineage: model ← training labels ← label matrix ← LF versions ← snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from headrace.registry.types import ModelVersion
from headrace.registry.versions import get_version
from headrace.store import LineageNode, Store, trace

__all__ = ["ModelLineage", "model_lineage"]


@dataclass(frozen=True)
class ModelLineage:
    """A registered version and the lineage tree of its model package."""

    version: ModelVersion
    root: LineageNode

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``headrace lineage --json``)."""
        return {
            "model_version": self.version.version,
            "aliases": list(self.version.aliases),
            "created_at": self.version.created_at.isoformat(),
            "metrics": {
                k: self.version.metrics.get(k) for k in ("accuracy", "f1") if k in self.version.metrics
            },
            "lineage": self.root.to_dict(),
        }

    def lf_versions(self) -> list[LineageNode]:
        """The LF versions the model's labels came from, by name."""
        found: dict[str, LineageNode] = {}
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node.kind == "lf":
                found[node.object_id] = node
            stack.extend(node.inputs)
        return sorted(found.values(), key=lambda n: str(n.meta.get("name")))


def model_lineage(store: Store, ref: str) -> ModelLineage:
    """Trace the model that ``ref`` (alias or version) names back to its data snapshot."""
    version = get_version(store, ref)
    return ModelLineage(version=version, root=trace(store, version.object_id, role="model"))
