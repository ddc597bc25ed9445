"""Noise-aware training from probabilistic labels.

Method: *soft-label expansion*. Each training row ``x`` with label distribution
``p(y | L)`` becomes ``k`` weighted copies ``(x, c)`` with sample weight ``p(c | L)``
(copies of weight 0 are left out), so any classifier that accepts sample weights
minimizes the expected loss under the label model's posterior — the noise-aware loss
of Ratner et al. (Data Programming, NeurIPS 2016). Hard labels are the special case of
one-hot distributions (:meth:`TrainingSet.from_labels`), which is how the fully
supervised reference model is trained with the very same code.

The expansion happens on the *featurized* matrix (:func:`expand_rows`): the featurizer
is fitted once on the original rows, with their arg-max labels where it needs a label
(target encoding). Rows that no LF labeled carry only the prior and are dropped
upstream (``train.drop_uncovered``).

Class balancing (``class_weight: balanced``) cannot be left to scikit-learn: after
expansion every row appears once per class, so counting labels would see balanced
classes whatever the label model said. :func:`soft_class_weights` weighs each class by
``n / (k · mass_c)`` where ``mass_c`` is the total probability (times row weight) the
labels give to class ``c``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from headrace.errors import TrainingError
from headrace.train.types import FloatArray, IntArray, Matrix

__all__ = [
    "DevSet",
    "ExpandedRows",
    "TrainingSet",
    "check_training_labels",
    "expand_rows",
    "soft_class_weights",
]


@dataclass(frozen=True)
class TrainingSet:
    """Rows to train on and their label distributions, shape ``(n_rows, n_classes)``."""

    frame: pd.DataFrame
    probs: FloatArray

    @classmethod
    def from_labels(cls, frame: pd.DataFrame, labels: IntArray, *, cardinality: int) -> TrainingSet:
        """Hard labels (class indices) as one-hot distributions, e.g. gold labels.

        Raises
        ------
        TrainingError
            A label is outside ``0..cardinality-1``.
        """
        labels = np.asarray(labels)
        if labels.ndim != 1 or len(labels) != len(frame):
            raise TrainingError(f"labels must be one class index per row ({len(frame)}), got {labels.shape}")
        bad = (labels < 0) | (labels >= cardinality)
        if bad.any():
            raise TrainingError(
                f"labels must be class indices 0..{cardinality - 1}; row {int(np.argmax(bad))} "
                f"has {labels[bad][0]}"
            )
        return cls(frame=frame, probs=np.eye(cardinality)[labels.astype(np.int64)])

    @property
    def hard_labels(self) -> IntArray:
        """The most probable class per row (ties to the lowest index)."""
        return np.asarray(self.probs.argmax(axis=1), dtype=np.int64)


@dataclass(frozen=True)
class DevSet:
    """Gold-labeled rows the search scores on: features and class indices."""

    frame: pd.DataFrame
    labels: IntArray


@dataclass(frozen=True)
class ExpandedRows:
    """A featurized training set after soft-label expansion: what a model family fits on."""

    X: Matrix
    y: IntArray
    weight: FloatArray
    class_weight: dict[int, float]


def soft_class_weights(probs: FloatArray, row_weight: FloatArray | None = None) -> dict[int, float]:
    """``{class: n / (k · mass_c)}``, the "balanced" weights of soft labels.

    Examples
    --------
    >>> soft_class_weights(np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]]))
    {0: 0.75, 1: 1.5}
    """
    weights = np.ones(len(probs)) if row_weight is None else row_weight
    mass = (probs * weights[:, None]).sum(axis=0)
    total, k = mass.sum(), probs.shape[1]
    return {c: float(total / (k * m)) if m > 0 else 1.0 for c, m in enumerate(mass)}


def expand_rows(
    X: Matrix, probs: FloatArray, *, row_weight: FloatArray | None = None, balanced: bool = False
) -> ExpandedRows:
    """Soft-label expansion of a featurized matrix (see the module docstring).

    Parameters
    ----------
    X : matrix, shape (n, d)
        Featurized rows (sparse or dense).
    probs : array, shape (n, k)
        Label distribution per row.
    row_weight : array, shape (n,), optional
        A weight per row multiplied into its copies' weights (1 by default).
    balanced : bool
        Compute balancing class weights from the soft label mass; otherwise all 1.
    """
    n, k = probs.shape
    weights = np.ones(n) if row_weight is None else row_weight
    copy_weight = (probs * weights[:, None]).reshape(-1)
    keep = copy_weight > 0
    rows = np.repeat(np.arange(n), k)[keep]
    class_weight = soft_class_weights(probs, weights) if balanced else dict.fromkeys(range(k), 1.0)
    return ExpandedRows(
        X=X[rows],
        y=np.tile(np.arange(k, dtype=np.int64), n)[keep],
        weight=copy_weight[keep],
        class_weight=class_weight,
    )


def check_training_labels(training: TrainingSet, *, cardinality: int) -> None:
    """Fail unless the labels are ``(n, k)`` distributions covering at least two classes."""
    probs = training.probs
    if probs.ndim != 2 or probs.shape != (len(training.frame), cardinality):
        raise TrainingError(
            f"training probs must have shape (rows, classes) = ({len(training.frame)}, {cardinality}), "
            f"got {probs.shape}"
        )
    if not np.all(np.isfinite(probs)) or np.any(probs < 0) or not np.allclose(probs.sum(axis=1), 1.0):
        raise TrainingError("training probs must be finite, non-negative and sum to 1 in every row")
    present = np.unique(training.hard_labels)
    if len(training.frame) == 0 or len(present) < 2:
        raise TrainingError(
            f"the training labels cover {len(training.frame)} rows and "
            f"{len(present)} class(es); need rows of at least two classes: add or fix LFs"
        )
    absent = [c for c, mass in enumerate(probs.sum(axis=0)) if mass <= 0]
    if absent:
        raise TrainingError(
            f"no training row has any probability of class(es) {absent}; a model cannot learn "
            "a class it never sees: add rows (or LFs) for it"
        )
