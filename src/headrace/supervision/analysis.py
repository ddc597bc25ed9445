"""``lf_summary``: how each labeling function behaves on the data.

Columns: ``polarity`` (classes it votes), ``coverage`` (share of rows it labels),
``overlaps`` (share of rows it labels that another LF also labels), ``conflicts``
(share of rows where another LF votes differently), ``emp_accuracy`` (accuracy on
gold rows it labels, when gold is given), ``learned_accuracy`` (from the label model,
when given), ``failures`` and ``seconds``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from headrace.supervision.matrix import LabelMatrix

__all__ = ["lf_summary"]


def lf_summary(
    matrix: LabelMatrix,
    *,
    gold_matrix: LabelMatrix | None = None,
    gold: Sequence[int] | npt.NDArray[Any] | None = None,
    learned_accuracy: Sequence[float] | npt.NDArray[np.float64] | None = None,
    failures: Mapping[str, int] | None = None,
    seconds: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Summarize each LF; one row per LF, indexed by LF name."""
    L = matrix.values
    voted = L >= 0
    n_rows = max(matrix.n_rows, 1)
    others = voted.sum(axis=1, keepdims=True) - voted
    overlaps = (voted & (others > 0)).sum(axis=0) / n_rows
    conflicts = np.zeros(matrix.n_lfs)
    for j in range(matrix.n_lfs):
        rows = voted[:, j]
        differs = (L[rows] >= 0) & (L[rows] != L[rows, j][:, None])
        conflicts[j] = differs.any(axis=1).sum() / n_rows
    table = pd.DataFrame(
        {
            "polarity": [sorted({int(v) for v in np.unique(L[:, j]) if v >= 0}) for j in range(matrix.n_lfs)],
            "coverage": voted.mean(axis=0) if matrix.n_rows else np.zeros(matrix.n_lfs),
            "overlaps": overlaps,
            "conflicts": conflicts,
        },
        index=pd.Index(matrix.lf_names, name="lf"),
    )
    if gold_matrix is not None and gold is not None:
        y = np.asarray(gold)
        G = gold_matrix.values
        hits = (y[:, None] == G) & (G >= 0)
        labeled = (G >= 0).sum(axis=0)
        table["emp_accuracy"] = np.where(labeled > 0, hits.sum(axis=0) / np.maximum(labeled, 1), np.nan)
        table["gold_votes"] = labeled
    if learned_accuracy is not None:
        table["learned_accuracy"] = np.asarray(learned_accuracy, dtype=float)
    table["failures"] = [int((failures or {}).get(name, 0)) for name in matrix.lf_names]
    table["seconds"] = [float((seconds or {}).get(name, 0.0)) for name in matrix.lf_names]
    return table
