"""Label models behind one contract (see :mod:`headrace.supervision.models.base`)."""

from headrace.supervision.models.base import LabelModelProtocol
from headrace.supervision.models.dawid_skene import DawidSkene
from headrace.supervision.models.default import LabelModel
from headrace.supervision.models.majority import MajorityVote
from headrace.supervision.models.matrix_completion import MatrixCompletion
from headrace.supervision.models.selection import LABEL_MODELS, LabelModelChoice, choose_label_model
from headrace.supervision.models.triplet import Triplet
from headrace.supervision.models.weighted_majority import WeightedMajorityVote

__all__ = [
    "LABEL_MODELS",
    "DawidSkene",
    "LabelModel",
    "LabelModelChoice",
    "LabelModelProtocol",
    "MajorityVote",
    "MatrixCompletion",
    "Triplet",
    "WeightedMajorityVote",
    "choose_label_model",
]
