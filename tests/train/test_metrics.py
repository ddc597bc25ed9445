"""The project metric, decisions, and tuning the binary decision threshold."""

from __future__ import annotations

import numpy as np
import pytest

from headrace.errors import TrainingError
from headrace.train import decide, score, tune_threshold


def test_a_threshold_of_one_half_decides_like_the_arg_max_ties_included() -> None:
    probs = np.array([[0.5, 0.5], [0.2, 0.8], [0.9, 0.1], [0.49, 0.51]])

    np.testing.assert_array_equal(decide(probs, 0.5), decide(probs))
    np.testing.assert_array_equal(decide(probs), [0, 1, 0, 1])


def test_f1_is_of_class_one_for_two_classes_and_macro_for_more() -> None:
    y_true, y_pred = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])

    assert score("f1", y_true, y_pred, 2) == pytest.approx(0.8)
    assert score("f1_macro", y_true, y_pred, 2) == pytest.approx((2 / 3 + 0.8) / 2)
    assert score("accuracy", y_true, y_pred, 2) == 0.75
    assert score("f1", np.array([0, 1, 2]), np.array([0, 1, 1]), 3) == pytest.approx((1 + 2 / 3 + 0) / 3)


def test_the_tuned_threshold_separates_the_classes_from_the_middle_of_the_best_run() -> None:
    y = np.array([0, 0, 0, 1, 1])
    p1 = np.array([0.05, 0.1, 0.2, 0.3, 0.9])

    threshold = tune_threshold(y, np.column_stack([1 - p1, p1]), "f1")

    # every threshold in [0.20, 0.29] is perfect; the middle of that run is 0.24
    assert threshold == 0.24
    np.testing.assert_array_equal(decide(np.column_stack([1 - p1, p1]), threshold), y)


def test_the_threshold_stays_at_one_half_when_that_is_among_the_best() -> None:
    y = np.array([0, 1])
    probs = np.array([[0.9, 0.1], [0.1, 0.9]])

    assert tune_threshold(y, probs, "f1") == 0.5


def test_thresholds_apply_to_two_classes_only() -> None:
    with pytest.raises(TrainingError, match="two classes only; the model has 3"):
        decide(np.full((2, 3), 1 / 3), 0.5)
    with pytest.raises(TrainingError, match=r"within \[0, 1\], got 1.5"):
        decide(np.full((2, 2), 0.5), 1.5)
