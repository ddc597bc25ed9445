"""Calibration of predicted probabilities: reliability curve and expected calibration error.

A row's *confidence* is the probability the model gave the class it decided on (the
arg-max, or the thresholded class for two classes). Confidences are put into
:data:`N_BINS` equal-width bins over [0, 1] — bin ``b`` holds ``(b/15, (b+1)/15]``, the
first also holds 0 — and for each non-empty bin the curve gives the mean confidence, the
accuracy (share of its rows decided right) and the row count. The expected calibration
error is the row-weighted mean gap ``Σ_b (n_b / n) · |accuracy_b − confidence_b|``
(Naeini et al., AAAI 2015; Guo et al., ICML 2017 use 15 bins too). Equal-width bins
are easy to read but thin at the extremes; the counts say how much each point weighs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from headrace.train.types import FloatArray, IntArray

__all__ = ["N_BINS", "ReliabilityBin", "expected_calibration_error", "reliability_curve"]

#: Number of equal-width confidence bins.
N_BINS = 15


@dataclass(frozen=True)
class ReliabilityBin:
    """One point of the reliability curve."""

    lower: float
    upper: float
    confidence: float
    accuracy: float
    count: int


def reliability_curve(
    y_true: IntArray, probs: FloatArray, y_pred: IntArray, *, n_bins: int = N_BINS
) -> list[ReliabilityBin]:
    """The non-empty bins of the reliability curve (see the module docstring)."""
    confidence = probs[np.arange(len(y_pred)), y_pred]
    correct = (y_pred == y_true).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # (lower, upper]: a confidence equal to an edge belongs to the bin below it.
    index = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)
    curve = []
    for b in range(n_bins):
        members = index == b
        count = int(members.sum())
        if count:
            curve.append(
                ReliabilityBin(
                    lower=float(edges[b]),
                    upper=float(edges[b + 1]),
                    confidence=float(confidence[members].mean()),
                    accuracy=float(correct[members].mean()),
                    count=count,
                )
            )
    return curve


def expected_calibration_error(curve: list[ReliabilityBin]) -> float | None:
    """Row-weighted mean ``|accuracy − confidence|`` over the bins; ``None`` without rows."""
    total = sum(point.count for point in curve)
    if total == 0:
        return None
    return float(sum(point.count * abs(point.accuracy - point.confidence) for point in curve) / total)
