"""make_label_matrix: seeded votes whose coverages and accuracies are what it reports."""

from __future__ import annotations

import numpy as np
import pytest

from headrace.errors import LabelModelError
from headrace.supervision.synthetic import SyntheticLabels, make_label_matrix


def empirical(data: SyntheticLabels) -> tuple[np.ndarray, np.ndarray]:
    voted = data.L >= 0
    hits = (data.y[:, None] == data.L) & voted
    return hits.sum(axis=0) / np.maximum(voted.sum(axis=0), 1), voted.mean(axis=0)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"cardinality": 6, "correlated": 3},
        {"unipolar": True, "class_balance": [0.9, 0.1]},
        {"unipolar": True, "cardinality": 4, "correlated": 2},
    ],
)
def test_reported_accuracies_and_coverages_match_the_votes(params: dict[str, object]) -> None:
    data = make_label_matrix(100_000, 6, seed=3, **params)  # type: ignore[arg-type]
    accuracy, coverage = empirical(data)

    assert data.L.dtype == np.int8 and data.y.dtype == np.int64
    assert data.L.shape == (100_000, 6 + int(params.get("correlated", 0)))  # type: ignore[call-overload]
    np.testing.assert_allclose(coverage, data.coverages, atol=0.01)
    np.testing.assert_allclose(accuracy, data.accuracies, atol=0.03)
    np.testing.assert_allclose(np.bincount(data.y) / len(data.y), data.class_balance, atol=0.01)


def test_unipolar_lfs_vote_one_class_each() -> None:
    data = make_label_matrix(5000, 6, cardinality=3, unipolar=True, seed=0)

    for j in range(6):
        assert set(np.unique(data.L[:, j])) <= {-1, j % 3}


def test_correlated_lfs_copy_another_lf() -> None:
    data = make_label_matrix(5000, 4, correlated=2, seed=0)

    for j in (4, 5):
        copied = data.L[:, j] >= 0
        assert any(np.array_equal(data.L[copied, j], data.L[copied, i]) for i in range(4))


def test_the_same_seed_gives_the_same_matrix() -> None:
    first, second = make_label_matrix(500, 5, seed=7), make_label_matrix(500, 5, seed=7)

    np.testing.assert_array_equal(first.L, second.L)
    assert not np.array_equal(first.L, make_label_matrix(500, 5, seed=8).L)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"cardinality": 1}, "cardinality must be at least 2"),
        ({"coverage": (0.5, 0.2)}, "coverage must be a range"),
        ({"accuracy": (0.5, 1.2)}, "accuracy must be a range"),
        ({"class_balance": [0.5, 0.6]}, "class_balance must be 2 positive numbers"),
        ({"correlated": -1}, "correlated >= 0"),
    ],
)
def test_bad_arguments_are_refused(params: dict[str, object], message: str) -> None:
    with pytest.raises(LabelModelError, match=message):
        make_label_matrix(10, 3, **params)  # type: ignore[arg-type]
