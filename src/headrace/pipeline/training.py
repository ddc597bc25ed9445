"""Stages 4 and 5, train and evaluate: search for the end model on the training labels,
score it on gold test (overall and per slice), and train the gold-label reference."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from headrace.data import GOLD_COLUMN, Snapshot, infer_features, prepare_frame
from headrace.errors import DataError, TrainingError
from headrace.pipeline.annotations import annotate_training_labels, pool_ids
from headrace.pipeline.context import PipelineContext
from headrace.pipeline.ingest import IngestOutput
from headrace.pipeline.label_model import TrainingLabels
from headrace.pipeline.labeling import LabelingOutput
from headrace.project import FeaturesConfig, import_project_module
from headrace.registry import ModelPackage, load_package, save_package
from headrace.store import ActiveRun, RunRecord, canonical_json

if TYPE_CHECKING:
    from headrace.pipeline.augment import AugmentedRows

__all__ = [
    "TrainedModel",
    "TrainingRows",
    "evaluate",
    "train",
    "train_reference",
    "training_inputs",
    "training_rows",
]


@dataclass(frozen=True)
class TrainedModel:
    """The stored model package and the run that trained it."""

    object_id: str
    run_id: str
    train_rows: int
    search: dict[str, Any]
    #: What hand annotations the training used (``AnnotatedTraining.to_dict``), if any.
    annotations: dict[str, Any] | None = None


def _features(ctx: PipelineContext, data: IngestOutput) -> FeaturesConfig:
    config = ctx.project.config
    exclude = {config.data.id}
    if config.data.gold is not None:
        exclude.add(config.data.gold.label)
    return config.train.features or infer_features(data.unlabeled.table, exclude=exclude)


def _search_and_package(
    ctx: PipelineContext,
    run: ActiveRun,
    rows: pa.Table,
    probs: np.ndarray[Any, np.dtype[np.float64]],
    data: IngestOutput,
    lineage: dict[str, str],
) -> None:
    """Search on ``rows``/``probs``, package the best model, record the search in ``run``."""
    from headrace.train import DevSet, TrainingSet, search_model

    config = ctx.project.config
    features = _features(ctx, data)
    dev = None
    if data.gold_dev is not None:
        dev = DevSet(
            prepare_frame(data.gold_dev.table, features),
            data.gold_dev.table.column(GOLD_COLUMN).to_numpy().astype(np.int64),
        )
    ctx.progress.stage_started(f"search ({config.train.search.trials} trials)", None)
    result = search_model(
        TrainingSet(frame=prepare_frame(rows, features), probs=probs),
        classes=config.task.labels,
        features=features,
        train=config.train,
        storage=ctx.store.db_url,
        dev=dev,
    )
    columns = [*features.text, *features.numeric, *features.categorical]
    package = ModelPackage(
        pipeline=result.pipeline,
        classes=list(config.task.labels),
        features=features,
        input_schema={c: str(rows.schema.field(c).type) for c in columns},
        lineage=lineage,
        threshold=result.threshold,
    )
    run.outputs["model"] = save_package(ctx.store, package)
    summary = result.to_dict()
    # The per-trial history is a stored object (reports plot it); the run keeps scalars.
    run.outputs["search"] = ctx.store.put(
        "search", data=canonical_json(summary).encode("utf-8"), meta={"study": result.study_name}
    )
    run.metrics.update(
        train_rows=rows.num_rows,
        family=result.family,
        params=result.params,
        dev_score=result.dev_score,
        threshold=result.threshold,
        n_trials=result.n_trials,
        n_pruned=result.n_pruned,
        search_seconds=result.wall_seconds,
        study=result.study_name,
    )


def _run_search_stage(
    ctx: PipelineContext,
    kind: str,
    inputs: dict[str, str],
    data: IngestOutput,
    compute: Callable[[ActiveRun], None],
) -> TrainedModel:
    def detail(record: RunRecord, _cached: bool) -> dict[str, Any]:
        return {"train_rows": record.metrics["train_rows"], "family": record.metrics["family"]}

    record = ctx.run_stage(
        kind, inputs=inputs, params=_search_params(ctx, data), compute=compute, detail=detail
    )
    search: dict[str, Any] = json.loads(ctx.store.objects.read_bytes(record.outputs["search"]))
    return TrainedModel(
        record.outputs["model"],
        record.id,
        record.metrics["train_rows"],
        search,
        annotations=record.metrics.get("annotations"),
    )


def _search_params(ctx: PipelineContext, data: IngestOutput) -> dict[str, Any]:
    config = ctx.project.config
    return {
        "train": config.train.model_dump(mode="json", exclude={"features"}),
        "features": _features(ctx, data).model_dump(mode="json"),
        "classes": config.task.labels,
    }


@dataclass(frozen=True)
class TrainingRows:
    """The pool rows the end model trains on and their label distributions."""

    table: pa.Table
    probs: np.ndarray[Any, np.dtype[np.float64]]
    dropped_uncovered: int
    #: What hand annotations changed (``AnnotatedTraining.to_dict``), if any.
    annotations: dict[str, Any] | None = None


def training_inputs(data: IngestOutput, labels: TrainingLabels) -> dict[str, str]:
    """The stored objects the training rows are made from (part of every cache key over them)."""
    inputs = {"snapshot": data.unlabeled.id, "training_labels": labels.object_id}
    if data.annotations is not None:
        inputs["annotations"] = data.annotations.object_id
    return inputs


def training_rows(ctx: PipelineContext, data: IngestOutput, labels: TrainingLabels) -> TrainingRows:
    """The covered pool rows (all with ``train.drop_uncovered: false``), hand labels applied.

    Raises
    ------
    TrainingError
        No row is left to train on.
    """
    config = ctx.project.config
    table = data.unlabeled.table
    keep = labels.covered if config.train.drop_uncovered else np.ones(table.num_rows, dtype=bool)
    probs = labels.probs
    annotations = None
    if data.annotations is not None:
        # A hand label replaces the row's weak label (one-hot) and keeps the row even
        # when no LF covers it. Annotations only train: the label model is still chosen
        # on gold dev alone, because suggested rows are picked for being hard, a biased
        # sample that would skew a choice meant to hold for the whole pool.
        annotated = annotate_training_labels(
            pool_ids(data.unlabeled, config.data.id),
            probs,
            labels.covered,
            data.annotations,
            config.task.labels,
        )
        probs = annotated.probs
        keep = keep | annotated.annotated
        annotations = annotated.to_dict()
    if not keep.any():
        raise TrainingError(
            "no row of the unlabeled pool is covered by any LF; add LFs that fire, "
            "or set train.drop_uncovered: false"
        )
    return TrainingRows(table.filter(keep), probs[keep], int((~keep).sum()), annotations)


def train(
    ctx: PipelineContext,
    data: IngestOutput,
    labeling: LabelingOutput,
    labels: TrainingLabels,
    augmented: AugmentedRows | None = None,
) -> TrainedModel:
    """Search families and hyper-parameters on the probabilistic labels (noise-aware).

    With ``augmented`` (the augment stage's output) the search trains on the training
    rows plus their augmented copies.
    """
    inputs = training_inputs(data, labels)
    if data.gold_dev is not None:
        inputs["gold_dev"] = data.gold_dev.id
    if augmented is not None:
        inputs["augmented_rows"] = augmented.object_id

    def compute(run: ActiveRun) -> None:
        rows = training_rows(ctx, data, labels)
        if rows.annotations is not None:
            run.metrics["annotations"] = rows.annotations
        lineage = {
            "snapshot": data.unlabeled.id,
            "training_labels": labels.object_id,
            "label_matrix": labeling.matrix_id,
        }
        if data.annotations is not None:
            lineage["annotations"] = data.annotations.object_id
        table, probs = rows.table, rows.probs
        if augmented is not None:
            # The augment stage's rows are these training rows and their copies.
            table, probs = augmented.table, augmented.probs
            lineage["augmented_rows"] = augmented.object_id
        _search_and_package(ctx, run, table, probs, data, lineage)
        run.metrics["dropped_uncovered"] = rows.dropped_uncovered

    return _run_search_stage(ctx, "train", inputs, data, compute)


def train_reference(ctx: PipelineContext, data: IngestOutput) -> TrainedModel | None:
    """The same search on the pool's gold labels: the fully supervised reference.

    ``None`` when the project has no ``data.gold.train``. The reference is never
    registered; it only tells how far the weak labels are from hand labels.
    """
    if data.gold_train is None:
        return None
    gold_train = data.gold_train
    config = ctx.project.config
    inputs = {"snapshot": data.unlabeled.id, "gold_train": gold_train.id}
    if data.gold_dev is not None:
        inputs["gold_dev"] = data.gold_dev.id

    def compute(run: ActiveRun) -> None:
        rows, labels = _join_gold(data.unlabeled, gold_train, config.data.id)
        probs = np.eye(len(config.task.labels))[labels]
        _search_and_package(
            ctx, run, rows, probs, data, {"snapshot": data.unlabeled.id, "gold_train": gold_train.id}
        )

    return _run_search_stage(ctx, "reference", inputs, data, compute)


def evaluate(
    ctx: PipelineContext, data: IngestOutput, model: TrainedModel, *, kind: str = "evaluate"
) -> RunRecord | None:
    """Score the model on gold test, overall and per slice; ``None`` without gold test."""
    if data.gold_test is None:
        return None
    gold_test = data.gold_test
    slices_file = ctx.project.config.slices
    inputs = {"model": model.object_id, "gold_test": gold_test.id}
    if slices_file is not None:
        inputs["slices"] = _store_slices_source(ctx, slices_file)

    def compute(run: ActiveRun) -> None:
        from headrace.train import evaluate_predictions, evaluate_slices

        package = load_package(ctx.store, model.object_id)
        probs = package.predict_proba(gold_test.table)
        y_true = gold_test.table.column(GOLD_COLUMN).to_numpy().astype(np.int64)
        evaluation = evaluate_predictions(
            y_true, probs, package.classes, threshold=package.threshold
        ).to_dict()
        if slices_file is not None:
            masks = _slice_masks(ctx, slices_file, gold_test)
            evaluation["slices"] = evaluate_slices(y_true, probs, masks, package.classes, package.threshold)
        run.outputs["evaluation"] = ctx.store.put(
            "evaluation", data=canonical_json(evaluation).encode("utf-8"), meta={"rows": len(y_true)}
        )
        run.metrics.update(evaluation)

    def detail(record: RunRecord, _cached: bool) -> dict[str, Any]:
        return {"f1": record.metrics["f1"], "accuracy": record.metrics["accuracy"]}

    return ctx.run_stage(kind, inputs=inputs, params={}, compute=compute, detail=detail)


def _store_slices_source(ctx: PipelineContext, slices_file: str) -> str:
    path = ctx.project.path(slices_file)
    if not path.is_file():
        raise DataError(f"slices: {path} not found (set slices: to a Python file of slicing functions)")
    return ctx.store.put("slices", data=path.read_bytes(), meta={"file": slices_file})


def _slice_masks(ctx: PipelineContext, slices_file: str, snapshot: Snapshot) -> dict[str, Any]:
    from headrace.supervision import apply_slices, collect_slices

    module = import_project_module(ctx.project.path(slices_file))
    return apply_slices(collect_slices(module), snapshot.table)


def _join_gold(pool: Snapshot, gold: Snapshot, id_column: str) -> tuple[pa.Table, np.ndarray[Any, Any]]:
    """Pool rows that have a gold label, in pool order, with their labels."""
    labels = dict(
        zip(gold.table.column(id_column).to_pylist(), gold.table.column(GOLD_COLUMN).to_pylist(), strict=True)
    )
    ids = pool.table.column(id_column).to_pylist()
    keep = np.array([row_id in labels for row_id in ids], dtype=bool)
    if not keep.any():
        raise DataError(f"data.gold.train: none of its ids are in the unlabeled pool (by {id_column!r})")
    rows = pool.table.filter(keep)
    return rows, np.array([labels[i] for i in rows.column(id_column).to_pylist()], dtype=np.int64)
