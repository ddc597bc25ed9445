"""Scoring a model on gold rows: metrics per class and overall, calibration, intervals.

For two classes ``precision/recall/f1`` are those of class 1 (the positive class, e.g.
``spam``); for more they are macro averages. ``per_class`` gives every class's own
scores and ``*_macro`` their unweighted means. Decisions follow
:func:`headrace.train.metrics.decide` (arg-max, or ``P(class 1) > threshold``).

Confidence intervals are percentile bootstrap intervals: the gold rows are resampled
with replacement ``n_resamples`` times (seeded), the metric is recomputed on each
resample, and the 2.5th and 97.5th percentiles bound the 95 % interval. They say how
much a score may move with another draw of gold rows of the same size — not how the
model would do on other data. Below ``interval_min_rows`` rows none are given.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support, roc_auc_score

from headrace.errors import TrainingError
from headrace.train.calibration import ReliabilityBin, expected_calibration_error, reliability_curve
from headrace.train.metrics import decide
from headrace.train.types import FloatArray, IntArray

__all__ = [
    "INTERVAL_METRICS",
    "ClassScores",
    "Evaluation",
    "Interval",
    "bootstrap_intervals",
    "evaluate_predictions",
]

#: Metrics that get a bootstrap confidence interval.
INTERVAL_METRICS = ("accuracy", "f1", "f1_macro")
_CHUNK_CELLS = 4_000_000  # resampled indices held at once (32 MB of int64)


@dataclass(frozen=True)
class ClassScores:
    """One class's precision, recall, F1 and number of gold rows."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Interval:
    """A 95 % bootstrap confidence interval."""

    low: float
    high: float


@dataclass(frozen=True)
class Evaluation:
    """Scores on gold rows (see the module docstring for what each means)."""

    n_rows: int
    accuracy: float
    precision: float
    recall: float
    f1: float
    f1_macro: float
    roc_auc: float | None
    confusion: list[list[int]]
    classes: list[str]
    precision_macro: float = 0.0
    recall_macro: float = 0.0
    per_class: dict[str, ClassScores] = field(default_factory=dict)
    ece: float | None = None
    reliability: list[ReliabilityBin] = field(default_factory=list)
    intervals: dict[str, Interval] | None = None
    threshold: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)

    def metric(self, name: str) -> float:
        """The metric the project file names (``f1``, ``f1_macro``, ``accuracy``)."""
        return float(getattr(self, name))


def _scores_from_confusion(counts: np.ndarray) -> dict[str, np.ndarray]:
    """accuracy, f1 (class 1 for two classes, else macro) and f1_macro per confusion matrix.

    ``counts`` has shape ``(..., k, k)`` indexed ``[true, predicted]``; an F1 whose
    denominator is 0 counts as 0, as scikit-learn's ``zero_division=0``.
    """
    k = counts.shape[-1]
    tp = np.diagonal(counts, axis1=-2, axis2=-1).astype(np.float64)
    denominator = counts.sum(axis=-2) + counts.sum(axis=-1)
    f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
    n = counts.sum(axis=(-2, -1))
    macro = f1.mean(axis=-1)
    return {
        "accuracy": tp.sum(axis=-1) / n,
        "f1": f1[..., 1] if k == 2 else macro,
        "f1_macro": macro,
    }


