"""``LabelModel``: the label model ``headrace run`` uses.

Without gold dev rows it is Dawid–Skene with abstaining as an output
(:mod:`~headrace.supervision.models.dawid_skene`), made robust where plain EM breaks
on real LF sets:

* **correlated LFs** — after a first fit, LFs whose evidence is correlated within a
  class are down-weighted so that a group of near-duplicates counts about once
  (:mod:`~headrace.supervision.models.dependencies`), and EM is run again;
* **class balance** — learned by EM (abstains included, so rows no LF covers still
  inform it), started from majority vote on the covered rows; a given
  ``class_balance`` is kept fixed;
* **fewer than three LFs** — a latent-class model is not identified, so LFs get the
  prior accuracy (a one-coin vote) and the class balance stays as given (uniform);
* rows where every LF abstains get the class prior (times what abstaining says).

With gold dev rows (``L_dev``, ``y_dev``) it also fits the other label models of
:data:`CANDIDATES` and a semi-supervised version of itself (dev rows entering EM with
their gold class, counted ``dev_weight`` times), scores each on dev — accuracy, or
macro-F1 for two classes, where the rare class is what matters — and keeps the
unsupervised model unless a candidate beats it on at least ``confidence`` of
``n_bootstrap`` paired bootstrap resamples of the dev rows. Models that learn from
dev are scored by ``n_folds``-fold cross-fitting, so no model is judged on rows it
was fitted on. A small or noisy dev set thus rarely moves the choice, and never to
a model that merely memorized it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from headrace.supervision.matrix import check_label_matrix
from headrace.supervision.models.base import (
    FloatArray,
    IntArray,
    LabelModelProtocol,
    check_class_balance,
    check_fitted,
)
from headrace.supervision.models.dawid_skene import (
    DawidSkene,
    EMResult,
    check_dev,
    diagonal_pseudo_counts,
    fit_confusion,
    majority_posterior,
)
from headrace.supervision.models.dependencies import dependency_weights, evidence_correlation
from headrace.supervision.models.majority import MajorityVote
from headrace.supervision.models.matrix_completion import MatrixCompletion
from headrace.supervision.models.naive_bayes import accuracies_from_confusion, posterior
from headrace.supervision.models.patterns import MAX_PATTERNS, VotePatterns, compress_votes
from headrace.supervision.models.triplet import Triplet
from headrace.supervision.models.weighted_majority import WeightedMajorityVote, one_coin_log_confusion

__all__ = ["CANDIDATES", "LabelModel", "dev_score"]

#: Label models compared on gold dev, besides the unsupervised and semi-supervised fits.
CANDIDATES: dict[str, Callable[[int], LabelModelProtocol]] = {
    "majority": lambda k: MajorityVote(cardinality=k),
    "weighted_majority": lambda k: WeightedMajorityVote(cardinality=k),
    "dawid_skene": lambda k: DawidSkene(cardinality=k),
    "triplet": lambda k: Triplet(cardinality=k),
    "matrix_completion": lambda k: MatrixCompletion(cardinality=k),
}
#: Majority vote overstates correlations: only strong ones count in the first round.
_ROUGH_THRESHOLD = 0.5
#: LF weights at least this high count as 1 (no dependency worth a refit).
_INDEPENDENT = 0.99
#: Fewest gold dev rows worth comparing models on.
MIN_DEV_ROWS = 20


class LabelModel:
    """Robust Dawid–Skene, and with gold dev rows the best of several label models.

    Parameters
    ----------
    cardinality : int
        Number of classes.
    accuracy_prior : float
        Prior belief that an LF is right when it votes.
    prior_strength : float
        Pseudo-votes of that prior, per true class.
    correlation_threshold : float
        Within-class evidence correlation below which two LFs count as independent.
    max_iter : int
        Upper bound on EM iterations of each fit.
    tol : float
        EM stops when no confusion-matrix entry changes by more than this.
    dev_weight : float
        How many unlabeled rows one gold dev row counts as in the semi-supervised fit.
    n_bootstrap : int
        Paired bootstrap resamples of dev rows when comparing models.
    confidence : float
        Share of resamples a model must win to replace the unsupervised one.
    n_folds : int
        Folds of the cross-fitting that scores models learning from dev.
    max_patterns : int or None
        Fit on a seeded sample of rows when there are more distinct rows than this.
    seed : int
        Seed of the row sample, the bootstrap and the folds.
    """

    def __init__(
        self,
        cardinality: int = 2,
        *,
        accuracy_prior: float = 0.7,
        prior_strength: float = 2.0,
        correlation_threshold: float = 0.2,
        max_iter: int = 100,
        tol: float = 1e-4,
        dev_weight: float = 10.0,
        n_bootstrap: int = 500,
        confidence: float = 0.9,
        n_folds: int = 5,
        max_patterns: int | None = MAX_PATTERNS,
        seed: int = 0,
    ) -> None:
        self.cardinality = cardinality
        self.accuracy_prior = accuracy_prior
        self.prior_strength = prior_strength
        self.correlation_threshold = correlation_threshold
        self.max_iter = max_iter
        self.tol = tol
        self.dev_weight = dev_weight
        self.n_bootstrap = n_bootstrap
        self.confidence = confidence
        self.n_folds = n_folds
        self.max_patterns = max_patterns
        self.seed = seed

    def fit(
        self,
        L: Any,
        *,
        y_dev: Any = None,
        L_dev: Any = None,
        class_balance: Any = None,
    ) -> Self:
        """Fit on ``L``; with gold dev rows, also choose among candidate models."""
        matrix = check_label_matrix(L, self.cardinality)
        k = self.cardinality
        given = None if class_balance is None else check_class_balance(class_balance, k)
        dev = check_dev(L_dev, y_dev, k, matrix.shape[1])
        patterns = compress_votes(matrix, k, max_patterns=self.max_patterns, seed=self.seed)
        core = self._fit_core(patterns, given)
        self.n_lfs_ = int(matrix.shape[1])
        self._keep(core)
        self.chosen_ = "label_model"
        self.model_: LabelModelProtocol | None = None
        self.dev_scores_: dict[str, float] = {}
        if dev is not None and len(dev[1]) >= MIN_DEV_ROWS:
            self._choose_on_dev(matrix, patterns, given, dev, class_balance)
        return self

    @property
    def accuracies_(self) -> FloatArray:
        """Each LF's learned probability of voting the true class, given that it votes."""
        learned = getattr(self.model_, "accuracies_", None)
        if learned is not None:
            return np.asarray(learned, dtype=np.float64)
        return accuracies_from_confusion(np.exp(self.log_confusion_), self.class_balance_)

    def predict_proba(self, L: Any) -> FloatArray:
        """Posterior class probabilities of each row."""
        matrix = check_fitted(self, "log_confusion_", n_lfs=getattr(self, "n_lfs_", 0), L=L)
        if self.model_ is not None:
            return self.model_.predict_proba(matrix)
        weighted = self.log_confusion_ * self.lf_weights_[:, None, None]
        return posterior(matrix, weighted, np.log(self.class_balance_))

    def predict(self, L: Any) -> IntArray:
        """Most probable class; ties go to the lowest class index."""
        return np.asarray(np.argmax(self.predict_proba(L), axis=1), dtype=np.int64)

    # --- fitting -------------------------------------------------------------------------

    def _keep(self, core: _Core) -> None:
        self.log_confusion_ = core.log_confusion
        self.class_balance_ = core.prior
        self.lf_weights_ = core.lf_weights
        self.n_iter_ = core.n_iter

    def _fit_core(
        self,
        patterns: VotePatterns,
        given: FloatArray | None,
        dev: tuple[npt.NDArray[np.int8], npt.NDArray[np.int64]] | None = None,
        init: FloatArray | None = None,
    ) -> _Core:
        k, m = self.cardinality, patterns.n_lfs
        if m < 3 and dev is None:
            # Not identified: keep the prior accuracy and the given (or uniform) balance.
            prior = given if given is not None else np.full(k, 1.0 / k)
            return _Core(
                one_coin_log_confusion(np.full(m, self.accuracy_prior), k), prior, np.ones(m), 0, None
            )
        pseudo = diagonal_pseudo_counts(k, self.accuracy_prior, self.prior_strength)

        def em(weights: FloatArray | None, start: FloatArray | None) -> EMResult:
            return fit_confusion(
                patterns,
                k,
                prior=given,
                learn_prior=given is None,
                pseudo=pseudo,
                max_iter=self.max_iter,
                tol=self.tol,
                dev=dev,
                dev_weight=self.dev_weight,
                init=start,
                lf_weights=weights,
            )

        if m < 2 or not len(patterns.counts):
            result = em(None, init)
            return _Core(np.log(result.confusion), result.prior, np.ones(m), result.n_iter, result.posterior)
        # Dependencies are first measured against majority vote, not against an EM fit:
        # EM explains a pair of copies by making one of them the truth, after which the
        # pair looks independent given that "truth". Majority vote, though, mixes rows
        # of different classes, which makes LFs of one class look correlated; so EM
        # is fitted with those rough weights and the dependencies measured again
        # against its (now sound) posterior before the final fit.
        one_step = fit_confusion(
            patterns, k, prior=given, learn_prior=given is None, pseudo=pseudo, max_iter=1, tol=0.0
        )
        start = majority_posterior(patterns.indicators, k, one_step.prior)
        rough = dependency_weights(
            evidence_correlation(patterns, one_step.confusion, one_step.prior, start),
            max(self.correlation_threshold, _ROUGH_THRESHOLD),
        )
        first = em(rough if rough.min() < _INDEPENDENT else None, start if init is None else init)
        weights = dependency_weights(
            evidence_correlation(patterns, first.confusion, first.prior, first.posterior),
            self.correlation_threshold,
        )
        if weights.min() >= _INDEPENDENT:
            weights = np.ones(m)
        if weights.min() >= _INDEPENDENT and rough.min() >= _INDEPENDENT:
            result = first
        else:
            result = em(weights, first.posterior)
        return _Core(np.log(result.confusion), result.prior, weights, result.n_iter, result.posterior)

    def _choose_on_dev(
        self,
        matrix: npt.NDArray[np.int8],
        patterns: VotePatterns,
        given: FloatArray | None,
        dev: tuple[npt.NDArray[np.int8], npt.NDArray[np.int64]],
        class_balance: Any,
    ) -> None:
        k = self.cardinality
        L_dev, y_dev = dev
        probs: dict[str, FloatArray] = {"label_model": self._core_proba(L_dev)}
        fitted: dict[str, LabelModelProtocol] = {}
        for name, make in CANDIDATES.items():
            fitted[name] = make(k).fit(matrix, class_balance=class_balance)
            probs[name] = fitted[name].predict_proba(L_dev)
        probs["label_model_dev"] = self._cross_fitted(patterns, given, dev)
        predictions = {name: np.argmax(p, axis=1) for name, p in probs.items()}
        self.dev_scores_ = {name: dev_score(y_dev, pred, k) for name, pred in predictions.items()}
        best = max(self.dev_scores_, key=lambda name: self.dev_scores_[name])
        if best == "label_model":
            return
        wins = _bootstrap_wins(
            y_dev, predictions[best], predictions["label_model"], k, self.n_bootstrap, self.seed
        )
        if wins < self.confidence:
            return
        self.chosen_ = best
        if best == "label_model_dev":
            self._keep(self._fit_core(patterns, given, dev=dev))
        else:
            self.model_ = fitted[best]

    def _core_proba(self, L: npt.NDArray[np.int8]) -> FloatArray:
        weighted = self.log_confusion_ * self.lf_weights_[:, None, None]
        return posterior(L, weighted, np.log(self.class_balance_))

    def _cross_fitted(
        self,
        patterns: VotePatterns,
        given: FloatArray | None,
        dev: tuple[npt.NDArray[np.int8], npt.NDArray[np.int64]],
    ) -> FloatArray:
        """Dev posteriors of the semi-supervised fit, each fold from a fit without it."""
        L_dev, y_dev = dev
        folds = np.random.default_rng(self.seed).permutation(len(y_dev)) % self.n_folds
        out = np.empty((len(y_dev), self.cardinality))
        for fold in range(self.n_folds):
            held = folds == fold
            if not held.any():
                continue
            core = self._fit_core(patterns, given, dev=(L_dev[~held], y_dev[~held]))
            weighted = core.log_confusion * core.lf_weights[:, None, None]
            out[held] = posterior(L_dev[held], weighted, np.log(core.prior))
        return out


