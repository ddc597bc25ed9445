"""The lineage pages: a model version's graph, and any object with where it came from and went.

The graph is laid out here (columns by distance from the model, rows by kind and
name) and drawn by the template as SVG, each node a link to its object's page; no
script is needed to follow the lineage by clicks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from headrace.registry import ModelVersion, model_lineage
from headrace.store import LineageNode, ObjectInfo, RunRecord, Store
from headrace.ui.cache import ObjectCache
from headrace.ui.queries import RunSummary, consumer_runs, downstream_models, registered_versions

__all__ = [
    "GraphEdge",
    "GraphNode",
    "LineageGraph",
    "ObjectView",
    "lineage_graph",
    "node_label",
    "object_view",
]

_COLUMN = 250
_NODE_WIDTH = 200
_NODE_HEIGHT = 36
_ROW = 50
_PAD = 16
#: Rows of a snapshot previewed on its page.
PREVIEW_ROWS = 10


@dataclass(frozen=True)
class GraphNode:
    """An object in the graph, where it is drawn, and the run that made it."""

    object_id: str
    kind: str
    label: str
    detail: str
    run_id: str | None
    run_kind: str | None
    x: int
    y: int
    width: int = _NODE_WIDTH
    height: int = _NODE_HEIGHT


@dataclass(frozen=True)
class GraphEdge:
    """An input → output edge (the run that read ``source`` wrote ``target``), as a line."""

    source: str
    target: str
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass(frozen=True)
class LineageGraph:
    """A model version's lineage as positioned nodes and edges."""

    version: ModelVersion
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    width: int
    height: int


def node_label(kind: str, meta: dict[str, Any], role: str = "") -> tuple[str, str]:
    """A short title and a detail line for an object of ``kind`` with ``meta``."""
    if kind == "lf":
        return f"LF {meta.get('name', '?')}", f"source {str(meta.get('source_hash', ''))[:10]}"
    if kind == "snapshot":
        return f"snapshot: {meta.get('role', role)}", f"{meta.get('rows', '?')} rows"
    if kind == "label_matrix":
        lfs = meta.get("lfs")
        return (
            "label matrix",
            f"{meta.get('rows', '?')} rows × {len(lfs) if isinstance(lfs, list) else '?'} LFs",
        )
    if kind == "training_labels":
        return "training labels", f"{meta.get('rows', '?')} rows, {meta.get('label_model', '')}"
    if kind == "model":
        return "model", str(meta.get("family", "")) or role
    return kind.replace("_", " "), role


def lineage_graph(store: Store, ref: str) -> LineageGraph:
    """The lineage of the model ``ref`` (alias or version) as a graph, model on the left.

    Raises
    ------
    NotFoundError
        No such version or alias.
    """
    lineage = model_lineage(store, ref)
    layer: dict[str, int] = {}
    first: dict[str, LineageNode] = {}
    edges: set[tuple[str, str]] = set()
    stack = [(lineage.root, 0)]
    while stack:
        node, depth = stack.pop()
        # Longest distance from the model: a snapshot read by the label run and the
        # train run is drawn once, right of everything made from it.
        layer[node.object_id] = max(layer.get(node.object_id, 0), depth)
        first.setdefault(node.object_id, node)
        for child in node.inputs:
            edges.add((child.object_id, node.object_id))
            stack.append((child, depth + 1))
    columns: dict[int, list[LineageNode]] = {}
    for object_id, depth in layer.items():
        columns.setdefault(depth, []).append(first[object_id])
    positions: dict[str, tuple[int, int]] = {}
    nodes = []
    tallest = max(len(members) for members in columns.values())
    for depth, members in sorted(columns.items()):
        members.sort(key=lambda n: (n.kind == "lf", n.kind, str(n.meta.get("name", "")), n.role))
        # Shorter columns are centred on the tallest, so edges fan out rather than climb.
        top = _PAD + (tallest - len(members)) * _ROW // 2
        for row, node in enumerate(members):
            x, y = _PAD + depth * _COLUMN, top + row * _ROW
            positions[node.object_id] = (x, y)
            label, detail = node_label(node.kind, node.meta, node.role)
            if node is lineage.root:
                label = f"model v{lineage.version.version}"
                detail = ", ".join(lineage.version.aliases) or detail
            nodes.append(
                GraphNode(node.object_id, node.kind, label, detail, node.run_id, node.run_kind, x, y)
            )
    lines = []
    for source, target in sorted(edges):
        (sx, sy), (tx, ty) = positions[source], positions[target]
        lines.append(
            GraphEdge(source, target, sx, sy + _NODE_HEIGHT // 2, tx + _NODE_WIDTH, ty + _NODE_HEIGHT // 2)
        )
    width = _PAD * 2 + max(columns) * _COLUMN + _NODE_WIDTH
    height = _PAD * 2 + tallest * _ROW
    return LineageGraph(lineage.version, nodes, lines, width, height)


@dataclass(frozen=True)
class ObjectView:
    """An object: what it is, the run that made it, runs that read it, models made from it."""

    info: ObjectInfo
    producer: RunRecord | None
    consumers: list[tuple[RunSummary, str]]
    consumers_total: int
    models: list[tuple[ObjectInfo, int | None]]
    version: int | None
    preview_columns: list[str]
    preview: list[list[str]]
    source: str | None


def object_view(
    store: Store, cache: ObjectCache, object_id: str, *, offset: int = 0, limit: int = 50
) -> ObjectView:
    """Everything the object page shows about ``object_id``.

    Raises
    ------
    NotFoundError
        No such object in this store.
    """
    info = store.object_info(object_id)
    consumers, total = consumer_runs(store, object_id, offset=offset, limit=limit)
    models = downstream_models(store, object_id)
    versions = registered_versions(store, [object_id, *(m.id for m in models)])
    columns: list[str] = []
    preview: list[list[str]] = []
    if info.kind == "snapshot":
        table = cache.snapshot(object_id).slice(0, PREVIEW_ROWS)
        columns = list(table.column_names)
        preview = [[_short(v) for v in row.values()] for row in table.to_pylist()]
    source = None
    if info.kind == "lf":
        spec = cache.json(object_id)
        source = str(spec.get("source")) if isinstance(spec, dict) and spec.get("source") else None
    return ObjectView(
        info=info,
        producer=store.runs.producer_of(object_id),
        consumers=consumers,
        consumers_total=total,
        models=[(m, versions.get(m.id)) for m in models],
        version=versions.get(object_id),
        preview_columns=columns,
        preview=preview,
        source=source,
    )


def _short(value: Any, limit: int = 160) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
