"""Training: featurizers from the schema, noise-aware fitting, evaluation."""

from headrace.train.evaluate import Evaluation, evaluate_predictions
from headrace.train.features import build_featurizer
from headrace.train.fit import TrainingSet, expand_soft_labels, fit_pipeline

__all__ = [
    "Evaluation",
    "TrainingSet",
    "build_featurizer",
    "evaluate_predictions",
    "expand_soft_labels",
    "fit_pipeline",
]
