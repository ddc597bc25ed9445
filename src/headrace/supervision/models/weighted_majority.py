"""Weighted majority vote: each LF's vote counts by the log-odds of its accuracy.

Under the "one-coin" model an LF with accuracy ``a_j`` votes the true class with
probability ``a_j`` and each other class with ``(1 - a_j) / (k - 1)``; abstaining says
nothing. The Bayes posterior is then a vote weighted by
``w_j = log(a_j (k - 1) / (1 - a_j))`` plus the log class prior.

Accuracies are learned without labels by agreement: an LF's accuracy is how often its
votes match the weighted vote, re-weighted and repeated until it settles (at most
``n_iter`` rounds). That fixed point is EM's for the one-coin model: the
maximum-likelihood accuracies, not the downward-biased agreement with a plain majority.
A Beta prior (``accuracy_prior``, ``prior_strength`` pseudo-votes)
keeps LFs with few overlapping votes near the prior. With gold dev rows, each LF's dev
hits and misses are added on top, so the dev set moves an accuracy in proportion to
how many dev votes back it.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from headrace.supervision.matrix import check_label_matrix
from headrace.supervision.models.base import FloatArray, IntArray, check_class_balance, check_fitted
from headrace.supervision.models.dawid_skene import check_dev
from headrace.supervision.models.naive_bayes import posterior, posterior_from_indicators, split_log_confusion
from headrace.supervision.models.patterns import MAX_PATTERNS, VotePatterns, compress_votes

__all__ = ["WeightedMajorityVote", "one_coin_log_confusion"]

#: Accuracies are kept inside (floor, 1 - floor) so weights stay finite.
ACCURACY_FLOOR = 1e-3


class WeightedMajorityVote:
    """Votes weighted by the log-odds of each LF's estimated accuracy.

    Parameters
    ----------
    cardinality : int
        Number of classes.
    n_iter : int
        Most rounds of re-estimating accuracies against the re-weighted vote.
    accuracy_prior : float
        Prior accuracy of every LF.
    prior_strength : float
        Pseudo-votes of that prior.
    max_patterns : int or None
        Fit on a seeded sample of rows when there are more distinct rows than this.
    seed : int
        Seed of that sample.
    """

    def __init__(
        self,
        cardinality: int = 2,
        *,
        n_iter: int = 50,
        accuracy_prior: float = 0.7,
        prior_strength: float = 5.0,
        max_patterns: int | None = MAX_PATTERNS,
        seed: int = 0,
    ) -> None:
        self.cardinality = cardinality
        self.n_iter = n_iter
        self.accuracy_prior = accuracy_prior
        self.prior_strength = prior_strength
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
        """Estimate each LF's accuracy from agreement (and from dev rows when given)."""
        matrix = check_label_matrix(L, self.cardinality)
        k = self.cardinality
        self.class_balance_ = check_class_balance(class_balance, k)
        dev = check_dev(L_dev, y_dev, k, matrix.shape[1])
        patterns = compress_votes(matrix, k, max_patterns=self.max_patterns, seed=self.seed)
        hits, trials = agreement_accuracy_counts(
            patterns, k, self.class_balance_, self.n_iter, self.accuracy_prior
        )
        if dev is not None:
            dev_votes = dev[0] >= 0
            hits = hits + np.count_nonzero(dev_votes & (dev[0] == dev[1][:, None]), axis=0)
            trials = trials + np.count_nonzero(dev_votes, axis=0)
        accuracies = (hits + self.prior_strength * self.accuracy_prior) / (trials + self.prior_strength)
        self.accuracies_ = np.clip(accuracies, ACCURACY_FLOOR, 1.0 - ACCURACY_FLOOR)
        self.n_lfs_ = int(matrix.shape[1])
        return self

    @property
    def weights_(self) -> FloatArray:
        """Each LF's vote weight, ``log(a (k - 1) / (1 - a))``."""
        a = self.accuracies_
        return np.asarray(np.log(a * (self.cardinality - 1) / (1.0 - a)), dtype=np.float64)

    def predict_proba(self, L: Any) -> FloatArray:
        """One-coin posterior: the prior times each vote's likelihood."""
        matrix = check_fitted(self, "accuracies_", n_lfs=getattr(self, "n_lfs_", 0), L=L)
        log_confusion = one_coin_log_confusion(self.accuracies_, self.cardinality)
        return posterior(matrix, log_confusion, np.log(self.class_balance_))

    def predict(self, L: Any) -> IntArray:
        """Most probable class; ties go to the lowest class index."""
        return np.asarray(np.argmax(self.predict_proba(L), axis=1), dtype=np.int64)


def one_coin_log_confusion(accuracies: FloatArray, k: int) -> FloatArray:
    """``log θ[j, c, o]`` of the one-coin model; abstaining is uninformative (log 1)."""
    m = len(accuracies)
    a = np.clip(accuracies, ACCURACY_FLOOR, 1.0 - ACCURACY_FLOOR)
    table = np.empty((m, k, k + 1))
    table[:, :, 0] = 0.0
    table[:, :, 1:] = np.log((1.0 - a) / (k - 1))[:, None, None]
    diagonal = np.arange(k)
    table[:, diagonal, diagonal + 1] = np.log(a)[:, None]
    return table


def agreement_accuracy_counts(
    patterns: VotePatterns, k: int, prior: FloatArray, n_iter: int, start: float
) -> tuple[FloatArray, FloatArray]:
    """Per LF, expected agreements of its votes with the weighted vote, and its votes.

    Iterating "accuracy = agreement with the vote weighted by these accuracies" is EM
    for the one-coin model, so the fixed point is its maximum-likelihood estimate.
    """
    votes, weights = patterns.votes, patterns.counts
    m = votes.shape[1]
    indicators = patterns.indicators
    rows = np.repeat(np.arange(len(votes)), np.diff(indicators.indptr))
    lf, vote = indicators.indices // k, indicators.indices % k
    row_weight = weights[rows]
    trials = np.bincount(lf, weights=row_weight, minlength=m).astype(np.float64)
    hits = trials * start
    accuracies = np.full(m, start)
    for _ in range(max(n_iter, 1)):
        post = posterior_from_indicators(
            indicators, *split_log_confusion(one_coin_log_confusion(accuracies, k), np.log(prior))
        )
        hits = np.bincount(lf, weights=row_weight * post[rows, vote], minlength=m).astype(np.float64)
        updated = (hits + 2.0 * start) / (trials + 2.0)
        change = float(np.max(np.abs(updated - accuracies))) if m else 0.0
        accuracies = updated
        if change < 1e-4:
            break
    return hits, trials
