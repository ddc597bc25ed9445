"""Distinct vote patterns: label models fit on ``(pattern, count)`` pairs, not on rows.

Two rows with the same votes carry the same evidence, and with sparse LFs most rows
repeat a few patterns (most often: nobody voted). Every learned label model therefore
fits on the distinct rows of ``L`` weighted by how often each occurs, so a fit costs
in the number of patterns rather than in the number of rows.

Rows are encoded exactly as integers: each LF's output ``v ∈ {-1, …, k-1}`` is a base
``k + 1`` digit, and the columns are cut into groups small enough for a group's code
to fit in an ``int64``. With one group, ``np.sort`` of the codes gives the patterns
and their counts, and the codes decode back into votes. With more groups, rows are
sorted by a 64-bit hash of their group codes, and every group of equal hashes is
checked to hold equal codes (a collision falls back to ``np.unique(axis=0)``).

When the patterns are many (dense LFs on millions of rows), the statistics a label
model estimates, one accuracy per LF, are settled long before every row is seen: the
fit then uses a seeded sample of the rows (:data:`SAMPLE_ROWS`, drawn with
replacement), which keeps fitting time and memory flat in the number of rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = ["MAX_PATTERNS", "SAMPLE_ROWS", "VotePatterns", "compress_votes", "vote_indicators"]

#: Fit on a sample of the rows once there are more distinct patterns than this.
MAX_PATTERNS = 50_000
#: How many rows that sample holds.
SAMPLE_ROWS = 100_000
#: Rows encoded at a time (keeps each chunk of ``L`` in cache and temporaries small).
CHUNK_ROWS = 1 << 14
_CODE_BITS = 62


@dataclass(frozen=True)
class VotePatterns:
    """The distinct rows of a label matrix and how many rows hold each.

    Attributes
    ----------
    votes : ndarray of int8, shape (n_patterns, n_lfs)
        Each distinct row once.
    counts : ndarray of float64, shape (n_patterns,)
        Number of rows with that pattern (in the sample, when one was taken).
    n_rows : int
        Rows of the matrix the patterns were taken from (before any sampling).
    indicators : scipy.sparse.csr_matrix, shape (n_patterns, n_lfs · k)
        The votes as indicators (see :func:`vote_indicators`), built once for every fit.
    """

    votes: npt.NDArray[np.int8]
    counts: npt.NDArray[np.float64]
    n_rows: int
    indicators: sp.csr_matrix

    @property
    def n_lfs(self) -> int:
        """Number of LFs (columns)."""
        return int(self.votes.shape[1])


def compress_votes(
    L: npt.NDArray[np.int8],
    cardinality: int,
    *,
    max_patterns: int | None = MAX_PATTERNS,
    seed: int = 0,
) -> VotePatterns:
    """Return the distinct rows of a validated label matrix with their counts.

    Parameters
    ----------
    L : ndarray of int8, shape (n, m)
        Label matrix, already checked (values in ``-1..k-1``).
    cardinality : int
        Number of classes ``k``.
    max_patterns : int or None
        With more distinct rows than this, compress a seeded sample of
        :data:`SAMPLE_ROWS` rows instead; ``None`` never samples.
    seed : int
        Seed of that sample.
    """
    n, m = L.shape
    if n == 0 or m == 0:
        return _patterns(np.zeros((0, m), dtype=np.int8), np.zeros(0), n, cardinality)
    if max_patterns is not None and n > SAMPLE_ROWS:
        # Compress a sample first: when it alone has too many patterns, so has L, and
        # the full sort is skipped.
        rows = np.sort(np.random.default_rng(seed).integers(0, n, SAMPLE_ROWS))
        sample = np.take(L, rows, axis=0)
        sample_first, sample_starts = _sorted_rows(sample, cardinality)
        if len(sample_starts) > max_patterns:
            return _patterns(*_gather(sample, sample_first, sample_starts), n, cardinality)
        first, starts = _sorted_rows(L, cardinality)
        if len(starts) > max_patterns:
            return _patterns(*_gather(sample, sample_first, sample_starts), n, cardinality)
        return _patterns(*_gather(L, first, starts), n, cardinality)
    first, starts = _sorted_rows(L, cardinality)
    return _patterns(*_gather(L, first, starts), n, cardinality)


def _patterns(
    votes: npt.NDArray[np.int8], counts: npt.NDArray[np.float64], n: int, cardinality: int
) -> VotePatterns:
    return VotePatterns(votes, counts, n, vote_indicators(votes, cardinality))


def vote_indicators(votes: npt.NDArray[np.int8], cardinality: int) -> sp.csr_matrix:
    """Sparse ``(n, m·k)`` 0/1 matrix: column ``j·k + v`` is "LF ``j`` voted ``v``"."""
    n, m = votes.shape
    voted = votes >= 0
    rows, cols = np.nonzero(voted)
    indices = cols.astype(np.int64) * cardinality + votes[rows, cols]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.count_nonzero(voted, axis=1), out=indptr[1:])
    data = np.ones(len(indices))
    return sp.csr_matrix((data, indices, indptr), shape=(n, m * cardinality))


def _group_size(cardinality: int) -> int:
    return max(1, int(_CODE_BITS / math.log2(cardinality + 1)))


def _encode(L: npt.NDArray[np.int8], cardinality: int) -> npt.NDArray[np.int64]:
    """Exact ``(n, groups)`` int64 codes of the rows (base ``k + 1`` digits)."""
    n, m = L.shape
    size = _group_size(cardinality)
    base = cardinality + 1
    groups = [(start, min(start + size, m)) for start in range(0, m, size)]
    codes = np.empty((n, len(groups)), dtype=np.int64)
    for g, (lo, hi) in enumerate(groups):
        # Digits are votes + 1; adding the 1s once at the end saves a pass per column.
        offset = sum(base**p for p in range(hi - lo))
        for start in range(0, n, CHUNK_ROWS):
            block = L[start : start + CHUNK_ROWS]
            code = block[:, lo].astype(np.int64)
            for j in range(lo + 1, hi):
                code *= base
                code += block[:, j]
            code += offset
            codes[start : start + CHUNK_ROWS, g] = code
    return codes


def _sorted_rows(
    L: npt.NDArray[np.int8], cardinality: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Rows of ``L`` ordered so equal rows are adjacent, and where each run starts."""
    codes = _encode(L, cardinality)
    if codes.shape[1] == 1:
        first, keys = _sorted_with_index(codes[:, 0], cardinality, L.shape[1])
    else:
        weights = np.random.default_rng(0x5EED).integers(1, 2**63, codes.shape[1], dtype=np.uint64)
        hashed = _hash(codes.view(np.uint64), np.asarray(weights | np.uint64(1), dtype=np.uint64))
        first = np.argsort(hashed)
        keys = hashed[first].view(np.int64)
        sorted_codes = codes[first]
        same = keys[1:] == keys[:-1]
        if np.any(same & np.any(sorted_codes[1:] != sorted_codes[:-1], axis=1)):
            # A 64-bit hash collision: exact but slower lexicographic sort.
            first = np.lexsort(codes.T[::-1])
            keys = np.cumsum(np.concatenate(([0], np.any(np.diff(codes[first], axis=0) != 0, axis=1))))
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    return first, starts


