"""Down-weight LFs whose evidence duplicates other LFs' (correlated LFs).

A conditionally independent model adds up every LF's evidence. Near-duplicate LFs
(two keyword lists sharing most words, an LF and a refinement of it) then count the
same evidence several times: the posterior becomes over-confident and the LFs'
confusion matrices, learned against it, drift towards whatever the group votes —
Dawid–Skene loses to majority vote once a few LFs are copied.

After a first fit we measure, within each class, how correlated the LFs' evidence is,
``e_j^c(row) = log θ_j[c, o_j] - log P(o_j)`` (what LF ``j``'s output says for class
``c``), averaged over classes by the class prior. Correlations below
``threshold`` are noise or mild overlap and count as 0; above it they are rescaled to
``(0, 1]``. An LF's weight is ``1 / (1 + Σ_i ρ_ij)``: ``s`` exact copies of one LF
each get ``1/s`` and together count once; an LF correlated with none keeps 1. The
model is then refitted with each LF's log-likelihood multiplied by its weight
(a composite likelihood).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from headrace.supervision.models.base import FloatArray
from headrace.supervision.models.patterns import VotePatterns

__all__ = ["dependency_weights", "evidence_correlation"]

#: With more covered patterns than this, correlations are estimated on a sample ...
MAX_PATTERNS_FOR_CORRELATION = 10_000
#: ... of this many rows.
SAMPLE_ROWS = 20_000


def evidence_correlation(
    patterns: VotePatterns, confusion: FloatArray, prior: FloatArray, post: FloatArray
) -> FloatArray:
    """``(m, m)`` within-class correlation of the LFs' evidence, averaged over classes.

    An LF's evidence is one constant while it abstains plus a per-vote change, so its
    covariances are those of the sparse vote part: one sparse product per class.
    """
    m, k, _ = confusion.shape
    # Rows nobody voted on carry the prior as posterior: within a class they mix in
    # rows of the other classes, and LFs of one class would look correlated.
    indicators = patterns.indicators
    covered = np.flatnonzero(np.diff(indicators.indptr) > 0)
    weights = patterns.counts[covered]
    if len(covered) > MAX_PATTERNS_FOR_CORRELATION:
        # Correlations need far fewer rows than EM: a fixed-seed sample of the rows.
        drawn = np.random.default_rng(0).choice(len(covered), size=SAMPLE_ROWS, p=weights / weights.sum())
        counts = np.bincount(drawn, minlength=len(covered)).astype(np.float64)
        kept = np.flatnonzero(counts)
        covered, weights = covered[kept], counts[kept]
    indicators, post = indicators[covered], post[covered]
    marginal = np.einsum("c,jco->jo", prior, confusion)  # P(o_j = o)
    pmi = np.log(confusion) - np.log(marginal)[:, None, :]  # (m, c, o), o = 0 is abstain
    rows = np.arange(m * k)
    rho = np.zeros((m, m))
    for c in range(k):
        w = weights * post[:, c]
        total = float(w.sum())
        if total <= 0:
            continue
        change = (pmi[:, c, 1:] - pmi[:, c, :1]).ravel()  # per vote column j·k + v
        to_lf = sp.csr_matrix((change, (rows, rows // k)), shape=(m * k, m))
        evidence = (indicators @ to_lf).tocsr()
        mean = np.asarray(evidence.T @ w) / total
        second = np.asarray((evidence.T @ evidence.multiply(w[:, None])).todense()) / total
        cov = second - np.outer(mean, mean)
        sd = np.sqrt(np.maximum(np.diag(cov), 0.0))
        scale = np.outer(sd, sd)
        rho += prior[c] * np.where(scale > 1e-12, cov / np.maximum(scale, 1e-300), 0.0)
    np.fill_diagonal(rho, 0.0)
    return rho


def dependency_weights(rho: FloatArray, threshold: float) -> FloatArray:
    """Per-LF weights ``1 / (1 + Σ_i ρ'_ij)`` with ``ρ' = (ρ - t) / (1 - t)`` above ``t``."""
    strong = np.clip((rho - threshold) / (1.0 - threshold), 0.0, 1.0)
    np.fill_diagonal(strong, 0.0)
    return np.asarray(1.0 / (1.0 + strong.sum(axis=1)), dtype=np.float64)
