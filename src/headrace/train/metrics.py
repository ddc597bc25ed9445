"""The project metric, decisions from probabilities, and the binary decision threshold.

Metric meanings (``train.metric``): ``f1`` is the F1 of class 1 (the positive class,
e.g. ``spam``) for two classes and the macro F1 otherwise; ``f1_macro`` is the mean F1
over classes; ``accuracy`` is the share of rows right.

Decisions: with a threshold ``t`` (two classes only), a row is class 1 when
``P(class 1) > t``; without one it is the arg-max, ties to the lowest class — so
``t = 0.5`` and the arg-max agree.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from headrace.errors import TrainingError
from headrace.train.types import FloatArray, IntArray, Metric

__all__ = ["THRESHOLD_GRID", "decide", "score", "tune_threshold"]

#: Candidate thresholds: 0.05, 0.06, …, 0.95. A coarse grid keeps a threshold tuned on
#: a small dev set from chasing single rows.
THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)


def decide(probs: FloatArray, threshold: float | None = None) -> IntArray:
    """Class index per row: arg-max, or ``P(class 1) > threshold`` for two classes.

    Raises
    ------
    TrainingError
        A threshold is given for more than two classes, or is outside [0, 1].
    """
    if threshold is None:
        return np.asarray(probs.argmax(axis=1), dtype=np.int64)
    if probs.shape[1] != 2:
        raise TrainingError(
            f"a decision threshold applies to two classes only; the model has {probs.shape[1]}"
        )
    if not 0.0 <= threshold <= 1.0:
        raise TrainingError(f"the decision threshold must be within [0, 1], got {threshold}")
    return (probs[:, 1] > threshold).astype(np.int64)


def score(metric: Metric, y_true: IntArray, y_pred: IntArray, cardinality: int) -> float:
    """``metric`` of predictions against gold labels (see the module docstring)."""
    labels = list(range(cardinality))
    if metric == "accuracy":
        return float(accuracy_score(y_true, y_pred))
    average = "binary" if metric == "f1" and cardinality == 2 else "macro"
    return float(f1_score(y_true, y_pred, average=average, labels=labels, zero_division=0))


def tune_threshold(y_true: IntArray, probs: FloatArray, metric: Metric) -> float:
    """The grid threshold that maximizes ``metric`` on ``(y_true, probs)``.

    The best thresholds form runs on the grid. When 0.5 is in one, it is kept (the
    arg-max decision stays); otherwise the middle of the run nearest 0.5 is taken,
    as far as the data allows from the rows the choice hinges on.

    Examples
    --------
    >>> y = np.array([0, 0, 1, 1])
    >>> tune_threshold(y, np.array([[0.9, 0.1], [0.7, 0.3], [0.6, 0.4], [0.2, 0.8]]), "f1")
    0.34
    """
    scores = np.array([score(metric, y_true, decide(probs, float(t)), 2) for t in THRESHOLD_GRID])
    best = np.flatnonzero(scores >= scores.max() - 1e-12)
    runs = np.split(best, np.flatnonzero(np.diff(best) > 1) + 1)
    grid = THRESHOLD_GRID
    run = min(runs, key=lambda r: 0.0 if grid[r[0]] <= 0.5 <= grid[r[-1]] else min(abs(grid[r] - 0.5)))
    if grid[run[0]] <= 0.5 <= grid[run[-1]]:
        return 0.5
    return float(grid[run[(len(run) - 1) // 2]])
