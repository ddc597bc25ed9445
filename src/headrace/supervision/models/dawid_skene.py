"""Dawid–Skene: learn each LF's confusion matrix by expectation–maximization.

The model treats the true class ``y`` as latent and each LF ``j`` as a noisy annotator
with confusion matrix ``θ_j[c, l] = P(LF j votes l | y = c, LF j votes)``; abstains are
treated as missing. EM starts from majority vote. A Dirichlet prior that favours the
diagonal (``accuracy_prior``) keeps LFs that vote for only one class from being
explained away as adversarial, a failure mode of unregularized EM on sparse votes.

Reference: A. P. Dawid and A. M. Skene, "Maximum Likelihood Estimation of Observer
Error-Rates Using the EM Algorithm", JRSS C, 1979.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from headrace.supervision.matrix import check_label_matrix
from headrace.supervision.models.base import (
    FloatArray,
    IntArray,
    check_class_balance,
    check_fitted,
    one_hot_votes,
)
from headrace.supervision.models.majority import MajorityVote

__all__ = ["DawidSkene"]


class DawidSkene:
    """EM over per-LF confusion matrices.

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
        Total pseudo-counts of the Dirichlet prior per confusion-matrix row.
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
        votes = one_hot_votes(matrix, k)
        prior = check_class_balance(class_balance, k)
        posterior = MajorityVote(k).fit(matrix, class_balance=prior).predict_proba(matrix)
        off = (1.0 - self.accuracy_prior) / max(k - 1, 1)
        pseudo = self.prior_strength * (np.full((k, k), off) + np.eye(k) * (self.accuracy_prior - off))
        iterations = 0
        for iterations in range(1, self.max_iter + 1):  # noqa: B007 - kept as n_iter_
            # M-step: expected vote counts per (LF, true class, voted class).
            counts = np.einsum("ic,ijl->jcl", posterior, votes) + pseudo
            confusion = counts / counts.sum(axis=2, keepdims=True)
            if self.learn_class_balance:
                prior = (posterior.sum(axis=0) + 1.0) / (posterior.shape[0] + k)
            updated = self._posterior(votes, np.log(confusion), np.log(prior))
            change = float(np.max(np.abs(updated - posterior))) if len(posterior) else 0.0
            posterior = updated
            if change < self.tol:
                break
        self.n_iter_ = iterations
        self.log_confusion_ = np.log(confusion)
        self.class_balance_ = prior
        self.n_lfs_ = int(matrix.shape[1])
        return self

    @property
    def accuracies_(self) -> FloatArray:
        """Each LF's learned probability of voting the true class when it votes."""
        confusion = np.exp(self.log_confusion_)
        diagonal = np.einsum("jcc->jc", confusion)
        return np.asarray(diagonal @ self.class_balance_, dtype=np.float64)

    def predict_proba(self, L: Any) -> FloatArray:
        """Posterior class probabilities given each row's votes."""
        matrix = check_fitted(self, "log_confusion_", n_lfs=getattr(self, "n_lfs_", 0), L=L)
        votes = one_hot_votes(matrix, self.cardinality)
        return self._posterior(votes, self.log_confusion_, np.log(self.class_balance_))

    def predict(self, L: Any) -> IntArray:
        """Most probable class; ties go to the lowest class index."""
        return np.asarray(np.argmax(self.predict_proba(L), axis=1), dtype=np.int64)

    @staticmethod
    def _posterior(votes: FloatArray, log_confusion: FloatArray, log_prior: FloatArray) -> FloatArray:
        scores = np.einsum("ijl,jcl->ic", votes, log_confusion) + log_prior
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        return np.asarray(probs / probs.sum(axis=1, keepdims=True), dtype=np.float64)
