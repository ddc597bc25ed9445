"""The ``profile`` stage: the training snapshot summarized for monitoring, once per model.

Monitoring compares live traffic with this profile (and the model's predictions on
the snapshot, for prediction drift), so it never rereads training data. The profile
is an output of a run whose input is the model, which is how monitoring finds it
(:func:`headrace.monitor.context.find_reference_profile`).
"""

from __future__ import annotations

from typing import Any

from headrace.data.frame import prepare_frame
from headrace.pipeline.context import PipelineContext
from headrace.pipeline.ingest import IngestOutput
from headrace.pipeline.training import TrainedModel
from headrace.registry import load_package
from headrace.store import ActiveRun, RunRecord

__all__ = ["profile_model"]


def profile_model(ctx: PipelineContext, data: IngestOutput, model: TrainedModel) -> str:
    """Build (or reuse) the reference profile of ``model``; returns its object id."""
    inputs = {"model": model.object_id, "snapshot": data.unlabeled.id}

    def compute(run: ActiveRun) -> None:
        from headrace.monitor.profile import build_profile
        from headrace.serve.predictor import Predictions

        package = load_package(ctx.store, model.object_id)
        table = data.unlabeled.table
        probs = package.pipeline.predict_proba(prepare_frame(table, package.features))
        predictions = Predictions(package.decide(probs), probs, list(package.classes))
        profile = build_profile(table, package.features, predictions)
        run.outputs["reference_profile"] = ctx.store.put(
            "reference_profile", data=profile.to_bytes(), meta={"rows": table.num_rows}
        )
        run.metrics.update(rows=table.num_rows, columns=len(profile.columns))

    def detail(record: RunRecord, _cached: bool) -> dict[str, Any]:
        return {"rows": record.metrics["rows"]}

    record = ctx.run_stage("profile", inputs=inputs, params={}, compute=compute, detail=detail)
    return record.outputs["reference_profile"]
