"""compress_votes: the distinct rows of L and their counts, exactly."""

from __future__ import annotations

import numpy as np
import pytest

from headrace.supervision.models import patterns
from headrace.supervision.models.patterns import compress_votes
from headrace.supervision.synthetic import make_label_matrix


def as_counts(votes: np.ndarray, counts: np.ndarray) -> dict[tuple[int, ...], float]:
    return {tuple(int(v) for v in row): float(c) for row, c in zip(votes, counts, strict=True)}


@pytest.mark.parametrize(
    ("n_lfs", "k"),
    [(5, 2), (39, 2), (45, 2), (30, 6), (40, 10)],  # one int64 group, and several (hashed)
)
def test_patterns_are_the_distinct_rows_with_their_counts(n_lfs: int, k: int) -> None:
    L = make_label_matrix(4000, n_lfs, cardinality=k, coverage=(0.0, 0.15), seed=1).L

    compressed = compress_votes(L, k, max_patterns=None)
    unique, counts = np.unique(L, axis=0, return_counts=True)

    assert as_counts(compressed.votes, compressed.counts) == as_counts(unique, counts)
    assert compressed.n_rows == 4000
    assert compressed.indicators.shape == (len(counts), n_lfs * k)


def test_a_hash_collision_falls_back_to_an_exact_sort(monkeypatch: pytest.MonkeyPatch) -> None:
    L = make_label_matrix(500, 45, coverage=(0.0, 0.2), seed=2).L
    monkeypatch.setattr(patterns, "_hash", lambda words, weights: np.zeros(len(words), dtype=np.uint64))

    compressed = compress_votes(L, 2, max_patterns=None)
    unique, counts = np.unique(L, axis=0, return_counts=True)

    assert as_counts(compressed.votes, compressed.counts) == as_counts(unique, counts)


def test_too_many_patterns_are_fitted_on_a_seeded_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patterns, "SAMPLE_ROWS", 1000)
    L = make_label_matrix(5000, 20, seed=3).L

    sampled = compress_votes(L, 2, max_patterns=100, seed=0)

    assert sampled.counts.sum() == 1000
    assert sampled.n_rows == 5000
    np.testing.assert_array_equal(sampled.votes, compress_votes(L, 2, max_patterns=100, seed=0).votes)
    assert compress_votes(L, 2, max_patterns=None).counts.sum() == 5000


def test_an_empty_matrix_has_no_patterns() -> None:
    compressed = compress_votes(np.zeros((0, 3), dtype=np.int8), 2)

    assert compressed.votes.shape == (0, 3) and compressed.counts.shape == (0,)
