"""``LabelMatrix``: the votes of every LF on every row, with the LFs that cast them."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from headrace.errors import LabelModelError
from headrace.supervision.lf import ABSTAIN

__all__ = ["LabelMatrix", "check_label_matrix"]


def check_label_matrix(values: object, cardinality: int, *, name: str = "L") -> npt.NDArray[np.int8]:
    """Validate a label matrix and return it as a 2-D ``int8`` array.

    Raises
    ------
    LabelModelError
        ``values`` is not 2-D, not integral, or holds a value outside ``-1..k-1``.
    """
    if cardinality < 2:
        raise LabelModelError(f"cardinality must be at least 2, got {cardinality}")
    array = np.asarray(values)
    if array.ndim != 2:
        raise LabelModelError(f"{name} must be 2-D (rows × LFs), got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise LabelModelError(f"{name} must hold integers, got dtype {array.dtype}")
    if array.size:
        low, high = int(array.min()), int(array.max())
        if low < ABSTAIN or high >= cardinality:
            raise LabelModelError(
                f"{name} holds values in [{low}, {high}]; expected -1 (abstain) or 0..{cardinality - 1}"
            )
    return array.astype(np.int8, copy=False)


@dataclass(frozen=True)
class LabelMatrix:
    """Votes of ``n_lfs`` labeling functions on ``n_rows`` rows.

    ``values[i, j]`` is LF ``j``'s class index for row ``i``, or ``ABSTAIN`` (-1).
    """

    values: npt.NDArray[np.int8]
    lf_names: tuple[str, ...]
    lf_keys: tuple[str, ...]
    cardinality: int

    def __post_init__(self) -> None:
        check_label_matrix(self.values, self.cardinality)
        if self.values.shape[1] != len(self.lf_names) or len(self.lf_names) != len(self.lf_keys):
            raise LabelModelError(
                f"label matrix has {self.values.shape[1]} columns but {len(self.lf_names)} LF "
                f"names and {len(self.lf_keys)} keys"
            )

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return int(self.values.shape[0])

    @property
    def n_lfs(self) -> int:
        """Number of labeling functions."""
        return int(self.values.shape[1])

    def to_bytes(self) -> bytes:
        """Serialize to ``.npz`` bytes (deterministic for equal content)."""
        buffer = io.BytesIO()
        np.savez(
            buffer,
            values=self.values,
            lf_names=np.array(self.lf_names, dtype=str),
            lf_keys=np.array(self.lf_keys, dtype=str),
            cardinality=np.array(self.cardinality),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> LabelMatrix:
        """Read a matrix written by :meth:`to_bytes`."""
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return cls(
                values=npz["values"].astype(np.int8),
                lf_names=tuple(str(s) for s in npz["lf_names"]),
                lf_keys=tuple(str(s) for s in npz["lf_keys"]),
                cardinality=int(npz["cardinality"]),
            )
