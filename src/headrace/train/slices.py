"""Scores per slice of the gold rows (masks from :func:`headrace.supervision.apply_slices`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

import numpy as np

from headrace.errors import TrainingError
from headrace.train.evaluate import Evaluation, check_gold, evaluate_predictions
from headrace.train.types import BoolArray, FloatArray, IntArray

__all__ = ["evaluate_slices"]


def _empty(classes: list[str], threshold: float | None) -> dict[str, Any]:
    """The dict of a slice with no rows: every score ``None``."""
    result: dict[str, Any] = dict.fromkeys((f.name for f in fields(Evaluation)), None)
    k = len(classes)
    result |= {
        "n_rows": 0,
        "confusion": [[0] * k for _ in range(k)],
        "classes": list(classes),
        "per_class": {},
        "reliability": [],
        "threshold": threshold,
    }
    return result


def evaluate_slices(
    y_true: IntArray,
    probs: FloatArray,
    masks: Mapping[str, BoolArray],
    classes: list[str],
    threshold: float | None = None,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    interval_min_rows: int = 20,
) -> dict[str, dict[str, Any]]:
    """Score each slice of the gold rows as :func:`evaluate_predictions` scores them all.

    Each value is an :class:`Evaluation` as a dict (``n_rows`` first among its keys). A
    slice with fewer than ``interval_min_rows`` rows gets no intervals; an empty slice
    gets ``n_rows = 0`` and ``None`` scores; a slice holding one class gets
    ``roc_auc = None`` and zero scores for the classes it lacks.

    Raises
    ------
    TrainingError
        A mask is not one boolean per gold row.

    Examples
    --------
    >>> y = np.array([0, 1, 1, 0])
    >>> p = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    >>> masks = {"first_two": np.array([True, True, False, False])}
    >>> evaluate_slices(y, p, masks, ["a", "b"])["first_two"]["accuracy"]
    1.0
    """
    y_true = check_gold(y_true, probs, classes)
    results: dict[str, dict[str, Any]] = {}
    for name, mask in masks.items():
        rows = np.asarray(mask)
        if rows.dtype != np.bool_ or rows.shape != y_true.shape:
            raise TrainingError(
                f"slice {name!r}: the mask must be one boolean per gold row ({len(y_true)}), "
                f"got dtype {rows.dtype} and shape {rows.shape}"
            )
        if not rows.any():
            results[name] = _empty(classes, threshold)
            continue
        evaluation = evaluate_predictions(
            y_true[rows],
            probs[rows],
            classes,
            threshold=threshold,
            n_resamples=n_resamples,
            seed=seed,
            interval_min_rows=interval_min_rows,
        )
        results[name] = evaluation.to_dict()
    return results
