"""Stage 1, ingest: read the project's data files and freeze them into snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from headrace.data import (
    GOLD_COLUMN,
    Snapshot,
    encode_labels,
    load_snapshot,
    read_sources,
    require_columns,
    require_unique_ids,
    resolve_sources,
    write_snapshot,
)
from headrace.errors import DataError
from headrace.pipeline.annotations import Annotations, current_annotations
from headrace.pipeline.context import PipelineContext
from headrace.store import ActiveRun, hash_file

__all__ = ["IngestOutput", "ingest"]


@dataclass(frozen=True)
class IngestOutput:
    """The snapshots a pipeline works on."""

    unlabeled: Snapshot
    gold_dev: Snapshot | None
    gold_test: Snapshot | None
    #: Gold labels of pool rows (id + encoded class), for the fully supervised reference.
    gold_train: Snapshot | None = None
    #: The current version of the pool rows' hand annotations (``headrace annotate``).
    annotations: Annotations | None = None


def ingest(ctx: PipelineContext) -> IngestOutput:
    """Snapshot the unlabeled pool and the gold sets; cached by the files' content hashes."""
    config = ctx.project.config
    sources: dict[str, list[Path]] = {
        "unlabeled": resolve_sources(ctx.project.root, config.data.unlabeled_patterns, key="data.unlabeled")
    }
    gold = config.data.gold
    if gold is not None:
        for role, pattern in (("gold_dev", gold.dev), ("gold_test", gold.test), ("gold_train", gold.train)):
            if pattern is not None:
                sources[role] = resolve_sources(ctx.project.root, [pattern], key=f"data.gold.{role[5:]}")
    params = {
        "files": {
            role: [[_relative(ctx.project.root, p), hash_file(p)] for p in files]
            for role, files in sources.items()
        },
        "id": config.data.id,
        "label": None if gold is None else gold.label,
        "classes": config.task.labels,
    }

    def compute(run: ActiveRun) -> None:
        for role, files in sources.items():
            table = _read_role(ctx, role, files)
            snapshot = write_snapshot(ctx.store, table, role=role)
            run.outputs[role] = snapshot.id
            run.metrics[f"{role}_rows"] = snapshot.num_rows

    record = ctx.run_stage("ingest", inputs={}, params=params, compute=compute)
    snapshots = {role: load_snapshot(ctx.store, oid) for role, oid in record.outputs.items()}
    return IngestOutput(
        unlabeled=snapshots["unlabeled"],
        gold_dev=snapshots.get("gold_dev"),
        gold_test=snapshots.get("gold_test"),
        gold_train=snapshots.get("gold_train"),
        # Annotations are already a versioned snapshot in the store, not a file to read:
        # ingest only finds the current version. Stages that use them key on its id, so a
        # new version reruns those stages alone (ingest and the LF stages stay cached).
        annotations=current_annotations(ctx.store, config.name),
    )


def _read_role(ctx: PipelineContext, role: str, files: list[Path]) -> pa.Table:
    config = ctx.project.config
    source = ", ".join(_relative(ctx.project.root, p) for p in files)
    table = read_sources(files)
    if table.num_rows == 0:
        raise DataError(f"{source}: holds no rows")
    require_columns(table, [config.data.id], source=source, key="data.id")
    require_unique_ids(table, config.data.id, source=source)
    if role == "unlabeled" or config.data.gold is None:
        return table
    label = config.data.gold.label
    require_columns(table, [label], source=source, key="data.gold.label")
    encoded = encode_labels(table, label, config.task.labels, id_column=config.data.id, source=source)
    if role == "gold_train":
        # Only the labels: the rows' features are the pool's, joined by id at training.
        return table.select([config.data.id]).append_column(GOLD_COLUMN, encoded)
    return table.drop_columns([label]).append_column(GOLD_COLUMN, encoded)


def _relative(root: Path, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)
