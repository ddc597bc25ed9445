"""What every stage of ``headrace run`` shares: the project, the store, progress, and caching."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from headrace import __version__
from headrace.engines import Engine, LocalEngine
from headrace.project import Project
from headrace.store import ActiveRun, RunRecord, Store, hash_json

__all__ = [
    "STAGE_VERSIONS",
    "PipelineContext",
    "ProgressReporter",
    "SilentProgress",
    "StageOutcome",
]

#: Bumped when a stage's logic changes in a way that must invalidate its cached runs.
STAGE_VERSIONS: dict[str, int] = {
    "ingest": 1,
    "validate": 1,
    "lf_apply": 1,
    "label": 1,
    "label_model": 2,
    "augment": 1,
    "train": 2,
    "train_unaugmented": 1,
    "evaluate_unaugmented": 1,
    "profile": 1,
    "reference": 1,
    "evaluate": 2,
    "evaluate_reference": 1,
    "register": 1,
}


class ProgressReporter(Protocol):
    """Receives progress as the pipeline goes (the CLI draws it; the API is silent)."""

    def stage_started(self, name: str, total: int | None = None) -> None: ...

    def advance(self, name: str, amount: int = 1) -> None: ...

    def stage_finished(self, outcome: StageOutcome) -> None: ...


class SilentProgress:
    """A reporter that shows nothing."""

    def stage_started(self, name: str, total: int | None = None) -> None:
        """Ignore."""

    def advance(self, name: str, amount: int = 1) -> None:
        """Ignore."""

    def stage_finished(self, outcome: StageOutcome) -> None:
        """Ignore."""


@dataclass(frozen=True)
class StageOutcome:
    """How one stage went: its run, whether it came from the cache, and how long it took."""

    name: str
    run_id: str
    cached: bool
    seconds: float
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "run_id": self.run_id,
            "cached": self.cached,
            "seconds": round(self.seconds, 4),
            **self.detail,
        }


@dataclass
class PipelineContext:
    """State shared by the stages of one pipeline execution."""

    project: Project
    store: Store
    parent_id: str
    progress: ProgressReporter = field(default_factory=SilentProgress)
    engine: Engine = field(default_factory=LocalEngine)
    outcomes: list[StageOutcome] = field(default_factory=list)

    def run_stage(
        self,
        kind: str,
        *,
        inputs: Mapping[str, str],
        params: Mapping[str, Any],
        compute: Callable[[ActiveRun], None],
        total: int | None = None,
        detail: Callable[[RunRecord, bool], dict[str, Any]] | None = None,
    ) -> RunRecord:
        """Reuse a succeeded run with the same inputs and params, or compute and record one.

        The cache key is the hash of the stage kind, its logic version, the headrace
        release (a new release never trusts an old release's results), its input
        object ids and its params; ``compute`` fills ``run.outputs`` and ``run.metrics``;
        ``detail`` adds stage-specific facts to the outcome the pipeline reports.
        """
        start = time.perf_counter()
        self.progress.stage_started(kind, total)
        cache_key = hash_json(
            {
                "kind": kind,
                "version": STAGE_VERSIONS[kind],
                "headrace": __version__,
                "inputs": dict(inputs),
                "params": dict(params),
            }
        )
        record = self.store.runs.find_cached(kind, cache_key)
        cached = record is not None
        if record is None:
            with self.store.runs.recording(
                kind, params=params, cache_key=cache_key, inputs=inputs, parent_id=self.parent_id
            ) as run:
                compute(run)
            record = self.store.runs.get(run.id)
        extra = detail(record, cached) if detail is not None else {}
        outcome = StageOutcome(kind, record.id, cached, time.perf_counter() - start, extra)
        self.outcomes.append(outcome)
        self.progress.stage_finished(outcome)
        return record
