"""``lightgbm``: gradient-boosted trees (LightGBM), deterministic, prunable by boosting round.

Trees on tens of thousands of sparse TF-IDF columns spend most of their time scanning
columns that are almost always zero, and a tree can split only on a column that many
rows share. :class:`BoostedTrees` therefore keeps the ``max_features`` columns with the
most non-zero rows (a hyper-parameter) before boosting; the linear families still see
every column.

Determinism: ``deterministic=True`` with ``force_col_wise=True``, a fixed seed and one
thread give the same model for the same rows. One thread is also the faster choice on
small machines: with two OpenMP threads on a busy 2-core machine, boosting ran 5–7×
slower (threads spin waiting for each other) than with one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import lightgbm
import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from headrace.train.families.base import class_weight_dict, param_name
from headrace.train.types import Classifier, ClassWeights, FloatArray, IntArray, Matrix, Monitor

if TYPE_CHECKING:
    import optuna

__all__ = ["REPORT_EVERY", "BoostedTrees", "LightGBM"]

# Histogram bins per column. TF-IDF weights carry most of their signal in zero versus
# non-zero; 31 bins scored like 255 on the youtube-spam example (dev and test F1 within
# one row) and boost about 40 % faster.
_MAX_BIN = 31

#: Boosting rounds between two intermediate dev scores (the pruner's steps). Round
#: counts are multiples of it, so every trial reports at the same steps.
REPORT_EVERY = 25


class BoostedTrees(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """``LGBMClassifier`` on the ``max_features`` most often non-zero columns.

    Parameters
    ----------
    n_estimators, learning_rate, num_leaves, min_child_samples, colsample_bytree, reg_lambda
        LightGBM's parameters of those names.
    max_features : int or None
        Columns kept (most rows non-zero first); ``None`` keeps all.
    class_weight : dict or None
        Weight per class index.
    random_state : int
        Seed.
    n_jobs : int
        Threads (1 by default: see the module docstring).
    """

    def __init__(
        self,
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        num_leaves: int = 31,
        min_child_samples: int = 20,
        colsample_bytree: float = 1.0,
        reg_lambda: float = 0.0,
        max_features: int | None = 2000,
        class_weight: dict[int, float] | None = None,
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.max_features = max_features
        self.class_weight = class_weight
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(
        self,
        X: Matrix,
        y: IntArray,
        sample_weight: FloatArray | None = None,
        callbacks: list[Callable[[Any], None]] | None = None,
    ) -> BoostedTrees:
        """Pick the columns, then boost on them."""
        self.n_features_in_ = int(X.shape[1])
        nonzero = np.asarray((X != 0).sum(axis=0)).ravel()
        if self.max_features is not None and len(nonzero) > self.max_features:
            order = np.argsort(-nonzero, kind="stable")[: self.max_features]
            self.columns_: IntArray | None = np.sort(order).astype(np.int64)
        else:
            self.columns_ = None
        self.model_ = lightgbm.LGBMClassifier(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            colsample_bytree=self.colsample_bytree,
            reg_lambda=self.reg_lambda,
            class_weight=self.class_weight,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
            deterministic=True,
            force_col_wise=True,
            max_bin=_MAX_BIN,
            verbose=-1,
        )
        self.model_.fit(self.select(X), y, sample_weight=sample_weight, callbacks=callbacks)
        self.classes_ = self.model_.classes_
        return self

    def select(self, X: Matrix) -> Matrix:
        """The kept columns of ``X`` (CSR when sparse)."""
        if self.columns_ is None:
            return X
        chosen = X[:, self.columns_]
        return chosen.tocsr() if sp.issparse(chosen) else chosen

    def predict_proba(self, X: Matrix) -> FloatArray:
        """Class probabilities, one column per class."""
        check_is_fitted(self, "model_")
        return np.asarray(self.model_.predict_proba(self.select(X)), dtype=np.float64)

    def predict(self, X: Matrix) -> IntArray:
        """Most probable class (ties to the lowest index)."""
        return np.asarray(self.classes_[self.predict_proba(X).argmax(axis=1)])


def _booster_proba(booster: lightgbm.Booster, X: Matrix, n_classes: int) -> FloatArray:
    raw = np.asarray(booster.predict(X), dtype=np.float64)
    if n_classes == 2:
        return np.column_stack([1.0 - raw, raw])
    return raw.reshape(len(raw), n_classes)


class LightGBM:
    """Search space: rounds 50–300 (steps of 25), learning rate, leaves, leaf size,
    column sampling, L2 strength and kept columns."""

    name = "lightgbm"

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """Sample the boosting parameters."""

        def name(key: str) -> str:
            return param_name(self.name, key)

        return {
            "n_estimators": trial.suggest_int(name("n_estimators"), 50, 300, step=REPORT_EVERY),
            "learning_rate": trial.suggest_float(name("learning_rate"), 0.03, 0.3, log=True),
            "num_leaves": trial.suggest_int(name("num_leaves"), 4, 64, log=True),
            "min_child_samples": trial.suggest_int(name("min_child_samples"), 5, 50, log=True),
            "colsample_bytree": trial.suggest_float(name("colsample_bytree"), 0.3, 1.0),
            "reg_lambda": trial.suggest_float(name("reg_lambda"), 1e-3, 10.0, log=True),
            "max_features": trial.suggest_categorical(name("max_features"), [500, 1000, 2000]),
        }

    def build(self, params: Mapping[str, Any], *, seed: int, class_weight: ClassWeights) -> Classifier:
        """A :class:`BoostedTrees` with ``params``."""
        model: Classifier = BoostedTrees(
            **dict(params), class_weight=class_weight_dict(class_weight), random_state=seed
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
        """Boost, calling ``monitor`` every :data:`REPORT_EVERY` rounds before the last."""
        if monitor is None:
            return model.fit(X, y, sample_weight=sample_weight)
        n_classes = len(np.unique(y))
        trees: BoostedTrees = model  # type: ignore[assignment]

        def report(env: Any) -> None:
            done = env.iteration + 1
            if done % REPORT_EVERY == 0 and done < env.end_iteration:
                booster = env.model
                monitor(done, lambda rows: _booster_proba(booster, trees.select(rows), n_classes))

        trees.fit(X, y, sample_weight=sample_weight, callbacks=[report])
        return model
