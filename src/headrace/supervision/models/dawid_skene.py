"""Dawid–Skene: learn each LF's confusion matrix by expectation–maximization.

The true class ``y`` is latent and each LF ``j`` is a noisy annotator with
``θ_j[c, v] = P(LF j outputs v | y = c)`` over the outputs ``v ∈ {abstain, 0, …, k-1}``.
Abstaining is an output like any other: most LFs vote for one class only, and for
such an LF *when* it fires is the whole signal — a model that treats abstains as
missing (the textbook form) learns nothing from it. EM starts from majority vote; a
Dirichlet prior favouring the diagonal (``accuracy_prior``) keeps sparse LFs from
being explained away as adversarial.

Reference: A. P. Dawid and A. M. Skene, "Maximum Likelihood Estimation of Observer
Error-Rates Using the EM Algorithm", JRSS C, 1979.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt

from headrace.supervision.matrix import check_label_matrix
from headrace.supervision.models.base import FloatArray, IntArray, check_class_balance, check_fitted
from headrace.supervision.models.majority import MajorityVote

__all__ = ["DawidSkene"]


class DawidSkene:
    """EM over per-LF confusion matrices that include abstaining.

    Parameters
    ----------
    cardinality : int
        Number of classes.
    max_iter : int
        Upper bound on EM iterations.
    tol : float
        Stop when no posterior changes by more than this.
    accuracy_prior : float
        Prior belief that an LF is right when it votes (pseudo-counts on the diagonal).
    prior_strength : float
        Pseudo-counts of the Dirichlet prior over an LF's votes, per true class.
    learn_class_balance : bool
        Re-estimate the class prior by EM instead of keeping ``class_balance``.
    """

    def __init__(
        self,
        cardinality: int = 2,
        *,
        max_iter: int = 100,
        tol: float = 1e-5,
        accuracy_prior: float = 0.7,
        prior_strength: float = 2.0,
        learn_class_balance: bool = True,
    ) -> None:
        self.cardinality = cardinality
        self.max_iter = max_iter
        self.tol = tol
        self.accuracy_prior = accuracy_prior
        self.prior_strength = prior_strength
        self.learn_class_balance = learn_class_balance

    def fit(
        self,
        L: Any,
        *,
        y_dev: Any = None,
        L_dev: Any = None,
        class_balance: Any = None,
    ) -> Self:
        """Estimate confusion matrices and the class prior from unlabeled votes."""
        matrix = check_label_matrix(L, self.cardinality)
        k = self.cardinality
        prior = check_class_balance(class_balance, k)
        posterior = MajorityVote(k).fit(matrix, class_balance=prior).predict_proba(matrix)
        pseudo = self._pseudo_counts()
        log_confusion = np.zeros((matrix.shape[1], k, k + 1))
        iterations = 0
        for iterations in range(1, self.max_iter + 1):  # noqa: B007 - kept as n_iter_
            counts = _vote_counts(matrix, posterior, k) + pseudo
            log_confusion = np.log(counts / counts.sum(axis=2, keepdims=True))
            if self.learn_class_balance:
                prior = (posterior.sum(axis=0) + 1.0) / (posterior.shape[0] + k)
            updated = _posterior(matrix, log_confusion, np.log(prior))
            change = float(np.max(np.abs(updated - posterior))) if len(posterior) else 0.0
            posterior = updated
            if change < self.tol:
                break
        self.n_iter_ = iterations
        self.log_confusion_ = log_confusion
        self.class_balance_ = prior
        self.n_lfs_ = int(matrix.shape[1])
        return self

    @property
    def accuracies_(self) -> FloatArray:
        """Each LF's learned probability of voting the true class, given that it votes."""
        confusion = np.exp(self.log_confusion_)  # (m, k, k+1); column 0 is abstain
        voting = confusion[:, :, 1:]
        correct = np.einsum("jcc->jc", voting) * self.class_balance_
        votes = voting.sum(axis=2) * self.class_balance_
        return np.asarray(correct.sum(axis=1) / np.maximum(votes.sum(axis=1), 1e-12), dtype=np.float64)

    def predict_proba(self, L: Any) -> FloatArray:
        """Posterior class probabilities given each row's votes (and abstains)."""
        matrix = check_fitted(self, "log_confusion_", n_lfs=getattr(self, "n_lfs_", 0), L=L)
        return _posterior(matrix, self.log_confusion_, np.log(self.class_balance_))

    def predict(self, L: Any) -> IntArray:
        """Most probable class; ties go to the lowest class index."""
        return np.asarray(np.argmax(self.predict_proba(L), axis=1), dtype=np.int64)

    def _pseudo_counts(self) -> FloatArray:
        k = self.cardinality
        off = (1.0 - self.accuracy_prior) / max(k - 1, 1)
        votes = np.full((k, k), off) + np.eye(k) * (self.accuracy_prior - off)
        # One pseudo-abstain per class: the abstain rate itself is learned from data.
        return np.concatenate([np.ones((k, 1)), self.prior_strength * votes], axis=1)


def _vote_counts(matrix: npt.NDArray[np.int8], posterior: FloatArray, k: int) -> FloatArray:
    """Expected counts ``[j, c, v]`` of LF ``j`` outputting ``v`` (0 = abstain) on class ``c``."""
    m = matrix.shape[1]
    counts = np.zeros((m, k, k + 1))
    for j in range(m):
        outputs = matrix[:, j].astype(np.intp) + 1
        for c in range(k):
            counts[j, c] = np.bincount(outputs, weights=posterior[:, c], minlength=k + 1)
    return counts


def _posterior(matrix: npt.NDArray[np.int8], log_confusion: FloatArray, log_prior: FloatArray) -> FloatArray:
    scores = np.tile(log_prior, (matrix.shape[0], 1))
    for j in range(matrix.shape[1]):
        scores += log_confusion[j][:, matrix[:, j].astype(np.intp) + 1].T
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores)
    return np.asarray(probs / probs.sum(axis=1, keepdims=True), dtype=np.float64)
