"""The supervision half of the pipeline: snapshots → LF votes → training labels → LF summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from headrace.data import GOLD_COLUMN
from headrace.pipeline.context import PipelineContext
from headrace.pipeline.ingest import IngestOutput, ingest
from headrace.pipeline.label_model import TrainingLabels, fit_label_model
from headrace.pipeline.labeling import LabelingOutput, label
from headrace.pipeline.validate import DataValidation, validate_snapshots
from headrace.supervision import lf_summary

__all__ = ["Supervision", "supervise"]


@dataclass(frozen=True)
class Supervision:
    """Everything the supervision stages produced, and the LF summary over it."""

    data: IngestOutput
    labeling: LabelingOutput
    labels: TrainingLabels
    summary: pd.DataFrame
    label_model: dict[str, Any]
    #: The snapshots' check against the constraints file (``None``: validation is off).
    validation: DataValidation | None = None

    @property
    def failure_examples(self) -> dict[str, list[dict[str, str]]]:
        """Up to five ``{row, error}`` examples per LF that raised (``on_error: abstain``)."""
        return {
            name: stats["failure_examples"]
            for name, stats in self.labeling.lf_stats.items()
            if stats.get("failure_examples")
        }


def supervise(ctx: PipelineContext) -> Supervision:
    """Run ingest, validate, label and label model (cached where unchanged) and summarize the LFs.

    Data that breaks a hard rule of the constraints file stops here, before any LF runs.
    """
    data = ingest(ctx)
    validation = validate_snapshots(ctx, data)
    labeling = label(ctx, data)
    labels = fit_label_model(ctx, data, labeling)
    gold = None
    if data.gold_dev is not None:
        gold = data.gold_dev.table.column(GOLD_COLUMN).to_numpy().astype(np.int64)
    summary = lf_summary(
        labeling.matrix,
        gold_matrix=labeling.dev_matrix,
        gold=gold,
        learned_accuracy=labels.learned_accuracy,
        failures={n: s.get("failures", 0) for n, s in labeling.lf_stats.items()},
        seconds={n: s.get("seconds", 0.0) for n, s in labeling.lf_stats.items()},
    )
    record = ctx.store.runs.get(next(o.run_id for o in ctx.outcomes if o.name == "label_model"))
    return Supervision(data, labeling, labels, summary, record.metrics, validation)
