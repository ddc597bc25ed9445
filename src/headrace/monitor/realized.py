"""Realized metrics: the served model scored on the logged rows that received ground truth."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["RealizedMetrics", "SliceFigures", "realized_metrics"]


@dataclass(frozen=True)
class SliceFigures:
    """Rows, labelled rows and realized scores of one slice (scores ``None`` without labels)."""

    rows: int
    labelled: int
    accuracy: float | None
    f1: float | None
    estimated_accuracy: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "labelled": self.labelled,
            "accuracy": self.accuracy,
            "f1": self.f1,
            "estimated_accuracy": self.estimated_accuracy,
        }


@dataclass(frozen=True)
class RealizedMetrics:
    """Scores on labelled rows, overall and per slice."""

    labelled: int
    accuracy: float | None
    f1: float | None
    slices: dict[str, SliceFigures] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "labelled": self.labelled,
            "accuracy": self.accuracy,
            "f1": self.f1,
            "slices": {name: figures.to_dict() for name, figures in self.slices.items()},
        }


def realized_metrics(
    predicted: Sequence[str],
    truth: Sequence[str | None],
    *,
    positive: str | None,
    slices: Mapping[str, npt.NDArray[np.bool_]] | None = None,
    correct_probability: npt.NDArray[np.float64] | None = None,
) -> RealizedMetrics:
    """Accuracy and F1 (of class ``positive``) where ``truth`` is known, overall and per slice.

    ``correct_probability`` (the label model's probability that each prediction is
    right) adds a label-free accuracy estimate per slice.
    """
    predicted_array = np.asarray(predicted, dtype=object)
    truth_array = np.asarray(truth, dtype=object)
    labelled = np.asarray([t is not None for t in truth], dtype=bool)
    accuracy, f1 = _scores(predicted_array[labelled], truth_array[labelled], positive)
    figures: dict[str, SliceFigures] = {}
    for name, mask in (slices or {}).items():
        both = mask & labelled
        slice_accuracy, slice_f1 = _scores(predicted_array[both], truth_array[both], positive)
        estimated = None
        if correct_probability is not None and mask.any():
            estimated = float(correct_probability[mask].mean())
        figures[name] = SliceFigures(int(mask.sum()), int(both.sum()), slice_accuracy, slice_f1, estimated)
    return RealizedMetrics(int(labelled.sum()), accuracy, f1, figures)


def _scores(
    predicted: npt.NDArray[Any], truth: npt.NDArray[Any], positive: str | None
) -> tuple[float | None, float | None]:
    if len(truth) == 0:
        return None, None
    accuracy = float(np.mean(predicted == truth))
    if positive is None:
        return accuracy, None
    tp = int(np.sum((predicted == positive) & (truth == positive)))
    fp = int(np.sum((predicted == positive) & (truth != positive)))
    fn = int(np.sum((predicted != positive) & (truth == positive)))
    denominator = 2 * tp + fp + fn
    return accuracy, (None if denominator == 0 else 2 * tp / denominator)
