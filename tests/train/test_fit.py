"""Noise-aware fitting: soft-label expansion, balanced soft class weights, hard labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from headrace.errors import TrainingError
from headrace.train import TrainingSet, expand_rows, soft_class_weights
from headrace.train.fit import check_training_labels


def distributions(k: int) -> st.SearchStrategy[np.ndarray]:
    rows = hnp.arrays(np.float64, st.tuples(st.integers(1, 12), st.just(k)), elements=st.floats(0, 1))
    return rows.filter(lambda a: bool((a.sum(axis=1) > 0).all())).map(
        lambda a: a / a.sum(axis=1, keepdims=True)
    )


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 4).flatmap(distributions))
def test_expansion_keeps_every_rows_probability_mass_on_its_own_copies(probs: np.ndarray) -> None:
    n, k = probs.shape
    X = sp.csr_matrix(np.arange(n, dtype=np.float64)[:, None] + 1)

    rows = expand_rows(X, probs)

    source = rows.X.toarray()[:, 0].astype(int) - 1
    mass = np.zeros((n, k))
    np.add.at(mass, (source, rows.y), rows.weight)
    np.testing.assert_allclose(mass, probs)
    assert (rows.weight > 0).all()


def test_row_weights_multiply_into_the_copies() -> None:
    probs = np.array([[0.25, 0.75], [1.0, 0.0]])

    rows = expand_rows(np.eye(2), probs, row_weight=np.array([2.0, 0.5]))

    np.testing.assert_array_equal(rows.y, [0, 1, 0])
    np.testing.assert_allclose(rows.weight, [0.5, 1.5, 0.5])


def test_balanced_weights_come_from_the_soft_mass_not_from_counting_copies() -> None:
    # After expansion both classes appear on every row; scikit-learn's "balanced"
    # would see 3 and 3. The soft mass is 0.3 + 0.2 + 0.1 = 0.6 against 2.4.
    probs = np.array([[0.7, 0.3], [0.8, 0.2], [0.9, 0.1]])

    weights = soft_class_weights(probs)

    assert weights == pytest.approx({0: 3.0 / (2 * 2.4), 1: 3.0 / (2 * 0.6)})
    assert expand_rows(np.eye(3), probs, balanced=True).class_weight == weights
    assert expand_rows(np.eye(3), probs).class_weight == {0: 1.0, 1: 1.0}


def test_hard_labels_become_one_hot_distributions() -> None:
    frame = pd.DataFrame({"content": ["a", "b", "c"]})

    training = TrainingSet.from_labels(frame, np.array([1, 0, 2]), cardinality=3)

    np.testing.assert_array_equal(training.probs, np.eye(3)[[1, 0, 2]])
    np.testing.assert_array_equal(training.hard_labels, [1, 0, 2])


def test_hard_labels_out_of_range_are_refused_with_the_row() -> None:
    frame = pd.DataFrame({"content": ["a", "b"]})

    with pytest.raises(TrainingError, match=r"class indices 0\.\.1; row 1 has 2"):
        TrainingSet.from_labels(frame, np.array([0, 2]), cardinality=2)


def test_a_single_class_in_the_labels_is_refused() -> None:
    frame = pd.DataFrame({"content": ["a", "b"]})

    with pytest.raises(TrainingError, match="need rows of at least two classes"):
        check_training_labels(TrainingSet(frame, np.array([[1.0, 0.0], [0.9, 0.1]])), cardinality=2)


def test_a_class_without_any_probability_is_refused_before_training() -> None:
    frame = pd.DataFrame({"content": ["a", "b"]})
    training = TrainingSet.from_labels(frame, np.array([0, 1]), cardinality=3)

    with pytest.raises(TrainingError, match=r"no training row has any probability of class\(es\) \[2\]"):
        check_training_labels(training, cardinality=3)


def test_probabilities_that_are_not_distributions_are_refused() -> None:
    frame = pd.DataFrame({"content": ["a", "b"]})

    with pytest.raises(TrainingError, match="sum to 1 in every row"):
        check_training_labels(TrainingSet(frame, np.array([[0.5, 0.6], [0.5, 0.5]])), cardinality=2)
    with pytest.raises(TrainingError, match=r"shape \(rows, classes\) = \(2, 3\), got \(2, 2\)"):
        check_training_labels(TrainingSet(frame, np.eye(2)), cardinality=3)
