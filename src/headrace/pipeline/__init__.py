"""The pipeline behind ``headrace run``: every stage as a cached, recorded run."""

from headrace.pipeline.context import (
    PipelineContext,
    ProgressReporter,
    SilentProgress,
    StageOutcome,
)
from headrace.pipeline.runner import REPORT_FILENAME, PipelineResult, analyze_lfs, run_project
from headrace.pipeline.supervise import Supervision, supervise

__all__ = [
    "REPORT_FILENAME",
    "PipelineContext",
    "PipelineResult",
    "ProgressReporter",
    "SilentProgress",
    "StageOutcome",
    "Supervision",
    "analyze_lfs",
    "run_project",
    "supervise",
]
