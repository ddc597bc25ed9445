"""``headrace run``: ingest → label → label model → train → evaluate → register, then report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from headrace.data import GOLD_COLUMN
from headrace.engines import Engine, make_engine
from headrace.pipeline.context import (
    PipelineContext,
    ProgressReporter,
    SilentProgress,
    StageOutcome,
)
from headrace.pipeline.ingest import ingest
from headrace.pipeline.label_model import fit_label_model
from headrace.pipeline.labeling import label
from headrace.pipeline.register import STAGING, register
from headrace.pipeline.report import write_report
from headrace.pipeline.training import evaluate, train
from headrace.project import load_project
from headrace.store import Store
from headrace.supervision import lf_summary

__all__ = ["REPORT_FILENAME", "PipelineResult", "run_project"]

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

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document."""
        return {
            "run_id": self.run_id,
            "project": self.project,
            "model_version": self.model_version,
            "alias": self.alias,
            "label_model": self.label_model,
            "test": self.test,
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
    project = load_project(root)
    store = Store.for_project(project.root)
    owned = engine is None
    if engine is None:
        settings = project.config.engine
        engine = make_engine(settings.kind, workers=settings.workers, address=settings.address)
    try:
        store.runs.reap_stale()
        with store.runs.recording("pipeline", params={"project": project.config.name}) as run:
            ctx = PipelineContext(project, store, run.id, progress or SilentProgress(), engine)
            data = ingest(ctx)
            labeling = label(ctx, data)
            labels = fit_label_model(ctx, data, labeling)
            model = train(ctx, data, labeling, labels)
            evaluation = evaluate(ctx, data, model)
            version = register(ctx, model, evaluation)
            # The model is an output of the train run, not of this umbrella run: lineage
            # must lead to the stage that made it.
            run.metrics.update(
                model_version=version.version,
                cached=all(o.cached for o in ctx.outcomes),
                **({} if evaluation is None else {"f1": evaluation.metrics["f1"]}),
            )
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
        label_record = store.runs.get(next(o.run_id for o in ctx.outcomes if o.name == "label_model"))
        test = None if evaluation is None else dict(evaluation.metrics)
        report = write_report(
            project.root / REPORT_FILENAME,
            project=project.config.name,
            model_version=version.version,
            summary=summary,
            evaluation=test,
            label_model=label_record.metrics,
            stages=[{"stage": o.name, "run": o.run_id} for o in ctx.outcomes],
        )
        return PipelineResult(
            run_id=run.id,
            project=project.config.name,
            model_version=version.version,
            alias=STAGING,
            test=test,
            label_model=labels.label_model,
            stages=list(ctx.outcomes),
            report=report,
            lf_summary=summary,
        )
    finally:
        if owned:
            engine.close()
        store.close()
