"""``logistic``: L2-regularized logistic regression (scikit-learn, L-BFGS)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from headrace.train.families.base import class_weight_dict, param_name
from headrace.train.types import Classifier, ClassWeights, FloatArray, IntArray, Matrix, Monitor

if TYPE_CHECKING:
    import optuna

__all__ = ["Logistic"]


class Logistic:
    """Search space: inverse regularization strength ``C`` in [0.01, 100], log scale."""

    name = "logistic"

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """Sample ``C``."""
        return {"C": trial.suggest_float(param_name(self.name, "C"), 1e-2, 1e2, log=True)}

    def build(self, params: Mapping[str, Any], *, seed: int, class_weight: ClassWeights) -> Classifier:
        """A ``LogisticRegression`` (multinomial for more than two classes)."""
        model: Classifier = LogisticRegression(
            C=float(params["C"]),
            max_iter=1000,
            class_weight=class_weight_dict(class_weight),
            random_state=seed,
        )
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
        """One fit; ``monitor`` is not called (nothing to prune after a single step)."""
        with warnings.catch_warnings():
            # Weakly regularized fits (large C) on TF-IDF may stop at max_iter with
            # coefficients still creeping; their predictions are settled by then and a
            # search judges them on dev like any other trial.
            warnings.simplefilter("ignore", ConvergenceWarning)
            return model.fit(X, y, sample_weight=sample_weight)
