"""Stages 4 and 5, train and evaluate: fit the end model on the training labels, score it on gold test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from headrace.data import GOLD_COLUMN, infer_features, prepare_frame
from headrace.errors import TrainingError
from headrace.pipeline.context import PipelineContext
from headrace.pipeline.ingest import IngestOutput
from headrace.pipeline.label_model import TrainingLabels
from headrace.pipeline.labeling import LabelingOutput
from headrace.registry import ModelPackage
from headrace.store import ActiveRun, RunRecord, canonical_json

__all__ = ["TrainedModel", "evaluate", "train"]


@dataclass(frozen=True)
class TrainedModel:
    """The stored model package and the run that trained it."""

    object_id: str
    run_id: str
    train_rows: int


def train(
    ctx: PipelineContext, data: IngestOutput, labeling: LabelingOutput, labels: TrainingLabels
) -> TrainedModel:
    """Fit featurizer + classifier on the probabilistic labels (noise-aware)."""
    config = ctx.project.config
    exclude = {config.data.id}
    if config.data.gold is not None:
        exclude.add(config.data.gold.label)
    features = config.train.features or infer_features(data.unlabeled.table, exclude=exclude)
    inputs = {"snapshot": data.unlabeled.id, "training_labels": labels.object_id}
    params = {
        "train": config.train.model_dump(mode="json", exclude={"features"}),
        "features": features.model_dump(mode="json"),
        "classes": config.task.labels,
    }

    def compute(run: ActiveRun) -> None:
        from headrace.train import TrainingSet, fit_pipeline

        table = data.unlabeled.table
        keep = labels.covered if config.train.drop_uncovered else np.ones(table.num_rows, dtype=bool)
        if not keep.any():
            raise TrainingError(
                "no row of the unlabeled pool is covered by any LF; add LFs that fire, "
                "or set train.drop_uncovered: false"
            )
        rows = table.filter(keep)
        pipeline = fit_pipeline(
            TrainingSet(frame=prepare_frame(rows, features), probs=labels.probs[keep]),
            features,
            cardinality=len(config.task.labels),
            seed=config.train.seed,
        )
        columns = [*features.text, *features.numeric, *features.categorical]
        package = ModelPackage(
            pipeline=pipeline,
            classes=list(config.task.labels),
            features=features,
            input_schema={c: str(table.schema.field(c).type) for c in columns},
            lineage={
                "snapshot": data.unlabeled.id,
                "training_labels": labels.object_id,
                "label_matrix": labeling.matrix_id,
            },
        )
        run.outputs["model"] = ctx.store.put(
            "model", data=package.to_bytes(), meta={"classes": package.classes, "features": columns}
        )
        run.metrics.update(train_rows=int(keep.sum()), dropped_uncovered=int((~keep).sum()))

    def detail(record: RunRecord, _cached: bool) -> dict[str, Any]:
        return {"train_rows": record.metrics["train_rows"]}

    record = ctx.run_stage("train", inputs=inputs, params=params, compute=compute, detail=detail)
    return TrainedModel(record.outputs["model"], record.id, record.metrics["train_rows"])


def evaluate(ctx: PipelineContext, data: IngestOutput, model: TrainedModel) -> RunRecord | None:
    """Score the model on gold test; ``None`` when the project has no gold test set."""
    if data.gold_test is None:
        return None
    gold_test = data.gold_test

    def compute(run: ActiveRun) -> None:
        from headrace.train import evaluate_predictions

        package = ModelPackage.from_bytes(ctx.store.objects.read_bytes(model.object_id))
        probs = package.predict_proba(gold_test.table)
        y_true = gold_test.table.column(GOLD_COLUMN).to_numpy().astype(np.int64)
        evaluation = evaluate_predictions(y_true, probs, package.classes).to_dict()
        run.outputs["evaluation"] = ctx.store.put(
            "evaluation",
            data=canonical_json(evaluation).encode("utf-8"),
            meta={"rows": len(y_true)},
        )
        run.metrics.update(evaluation)

    def detail(record: RunRecord, _cached: bool) -> dict[str, Any]:
        return {"f1": record.metrics["f1"], "accuracy": record.metrics["accuracy"]}

    return ctx.run_stage(
        "evaluate",
        inputs={"model": model.object_id, "gold_test": gold_test.id},
        params={},
        compute=compute,
        detail=detail,
    )
