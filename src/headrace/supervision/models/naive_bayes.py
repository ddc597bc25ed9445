"""Posterior over classes for LFs that are independent given the true class.

Every learned label model here ends in the same inference: LF ``j`` has a table
``θ_j[c, o] = P(LF j outputs o | y = c)`` over its outputs ``o ∈ {abstain, 0, …, k-1}``
(stored as logs, abstain first), and

    log P(y = c | row) = log π_c + Σ_j log θ_j[c, o_ij] + const.

Models that treat abstaining as uninformative put ``log θ_j[c, abstain] = 0``. Splitting
the sum into the all-abstain part plus, per vote, ``log θ_j[c, v] - log θ_j[c, abstain]``
makes the work proportional to the number of votes, not of cells: one sparse product.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from headrace.supervision.models.base import FloatArray
from headrace.supervision.models.patterns import vote_indicators

__all__ = ["accuracies_from_confusion", "posterior", "posterior_from_indicators", "split_log_confusion"]

#: Rows scored at a time by :func:`posterior` (bounds memory on huge matrices).
CHUNK_ROWS = 1 << 18


def split_log_confusion(log_confusion: FloatArray, log_prior: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return ``(base, delta)``: the all-abstain score per class, and per vote column
    ``j·k + v`` the change of score per class when LF ``j`` votes ``v``."""
    m, k, _ = log_confusion.shape
    base = log_prior + log_confusion[:, :, 0].sum(axis=0)
    delta = log_confusion[:, :, 1:] - log_confusion[:, :, :1]  # (m, c, v)
    return base, np.ascontiguousarray(delta.transpose(0, 2, 1).reshape(m * k, k))


def posterior_from_indicators(indicators: sp.csr_matrix, base: FloatArray, delta: FloatArray) -> FloatArray:
    """Class posteriors of rows given as a vote-indicator matrix (see ``vote_indicators``)."""
    # Class-major layout: reductions over a handful of classes along axis 0 are
    # element-wise passes, where axis=1 on an (n, k) array is a slow strided loop.
    scores = np.ascontiguousarray(np.asarray(indicators @ delta).T)
    scores += base[:, None]
    scores -= scores.max(axis=0)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=0)
    return np.ascontiguousarray(scores.T)


def posterior(votes: npt.NDArray[np.int8], log_confusion: FloatArray, log_prior: FloatArray) -> FloatArray:
    """Class posteriors ``(n, k)`` of the rows of ``votes``, scored in chunks."""
    k = log_confusion.shape[1]
    base, delta = split_log_confusion(log_confusion, log_prior)
    out = np.empty((votes.shape[0], k))
    for start in range(0, votes.shape[0], CHUNK_ROWS):
        chunk = votes[start : start + CHUNK_ROWS]
        out[start : start + len(chunk)] = posterior_from_indicators(vote_indicators(chunk, k), base, delta)
    return out


def accuracies_from_confusion(confusion: FloatArray, prior: FloatArray) -> FloatArray:
    """``P(vote == y | LF votes)`` per LF from ``θ[j, c, o]`` (abstain first) and the prior."""
    voting = confusion[:, :, 1:]
    correct = (np.einsum("jcc->jc", voting) * prior).sum(axis=1)
    votes = (voting.sum(axis=2) * prior).sum(axis=1)
    return np.asarray(np.where(votes > 0, correct / np.maximum(votes, 1e-300), np.nan), dtype=np.float64)
