"""Data augmentation: transformation functions, policies, and the applier.

A project's ``augment.py`` defines transformation functions (TFs) with
:func:`transformation_function` or the ready-made text helpers (:func:`typo_tf`,
:func:`case_tf`, :func:`punctuation_tf`, :func:`name_swap_tf`, :func:`number_swap_tf`);
the project file's ``augment:`` section picks a policy (:class:`ApplyOnePolicy`,
:class:`ApplyAllPolicy`, :class:`RandomPolicy`); ``headrace run`` applies them to the
training rows, as the recorded ``augment`` stage between the label model and training.
Augmented copies inherit their original's probabilistic label.
"""

from headrace.augment.applier import (
    AUGMENTED_FROM_COLUMN,
    TFS_COLUMN,
    AugmentResult,
    apply_tfs,
    augmentation_examples,
)
from headrace.augment.policy import (
    POLICIES,
    ApplyAllPolicy,
    ApplyOnePolicy,
    Policy,
    PolicyName,
    RandomPolicy,
    make_policy,
)
from headrace.augment.text import (
    case_tf,
    name_swap_tf,
    number_swap_tf,
    perturbation_tf,
    punctuation_tf,
    typo_tf,
)
from headrace.augment.tf import BatchFormat, TransformationFunction, collect_tfs, transformation_function

__all__ = [
    "AUGMENTED_FROM_COLUMN",
    "POLICIES",
    "TFS_COLUMN",
    "ApplyAllPolicy",
    "ApplyOnePolicy",
    "AugmentResult",
    "BatchFormat",
    "Policy",
    "PolicyName",
    "RandomPolicy",
    "TransformationFunction",
    "apply_tfs",
    "augmentation_examples",
    "case_tf",
    "collect_tfs",
    "make_policy",
    "name_swap_tf",
    "number_swap_tf",
    "perturbation_tf",
    "punctuation_tf",
    "transformation_function",
    "typo_tf",
]
