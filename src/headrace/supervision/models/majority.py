"""Majority vote: each row gets the class most LFs voted for."""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt

from headrace.supervision.matrix import check_label_matrix
from headrace.supervision.models.base import FloatArray, IntArray, check_class_balance, check_fitted
from headrace.supervision.models.patterns import vote_indicators

__all__ = ["MajorityVote", "vote_counts"]

#: Rows counted at a time (bounds memory on huge matrices).
CHUNK_ROWS = 1 << 18


class MajorityVote:
    """Vote counts normalized per row; rows with no vote get the class prior.

    Parameters
    ----------
    cardinality : int
        Number of classes.
    """

    def __init__(self, cardinality: int = 2) -> None:
        self.cardinality = cardinality

    def fit(
        self,
        L: Any,
        *,
        y_dev: Any = None,
        L_dev: Any = None,
        class_balance: Any = None,
    ) -> Self:
        """Record the LF count and the prior; majority vote learns nothing else."""
        matrix = check_label_matrix(L, self.cardinality)
        self.n_lfs_ = int(matrix.shape[1])
        self.class_balance_ = check_class_balance(class_balance, self.cardinality)
        return self

    def predict_proba(self, L: Any) -> FloatArray:
        """Share of votes per class; the prior where no LF voted."""
        matrix = check_fitted(self, "n_lfs_", n_lfs=getattr(self, "n_lfs_", 0), L=L)
        counts = vote_counts(matrix, self.cardinality)
        totals = counts.sum(axis=1, keepdims=True)
        return np.where(totals > 0, counts / np.maximum(totals, 1), self.class_balance_)

    def predict(self, L: Any) -> IntArray:
        """Most voted class; ties go to the lowest class index."""
        return np.asarray(np.argmax(self.predict_proba(L), axis=1), dtype=np.int64)


def vote_counts(L: npt.NDArray[np.int8], cardinality: int) -> FloatArray:
    """``(n, k)`` number of votes each row got for each class."""
    k = cardinality
    per_class = np.tile(np.eye(k), (L.shape[1], 1))
    out = np.empty((L.shape[0], k))
    for start in range(0, L.shape[0], CHUNK_ROWS):
        chunk = L[start : start + CHUNK_ROWS]
        out[start : start + len(chunk)] = vote_indicators(chunk, k) @ per_class
    return out
