"""``headrace run``: ingest → label → label model → train → evaluate → register, then report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headrace.engines import Engine
from headrace.pipeline.augment import augment
from headrace.pipeline.augment_compare import augmentation_section
from headrace.pipeline.context import PipelineContext, ProgressReporter, StageOutcome
from headrace.pipeline.profile import profile_model
from headrace.pipeline.register import STAGING, register
from headrace.pipeline.report import write_report
from headrace.pipeline.session import pipeline_session
from headrace.pipeline.supervise import Supervision, supervise
from headrace.pipeline.training import evaluate, train, train_reference

__all__ = ["REPORT_FILENAME", "PipelineResult", "analyze_lfs", "run_project"]

#: The report every run writes into the project folder.
REPORT_FILENAME = "report.html"


@dataclass(frozen=True)
class PipelineResult:
    """What one ``headrace run`` produced."""

    run_id: str
    project: str
    model_version: int
    alias: str
    test: dict[str, Any] | None
    label_model: str
    stages: list[StageOutcome]
    report: Path
    lf_summary: Any
    search: dict[str, Any]
    slices: dict[str, Any] | None
    gold_reference: dict[str, Any] | None
    #: Hand annotations the end model trained on (``headrace annotate``), if any.
    annotations: dict[str, Any] | None = None
    #: The data's check against the constraints file (soft violations only: hard ones stop the run).
    validation: dict[str, Any] | None = None
    #: Augmentation counts and the test/slice scores with vs without it (``augment:``), if any.
    augmentation: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document."""
        return {
            "run_id": self.run_id,
            "project": self.project,
            "model_version": self.model_version,
            "alias": self.alias,
            "label_model": self.label_model,
            "test": self.test,
            "search": {
                key: self.search[key]
                for key in ("family", "params", "metric", "dev_score", "threshold", "n_trials", "n_pruned")
            }
            | {"wall_seconds": round(self.search["wall_seconds"], 2), "trials": self.search["trials"]},
            "slices": self.slices,
            "gold_reference": self.gold_reference,
            "annotations": self.annotations,
            "validation": self.validation,
            "augmentation": self.augmentation,
            "stages": {s.name: s.to_dict() for s in self.stages},
            "report": str(self.report),
        }


def run_project(
    root: Path | str, *, progress: ProgressReporter | None = None, engine: Engine | None = None
) -> PipelineResult:
    """Run the whole pipeline on the project in ``root``; unchanged stages come from the cache.

    ``engine`` runs the partitioned work (LF application); by default the one the
    project file's ``engine`` section names, started for this run and stopped after it.

    Raises
    ------
    HeadraceError
        Any stage's error; its run (and the pipeline run) are recorded as failed.
    """
    with pipeline_session(root, "pipeline", progress=progress, engine=engine) as (ctx, run):
        supervision = supervise(ctx)
        augmented = augment(ctx, supervision.data, supervision.labels)
        model = train(ctx, supervision.data, supervision.labeling, supervision.labels, augmented)
        profile_model(ctx, supervision.data, model)
        evaluation = evaluate(ctx, supervision.data, model)
        version = register(ctx, model, evaluation)
        test = None if evaluation is None else dict(evaluation.metrics)
        slices = None if test is None else test.pop("slices", None)
        reference = _gold_reference(ctx, supervision, test)
        augmentation = None
        if augmented is not None:
            augmentation = augmentation_section(
                ctx, supervision.data, supervision.labels, augmented, model, evaluation
            )
        validation = None if supervision.validation is None else supervision.validation.to_dict()
        # The model is an output of the train run, not of this umbrella run: lineage
        # must lead to the stage that made it.
        run.metrics.update(
            model_version=version.version,
            cached=all(o.cached for o in ctx.outcomes),
            **({} if test is None else {"f1": test["f1"]}),
        )
        report = write_report(
            ctx.project.root / REPORT_FILENAME,
            project=ctx.project.config.name,
            model_version=version.version,
            summary=supervision.summary,
            evaluation=test,
            label_model=supervision.label_model,
            failures=supervision.failure_examples,
            stages=[{"stage": o.name, "run": o.run_id} for o in ctx.outcomes],
            search=model.search,
            slices=slices,
            gold_reference=reference,
            annotations=model.annotations,
            validation=validation,
            augmentation=augmentation,
        )
        return PipelineResult(
            run_id=run.id,
            project=ctx.project.config.name,
            model_version=version.version,
            alias=STAGING,
            test=test,
            label_model=supervision.labels.label_model,
            stages=list(ctx.outcomes),
            report=report,
            lf_summary=supervision.summary,
            search=model.search,
            slices=slices,
            gold_reference=reference,
            annotations=model.annotations,
            validation=validation,
            augmentation=augmentation,
        )


def _gold_reference(
    ctx: PipelineContext, supervision: Supervision, test: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Train and score the gold-label reference; report how far the weak model is from it."""
    reference = train_reference(ctx, supervision.data)
    if reference is None or test is None:
        return None
    scored = evaluate(ctx, supervision.data, reference, kind="evaluate_reference")
    if scored is None:
        return None
    gold = {m: scored.metrics[m] for m in ("accuracy", "f1", "f1_macro")}
    return {
        "train_rows": reference.train_rows,
        "family": reference.search["family"],
        "test": gold,
        "weak_test": {m: test[m] for m in gold},
        "gap": {m: round(gold[m] - test[m], 4) for m in gold},
    }


def analyze_lfs(
    root: Path | str, *, progress: ProgressReporter | None = None, engine: Engine | None = None
) -> Supervision:
    """Apply the project's LFs and label model (cached where unchanged) and summarize them.

    What ``headrace lfs`` shows: the pipeline up to the training labels, without training.
    """
    with pipeline_session(root, "lfs", progress=progress, engine=engine) as (ctx, run):
        supervision = supervise(ctx)
        run.metrics.update(lfs=len(supervision.summary), cached=all(o.cached for o in ctx.outcomes))
        return supervision
