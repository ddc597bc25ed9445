"""Matrix completion (MeTaL): LF conditional probabilities from the overlap matrix.

Method (Ratner et al., "Training Complex Models with Multi-Task Weak Supervision",
AAAI 2019), single task, numpy/scipy only.

Let ``λ`` be the vector of vote indicators (entry ``j·k + v`` is 1 when LF ``j`` votes
``v``; an abstain is all zeros), ``μ = P(λ = 1 | Y)`` the ``(m·k, k)`` matrix of LF
conditional probabilities to recover and ``P = diag(class balance)``. When LFs are
independent given ``Y``,

    O = E[λ λᵀ] = B + μ P μᵀ

with ``B`` block-diagonal (one block per LF). By Woodbury, ``O⁻¹ = B⁻¹ - Z Zᵀ`` for a
``(m·k, k)`` matrix ``Z``: the inverse of the *observed* overlap matrix is
block-diagonal plus a rank-``k`` term. So

1. ``Z = argmin ‖(O⁻¹ + Z Zᵀ)_Ω‖²`` over ``Ω``, the entries between different LFs,
   where ``O⁻¹`` must be cancelled exactly: a low-rank matrix completion, solved with
   L-BFGS from ``Z`` of a prior guess of ``μ``;
2. ``Q = O Z (I + Zᵀ O Z)⁻¹ Zᵀ O`` equals ``μ P μᵀ`` (any rotation of ``Z`` gives the
   same ``Q``);
3. ``μ`` (and, unless ``class_balance`` is given, ``P``) minimize
   ``‖Q - μ P μᵀ‖² + ‖μ P 1 - diag(O)‖²`` under ``0 ≤ μ ≤ 1``, again by L-BFGS from
   the prior guess, which picks the solution where LFs beat chance (the factorization
   is otherwise identified only up to a rotation).

Vote indicators that (almost) never fire — every class but its own, for a unipolar LF
— are dropped before inverting ``O`` and get ``μ = 0``. Prediction is the posterior of
the conditionally independent model, abstains included (``P(abstain | Y = c) =
1 - Σ_v μ[j, v, c]``), where Snorkel's implementation multiplies only the votes.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt

from headrace.supervision.matrix import check_label_matrix
from headrace.supervision.models.base import FloatArray, IntArray, check_class_balance, check_fitted
from headrace.supervision.models.naive_bayes import accuracies_from_confusion, posterior
from headrace.supervision.models.patterns import MAX_PATTERNS, compress_votes

__all__ = ["MatrixCompletion"]

_EPS = 1e-4


class MatrixCompletion:
    """MeTaL-style label model: low-rank completion of the inverse overlap matrix.

    Parameters
    ----------
    cardinality : int
        Number of classes.
    accuracy_prior : float
        Accuracy of the starting guess of ``μ`` (picks the solution where LFs beat chance).
    min_votes : int
        Vote indicators firing on fewer rows are dropped (their ``μ`` is 0).
    ridge : float
        Added to the diagonal of ``O`` (relative to its mean diagonal) before inverting.
    max_iter : int
        Iteration cap of each L-BFGS solve.
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
        min_votes: int = 5,
        ridge: float = 1e-6,
        max_iter: int = 500,
        max_patterns: int | None = MAX_PATTERNS,
        seed: int = 0,
    ) -> None:
        self.cardinality = cardinality
        self.accuracy_prior = accuracy_prior
        self.min_votes = min_votes
        self.ridge = ridge
        self.max_iter = max_iter
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
        """Recover ``μ`` (and the class balance unless given) from ``O = E[λλᵀ]``."""
        matrix = check_label_matrix(L, self.cardinality)
        k = self.cardinality
        m = matrix.shape[1]
        prior = check_class_balance(class_balance, k)
        patterns = compress_votes(matrix, k, max_patterns=self.max_patterns, seed=self.seed)
        indicators = patterns.indicators
        total = max(float(patterns.counts.sum()), 1.0)
        fires = np.asarray(indicators.T @ patterns.counts)
        active = np.flatnonzero(fires >= self.min_votes)
        mu = np.zeros((m * k, k))
        if len(active):
            sub = indicators[:, active]
            overlap = np.asarray((sub.T @ sub.multiply(patterns.counts[:, None])).todense()) / total
            lf = active // k
            start = _prior_mu(active, k, overlap.diagonal(), prior, self.accuracy_prior)
            z = _complete_inverse(overlap, lf, start, prior, self.ridge, self.max_iter)
            mu_active, prior = _factor(overlap, z, start, prior, class_balance is None, self.max_iter)
            mu[active] = mu_active
        self.mu_ = mu
        self.class_balance_ = prior
        self.n_lfs_ = int(m)
        return self

    @property
    def confusion_(self) -> FloatArray:
        """``θ[j, c, o] = P(LF j outputs o | y = c)``, abstain first, from ``μ``."""
        m, k = self.n_lfs_, self.cardinality
        votes = np.clip(self.mu_.reshape(m, k, k).transpose(0, 2, 1), _EPS, 1.0)  # [j, c, v]
        abstain = np.clip(1.0 - votes.sum(axis=2, keepdims=True), _EPS, 1.0)
        table = np.concatenate([abstain, votes], axis=2)
        return np.asarray(table / table.sum(axis=2, keepdims=True), dtype=np.float64)

    @property
    def accuracies_(self) -> FloatArray:
        """Each LF's learned probability of voting the true class, given that it votes."""
        return accuracies_from_confusion(self.confusion_, self.class_balance_)

    def predict_proba(self, L: Any) -> FloatArray:
        """Posterior of the conditionally independent model, abstains included."""
        matrix = check_fitted(self, "mu_", n_lfs=getattr(self, "n_lfs_", 0), L=L)
        return posterior(matrix, np.log(self.confusion_), np.log(self.class_balance_))

    def predict(self, L: Any) -> IntArray:
        """Most probable class; ties go to the lowest class index."""
        return np.asarray(np.argmax(self.predict_proba(L), axis=1), dtype=np.int64)


