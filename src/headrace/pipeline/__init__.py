"""The pipeline behind ``headrace run``: every stage as a cached, recorded run."""

from headrace.pipeline.active_learning import (
    AnnotateResult,
    SuggestResult,
    import_annotations,
    suggest_rows,
)
from headrace.pipeline.annotations import Annotations, current_annotations
from headrace.pipeline.augment import AugmentedRows, AugmentPreview, preview_augmentation
from headrace.pipeline.context import (
    PipelineContext,
    ProgressReporter,
    SilentProgress,
    StageOutcome,
)
from headrace.pipeline.runner import REPORT_FILENAME, PipelineResult, analyze_lfs, run_project
from headrace.pipeline.supervise import Supervision, supervise
from headrace.pipeline.validate import DataValidation, infer_project_constraints, validate_project

__all__ = [
    "REPORT_FILENAME",
    "AnnotateResult",
    "Annotations",
    "AugmentPreview",
    "AugmentedRows",
    "DataValidation",
    "PipelineContext",
    "PipelineResult",
    "ProgressReporter",
    "SilentProgress",
    "StageOutcome",
    "SuggestResult",
    "Supervision",
    "analyze_lfs",
    "current_annotations",
    "import_annotations",
    "infer_project_constraints",
    "preview_augmentation",
    "run_project",
    "suggest_rows",
    "supervise",
    "validate_project",
]
