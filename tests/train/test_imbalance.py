"""SMOTE on featurized rows, merged with soft labels."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import scipy.sparse as sp

from headrace.errors import TrainingError
from headrace.train import smote_oversample


def skewed(seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray]:
    rng = np.random.default_rng(seed)
    hard = np.array([0] * 30 + [1] * 6)
    X = sp.csr_matrix(rng.random((36, 5)) + hard[:, None])
    confidence = np.where(hard == 1, 0.8, 0.9)
    probs = np.column_stack(
        [np.where(hard == 0, confidence, 1 - confidence), np.where(hard == 1, confidence, 1 - confidence)]
    )
    return X, probs


def test_minorities_are_filled_up_to_the_majority_with_one_hot_weighted_rows() -> None:
    X, probs = skewed()

    out = smote_oversample(X, probs, seed=0)

    assert out.n_synthetic == 24
    assert sp.issparse(out.X) and out.X.shape == (60, 5)
    np.testing.assert_array_equal(out.X[:36].toarray(), X.toarray())
    np.testing.assert_array_equal(out.probs[:36], probs)
    np.testing.assert_array_equal(out.probs[36:], np.tile([0.0, 1.0], (24, 1)))
    np.testing.assert_allclose(out.row_weight, [1.0] * 36 + [0.8] * 24)
    assert np.bincount(out.probs.argmax(axis=1)).tolist() == [30, 30]


def test_it_is_seeded() -> None:
    X, probs = skewed()

    first, second = smote_oversample(X, probs, seed=4), smote_oversample(X, probs, seed=4)

    np.testing.assert_array_equal(first.X.toarray(), second.X.toarray())


def test_balanced_rows_and_single_row_classes_are_left_alone() -> None:
    X = np.eye(4)
    balanced = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.1, 0.9]])
    lonely = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.1, 0.9]])

    assert smote_oversample(X, balanced, seed=0).n_synthetic == 0
    assert smote_oversample(X, lonely, seed=0).n_synthetic == 0


def test_without_imbalanced_learn_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "imblearn.over_sampling", None)
    X, probs = skewed()

    with pytest.raises(TrainingError, match=r"imbalance extra .*pip install 'headrace\[imbalance\]'"):
        smote_oversample(X, probs, seed=0)
