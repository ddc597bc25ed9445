"""The contract every label model follows, and the checks they share.

``Model(cardinality=k, **params).fit(L, *, y_dev=None, L_dev=None, class_balance=None)``
returns ``self``; ``predict_proba(L)`` returns an ``(n, k)`` float array whose rows sum
to 1; ``predict(L)`` returns the arg-max with ties broken towards the lowest class index.
Prediction never changes the model.
"""

from __future__ import annotations

from typing import Any, Protocol, Self

import numpy as np
import numpy.typing as npt

from headrace.errors import LabelModelError
from headrace.supervision.matrix import check_label_matrix

__all__ = ["LabelModelProtocol", "check_class_balance", "check_fitted", "one_hot_votes"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class LabelModelProtocol(Protocol):
    """What the system needs from a label model."""

    cardinality: int

    def fit(
        self,
        L: Any,
        *,
        y_dev: Any = None,
        L_dev: Any = None,
        class_balance: Any = None,
    ) -> Self: ...

    def predict_proba(self, L: Any) -> FloatArray: ...

    def predict(self, L: Any) -> IntArray: ...


def check_class_balance(class_balance: Any, cardinality: int) -> FloatArray:
    """Return a valid prior over classes (uniform when ``None``)."""
    if class_balance is None:
        return np.full(cardinality, 1.0 / cardinality)
    prior = np.asarray(class_balance, dtype=np.float64)
    if prior.shape != (cardinality,) or np.any(prior <= 0) or not np.isclose(prior.sum(), 1.0):
        raise LabelModelError(
            f"class_balance must be {cardinality} positive numbers summing to 1, got {class_balance!r}"
        )
    return prior


def check_fitted(model: Any, attribute: str, *, n_lfs: int, L: Any) -> npt.NDArray[np.int8]:
    """Fail unless ``model`` is fitted and ``L`` has the LF count it was fitted on."""
    if not hasattr(model, attribute):
        raise LabelModelError(f"{type(model).__name__} is not fitted; call fit(L) first")
    matrix = check_label_matrix(L, model.cardinality)
    if matrix.shape[1] != n_lfs:
        raise LabelModelError(f"L has {matrix.shape[1]} LFs but {type(model).__name__} was fitted on {n_lfs}")
    return matrix


def one_hot_votes(L: npt.NDArray[np.int8], cardinality: int) -> FloatArray:
    """Return votes as a ``(n, m, k)`` one-hot array; abstains are all zeros."""
    n, m = L.shape
    onehot = np.zeros((n, m, cardinality), dtype=np.float64)
    rows, cols = np.nonzero(L >= 0)
    onehot[rows, cols, L[rows, cols]] = 1.0
    return onehot
