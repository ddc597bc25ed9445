"""Label models behind one contract (see :mod:`headrace.supervision.models.base`)."""

from headrace.supervision.models.base import LabelModelProtocol
from headrace.supervision.models.dawid_skene import DawidSkene
from headrace.supervision.models.majority import MajorityVote
from headrace.supervision.models.selection import LABEL_MODELS, LabelModelChoice, choose_label_model

#: The label model the system uses by default.
LabelModel = DawidSkene

__all__ = [
    "LABEL_MODELS",
    "DawidSkene",
    "LabelModel",
    "LabelModelChoice",
    "LabelModelProtocol",
    "MajorityVote",
    "choose_label_model",
]
