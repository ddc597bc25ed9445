"""Stage 2, label: apply the project's LFs, one cached output column per (LF, snapshot).

Each LF's votes on a snapshot are a child run of kind ``lf_apply`` keyed by the LF's
key and the snapshot id, so editing one LF re-applies exactly that LF; the others'
columns come from the store. The assembled :class:`LabelMatrix` is the stage's output.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from headrace.data import Snapshot
from headrace.pipeline.context import STAGE_VERSIONS, PipelineContext
from headrace.pipeline.ingest import IngestOutput
from headrace.project import import_project_module
from headrace.store import ActiveRun, RunRecord, canonical_json, hash_json
from headrace.supervision import LabelingFunction, LabelMatrix, apply_lfs, collect_lfs

__all__ = ["LabelingOutput", "label"]


@dataclass(frozen=True)
class LabelingOutput:
    """Label matrices on the unlabeled pool and (when present) on gold dev."""

    matrix: LabelMatrix
    matrix_id: str
    dev_matrix: LabelMatrix | None
    dev_matrix_id: str | None
    lf_stats: dict[str, dict[str, Any]]


def label(ctx: PipelineContext, data: IngestOutput) -> LabelingOutput:
    """Apply every LF to the pool and to gold dev, reusing cached columns."""
    config = ctx.project.config
    lfs = collect_lfs(import_project_module(ctx.project.path(config.supervision.functions)))
    lf_objects = {lf.name: _store_lf(ctx, lf) for lf in lfs}
    targets = {"label_matrix": data.unlabeled}
    if data.gold_dev is not None:
        targets["label_matrix_dev"] = data.gold_dev
    inputs = {
        "snapshot": data.unlabeled.id,
        **{f"lf:{name}": oid for name, oid in lf_objects.items()},
    }
    if data.gold_dev is not None:
        inputs["gold_dev"] = data.gold_dev.id
    params = {
        "cardinality": len(config.task.labels),
        "on_error": config.supervision.on_error,
        "id": config.data.id,
    }

    def compute(run: ActiveRun) -> None:
        applied: set[str] = set()
        for role, snapshot in targets.items():
            matrix, fresh = _matrix_for(ctx, run, lfs, lf_objects, snapshot)
            applied |= fresh
            run.outputs[role] = ctx.store.put(
                "label_matrix",
                data=matrix.to_bytes(),
                meta={"rows": matrix.n_rows, "lfs": list(matrix.lf_names), "snapshot": snapshot.id},
            )
        run.metrics["lfs_applied"] = sorted(applied)
        run.metrics["lfs_cached"] = sorted({lf.name for lf in lfs} - applied)

    def detail(record: RunRecord, cached: bool) -> dict[str, Any]:
        applied = 0 if cached else len(record.metrics["lfs_applied"])
        return {"lfs": len(lfs), "lfs_applied": applied}

    record = ctx.run_stage("label", inputs=inputs, params=params, compute=compute, detail=detail)
    matrix_id = record.outputs["label_matrix"]
    dev_id = record.outputs.get("label_matrix_dev")
    return LabelingOutput(
        matrix=LabelMatrix.from_bytes(ctx.store.objects.read_bytes(matrix_id)),
        matrix_id=matrix_id,
        dev_matrix=None if dev_id is None else LabelMatrix.from_bytes(ctx.store.objects.read_bytes(dev_id)),
        dev_matrix_id=dev_id,
        lf_stats=_lf_stats(ctx, lfs, data.unlabeled),
    )


def _store_lf(ctx: PipelineContext, lf: LabelingFunction) -> str:
    spec = {"name": lf.name, "key": lf.key, "vectorized": lf.vectorized, "source": lf.source}
    return ctx.store.put(
        "lf",
        data=canonical_json(spec).encode("utf-8"),
        meta={"name": lf.name, "key": lf.key, "source_hash": lf.source_hash},
    )


def _cache_key(ctx: PipelineContext, lf: LabelingFunction, snapshot: Snapshot) -> str:
    config = ctx.project.config
    return hash_json(
        {
            "kind": "lf_apply",
            "version": STAGE_VERSIONS["lf_apply"],
            "lf": lf.key,
            "snapshot": snapshot.id,
            "cardinality": len(config.task.labels),
            "on_error": config.supervision.on_error,
        }
    )


def _matrix_for(
    ctx: PipelineContext,
    run: ActiveRun,
    lfs: list[LabelingFunction],
    lf_objects: dict[str, str],
    snapshot: Snapshot,
) -> tuple[LabelMatrix, set[str]]:
    config = ctx.project.config
    k = len(config.task.labels)
    columns: dict[str, np.ndarray[Any, np.dtype[np.int8]]] = {}
    missing: list[LabelingFunction] = []
    for lf in lfs:
        cached = ctx.store.runs.find_cached("lf_apply", _cache_key(ctx, lf, snapshot))
        if cached is None:
            missing.append(lf)
        else:
            columns[lf.name] = _load_column(ctx.store.objects.read_bytes(cached.outputs["votes"]))
    if missing:
        ctx.progress.stage_started(f"apply {len(missing)} LF(s)", snapshot.num_rows)
        result = apply_lfs(
            missing,
            snapshot.table,
            id_column=config.data.id,
            cardinality=k,
            engine=ctx.engine,
            on_error=config.supervision.on_error,
        )
        ctx.progress.advance(f"apply {len(missing)} LF(s)", snapshot.num_rows)
        for j, lf in enumerate(missing):
            column = np.ascontiguousarray(result.matrix.values[:, j])
            failures = [f for f in result.failures if f.lf == lf.name]
            votes_id = ctx.store.put("lf_output", data=_dump_column(column), meta={"lf": lf.name})
            with ctx.store.runs.recording(
                "lf_apply",
                params={"lf": lf.name, "rows": snapshot.num_rows},
                cache_key=_cache_key(ctx, lf, snapshot),
                inputs={"lf": lf_objects[lf.name], "snapshot": snapshot.id},
                parent_id=run.id,
            ) as child:
                child.outputs["votes"] = votes_id
                child.metrics.update(
                    seconds=result.seconds[lf.name],
                    coverage=float(np.mean(column >= 0)) if len(column) else 0.0,
                    failures=len(failures),
                    failure_examples=[{"row": str(f.row_id), "error": f.error} for f in failures[:5]],
                )
            columns[lf.name] = column
    values = np.stack([columns[lf.name] for lf in lfs], axis=1) if lfs else np.empty((0, 0), np.int8)
    matrix = LabelMatrix(
        values=values.astype(np.int8),
        lf_names=tuple(lf.name for lf in lfs),
        lf_keys=tuple(lf.key for lf in lfs),
        cardinality=k,
    )
    return matrix, {lf.name for lf in missing}


def _lf_stats(
    ctx: PipelineContext, lfs: list[LabelingFunction], snapshot: Snapshot
) -> dict[str, dict[str, Any]]:
    stats: dict[str, dict[str, Any]] = {}
    for lf in lfs:
        record = ctx.store.runs.find_cached("lf_apply", _cache_key(ctx, lf, snapshot))
        stats[lf.name] = {} if record is None else dict(record.metrics)
    return stats


def _dump_column(column: np.ndarray[Any, np.dtype[np.int8]]) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, column, allow_pickle=False)
    return buffer.getvalue()


def _load_column(data: bytes) -> np.ndarray[Any, np.dtype[np.int8]]:
    return np.asarray(np.load(io.BytesIO(data), allow_pickle=False), dtype=np.int8)
