"""Scoring a model on gold rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

__all__ = ["Evaluation", "evaluate_predictions"]


@dataclass(frozen=True)
class Evaluation:
    """Test scores. For two classes ``precision/recall/f1`` are of class 1 (the positive
    class, e.g. ``spam``); otherwise they are macro averages."""

    n_rows: int
    accuracy: float
    precision: float
    recall: float
    f1: float
    f1_macro: float
    roc_auc: float | None
    confusion: list[list[int]]
    classes: list[str]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)

    def metric(self, name: str) -> float:
        """The metric the project file names (``f1``, ``f1_macro``, ``accuracy``)."""
        return float(getattr(self, name))


def evaluate_predictions(
    y_true: npt.NDArray[np.int64], probs: npt.NDArray[np.float64], classes: list[str]
) -> Evaluation:
    """Score class probabilities against gold labels."""
    y_pred = probs.argmax(axis=1)
    labels = list(range(len(classes)))
    binary = len(classes) == 2
    average = "binary" if binary else "macro"
    roc_auc: float | None = None
    if len(np.unique(y_true)) == len(classes):
        roc_auc = float(
            roc_auc_score(y_true, probs[:, 1]) if binary else roc_auc_score(y_true, probs, multi_class="ovr")
        )
    return Evaluation(
        n_rows=len(y_true),
        accuracy=float(accuracy_score(y_true, y_pred)),
        precision=float(precision_score(y_true, y_pred, average=average, labels=labels, zero_division=0)),
        recall=float(recall_score(y_true, y_pred, average=average, labels=labels, zero_division=0)),
        f1=float(f1_score(y_true, y_pred, average=average, labels=labels, zero_division=0)),
        f1_macro=float(f1_score(y_true, y_pred, average="macro", labels=labels, zero_division=0)),
        roc_auc=roc_auc,
        confusion=confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        classes=list(classes),
    )
