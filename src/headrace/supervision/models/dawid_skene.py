"""Dawid–Skene: learn each LF's confusion matrix by expectation–maximization.

The true class ``y`` is latent and each LF ``j`` is a noisy annotator with
``θ_j[c, o] = P(LF j outputs o | y = c)`` over the outputs ``o ∈ {abstain, 0, …, k-1}``.
Abstaining is an output like any other: most LFs vote for one class only, and for
such an LF *when* it fires is the whole signal — a model that treats abstains as
missing (the textbook form) learns nothing from it.

EM runs on the distinct vote patterns weighted by their counts
(:mod:`~headrace.supervision.models.patterns`), with both steps as one sparse product
each, so an iteration costs in the number of votes among distinct patterns. It starts
from majority vote; a Dirichlet prior favouring the diagonal (``accuracy_prior``,
``prior_strength`` pseudo-votes per class) keeps sparse LFs from being explained away
as adversarial, and one pseudo-row per class keeps the class prior off 0 and 1.

With gold dev rows (``L_dev``, ``y_dev``) the fit is semi-supervised: those rows enter
every M-step with their known class instead of a posterior.

Reference: A. P. Dawid and A. M. Skene, "Maximum Likelihood Estimation of Observer
Error-Rates Using the EM Algorithm", JRSS C, 1979.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from headrace.errors import LabelModelError
from headrace.supervision.matrix import check_label_matrix
from headrace.supervision.models.base import FloatArray, IntArray, check_class_balance, check_fitted
from headrace.supervision.models.naive_bayes import (
    accuracies_from_confusion,
    posterior,
    posterior_from_indicators,
    split_log_confusion,
)
from headrace.supervision.models.patterns import MAX_PATTERNS, VotePatterns, compress_votes, vote_indicators

__all__ = ["DawidSkene", "EMResult", "check_dev", "fit_confusion", "majority_posterior"]


class DawidSkene:
    """EM over per-LF confusion matrices that include abstaining.

    Parameters
    ----------
    cardinality : int
        Number of classes.
    max_iter : int
        Upper bound on EM iterations.
    tol : float
        Stop when no confusion-matrix entry changes by more than this.
    accuracy_prior : float
        Prior belief that an LF is right when it votes (pseudo-counts on the diagonal).
    prior_strength : float
        Pseudo-votes of the Dirichlet prior over an LF's votes, per true class.
    learn_class_balance : bool
        Re-estimate the class prior by EM instead of keeping ``class_balance``.
    max_patterns : int or None
        Fit on a seeded sample of rows when there are more distinct rows than this.
    seed : int
        Seed of that sample.
    """

    def __init__(
        self,
        cardinality: int = 2,
        *,
        max_iter: int = 100,
        tol: float = 1e-4,
        accuracy_prior: float = 0.7,
        prior_strength: float = 2.0,
        learn_class_balance: bool = True,
        max_patterns: int | None = MAX_PATTERNS,
        seed: int = 0,
    ) -> None:
        self.cardinality = cardinality
        self.max_iter = max_iter
        self.tol = tol
        self.accuracy_prior = accuracy_prior
        self.prior_strength = prior_strength
        self.learn_class_balance = learn_class_balance
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
        """Estimate confusion matrices and the class prior (semi-supervised with dev rows)."""
        matrix = check_label_matrix(L, self.cardinality)
        k = self.cardinality
        prior = check_class_balance(class_balance, k)
        dev = check_dev(L_dev, y_dev, k, matrix.shape[1])
        patterns = compress_votes(matrix, k, max_patterns=self.max_patterns, seed=self.seed)
        result = fit_confusion(
            patterns,
            k,
            prior=None if class_balance is None and self.learn_class_balance else prior,
            learn_prior=self.learn_class_balance,
            pseudo=diagonal_pseudo_counts(k, self.accuracy_prior, self.prior_strength),
            max_iter=self.max_iter,
            tol=self.tol,
            dev=dev,
        )
        self.log_confusion_ = np.log(result.confusion)
        self.class_balance_ = result.prior
        self.n_iter_ = result.n_iter
        self.n_lfs_ = int(matrix.shape[1])
        return self

    @property
    def accuracies_(self) -> FloatArray:
        """Each LF's learned probability of voting the true class, given that it votes."""
        return accuracies_from_confusion(np.exp(self.log_confusion_), self.class_balance_)

    def predict_proba(self, L: Any) -> FloatArray:
        """Posterior class probabilities given each row's votes (and abstains)."""
        matrix = check_fitted(self, "log_confusion_", n_lfs=getattr(self, "n_lfs_", 0), L=L)
        return posterior(matrix, self.log_confusion_, np.log(self.class_balance_))

    def predict(self, L: Any) -> IntArray:
        """Most probable class; ties go to the lowest class index."""
        return np.asarray(np.argmax(self.predict_proba(L), axis=1), dtype=np.int64)


@dataclass(frozen=True)
class EMResult:
    """What :func:`fit_confusion` learned."""

    confusion: FloatArray  # (m, k, k + 1): θ[j, c, o], abstain first
    prior: FloatArray  # (k,)
    n_iter: int
    posterior: FloatArray  # (n_patterns, k)