@dataclass(frozen=True)
class _Core:
    log_confusion: FloatArray
    prior: FloatArray
    lf_weights: FloatArray
    n_iter: int
    posterior: FloatArray | None


def dev_score(y: npt.NDArray[np.int64], predicted: npt.NDArray[np.int64], k: int) -> float:
    """Accuracy; for two classes, macro-F1 (the mean of both classes' F1)."""
    if k > 2:
        return float(np.mean(predicted == y))
    return float(np.mean([_f1(y == c, predicted == c) for c in range(k)]))


def _f1(truth: npt.NDArray[np.bool_], guess: npt.NDArray[np.bool_]) -> float:
    tp = np.count_nonzero(truth & guess)
    denominator = np.count_nonzero(truth) + np.count_nonzero(guess)
    return 2.0 * tp / denominator if denominator else 1.0


def _bootstrap_wins(
    y: npt.NDArray[np.int64],
    challenger: npt.NDArray[np.int64],
    incumbent: npt.NDArray[np.int64],
    k: int,
    n_bootstrap: int,
    seed: int,
) -> float:
    """Share of paired bootstrap resamples of the dev rows where ``challenger`` scores higher."""
    rng = np.random.default_rng(seed)
    n = len(y)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_bootstrap).astype(np.float64)  # (B, n)
    return float(
        np.mean(_resampled_scores(counts, y, challenger, k) > _resampled_scores(counts, y, incumbent, k))
    )


def _resampled_scores(
    counts: FloatArray, y: npt.NDArray[np.int64], guess: npt.NDArray[np.int64], k: int
) -> FloatArray:
    if k > 2:
        return np.asarray(counts @ (guess == y) / counts.sum(axis=1), dtype=np.float64)
    scores = np.zeros(len(counts))
    for c in range(k):
        tp = counts @ ((y == c) & (guess == c))
        denominator = counts @ (y == c) + counts @ (guess == c)
        scores += np.where(denominator > 0, 2.0 * tp / np.maximum(denominator, 1e-12), 1.0)
    return scores / k
