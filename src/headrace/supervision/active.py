"""Active learning: which unlabeled rows a person should label next.

Each strategy scores the rows of the pool from what weak supervision already knows —
the label matrix ``L``, the label model's probabilities and, for ``disagreement``, an
end model's probabilities — and :func:`rank_rows` returns the best ``n`` eligible rows,
highest score first:

``uncertainty``
    entropy of the label model's distribution (normalized to ``[0, 1]``), over rows
    some LF voted on. An uncovered row's distribution is only the class prior, so its
    entropy says nothing about the row: uncovered rows are ``uncovered``'s.
``disagreement``
    total variation distance between the end model's and the label model's
    distributions (``[0, 1]``), over covered rows: where the model learned something
    the LFs do not say, one of them is wrong.
``lf-conflict``
    share of a row's votes that disagree with its most voted class, over rows whose
    LFs vote for different classes.
``uncovered``
    rows no LF voted on (score 1): the end model sees them only through
    generalization, and ``train.drop_uncovered`` leaves them out of training.
``random``
    a uniform draw over every row: the baseline the others are measured against.

Rows in ``exclude`` (already annotated, gold dev/test) are never chosen. Equal scores
are ordered by a seeded random key, so a ranking is the same for the same inputs and
seed, and ties do not favour the pool's file order. A strategy with fewer eligible rows
than ``n`` returns fewer (:attr:`Ranking.eligible` says how many there were).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from headrace.errors import LabelModelError
from headrace.supervision.lf import ABSTAIN
from headrace.supervision.matrix import check_label_matrix

__all__ = [
    "STRATEGIES",
    "Ranking",
    "conflict_scores",
    "disagreement_scores",
    "entropy_scores",
    "rank_rows",
    "uncovered_rows",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: The strategies :func:`rank_rows` knows, by name.
STRATEGIES = ("uncertainty", "disagreement", "lf-conflict", "uncovered", "random")


@dataclass(frozen=True)
class Ranking:
    """The rows a strategy suggests, best first.

    ``rows`` are positions in the pool; ``scores[i]`` is ``rows[i]``'s score (for
    ``random``, the draw itself); ``eligible`` is how many rows the strategy could choose
    from after exclusions.
    """

    strategy: str
    rows: IntArray
    scores: FloatArray
    eligible: int

    def __len__(self) -> int:
        return len(self.rows)


def entropy_scores(probs: FloatArray) -> FloatArray:
    """Entropy of each row's class distribution divided by ``log k``: 0 certain, 1 uniform.

    >>> entropy_scores(np.array([[1.0, 0.0], [0.5, 0.5]])).round(3).tolist()
    [0.0, 1.0]
    """
    p = _probs(probs, "probs")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    return np.asarray(terms.sum(axis=1) / np.log(p.shape[1]), dtype=np.float64)


def disagreement_scores(model_probs: FloatArray, label_probs: FloatArray) -> FloatArray:
    """Total variation distance between two distributions per row, in ``[0, 1]``.

    >>> disagreement_scores(np.array([[0.9, 0.1]]), np.array([[0.2, 0.8]])).round(3).tolist()
    [0.7]
    """
    a, b = _probs(model_probs, "model_probs"), _probs(label_probs, "label_probs")
    if a.shape != b.shape:
        raise LabelModelError(
            f"model_probs has shape {a.shape} but label_probs {b.shape}; both must be (rows, classes)"
        )
    return np.asarray(0.5 * np.abs(a - b).sum(axis=1), dtype=np.float64)


def conflict_scores(L: npt.ArrayLike, cardinality: int) -> FloatArray:
    """Share of each row's votes that differ from its most voted class (0 without conflict).

    >>> conflict_scores(np.array([[0, 1, 1], [0, -1, 0], [-1, -1, -1]]), 2).round(3).tolist()
    [0.333, 0.0, 0.0]
    """
    values = check_label_matrix(L, cardinality)
    counts = np.stack([(values == c).sum(axis=1) for c in range(cardinality)], axis=1)
    votes = counts.sum(axis=1)
    top = counts.max(axis=1)
    return np.asarray(np.where(votes > 0, 1.0 - top / np.maximum(votes, 1), 0.0), dtype=np.float64)


def uncovered_rows(L: npt.ArrayLike) -> BoolArray:
    """Whether no LF voted on each row."""
    values = np.asarray(L)
    if values.ndim != 2:
        raise LabelModelError(f"L must be 2-D (rows × LFs), got shape {values.shape}")
    return np.asarray((values == ABSTAIN).all(axis=1), dtype=np.bool_)


def rank_rows(
    strategy: str,
    *,
    n: int,
    L: npt.ArrayLike,
    label_probs: FloatArray,
    model_probs: FloatArray | None = None,
    exclude: BoolArray | None = None,
    seed: int = 0,
) -> Ranking:
    """Rank the pool's rows for annotation by ``strategy`` and return the best ``n``.

    Parameters
    ----------
    strategy : str
        One of :data:`STRATEGIES`.
    n : int
        How many rows to suggest at most.
    L : array, shape (rows, lfs)
        The label matrix of the pool (``-1`` abstains).
    label_probs : array, shape (rows, classes)
        The label model's distribution for each row.
    model_probs : array, shape (rows, classes), optional
        The end model's distribution for each row; ``disagreement`` needs it.
    exclude : bool array, shape (rows,), optional
        Rows never to suggest (already annotated, gold dev/test).
    seed : int
        Seeds the random order of equal scores (and ``random``'s draw).

    Raises
    ------
    LabelModelError
        An unknown strategy, ``n < 1``, inputs whose shapes do not match, or
        ``disagreement`` without ``model_probs``.

    Examples
    --------
    >>> L = np.array([[0, 1], [0, 0], [-1, -1]])
    >>> probs = np.array([[0.5, 0.5], [0.9, 0.1], [0.6, 0.4]])
    >>> rank_rows("uncertainty", n=1, L=L, label_probs=probs).rows.tolist()
    [0]
    """
    if strategy not in STRATEGIES:
        raise LabelModelError(f"strategy must be one of {list(STRATEGIES)}, got {strategy!r}")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise LabelModelError(f"n must be a positive integer, got {n!r}")
    probs = _probs(label_probs, "label_probs")
    k = probs.shape[1]
    values = check_label_matrix(L, k)
    rows = len(probs)
    if values.shape[0] != rows:
        raise LabelModelError(f"L has {values.shape[0]} rows but label_probs {rows}; they must align")
    excluded = np.zeros(rows, dtype=bool) if exclude is None else np.asarray(exclude, dtype=bool)
    if excluded.shape != (rows,):
        raise LabelModelError(f"exclude must have one flag per row ({rows}), got shape {excluded.shape}")
    keys = np.random.default_rng(seed).random(rows)
    scores, eligible = _SCORERS[strategy](values, probs, model_probs, keys)
    candidates = np.flatnonzero(eligible & ~excluded)
    # lexsort's last key is the primary one: score descending, then the seeded key.
    order = candidates[np.lexsort((keys[candidates], -scores[candidates]))][:n]
    return Ranking(
        strategy=strategy,
        rows=order.astype(np.int64),
        scores=scores[order].astype(np.float64),
        eligible=len(candidates),
    )


_Scorer = Callable[
    [npt.NDArray[np.int8], FloatArray, FloatArray | None, FloatArray], tuple[FloatArray, BoolArray]
]


def _uncertainty(
    L: npt.NDArray[np.int8], probs: FloatArray, _m: Any, _k: FloatArray
) -> tuple[FloatArray, BoolArray]:
    return entropy_scores(probs), ~uncovered_rows(L)


def _disagreement(
    L: npt.NDArray[np.int8], probs: FloatArray, model_probs: FloatArray | None, _k: FloatArray
) -> tuple[FloatArray, BoolArray]:
    if model_probs is None:
        raise LabelModelError(
            "strategy 'disagreement' needs model_probs: the end model's probabilities on the pool"
        )
    return disagreement_scores(model_probs, probs), ~uncovered_rows(L)


def _conflict(
    L: npt.NDArray[np.int8], probs: FloatArray, _m: Any, _k: FloatArray
) -> tuple[FloatArray, BoolArray]:
    scores = conflict_scores(L, probs.shape[1])
    return scores, scores > 0


def _uncovered(
    L: npt.NDArray[np.int8], probs: FloatArray, _m: Any, _k: FloatArray
) -> tuple[FloatArray, BoolArray]:
    mask = uncovered_rows(L)
    return mask.astype(np.float64), mask


def _random(
    L: npt.NDArray[np.int8], probs: FloatArray, _m: Any, keys: FloatArray
) -> tuple[FloatArray, BoolArray]:
    # The draw itself is the score: ordering by it is a uniform random permutation.
    return keys, np.ones(len(probs), dtype=bool)


_SCORERS: dict[str, _Scorer] = {
    "uncertainty": _uncertainty,
    "disagreement": _disagreement,
    "lf-conflict": _conflict,
    "uncovered": _uncovered,
    "random": _random,
}


def _probs(values: FloatArray, name: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] < 2:
        raise LabelModelError(f"{name} must be 2-D (rows × classes, at least 2), got shape {array.shape}")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise LabelModelError(f"{name} must hold finite, non-negative probabilities")
    return array
