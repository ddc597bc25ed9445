"""Opening a project for a pipeline command: store, engine, umbrella run, context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from headrace.engines import Engine, make_engine
from headrace.pipeline.context import PipelineContext, ProgressReporter, SilentProgress
from headrace.project import load_project
from headrace.store import ActiveRun, Store

__all__ = ["pipeline_session"]


@contextmanager
def pipeline_session(
    root: Path | str,
    kind: str,
    *,
    progress: ProgressReporter | None = None,
    engine: Engine | None = None,
) -> Iterator[tuple[PipelineContext, ActiveRun]]:
    """Load the project, open its store, and record the command as an umbrella run.

    Runs left ``running`` by a killed process are marked failed first. The engine is
    the given one, or the project file's (started here and stopped on exit).
    """
    project = load_project(root)
    store = Store.for_project(project.root)
    owned = engine is None
    if engine is None:
        settings = project.config.engine
        engine = make_engine(settings.kind, workers=settings.workers, address=settings.address)
    try:
        store.runs.reap_stale()
        params: dict[str, Any] = {"project": project.config.name}
        with store.runs.recording(kind, params=params) as run:
            yield PipelineContext(project, store, run.id, progress or SilentProgress(), engine), run
    finally:
        if owned:
            engine.close()
        store.close()
