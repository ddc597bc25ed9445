"""Evaluation on gold rows: headline and per-class scores, calibration, bootstrap intervals."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, f1_score

from headrace.errors import TrainingError
from headrace.train import bootstrap_intervals, evaluate_predictions, reliability_curve

CLASSES = ["ham", "spam"]


def binary(p1: list[float]) -> np.ndarray:
    p = np.asarray(p1)
    return np.column_stack([1 - p, p])


def test_headline_scores_are_of_class_one_and_per_class_scores_of_each() -> None:
    y = np.array([0, 0, 0, 1, 1])
    probs = binary([0.1, 0.2, 0.7, 0.8, 0.4])  # predicts 0 0 1 1 0

    e = evaluate_predictions(y, probs, CLASSES)

    assert (e.n_rows, e.accuracy) == (5, 0.6)
    assert (e.precision, e.recall, e.f1) == pytest.approx((0.5, 0.5, 0.5))
    assert e.per_class["ham"].precision == pytest.approx(2 / 3)
    assert e.per_class["ham"].recall == pytest.approx(2 / 3)
    assert (e.per_class["ham"].support, e.per_class["spam"].support) == (3, 2)
    assert e.precision_macro == pytest.approx((2 / 3 + 0.5) / 2)
    assert e.f1_macro == pytest.approx((2 / 3 + 0.5) / 2)
    assert e.confusion == [[2, 1], [1, 1]]
    assert e.metric("f1") == e.f1


def test_a_threshold_changes_the_decisions_and_is_recorded() -> None:
    y = np.array([0, 0, 1, 1])
    probs = binary([0.1, 0.2, 0.3, 0.4])

    assert evaluate_predictions(y, probs, CLASSES).f1 == 0.0
    tuned = evaluate_predictions(y, probs, CLASSES, threshold=0.25)

    assert (tuned.f1, tuned.threshold) == (1.0, 0.25)


def test_ece_and_the_reliability_curve_on_a_hand_built_case() -> None:
    # Confidences 0.9 (twice, one right) and 0.6 (twice, both right): bins (0.8667, 0.9333]
    # and (0.6, 0.6667]... 0.6 sits on an edge, so it belongs to the bin below, (0.5333, 0.6].
    y = np.array([1, 0, 1, 1])
    probs = binary([0.9, 0.9, 0.6, 0.6])

    e = evaluate_predictions(y, probs, CLASSES)

    assert [(b.count, b.confidence, b.accuracy) for b in e.reliability] == [(2, 0.6, 1.0), (2, 0.9, 0.5)]
    assert e.reliability[0].upper == pytest.approx(9 / 15)
    assert e.ece == pytest.approx(0.5 * 0.4 + 0.5 * 0.4)


def test_confidence_is_that_of_the_decided_class() -> None:
    y = np.array([0])

    curve = reliability_curve(y, binary([0.3]), np.array([1]))

    assert (curve[0].confidence, curve[0].accuracy) == (0.3, 0.0)


def test_intervals_are_seeded_and_bracket_the_scores() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    probs = binary(0.25 + y * 0.2 + rng.random(200) * 0.5)  # overlapping classes

    first = evaluate_predictions(y, probs, CLASSES, seed=3)
    again = evaluate_predictions(y, probs, CLASSES, seed=3)

    assert first.intervals is not None and first.intervals == again.intervals
    for name in ("accuracy", "f1", "f1_macro"):
        interval = first.intervals[name]
        assert interval.low <= first.metric(name) <= interval.high
        assert 0.0 <= interval.low < interval.high <= 1.0


def test_few_rows_get_no_intervals() -> None:
    assert evaluate_predictions(np.array([0, 1]), binary([0.2, 0.7]), CLASSES).intervals is None


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 4), st.integers(1, 40), st.integers(0, 2**16))
def test_bootstrap_scores_agree_with_scikit_learn_on_every_resample(k: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    y_true, y_pred = rng.integers(0, k, n), rng.integers(0, k, n)

    intervals = bootstrap_intervals(y_true, y_pred, k, n_resamples=50, seed=seed)

    draws = np.random.default_rng(seed).integers(0, n, size=(50, n))
    labels = list(range(k))
    expected = {
        "accuracy": [accuracy_score(y_true[d], y_pred[d]) for d in draws],
        "f1": [
            f1_score(
                y_true[d], y_pred[d], labels=labels, average="binary" if k == 2 else "macro", zero_division=0
            )
            for d in draws
        ],
        "f1_macro": [
            f1_score(y_true[d], y_pred[d], labels=labels, average="macro", zero_division=0) for d in draws
        ],
    }
    for name, values in expected.items():
        low, high = np.percentile(values, [2.5, 97.5])
        assert (intervals[name].low, intervals[name].high) == pytest.approx((low, high))


def test_multiclass_evaluations_have_macro_headlines_and_json_ready_dicts() -> None:
    y = np.array([0, 1, 2, 2])
    probs = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.6, 0.2, 0.2]])

    e = evaluate_predictions(y, probs, ["a", "b", "c"])

    assert e.f1 == e.f1_macro
    assert e.roc_auc is not None
    assert json.loads(json.dumps(e.to_dict()))["per_class"]["c"]["support"] == 2


def test_roc_auc_is_none_when_gold_rows_hold_one_class() -> None:
    assert evaluate_predictions(np.array([1, 1]), binary([0.3, 0.9]), CLASSES).roc_auc is None


def test_bad_inputs_are_refused_with_what_was_expected() -> None:
    with pytest.raises(TrainingError, match=r"shape \(rows, classes\) = \(2, 2\), got \(3, 2\)"):
        evaluate_predictions(np.array([0, 1]), binary([0.1, 0.2, 0.3]), CLASSES)
    with pytest.raises(TrainingError, match=r"class indices 0\.\.1, got \[0, 5\]"):
        evaluate_predictions(np.array([0, 5]), binary([0.1, 0.2]), CLASSES)
    with pytest.raises(TrainingError, match="no gold rows"):
        evaluate_predictions(np.array([], dtype=np.int64), np.zeros((0, 2)), CLASSES)
    with pytest.raises(TrainingError, match="two classes only"):
        evaluate_predictions(np.array([0]), np.array([[0.2, 0.3, 0.5]]), ["a", "b", "c"], threshold=0.5)