def diagonal_pseudo_counts(k: int, accuracy_prior: float, strength: float) -> FloatArray:
    """Dirichlet pseudo-counts ``(k, k + 1)`` per true class over (abstain, votes)."""
    off = (1.0 - accuracy_prior) / max(k - 1, 1)
    votes = np.full((k, k), off) + np.eye(k) * (accuracy_prior - off)
    return np.concatenate([np.ones((k, 1)), strength * votes], axis=1)


def check_dev(
    L_dev: Any, y_dev: Any, k: int, n_lfs: int
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int64]] | None:
    """Validate gold dev rows; ``None`` when there are none."""
    if L_dev is None or y_dev is None:
        return None
    gold = np.asarray(y_dev)
    matrix = check_label_matrix(L_dev, k, name="L_dev")
    if gold.ndim != 1 or len(gold) != len(matrix):
        raise LabelModelError(
            f"y_dev must be 1-D with one class per row of L_dev ({len(matrix)}), got shape {gold.shape}"
        )
    if len(gold) == 0:
        return None
    if not np.issubdtype(gold.dtype, np.integer) or gold.min() < 0 or gold.max() >= k:
        raise LabelModelError(
            f"y_dev must hold class indices 0..{k - 1}, got values in [{gold.min()}, {gold.max()}]"
        )
    if matrix.shape[1] != n_lfs:
        raise LabelModelError(f"L_dev has {matrix.shape[1]} LFs but L has {n_lfs}")
    return matrix, gold.astype(np.int64)


def majority_posterior(indicators: sp.csr_matrix, k: int, prior: FloatArray) -> FloatArray:
    """Vote shares per row of a vote-indicator matrix; ``prior`` where nobody voted."""
    m = indicators.shape[1] // k
    counts = np.asarray(indicators @ np.tile(np.eye(k), (m, 1)))
    totals = counts.sum(axis=1)
    shares = counts / np.maximum(totals, 1.0)[:, None]
    shares[totals == 0] = prior
    return np.asarray(shares, dtype=np.float64)


def fit_confusion(
    patterns: VotePatterns,
    k: int,
    *,
    prior: FloatArray | None,
    learn_prior: bool,
    pseudo: FloatArray,
    max_iter: int,
    tol: float,
    dev: tuple[npt.NDArray[np.int8], npt.NDArray[np.int64]] | None = None,
    dev_weight: float = 1.0,
    init: FloatArray | None = None,
    lf_weights: FloatArray | None = None,
) -> EMResult:
    """Dawid–Skene EM on weighted patterns; see the module docstring.

    ``prior=None`` starts the class prior from majority vote on the covered rows.
    ``dev`` rows count ``dev_weight`` rows each, with their gold class.
    ``init`` replaces majority vote as the starting posterior of each pattern.
    ``lf_weights`` multiply each LF's log-likelihood in the posterior (see
    :mod:`~headrace.supervision.models.dependencies`).
    """
    votes, weights, indicators = patterns.votes, patterns.counts, patterns.indicators
    m = votes.shape[1]
    fixed = np.zeros((m * k, k))
    fixed_class = np.zeros(k)
    if dev is not None:
        onehot = np.eye(k)[dev[1]]
        fixed = dev_weight * np.asarray(vote_indicators(dev[0], k).T @ onehot)
        fixed_class = dev_weight * onehot.sum(axis=0)
    if prior is None:
        shares = majority_posterior(indicators, k, np.zeros(k))
        covered = weights @ shares
        prior = (covered + fixed_class + 1.0) / (covered.sum() + fixed_class.sum() + k)
    post = majority_posterior(indicators, k, prior) if init is None else init
    confusion = np.zeros((m, k, k + 1))
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - reported as n_iter
        weighted = post * weights[:, None]
        class_totals = weights @ post + fixed_class
        # indicators.T is CSC: the product scatters into a small (m·k, k) table.
        vote_counts = (np.asarray(indicators.T @ weighted) + fixed).reshape(m, k, k).transpose(0, 2, 1)
        counts = np.empty((m, k, k + 1))
        counts[:, :, 1:] = vote_counts
        counts[:, :, 0] = class_totals - vote_counts.sum(axis=2)
        counts = np.maximum(counts, 0.0) + pseudo
        updated = counts / counts.sum(axis=2, keepdims=True)
        if learn_prior:
            prior = (class_totals + 1.0) / (class_totals.sum() + k)
        change = float(np.max(np.abs(updated - confusion)))
        confusion = updated
        log_confusion = np.log(confusion)
        if lf_weights is not None:
            log_confusion *= lf_weights[:, None, None]
        post = posterior_from_indicators(indicators, *split_log_confusion(log_confusion, np.log(prior)))
        if change < tol:
            break
    # An LF that never voted says nothing: give it one output table for every class
    # (the pseudo-counts alone would tilt silent rows towards the larger class).
    silent = (
        np.asarray(indicators.T @ weights).reshape(m, k).sum(axis=1) + fixed.reshape(m, k, k).sum(axis=(1, 2))
        == 0
    )
    if silent.any():
        confusion[silent] = confusion[silent].mean(axis=1, keepdims=True)
        post = posterior_from_indicators(indicators, *split_log_confusion(np.log(confusion), np.log(prior)))
    return EMResult(
        confusion=confusion, prior=np.asarray(prior, dtype=np.float64), n_iter=n_iter, posterior=post
    )
