"""Stage 3b, augment: copies of the training rows made by the project's transformation
functions, each carrying its original's probabilistic label.

The stage sits between the label model and training. Its cache key is the TFs' keys
(one stored ``tf`` object each, like LF versions), the policy and its seed, and the
objects the training rows come from (snapshot, training labels, annotations); its
output is one Parquet object — the training rows plus their copies, with the label
columns and the provenance columns — which the train stage trains on. Editing a TF
re-augments and retrains; an unchanged run reuses both. TFs run in this process, not
on the project's engine: unlike LF votes, their output is whole rows that training
needs in memory anyway.

Gold dev and gold test rows are never augmented: dev chooses the model and its
decision threshold and test scores it, so both must stay real, hand-labeled rows —
scoring on synthetic variants would measure how well the model recognizes its own
training perturbations, not how it does on the data it will meet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from headrace.augment import (
    TransformationFunction,
    apply_tfs,
    augmentation_examples,
    collect_tfs,
    make_policy,
)
from headrace.data.snapshot import read_parquet_object
from headrace.engines import Engine
from headrace.errors import AugmentationError, ProjectFileError
from headrace.pipeline.context import PipelineContext, ProgressReporter
from headrace.pipeline.ingest import IngestOutput
from headrace.pipeline.label_model import TrainingLabels, prob_column
from headrace.pipeline.session import pipeline_session
from headrace.pipeline.supervise import supervise
from headrace.pipeline.training import training_inputs, training_rows
from headrace.project import AugmentConfig, import_project_module
from headrace.store import ActiveRun, RunRecord, canonical_json

__all__ = ["AugmentPreview", "AugmentedRows", "augment", "load_tfs", "preview_augmentation"]

#: Copies shown in the report (and kept in the stage's metrics).
REPORT_EXAMPLES = 5


@dataclass(frozen=True)
class AugmentedRows:
    """What the augment stage made: the rows the end model trains on, and a summary.

    ``table`` holds the training rows and their copies with the provenance columns
    (``__augmented_from__``, ``__tfs__``); ``probs`` is one label distribution per row.
    """

    object_id: str
    run_id: str
    table: pa.Table
    probs: npt.NDArray[np.float64]
    summary: dict[str, Any]


def _config(ctx: PipelineContext) -> AugmentConfig | None:
    return ctx.project.config.augment


def load_tfs(ctx: PipelineContext, config: AugmentConfig) -> list[TransformationFunction]:
    """The transformation functions of the project's ``augment.functions`` file.

    Raises
    ------
    AugmentationError
        The file is missing or defines no TFs (or two with one name).
    LabelingFunctionError
        The file fails to import (the message gives the line).
    """
    path = ctx.project.path(config.functions)
    if not path.is_file():
        raise AugmentationError(
            f"augment.functions: {path} not found; create it with @transformation_function TFs "
            "(or typo_tf/case_tf/punctuation_tf), or remove the augment: section"
        )
    return collect_tfs(import_project_module(path))


def _store_tf(ctx: PipelineContext, tf: TransformationFunction) -> str:
    spec = {"name": tf.name, "key": tf.key, "vectorized": tf.vectorized, "source": tf.source}
    return ctx.store.put(
        "tf",
        data=canonical_json(spec).encode("utf-8"),
        meta={"name": tf.name, "key": tf.key, "source_hash": tf.source_hash},
    )


def augment(ctx: PipelineContext, data: IngestOutput, labels: TrainingLabels) -> AugmentedRows | None:
    """Augment the training rows as ``augment:`` says (cached); ``None`` without that section."""
    config = _config(ctx)
    return None if config is None else _augment(ctx, config, data, labels)


def _augment(
    ctx: PipelineContext, config: AugmentConfig, data: IngestOutput, labels: TrainingLabels
) -> AugmentedRows:
    project = ctx.project.config
    tfs = load_tfs(ctx, config)
    policy = make_policy(
        config.policy, k=config.k, n_per_original=config.n_per_original, keep_original=config.keep_original
    )
    tf_objects = {tf.name: _store_tf(ctx, tf) for tf in tfs}
    inputs = training_inputs(data, labels) | {f"tf:{name}": oid for name, oid in tf_objects.items()}
    params = {
        "policy": policy.describe(),
        "seed": config.seed,
        # The policy indexes TFs by position: their order is part of what is computed.
        "tfs": [tf.name for tf in tfs],
        "id": project.data.id,
        "classes": project.task.labels,
        "drop_uncovered": project.train.drop_uncovered,
    }

    def compute(run: ActiveRun) -> None:
        rows = training_rows(ctx, data, labels)
        result = apply_tfs(
            tfs, rows.table, rows.probs, id_column=project.data.id, policy=policy, seed=config.seed
        )
        table = result.table
        for i, name in enumerate(project.task.labels):
            table = table.append_column(prob_column(name), pa.array(result.probs[:, i], pa.float64()))

        def write(path: Path) -> None:
            pq.write_table(table, path, compression="zstd")

        run.outputs["augmented_rows"] = ctx.store.put(
            "augmented_rows", write=write, meta={"rows": table.num_rows, "added": result.n_augmented}
        )
        examples = augmentation_examples(
            result.table, rows.table, id_column=project.data.id, n=REPORT_EXAMPLES, seed=config.seed
        )
        # Changed values may be dates or bytes: the metrics keep their JSON text form.
        examples = json.loads(canonical_json(examples))
        run.metrics.update(result.summary(), tfs=[tf.name for tf in tfs], examples=examples)

    def detail(record: RunRecord, _cached: bool) -> dict[str, Any]:
        return {"rows_added": record.metrics["rows_added"], "tfs": len(record.metrics["tfs"])}

    record = ctx.run_stage("augment", inputs=inputs, params=params, compute=compute, detail=detail)
    object_id = record.outputs["augmented_rows"]
    stored = read_parquet_object(ctx.store, object_id)
    columns = [prob_column(name) for name in project.task.labels]
    probs = np.stack([stored.column(c).to_numpy() for c in columns], axis=1).astype(np.float64)
    return AugmentedRows(
        object_id=object_id,
        run_id=record.id,
        table=stored.drop_columns(columns),
        probs=probs,
        summary=dict(record.metrics),
    )


@dataclass(frozen=True)
class AugmentPreview:
    """What ``headrace augment`` shows: the stage's counts and some copies next to their originals."""

    project: str
    summary: dict[str, Any]
    examples: list[dict[str, Any]]
    cached: bool
    #: The augment run and its output object (the rows ``headrace run`` trains on).
    run_id: str
    object_id: str

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document."""
        counts = {k: v for k, v in self.summary.items() if k != "examples"}
        return {
            "project": self.project,
            "cached": self.cached,
            "run_id": self.run_id,
            "augmented_rows": self.object_id,
            **counts,
            "examples": self.examples,
        }


def preview_augmentation(
    root: Path | str,
    *,
    n: int = 5,
    progress: ProgressReporter | None = None,
    engine: Engine | None = None,
) -> AugmentPreview:
    """Run the pipeline up to the augment stage (cached where unchanged), without training.

    The copies shown are drawn (seeded) from the very rows ``headrace run`` trains on,
    and the stage's run is the one ``headrace run`` then reuses.

    Raises
    ------
    ProjectFileError
        The project file has no ``augment:`` section.
    AugmentationError
        A TF fails, or the policy does not fit the TFs.
    """
    with pipeline_session(root, "augment_preview", progress=progress, engine=engine) as (ctx, run):
        config = _config(ctx)
        if config is None:
            raise ProjectFileError(
                f"{ctx.project.file}: no augment: section; add one, e.g. "
                "augment: {functions: augment.py, policy: random, k: 1}"
            )
        supervision = supervise(ctx)
        augmented = _augment(ctx, config, supervision.data, supervision.labels)
        examples = augmentation_examples(
            augmented.table,
            supervision.data.unlabeled.table,
            id_column=ctx.project.config.data.id,
            n=n,
            seed=config.seed,
        )
        stage = next(o for o in ctx.outcomes if o.name == "augment")
        run.metrics.update(rows_added=augmented.summary["rows_added"], cached=stage.cached)
        return AugmentPreview(
            ctx.project.config.name,
            augmented.summary,
            examples,
            stage.cached,
            augmented.run_id,
            augmented.object_id,
        )
