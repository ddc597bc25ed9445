"""Oversampling minority classes with SMOTE on featurized rows (``imbalance`` extra).

SMOTE interpolates between a row and one of its nearest neighbours of the same class,
so it needs one class per row: it runs on the rows' arg-max labels. What it returns is
then merged with the soft labels rather than replacing them:

* the original rows keep their label distributions (soft-label expansion as usual);
* each synthetic row gets the one-hot label of the class it was made for and a row
  weight equal to the mean confidence (``max p``) of that class's rows, so a synthetic
  row never counts for more than the typical real row it was interpolated from.

It runs once per search on the training matrix, never on dev rows, and is not part of
the fitted ``Pipeline`` (prediction never oversamples). Classes with fewer than two rows
are left alone (SMOTE needs a neighbour); ``k_neighbors`` shrinks to fit small classes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from headrace.errors import TrainingError
from headrace.train.types import FloatArray, Matrix

__all__ = ["IMBALANCE_EXTRA", "Oversampled", "smote_oversample"]

#: The optional dependency group that provides SMOTE.
IMBALANCE_EXTRA = "imbalance"
_NEIGHBOURS = 5


@dataclass(frozen=True)
class Oversampled:
    """Rows after oversampling: the originals first, then the synthetic ones."""

    X: Matrix
    probs: FloatArray
    row_weight: FloatArray
    n_synthetic: int


def _smote_class() -> Any:
    try:
        module = importlib.import_module("imblearn.over_sampling")
    except ImportError as exc:
        raise TrainingError(
            f"train.imbalance.smote: true needs the {IMBALANCE_EXTRA} extra (imbalanced-learn); "
            f"install it with pip install 'headrace[{IMBALANCE_EXTRA}]', or set smote: false"
        ) from exc
    return module.SMOTE


def smote_oversample(X: Matrix, probs: FloatArray, *, seed: int) -> Oversampled:
    """Add SMOTE rows until every class with ≥ 2 rows matches the largest (by arg-max).

    Raises
    ------
    TrainingError
        imbalanced-learn is not installed.
    """
    smote = _smote_class()
    n, k = probs.shape
    hard = probs.argmax(axis=1)
    counts = np.bincount(hard, minlength=k)
    target = int(counts.max())
    wanted = {c: target for c in range(k) if 2 <= counts[c] < target}
    if not wanted:
        return Oversampled(X=X, probs=probs, row_weight=np.ones(n), n_synthetic=0)
    neighbours = min(_NEIGHBOURS, min(int(counts[c]) for c in wanted) - 1)
    sampler = smote(sampling_strategy=wanted, k_neighbors=neighbours, random_state=seed)
    X_all, y_all = sampler.fit_resample(X, hard)
    # imbalanced-learn returns the original rows first, in order, then the new ones.
    y_new = np.asarray(y_all[n:], dtype=np.int64)
    confidence = np.array([probs[hard == c, c].mean() if counts[c] else 1.0 for c in range(k)])
    X_out = sp.csr_matrix(X_all) if sp.issparse(X) else np.asarray(X_all)
    return Oversampled(
        X=X_out,
        probs=np.vstack([probs, np.eye(k)[y_new]]),
        row_weight=np.concatenate([np.ones(n), confidence[y_new]]),
        n_synthetic=len(y_new),
    )
