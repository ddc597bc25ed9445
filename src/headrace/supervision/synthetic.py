"""Seeded synthetic label matrices whose LF accuracies are known.

Label models are judged on how well they recover what generated the votes, so tests,
benchmarks and examples need votes drawn from a known process. Each LF fires on a row
with some probability (its coverage) and, when it fires, votes the true class with
some probability (its accuracy); both are drawn per LF from the given ranges. Columns
are generated one at a time straight into an ``int8`` matrix, so ``10M × 50`` fits in
a little over the matrix's own 500 MB.

Two kinds of LF are modelled:

* *multipolar* (``unipolar=False``): the LF fires independently of the class and, when
  it fires, votes the true class with its accuracy, otherwise a uniformly drawn other
  class;
* *unipolar* (``unipolar=True``): like a keyword LF it only ever votes its own class
  (LF ``j`` votes class ``j mod k``) and fires mostly on rows of that class; its
  accuracy is ``P(y == its class | it fires)``. That is at least the class's prior
  plus a margin, or the LF would be evidence *against* its own class.

``correlated`` extra LFs, appended after the ``n_lfs`` independent ones, each copy a
randomly chosen independent LF's votes and drop each of them with probability 0.1:
they make the same mistakes on the same rows, as near-duplicate keyword LFs do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from headrace.errors import LabelModelError

__all__ = ["SyntheticLabels", "make_label_matrix"]

#: Probability that a correlated copy drops a vote of the LF it copies.
COPY_DROP_RATE = 0.1
#: A unipolar LF is right at least this share of the way from its class prior to 1.
UNIPOLAR_MIN_LIFT = 0.05


@dataclass(frozen=True)
class SyntheticLabels:
    """Votes, the truth behind them, and the parameters that generated them.

    Attributes
    ----------
    L : ndarray of int8, shape (n_rows, n_lfs + correlated)
        Votes; ``-1`` is abstain.
    y : ndarray of int64, shape (n_rows,)
        True classes.
    accuracies : ndarray of float64, shape (n_lfs + correlated,)
        ``P(vote == y | LF votes)`` of each LF: the truth a label model should recover.
    coverages : ndarray of float64, shape (n_lfs + correlated,)
        ``P(LF votes)`` of each LF.
    class_balance : ndarray of float64, shape (cardinality,)
        Prior over classes the rows were drawn from.
    """

    L: npt.NDArray[np.int8]
    y: npt.NDArray[np.int64]
    accuracies: npt.NDArray[np.float64]
    coverages: npt.NDArray[np.float64]
    class_balance: npt.NDArray[np.float64]


def make_label_matrix(
    n_rows: int,
    n_lfs: int,
    *,
    cardinality: int = 2,
    class_balance: Sequence[float] | None = None,
    coverage: tuple[float, float] = (0.01, 0.6),
    accuracy: tuple[float, float] = (0.55, 0.95),
    correlated: int = 0,
    unipolar: bool = False,
    seed: int = 0,
) -> SyntheticLabels:
    """Draw a label matrix from LFs with known coverages and accuracies.

    Parameters
    ----------
    n_rows, n_lfs : int
        Rows, and independent LFs (``correlated`` copies come on top).
    cardinality : int
        Number of classes ``k`` (at least 2).
    class_balance : sequence of float, optional
        Prior over classes; uniform when omitted.
    coverage, accuracy : (low, high)
        Ranges each LF's coverage and accuracy are drawn from uniformly.
    correlated : int
        Extra LFs that copy another LF's votes, dropping each with probability 0.1.
    unipolar : bool
        Each LF votes a single class, as keyword LFs do (see the module docstring).
    seed : int
        Seed of the ``numpy`` generator; equal arguments give equal matrices.

    Returns
    -------
    SyntheticLabels

    Raises
    ------
    LabelModelError
        An argument is out of range.

    Examples
    --------
    >>> data = make_label_matrix(1000, 5, seed=1)
    >>> data.L.shape, data.L.dtype.name
    ((1000, 5), 'int8')
    """
    prior = _check_arguments(n_rows, n_lfs, cardinality, class_balance, coverage, accuracy, correlated)
    k = cardinality
    rng = np.random.default_rng(seed)
    y = rng.choice(k, size=n_rows, p=prior).astype(np.int64)
    m = n_lfs + correlated
    L = np.full((n_rows, m), -1, dtype=np.int8)
    accuracies = np.empty(m)
    coverages = np.empty(m)
    for j in range(n_lfs):
        cov = rng.uniform(*coverage)
        acc = rng.uniform(*accuracy)
        if unipolar:
            accuracies[j], coverages[j] = _unipolar_column(L, j, y, j % k, prior, cov, acc, rng)
        else:
            accuracies[j], coverages[j] = _multipolar_column(L, j, y, k, cov, acc, rng)
    for j in range(n_lfs, m):
        source = int(rng.integers(0, n_lfs))
        voted = np.flatnonzero(L[:, source] >= 0)
        kept = voted[rng.random(len(voted)) >= COPY_DROP_RATE]
        L[kept, j] = L[kept, source]
        accuracies[j] = accuracies[source]
        coverages[j] = coverages[source] * (1.0 - COPY_DROP_RATE)
    return SyntheticLabels(L=L, y=y, accuracies=accuracies, coverages=coverages, class_balance=prior)


def _multipolar_column(
    L: npt.NDArray[np.int8],
    j: int,
    y: npt.NDArray[np.int64],
    k: int,
    cov: float,
    acc: float,
    rng: np.random.Generator,
) -> tuple[float, float]:
    fired = np.flatnonzero(rng.random(len(y)) < cov)
    truth = y[fired]
    wrong = (truth + rng.integers(1, k, len(fired))) % k
    L[fired, j] = np.where(rng.random(len(fired)) < acc, truth, wrong)
    return acc, cov


def _unipolar_column(
    L: npt.NDArray[np.int8],
    j: int,
    y: npt.NDArray[np.int64],
    c: int,
    prior: npt.NDArray[np.float64],
    cov: float,
    acc: float,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Fire on class ``c`` with rate ``r1`` and elsewhere with ``r0`` so that the LF's
    coverage is ``cov`` and its precision ``acc`` (coverage capped where ``r1`` would
    exceed 1)."""
    pi = float(prior[c])
    acc = min(max(acc, pi + UNIPOLAR_MIN_LIFT * (1.0 - pi)), 1.0)
    cov = min(cov, pi / acc)
    fire_rate = np.full(len(prior), (1.0 - acc) * cov / (1.0 - pi))
    fire_rate[c] = acc * cov / pi
    fired = np.flatnonzero(rng.random(len(y)) < fire_rate[y])
    L[fired, j] = c
    return acc, cov


