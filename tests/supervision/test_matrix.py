"""LabelMatrix: validated votes of each LF on each row, serialized deterministically."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from headrace.errors import LabelModelError
from headrace.supervision import LabelMatrix, check_label_matrix


def matrix(values: list[list[int]], cardinality: int = 2) -> LabelMatrix:
    array = np.array(values, dtype=np.int8).reshape(len(values), -1)
    names = tuple(f"lf{j}" for j in range(array.shape[1]))
    return LabelMatrix(
        values=array,
        lf_names=names,
        lf_keys=tuple(f"key{j}" for j in range(array.shape[1])),
        cardinality=cardinality,
    )


def test_shape_properties() -> None:
    L = matrix([[0, -1, 1], [1, 1, -1]])

    assert (L.n_rows, L.n_lfs) == (2, 3)


@given(
    values=st.integers(min_value=2, max_value=5).flatmap(
        lambda k: st.tuples(
            st.just(k),
            hnp.arrays(
                np.int8,
                hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=8),
                elements=st.integers(min_value=-1, max_value=k - 1),
            ),
        )
    )
)
def test_to_bytes_and_from_bytes_round_trip(values: tuple[int, np.ndarray]) -> None:
    k, array = values
    m = array.shape[1]
    original = LabelMatrix(
        values=array,
        lf_names=tuple(f"lf_{j}" for j in range(m)),
        lf_keys=tuple(f"{j:064x}" for j in range(m)),
        cardinality=k,
    )

    data = original.to_bytes()
    loaded = LabelMatrix.from_bytes(data)

    np.testing.assert_array_equal(loaded.values, original.values)
    assert loaded.values.dtype == np.int8
    assert (loaded.lf_names, loaded.lf_keys, loaded.cardinality) == (
        original.lf_names,
        original.lf_keys,
        original.cardinality,
    )
    # Equal content gives equal bytes, so the stored object id is stable.
    assert LabelMatrix.from_bytes(data).to_bytes() == data


def test_a_matrix_must_be_two_dimensional() -> None:
    with pytest.raises(LabelModelError, match=r"L must be 2-D \(rows × LFs\), got shape \(3,\)"):
        check_label_matrix([0, 1, -1], 2)


def test_a_matrix_must_hold_integers() -> None:
    with pytest.raises(LabelModelError, match="L must hold integers, got dtype float64"):
        check_label_matrix([[0.0, 1.0]], 2)


@pytest.mark.parametrize(("values", "low", "high"), [([[0, 2]], 0, 2), ([[-2, 1]], -2, 1)])
def test_a_value_outside_the_classes_is_refused(values: list[list[int]], low: int, high: int) -> None:
    with pytest.raises(
        LabelModelError, match=rf"L holds values in \[{low}, {high}\]; expected -1 \(abstain\) or 0\.\.1"
    ):
        check_label_matrix(values, 2)


def test_the_argument_name_appears_in_the_message() -> None:
    with pytest.raises(LabelModelError, match=r"^L_dev holds values"):
        check_label_matrix([[5]], 3, name="L_dev")


def test_cardinality_must_be_at_least_two() -> None:
    with pytest.raises(LabelModelError, match="cardinality must be at least 2, got 1"):
        check_label_matrix([[0]], 1)


def test_an_empty_matrix_is_valid() -> None:
    assert check_label_matrix(np.empty((0, 3), dtype=np.int64), 2).shape == (0, 3)


def test_lf_names_and_keys_must_match_the_columns() -> None:
    with pytest.raises(LabelModelError, match="label matrix has 2 columns but 1 LF names and 1 keys"):
        LabelMatrix(values=np.zeros((1, 2), dtype=np.int8), lf_names=("a",), lf_keys=("k",), cardinality=2)
    with pytest.raises(LabelModelError, match="2 columns but 2 LF names and 1 keys"):
        LabelMatrix(
            values=np.zeros((1, 2), dtype=np.int8), lf_names=("a", "b"), lf_keys=("k",), cardinality=2
        )


def test_an_invalid_matrix_cannot_be_built() -> None:
    with pytest.raises(LabelModelError, match=r"holds values in \[0, 3\]"):
        matrix([[0, 3]], cardinality=2)


def test_low_coverage_matrices_are_stored_sparse_and_round_trip() -> None:
    rng = np.random.default_rng(0)
    values = np.where(rng.random((2000, 30)) < 0.05, rng.integers(0, 3, (2000, 30)), -1).astype(np.int8)
    matrix = LabelMatrix(values, tuple(f"lf{j}" for j in range(30)), tuple(f"k{j}" for j in range(30)), 3)
    dense = LabelMatrix(np.zeros((2000, 30), np.int8), matrix.lf_names, matrix.lf_keys, 3)

    stored = matrix.to_bytes()

    assert matrix.density < 0.1
    assert len(stored) < len(dense.to_bytes()) / 3
    np.testing.assert_array_equal(LabelMatrix.from_bytes(stored).values, values)
    assert matrix.to_sparse().nnz == np.count_nonzero(values >= 0)
