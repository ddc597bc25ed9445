"""``linear_svm``: a linear SVM (liblinear) with Platt-scaled probabilities.

``LinearSVC`` has no ``predict_proba``; it is wrapped in ``CalibratedClassifierCV``
with ``method="sigmoid"`` and ``ensemble=False``: decision values are cross-predicted
on 3 stratified folds, a sigmoid per class is fitted on them (Platt scaling; one-vs-rest
sigmoids renormalized for more than two classes), and one SVM is refitted on all rows.
Sample weights reach both the SVM and the sigmoids. The search tunes the decision
threshold on gold dev afterwards, so a slightly off calibration costs little.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm import LinearSVC

from headrace.errors import TrainingError
from headrace.train.families.base import class_weight_dict, param_name
from headrace.train.types import Classifier, ClassWeights, FloatArray, IntArray, Matrix, Monitor

if TYPE_CHECKING:
    import optuna

__all__ = ["LinearSVM"]

_FOLDS = 3


class LinearSVM:
    """Search space: ``C`` in [0.001, 10], log scale."""

    name = "linear_svm"

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """Sample ``C``."""
        return {"C": trial.suggest_float(param_name(self.name, "C"), 1e-3, 10.0, log=True)}

    def build(self, params: Mapping[str, Any], *, seed: int, class_weight: ClassWeights) -> Classifier:
        """A sigmoid-calibrated ``LinearSVC``."""
        svm = LinearSVC(
            C=float(params["C"]),
            class_weight=class_weight_dict(class_weight),
            random_state=seed,
            max_iter=5000,
        )
        model: Classifier = CalibratedClassifierCV(svm, method="sigmoid", cv=_FOLDS, ensemble=False)
        return model

    def fit(
        self,
        model: Classifier,
        X: Matrix,
        y: IntArray,
        *,
        sample_weight: FloatArray,
        monitor: Monitor | None = None,
    ) -> Classifier:
        """Fit with as many calibration folds (≤ 3) as the rarest class allows."""
        smallest = int(np.bincount(y).min()) if len(y) else 0
        if smallest < 2:
            raise TrainingError(
                "linear_svm needs at least 2 training rows of every class for its probability "
                f"calibration, got {smallest}"
            )
        model.set_params(cv=min(_FOLDS, smallest))
        with warnings.catch_warnings():
            # liblinear may stop at max_iter on weakly regularized (large C) problems;
            # the search scores such trials on dev like any other.
            warnings.simplefilter("ignore", ConvergenceWarning)
            return model.fit(X, y, sample_weight=sample_weight)
