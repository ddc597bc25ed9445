"""Stage 6, register: record the model as a version and point the ``staging`` alias at it."""

from __future__ import annotations

from typing import Any

from headrace.pipeline.context import PipelineContext
from headrace.pipeline.training import TrainedModel
from headrace.registry import ModelVersion, get_version, register_model
from headrace.store import ActiveRun, RunRecord

__all__ = ["STAGING", "register"]

#: The alias every newly trained model gets.
STAGING = "staging"


def register(ctx: PipelineContext, model: TrainedModel, evaluation: RunRecord | None) -> ModelVersion:
    """Register ``model`` (idempotent: an unchanged model keeps its version)."""
    inputs = {"model": model.object_id}
    if evaluation is not None:
        inputs["evaluation"] = evaluation.outputs["evaluation"]

    def compute(run: ActiveRun) -> None:
        version, created = register_model(
            ctx.store,
            object_id=model.object_id,
            train_run_id=model.run_id,
            eval_run_id=None if evaluation is None else evaluation.id,
            metrics={} if evaluation is None else dict(evaluation.metrics),
            alias=STAGING,
        )
        run.metrics.update(version=version.version, alias=STAGING, created=created)

    def detail(record: RunRecord, _cached: bool) -> dict[str, Any]:
        return {"version": record.metrics["version"]}

    record = ctx.run_stage(
        "register", inputs=inputs, params={"alias": STAGING}, compute=compute, detail=detail
    )
    return get_version(ctx.store, str(record.metrics["version"]))
