"""The pipeline behind ``headrace run``: every stage as a cached, recorded run."""

from headrace.pipeline.context import (
    PipelineContext,
    ProgressReporter,
    SilentProgress,
    StageOutcome,
)
from headrace.pipeline.runner import REPORT_FILENAME, PipelineResult, run_project

__all__ = [
    "REPORT_FILENAME",
    "PipelineContext",
    "PipelineResult",
    "ProgressReporter",
    "SilentProgress",
    "StageOutcome",
    "run_project",
]
