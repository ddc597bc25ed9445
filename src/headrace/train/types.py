"""Type aliases shared by the training modules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, Protocol, Self

import numpy as np
import numpy.typing as npt

__all__ = [
    "BoolArray",
    "ClassWeights",
    "Classifier",
    "FloatArray",
    "IntArray",
    "Matrix",
    "Metric",
    "Monitor",
    "ProbaFn",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: A feature matrix: a SciPy sparse matrix (CSR) or a dense NumPy array.
Matrix = Any

#: The project metric (``train.metric``).
Metric = Literal["f1", "f1_macro", "accuracy"]

#: Per-class weights ``{class index: weight}`` (``None``: all classes weigh the same).
ClassWeights = Mapping[int, float] | None

#: Class probabilities of a partly trained model for a feature matrix.
ProbaFn = Callable[[Matrix], FloatArray]

#: Called by multi-step families after each reported step (boosting rounds so far) with
#: a function giving the model's probabilities at that step; it may raise
#: ``optuna.TrialPruned`` to stop training.
Monitor = Callable[[int, ProbaFn], None]


class Classifier(Protocol):
    """The scikit-learn classifier shape every model family builds."""

    def fit(self, X: Matrix, y: IntArray, sample_weight: FloatArray | None = None) -> Self: ...

    def predict_proba(self, X: Matrix) -> FloatArray: ...

    def get_params(self, deep: bool = True) -> dict[str, Any]: ...

    def set_params(self, **params: Any) -> Self: ...
