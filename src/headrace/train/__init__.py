"""Training: featurizers from the schema, model families, noise-aware fitting, search, evaluation."""

from headrace.train.calibration import N_BINS, ReliabilityBin, expected_calibration_error, reliability_curve
from headrace.train.embeddings import EMBEDDINGS_EXTRA, SentenceEmbeddings, embeddings_available
from headrace.train.evaluate import (
    ClassScores,
    Evaluation,
    Interval,
    bootstrap_intervals,
    evaluate_predictions,
)
from headrace.train.families import FAMILIES, ModelFamily
from headrace.train.features import MAX_ONE_HOT, build_featurizer
from headrace.train.fit import (
    DevSet,
    ExpandedRows,
    TrainingSet,
    expand_rows,
    soft_class_weights,
)
from headrace.train.imbalance import IMBALANCE_EXTRA, smote_oversample
from headrace.train.metrics import decide, score, tune_threshold
from headrace.train.search import SearchResult, search_model
from headrace.train.slices import evaluate_slices
from headrace.train.study import TrialRecord

__all__ = [
    "EMBEDDINGS_EXTRA",
    "FAMILIES",
    "IMBALANCE_EXTRA",
    "MAX_ONE_HOT",
    "N_BINS",
    "ClassScores",
    "DevSet",
    "Evaluation",
    "ExpandedRows",
    "Interval",
    "ModelFamily",
    "ReliabilityBin",
    "SearchResult",
    "SentenceEmbeddings",
    "TrainingSet",
    "TrialRecord",
    "bootstrap_intervals",
    "build_featurizer",
    "decide",
    "embeddings_available",
    "evaluate_predictions",
    "evaluate_slices",
    "expand_rows",
    "expected_calibration_error",
    "reliability_curve",
    "score",
    "search_model",
    "smote_oversample",
    "soft_class_weights",
    "tune_threshold",
]
