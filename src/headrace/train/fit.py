"""Noise-aware training from probabilistic labels.

Method: *soft-label expansion*. Each training row ``x`` with label distribution
``p(y | L)`` becomes ``k`` weighted copies ``(x, c)`` with sample weight ``p(c | L)``, so
the classifier minimizes the expected log-loss under the label model's posterior — the
noise-aware loss of Ratner et al. (Data Programming, NeurIPS 2016) for any estimator
that accepts sample weights. Rows that no LF labeled carry only the prior and are
dropped by default (``drop_uncovered``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from headrace.errors import TrainingError
from headrace.project.config import FeaturesConfig
from headrace.train.features import build_featurizer

__all__ = ["TrainingSet", "expand_soft_labels", "fit_pipeline"]


@dataclass(frozen=True)
class TrainingSet:
    """Rows to train on and their label distributions."""

    frame: pd.DataFrame
    probs: npt.NDArray[np.float64]


def expand_soft_labels(
    frame: pd.DataFrame, probs: npt.NDArray[np.float64]
) -> tuple[pd.DataFrame, npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Repeat each row once per class, labeled with that class and weighted by its probability."""
    n, k = probs.shape
    expanded = frame.iloc[np.repeat(np.arange(n), k)].reset_index(drop=True)
    labels = np.tile(np.arange(k), n)
    weights = probs.reshape(-1)
    keep = weights > 0
    return expanded.loc[keep].reset_index(drop=True), labels[keep], weights[keep]


def fit_pipeline(training: TrainingSet, features: FeaturesConfig, *, cardinality: int, seed: int) -> Pipeline:
    """Fit TF-IDF (or the schema's featurizer) + logistic regression on soft labels."""
    hard = training.probs.argmax(axis=1)
    present = np.unique(hard)
    if len(training.frame) == 0 or len(present) < 2:
        raise TrainingError(
            f"the training labels cover {len(training.frame)} rows and "
            f"{len(present)} class(es); need rows of at least two classes: add or fix LFs"
        )
    X, y, weights = expand_soft_labels(training.frame, training.probs)
    pipeline = Pipeline(
        [
            ("features", build_featurizer(features)),
            (
                "model",
                LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced", random_state=seed),
            ),
        ]
    )
    pipeline.fit(X, y, model__sample_weight=weights)
    if len(pipeline.classes_) != cardinality:
        raise TrainingError(f"the model saw {len(pipeline.classes_)} of {cardinality} classes in its labels")
    return pipeline