def _gather(
    L: npt.NDArray[np.int8], first: npt.NDArray[np.int64], starts: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64]]:
    counts = np.diff(np.append(starts, len(L))).astype(np.float64)
    # Gathering rows in row order is several times faster than in code order.
    rows = first[starts]
    order = np.argsort(rows)
    return np.take(L, rows[order], axis=0), counts[order]


def _sorted_with_index(
    code: npt.NDArray[np.int64], cardinality: int, m: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Sort codes and return ``(row of each sorted code, sorted codes)``.

    When the code and the row index fit in 63 bits together, both are packed into one
    integer: a plain ``np.sort`` (SIMD) is several times faster than ``np.argsort``.
    """
    n = len(code)
    index_bits = max(1, (n - 1).bit_length())
    code_bits = math.ceil(min(m, _group_size(cardinality)) * math.log2(cardinality + 1))
    if code_bits + index_bits > 63:
        order = np.argsort(code)
        return order, code[order]
    packed = code << index_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    return packed & ((1 << index_bits) - 1), packed >> index_bits


def _hash(words: npt.NDArray[np.uint64], weights: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Multiply–add hash of each row's group codes (wrapping uint64 arithmetic)."""
    hashed = words[:, 0] * weights[0]
    for g in range(1, words.shape[1]):
        hashed += words[:, g] * weights[g]
    hashed ^= hashed >> np.uint64(29)
    return np.asarray(hashed, dtype=np.uint64)
