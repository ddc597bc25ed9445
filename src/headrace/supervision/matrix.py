"""``LabelMatrix``: the votes of every LF on every row, with the LFs that cast them."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from headrace.errors import LabelModelError
from headrace.supervision.lf import ABSTAIN

__all__ = ["SPARSE_BELOW", "LabelMatrix", "check_label_matrix"]

#: Density (share of cells with a vote) under which a matrix is stored sparse.
SPARSE_BELOW = 0.25


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

    @property
    def density(self) -> float:
        """Share of cells holding a vote (not an abstain)."""
        return float(np.count_nonzero(self.values != ABSTAIN) / self.values.size) if self.values.size else 0.0

    def to_sparse(self) -> sparse.csr_array:
        """The votes as a CSR array of ``vote + 1`` (so abstains are the implicit zeros)."""
        return sparse.csr_array((self.values + 1).astype(np.int8))

    @classmethod
    def from_sparse(
        cls, votes: sparse.csr_array, *, lf_names: tuple[str, ...], lf_keys: tuple[str, ...], cardinality: int
    ) -> LabelMatrix:
        """Build a matrix from :meth:`to_sparse`'s form."""
        dense = np.asarray(votes.toarray(), dtype=np.int8) - 1
        return cls(values=dense.astype(np.int8), lf_names=lf_names, lf_keys=lf_keys, cardinality=cardinality)

    def to_bytes(self) -> bytes:
        """Serialize to ``.npz`` bytes (deterministic for equal content).

        Matrices where fewer than :data:`SPARSE_BELOW` of the cells hold a vote — the
        usual case: most LFs abstain on most rows — are stored in CSR form.
        """
        names = np.array(self.lf_names, dtype=str)
        keys = np.array(self.lf_keys, dtype=str)
        shape = np.array(self.values.shape, dtype=np.int64)
        buffer = io.BytesIO()
        if self.density < SPARSE_BELOW:
            csr = self.to_sparse()
            # The narrowest index types that fit: most of a sparse file is its indices.
            indices = csr.indices.astype(np.uint16 if self.n_lfs < 2**16 else np.int32)
            indptr = csr.indptr.astype(np.int32 if csr.nnz < 2**31 else np.int64)
            np.savez(
                buffer,
                data=csr.data,
                indices=indices,
                indptr=indptr,
                lf_names=names,
                lf_keys=keys,
                cardinality=self.cardinality,
                shape=shape,
            )
        else:
            np.savez(
                buffer,
                values=self.values,
                lf_names=names,
                lf_keys=keys,
                cardinality=self.cardinality,
                shape=shape,
            )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> LabelMatrix:
        """Read a matrix written by :meth:`to_bytes` (dense or sparse)."""
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            names = tuple(str(s) for s in npz["lf_names"])
            keys = tuple(str(s) for s in npz["lf_keys"])
            cardinality = int(npz["cardinality"])
            if "values" in npz:
                return cls(
                    values=npz["values"].astype(np.int8),
                    lf_names=names,
                    lf_keys=keys,
                    cardinality=cardinality,
                )
            shape = tuple(int(n) for n in npz["shape"])
            indices, indptr = npz["indices"].astype(np.int32), npz["indptr"].astype(np.int64)
            csr = sparse.csr_array((npz["data"], indices, indptr), shape=shape)
            return cls.from_sparse(csr, lf_names=names, lf_keys=keys, cardinality=cardinality)
