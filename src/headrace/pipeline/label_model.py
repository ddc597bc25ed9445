"""Stage 3, label model: combine the LF votes into probabilistic training labels."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from headrace.data import GOLD_COLUMN
from headrace.data.snapshot import read_parquet_object
from headrace.pipeline.context import PipelineContext
from headrace.pipeline.ingest import IngestOutput
from headrace.pipeline.labeling import LabelingOutput
from headrace.store import ActiveRun, RunRecord
from headrace.supervision import choose_label_model

__all__ = ["COVERED_COLUMN", "TrainingLabels", "fit_label_model", "prob_column"]

#: Column of the training labels telling whether any LF voted on the row.
COVERED_COLUMN = "__covered__"


def prob_column(label: str) -> str:
    """Name of the training-label column holding P(class = ``label``)."""
    return f"__p_{label}__"


@dataclass(frozen=True)
class TrainingLabels:
    """Probabilistic labels for the unlabeled pool, row-aligned with its snapshot."""

    object_id: str
    probs: npt.NDArray[np.float64]
    covered: npt.NDArray[np.bool_]
    label_model: str
    learned_accuracy: list[float] | None


def fit_label_model(ctx: PipelineContext, data: IngestOutput, labeling: LabelingOutput) -> TrainingLabels:
    """Fit the configured label model (``auto``: best on gold dev) and label the pool."""
    config = ctx.project.config
    classes = config.task.labels
    inputs = {"snapshot": data.unlabeled.id, "label_matrix": labeling.matrix_id}
    if labeling.dev_matrix_id is not None and data.gold_dev is not None:
        inputs |= {"label_matrix_dev": labeling.dev_matrix_id, "gold_dev": data.gold_dev.id}
    params = {"label_model": config.supervision.label_model, "classes": classes}

    def compute(run: ActiveRun) -> None:
        L = labeling.matrix.values
        y_dev = None
        if labeling.dev_matrix is not None and data.gold_dev is not None:
            y_dev = data.gold_dev.table.column(GOLD_COLUMN).to_numpy().astype(np.int64)
        choice = choose_label_model(
            config.supervision.label_model,
            L,
            cardinality=len(classes),
            L_dev=None if labeling.dev_matrix is None else labeling.dev_matrix.values,
            y_dev=y_dev,
        )
        probs = choice.model.predict_proba(L)
        covered = np.asarray((L >= 0).any(axis=1), dtype=bool)
        columns: dict[str, Any] = {config.data.id: data.unlabeled.table.column(config.data.id)}
        columns |= {prob_column(c): probs[:, i] for i, c in enumerate(classes)}
        columns[COVERED_COLUMN] = covered
        table = pa.table(columns)

        def write(path: Path) -> None:
            pq.write_table(table, path)

        run.outputs["training_labels"] = ctx.store.put(
            "training_labels", write=write, meta={"rows": len(probs), "label_model": choice.name}
        )
        buffer = io.BytesIO()
        joblib.dump(choice.model, buffer)
        run.outputs["label_model"] = ctx.store.put(
            "label_model", data=buffer.getvalue(), meta={"name": choice.name}
        )
        learned = getattr(choice.model, "accuracies_", None)
        run.metrics.update(
            label_model=choice.name,
            dev_accuracy=choice.dev_accuracy,
            coverage=float(covered.mean()) if len(covered) else 0.0,
            learned_accuracy=None if learned is None else [float(a) for a in learned],
            class_balance=[float(p) for p in probs[covered].mean(axis=0)] if covered.any() else None,
        )

    def detail(record: RunRecord, _cached: bool) -> dict[str, Any]:
        return {"label_model": record.metrics["label_model"]}

    record = ctx.run_stage("label_model", inputs=inputs, params=params, compute=compute, detail=detail)
    table = read_parquet_object(ctx.store, record.outputs["training_labels"])
    probs = np.stack([table.column(prob_column(c)).to_numpy() for c in classes], axis=1)
    return TrainingLabels(
        object_id=record.outputs["training_labels"],
        probs=probs.astype(np.float64),
        covered=table.column(COVERED_COLUMN).to_numpy(zero_copy_only=False).astype(bool),
        label_model=record.metrics["label_model"],
        learned_accuracy=record.metrics.get("learned_accuracy"),
    )
