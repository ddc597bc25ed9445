"""Seeded synthetic votes with a planted structure: a few accurate LFs among many noisy ones."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: Two accurate LFs, then five noisy ones that vote independently of each other.
ACCURACIES = (0.95, 0.95, 0.6, 0.6, 0.6, 0.6, 0.6)
COVERAGE = 0.7


def planted_votes(n: int, *, seed: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return ``(L, y)``: binary gold labels and each LF's votes, right with its accuracy."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    columns = []
    for accuracy in ACCURACIES:
        vote = np.where(rng.random(n) < accuracy, y, 1 - y)
        columns.append(np.where(rng.random(n) < COVERAGE, vote, -1))
    return np.stack(columns, axis=1), y