def _prior_mu(
    active: npt.NDArray[np.int64], k: int, rates: FloatArray, prior: FloatArray, accuracy: float
) -> FloatArray:
    """Starting ``μ``: each indicator fires at its observed rate, ``accuracy`` of it on its class."""
    vote = active % k
    share = np.full((len(active), k), (1.0 - accuracy) / (k - 1))
    share[np.arange(len(active)), vote] = accuracy
    # P(vote v | Y = c) = P(vote v) P(Y = c | vote v) / P(Y = c)
    return np.asarray(np.clip(rates[:, None] * share / prior, _EPS, 1.0 - _EPS), dtype=np.float64)


def _complete_inverse(
    overlap: FloatArray,
    lf: npt.NDArray[np.int64],
    start: FloatArray,
    prior: FloatArray,
    ridge: float,
    max_iter: int,
) -> FloatArray:
    """Step 1: ``Z`` with ``(O⁻¹ + Z Zᵀ)`` zero between different LFs."""
    d, k = start.shape
    regularized = overlap + np.eye(d) * ridge * max(float(np.mean(overlap.diagonal())), _EPS)
    inverse = np.linalg.inv(regularized)
    mask = (lf[:, None] != lf[None, :]).astype(np.float64)
    scale = max(float(np.sum((inverse * mask) ** 2)), 1e-12)
    # Z of the starting guess: B⁻¹ μ M^{-1/2} with M = P⁻¹ + μᵀ B⁻¹ μ.
    block = regularized * (1.0 - mask) - (start * prior) @ start.T * (1.0 - mask)
    block += np.eye(d) * _EPS * max(float(np.mean(overlap.diagonal())), _EPS)
    b_inv_mu = np.linalg.solve(block, start)
    gram = np.diag(1.0 / prior) + start.T @ b_inv_mu
    values, vectors = np.linalg.eigh((gram + gram.T) / 2.0)
    z0 = b_inv_mu @ (vectors / np.sqrt(np.maximum(values, 1e-12))) @ vectors.T

    def loss(flat: FloatArray) -> tuple[float, FloatArray]:
        z = flat.reshape(d, k)
        residual = (inverse + z @ z.T) * mask
        return float(np.sum(residual**2)) / scale, (4.0 * residual @ z).ravel() / scale

    from scipy import optimize  # only when fitting: the import is slow

    result = optimize.minimize(loss, z0.ravel(), jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    return np.asarray(result.x.reshape(d, k), dtype=np.float64)


def _factor(
    overlap: FloatArray, z: FloatArray, start: FloatArray, prior: FloatArray, learn_prior: bool, max_iter: int
) -> tuple[FloatArray, FloatArray]:
    """Steps 2–3: ``Q = μ P μᵀ`` from ``Z``, then ``μ`` (and ``P``) from ``Q`` and ``diag(O)``."""
    d, k = start.shape
    inner = np.eye(k) + z.T @ overlap @ z
    oz = overlap @ z
    target = oz @ np.linalg.solve(inner, oz.T)
    rates = overlap.diagonal()
    scale = max(float(np.sum(target**2) + np.sum(rates**2)), 1e-12)

    def unpack(flat: FloatArray) -> tuple[FloatArray, FloatArray]:
        mu = flat[: d * k].reshape(d, k)
        if not learn_prior:
            return mu, prior
        logits = flat[d * k :]
        p = np.exp(logits - logits.max())
        return mu, p / p.sum()

    def loss(flat: FloatArray) -> tuple[float, FloatArray]:
        mu, p = unpack(flat)
        residual = mu @ (p[:, None] * mu.T) - target
        marginal = mu @ p - rates
        value = (np.sum(residual**2) + np.sum(marginal**2)) / scale
        grad_mu = (4.0 * residual @ mu * p + 2.0 * marginal[:, None] * p) / scale
        if not learn_prior:
            return float(value), grad_mu.ravel()
        grad_p = (2.0 * np.einsum("ac,ab,bc->c", mu, residual, mu) + 2.0 * marginal @ mu) / scale
        grad_logits = p * (grad_p - grad_p @ p)
        return float(value), np.concatenate([grad_mu.ravel(), grad_logits])

    x0 = start.ravel() if not learn_prior else np.concatenate([start.ravel(), np.log(prior)])
    bounds = [(0.0, 1.0)] * (d * k) + ([(-10.0, 10.0)] * k if learn_prior else [])
    from scipy import optimize  # only when fitting: the import is slow

    result = optimize.minimize(
        loss, x0, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": max_iter}
    )
    mu, p = unpack(result.x)
    p = np.clip(p, 1e-3, None)
    return np.asarray(mu, dtype=np.float64), np.asarray(p / p.sum(), dtype=np.float64)