def _check_arguments(
    n_rows: int,
    n_lfs: int,
    k: int,
    class_balance: Sequence[float] | None,
    coverage: tuple[float, float],
    accuracy: tuple[float, float],
    correlated: int,
) -> npt.NDArray[np.float64]:
    if k < 2:
        raise LabelModelError(f"cardinality must be at least 2, got {k}")
    if n_rows < 0 or n_lfs < 1 or correlated < 0:
        raise LabelModelError(
            f"need n_rows >= 0, n_lfs >= 1 and correlated >= 0, got {n_rows}, {n_lfs} and {correlated}"
        )
    if not 0.0 <= coverage[0] <= coverage[1] <= 1.0:
        raise LabelModelError(f"coverage must be a range (low, high) within [0, 1], got {coverage!r}")
    if not 0.0 <= accuracy[0] <= accuracy[1] <= 1.0:
        raise LabelModelError(f"accuracy must be a range (low, high) within [0, 1], got {accuracy!r}")
    if class_balance is None:
        return np.full(k, 1.0 / k)
    prior = np.asarray(class_balance, dtype=np.float64)
    if prior.shape != (k,) or np.any(prior <= 0) or not np.isclose(prior.sum(), 1.0):
        raise LabelModelError(
            f"class_balance must be {k} positive numbers summing to 1, got {list(class_balance)!r}"
        )
    return np.asarray(prior / prior.sum(), dtype=np.float64)