def bootstrap_intervals(
    y_true: IntArray, y_pred: IntArray, cardinality: int, *, n_resamples: int = 1000, seed: int = 0
) -> dict[str, Interval]:
    """Percentile bootstrap 95 % intervals of accuracy, f1 and f1_macro (seeded)."""
    n, k = len(y_true), cardinality
    codes = y_true.astype(np.int64) * k + y_pred.astype(np.int64)
    rng = np.random.default_rng(seed)
    per_chunk = max(1, _CHUNK_CELLS // max(n, 1))
    values: dict[str, list[np.ndarray]] = {name: [] for name in INTERVAL_METRICS}
    for start in range(0, n_resamples, per_chunk):
        size = min(per_chunk, n_resamples - start)
        sample = codes[rng.integers(0, n, size=(size, n))]
        offsets = (k * k) * np.arange(size)[:, None]
        counts = np.bincount((sample + offsets).ravel(), minlength=size * k * k).reshape(size, k, k)
        for name, scores in _scores_from_confusion(counts).items():
            values[name].append(scores)
    intervals = {}
    for name in INTERVAL_METRICS:
        low, high = np.percentile(np.concatenate(values[name]), [2.5, 97.5])
        intervals[name] = Interval(low=float(low), high=float(high))
    return intervals


def check_gold(y_true: IntArray, probs: FloatArray, classes: list[str]) -> IntArray:
    """Validate gold labels against probabilities; return the labels as int64."""
    y = np.asarray(y_true)
    k = len(classes)
    if probs.ndim != 2 or probs.shape != (len(y), k):
        raise TrainingError(f"probs must have shape (rows, classes) = ({len(y)}, {k}), got {probs.shape}")
    if len(y) and (y.min() < 0 or y.max() >= k):
        raise TrainingError(f"gold labels must be class indices 0..{k - 1}, got {sorted(set(y.tolist()))}")
    return y.astype(np.int64)


def evaluate_predictions(
    y_true: IntArray,
    probs: FloatArray,
    classes: list[str],
    *,
    threshold: float | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
    interval_min_rows: int = 20,
) -> Evaluation:
    """Score class probabilities against gold labels.

    Parameters
    ----------
    y_true : array, shape (n,)
        Gold class indices.
    probs : array, shape (n, k)
        Predicted class probabilities.
    classes : list of str
        Class names, index = class id.
    threshold : float, optional
        Two classes only: decide class 1 when ``P(class 1) > threshold``.
    n_resamples, seed : int
        Bootstrap resamples for the confidence intervals and their seed.
    interval_min_rows : int
        No intervals below this many rows (``intervals`` is then ``None``).

    Raises
    ------
    TrainingError
        No rows, shapes that disagree, labels out of range, or a threshold for more
        than two classes.

    Examples
    --------
    >>> probs = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    >>> e = evaluate_predictions(np.array([0, 1, 1]), probs, ["ham", "spam"])
    >>> round(e.accuracy, 3), e.per_class["spam"].support
    (0.667, 2)
    """
    y_true = check_gold(y_true, probs, classes)
    if len(y_true) == 0:
        raise TrainingError("no gold rows to evaluate on")
    k = len(classes)
    labels = list(range(k))
    y_pred = decide(probs, threshold)
    roc_auc: float | None = None
    if len(np.unique(y_true)) == k:
        roc_auc = float(
            roc_auc_score(y_true, probs[:, 1]) if k == 2 else roc_auc_score(y_true, probs, multi_class="ovr")
        )
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=None, zero_division=0
    )
    confusion = confusion_matrix(y_true, y_pred, labels=labels)
    headline = 1 if k == 2 else slice(None)
    curve = reliability_curve(y_true, probs, y_pred)
    intervals = None
    if len(y_true) >= interval_min_rows:
        intervals = bootstrap_intervals(y_true, y_pred, k, n_resamples=n_resamples, seed=seed)
    return Evaluation(
        n_rows=len(y_true),
        accuracy=float(np.trace(confusion) / len(y_true)),
        precision=float(np.mean(precision[headline])),
        recall=float(np.mean(recall[headline])),
        f1=float(np.mean(f1[headline])),
        f1_macro=float(np.mean(f1)),
        roc_auc=roc_auc,
        confusion=confusion.tolist(),
        classes=list(classes),
        precision_macro=float(np.mean(precision)),
        recall_macro=float(np.mean(recall)),
        per_class={
            name: ClassScores(float(precision[c]), float(recall[c]), float(f1[c]), int(support[c]))
            for c, name in enumerate(classes)
        },
        ece=expected_calibration_error(curve),
        reliability=curve,
        intervals=intervals,
        threshold=threshold,
    )
