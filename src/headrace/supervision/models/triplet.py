"""Triplet method of moments (FlyingSquid): LF accuracies in closed form, no iterations.

Binary form (Fu et al., "Fast and Three-rious: Speeding Up Weak Supervision with Triplet
Methods", ICML 2020). Write votes as ``λ_j ∈ {-1, +1}`` (``0`` for abstain) and the
class as ``Y ∈ {-1, +1}``; let ``a_j = E[λ_j Y | λ_j ≠ 0]``. When LFs ``i, j`` are
independent given ``Y``, ``E[λ_i λ_j | both vote] = a_i a_j``, so for any triplet

    |a_i| = sqrt(|M_ij M_ik / M_jk|),   M_ij = E[λ_i λ_j | both vote].

Each LF's ``|a_i|`` is the median over every triplet whose three pairs overlap on at
least ``min_overlap`` rows and whose denominator is not near zero; the sign assumes
LFs are better than chance. An LF with no usable triplet (fewer than three LFs, no
overlap) keeps ``accuracy_prior``. The accuracy is ``(1 + a_i) / 2``.

Multiclass, as in the paper's extension, is one-vs-rest: for class ``c`` a vote ``c``
is ``+1``, a vote for another class ``-1``, an abstain ``0``; each binary problem gives
LF accuracies on "is it ``c``", and the class posterior multiplies the ``k`` one-vs-rest
likelihood ratios (normalized). The reported accuracy of an LF is that of the
one-vs-rest problem of the class it votes most.

The class balance, unless given, comes from ``E[λ_j] = a_j E[Y]`` (abstaining independent
of ``Y``), averaged over LFs weighted by their votes.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt

from headrace.supervision.matrix import check_label_matrix
from headrace.supervision.models.base import FloatArray, IntArray, check_class_balance, check_fitted
from headrace.supervision.models.naive_bayes import posterior
from headrace.supervision.models.patterns import MAX_PATTERNS, compress_votes
from headrace.supervision.models.weighted_majority import ACCURACY_FLOOR

__all__ = ["Triplet", "triplet_accuracies"]


class Triplet:
    """Closed-form LF accuracies from agreement rates of LF triplets.

    Parameters
    ----------
    cardinality : int
        Number of classes.
    accuracy_prior : float
        Accuracy of an LF that takes part in no usable triplet.
    min_overlap : int
        Rows two LFs must both vote on for their agreement rate to be used.
    max_patterns : int or None
        Fit on a seeded sample of rows when there are more distinct rows than this.
    seed : int
        Seed of that sample.
    """

    def __init__(
        self,
        cardinality: int = 2,
        *,
        accuracy_prior: float = 0.7,
        min_overlap: int = 10,
        max_patterns: int | None = MAX_PATTERNS,
        seed: int = 0,
    ) -> None:
        self.cardinality = cardinality
        self.accuracy_prior = accuracy_prior
        self.min_overlap = min_overlap
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
        """Estimate one-vs-rest LF accuracies (and the class balance) from moments."""
        matrix = check_label_matrix(L, self.cardinality)
        k = self.cardinality
        patterns = compress_votes(matrix, k, max_patterns=self.max_patterns, seed=self.seed)
        votes, weights = patterns.votes.astype(np.int64), patterns.counts
        problems = [0] if k == 2 else list(range(k))
        # (problems, m): one-vs-rest accuracy of each LF; k = 2 needs only class 0 vs 1.
        ovr = np.empty((len(problems), votes.shape[1]))
        balance = np.empty(len(problems))
        for p, c in enumerate(problems):
            signed = np.where(votes < 0, 0, np.where(votes == c, 1, -1)).astype(np.float64)
            a = triplet_accuracies(signed, weights, self.min_overlap, 2 * self.accuracy_prior - 1)
            ovr[p] = (1.0 + a) / 2.0
            balance[p] = _positive_rate(signed, weights, a)
        if class_balance is not None:
            prior = check_class_balance(class_balance, k)
        elif k == 2:
            prior = np.array([balance[0], 1.0 - balance[0]])
        else:
            prior = balance / balance.sum()
        self.class_balance_ = np.clip(prior, 1e-3, None) / np.clip(prior, 1e-3, None).sum()
        self.ovr_accuracies_ = np.clip(ovr, ACCURACY_FLOOR, 1.0 - ACCURACY_FLOOR)
        most_voted = np.argmax(_class_votes(votes, weights, k), axis=1)
        lfs = np.arange(len(most_voted))
        self.accuracies_ = self.ovr_accuracies_[0] if k == 2 else self.ovr_accuracies_[most_voted, lfs]
        self.n_lfs_ = int(matrix.shape[1])
        return self

    def predict_proba(self, L: Any) -> FloatArray:
        """Posterior from the one-vs-rest likelihood ratios, times the class prior."""
        matrix = check_fitted(self, "ovr_accuracies_", n_lfs=getattr(self, "n_lfs_", 0), L=L)
        return posterior(matrix, self._score_table(), np.log(self.class_balance_))

    def predict(self, L: Any) -> IntArray:
        """Most probable class; ties go to the lowest class index."""
        return np.asarray(np.argmax(self.predict_proba(L), axis=1), dtype=np.int64)

    def _score_table(self) -> FloatArray:
        """Per LF, class and output, the log-likelihood-ratio score (abstain: 0)."""
        k = self.cardinality
        log_odds = np.log(self.ovr_accuracies_) - np.log1p(-self.ovr_accuracies_)  # (problems, m)
        m = log_odds.shape[1]
        table = np.zeros((m, k, k + 1))
        for p in range(log_odds.shape[0]):
            table[:, p, 1:] = -log_odds[p][:, None]
            table[:, p, p + 1] = log_odds[p]
        return table


def triplet_accuracies(
    signed: npt.NDArray[np.float64], weights: FloatArray, min_overlap: int, fallback: float
) -> FloatArray:
    """``a_j = E[λ_j Y | λ_j ≠ 0]`` per LF from ``±1/0`` votes weighted by pattern counts."""
    m = signed.shape[1]
    voted = (signed != 0).astype(np.float64)
    overlap = (voted * weights[:, None]).T @ voted
    agree = (signed * weights[:, None]).T @ signed
    moments = agree / np.maximum(overlap, 1.0)
    usable = (overlap >= min_overlap) & ~np.eye(m, dtype=bool)
    accuracies = np.full(m, fallback)
    for i in range(m):
        partners = np.flatnonzero(usable[i])
        if len(partners) < 2:
            continue
        sub = moments[np.ix_(partners, partners)]
        ok = usable[np.ix_(partners, partners)] & (np.abs(sub) > 0.05)
        ok = np.triu(ok, 1)
        first, second = np.nonzero(ok)
        if len(first) == 0:
            continue
        estimates = np.abs(moments[i, partners[first]] * moments[i, partners[second]] / sub[first, second])
        accuracies[i] = float(np.sqrt(np.clip(np.median(estimates), 0.0, 1.0)))
    return accuracies


def _positive_rate(signed: npt.NDArray[np.float64], weights: FloatArray, a: FloatArray) -> float:
    """``P(Y = +1)`` from ``E[λ_j | λ_j ≠ 0] = a_j E[Y]``, pooled over LFs by votes."""
    voted = (signed != 0).astype(np.float64)
    n_votes = weights @ voted
    mean_vote = (weights @ signed) / np.maximum(n_votes, 1.0)
    informative = (n_votes > 0) & (np.abs(a) > 0.1)
    if not informative.any():
        return 0.5
    w = n_votes[informative] * a[informative] ** 2
    expected_y = float(np.sum(w * mean_vote[informative] / a[informative]) / w.sum())
    return float(np.clip((1.0 + expected_y) / 2.0, 0.02, 0.98))


def _class_votes(votes: npt.NDArray[np.int64], weights: FloatArray, k: int) -> FloatArray:
    return np.stack([weights @ (votes == c) for c in range(k)], axis=1)
