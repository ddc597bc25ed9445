"""Weak supervision: labeling functions, the applier, label matrices and label models."""

from headrace.supervision.active import (
    STRATEGIES,
    Ranking,
    conflict_scores,
    disagreement_scores,
    entropy_scores,
    rank_rows,
    uncovered_rows,
)
from headrace.supervision.analysis import lf_summary
from headrace.supervision.applier import ApplyResult, LFFailure, apply_lfs
from headrace.supervision.batch import LFBatch, Row
from headrace.supervision.lf import (
    ABSTAIN,
    LabelingFunction,
    collect_lfs,
    keyword_lf,
    labeling_function,
    regex_lf,
)
from headrace.supervision.matrix import LabelMatrix, check_label_matrix
from headrace.supervision.models import (
    LABEL_MODELS,
    DawidSkene,
    LabelModel,
    LabelModelChoice,
    LabelModelProtocol,
    MajorityVote,
    MatrixCompletion,
    Triplet,
    WeightedMajorityVote,
    choose_label_model,
)
from headrace.supervision.slicing import SlicingFunction, apply_slices, collect_slices, slicing_function
from headrace.supervision.synthetic import SyntheticLabels, make_label_matrix

__all__ = [
    "ABSTAIN",
    "LABEL_MODELS",
    "STRATEGIES",
    "ApplyResult",
    "DawidSkene",
    "LFBatch",
    "LFFailure",
    "LabelMatrix",
    "LabelModel",
    "LabelModelChoice",
    "LabelModelProtocol",
    "LabelingFunction",
    "MajorityVote",
    "MatrixCompletion",
    "Ranking",
    "Row",
    "SlicingFunction",
    "SyntheticLabels",
    "Triplet",
    "WeightedMajorityVote",
    "apply_lfs",
    "apply_slices",
    "check_label_matrix",
    "choose_label_model",
    "collect_lfs",
    "collect_slices",
    "conflict_scores",
    "disagreement_scores",
    "entropy_scores",
    "keyword_lf",
    "labeling_function",
    "lf_summary",
    "make_label_matrix",
    "rank_rows",
    "regex_lf",
    "slicing_function",
    "uncovered_rows",
]
