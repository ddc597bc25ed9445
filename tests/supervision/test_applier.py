"""apply_lfs: one core that runs every LF over record batches and builds the label matrix."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headrace.errors import LabelingFunctionError
from headrace.supervision import (
    ABSTAIN,
    LabelingFunction,
    LFFailure,
    Row,
    apply_lfs,
    keyword_lf,
    labeling_function,
)

HAM, SPAM = 0, 1

TABLE = pa.table(
    {
        "id": ["c-1", "c-2", "c-3"],
        "content": ["buy now", "nice song", "BUY cheap"],
        "likes": [0, 40, 2],
    }
)


@labeling_function()
def buy(row: Row) -> int:
    return SPAM if "buy" in row.content.lower() else ABSTAIN


@labeling_function(vectorized=True)
def liked(frame: pd.DataFrame) -> np.ndarray:
    return np.where(frame["likes"] > 10, HAM, ABSTAIN)


@labeling_function()
def fragile(row: Row) -> int:
    if row.likes % 7 == 0:
        raise ZeroDivisionError("likes divisible by seven")
    return ABSTAIN


def test_the_matrix_has_a_row_per_row_and_a_column_per_lf() -> None:
    result = apply_lfs([buy, liked], TABLE, id_column="id", cardinality=2)

    matrix = result.matrix
    assert matrix.values.tolist() == [[SPAM, ABSTAIN], [ABSTAIN, HAM], [SPAM, ABSTAIN]]
    assert matrix.values.dtype == np.int8
    assert matrix.lf_names == ("buy", "liked")
    assert matrix.lf_keys == (buy.key, liked.key)
    assert matrix.cardinality == 2
    assert result.failures == []
    assert set(result.seconds) == {"buy", "liked"}
    assert all(s >= 0 for s in result.seconds.values())


def test_an_empty_table_gives_an_empty_matrix() -> None:
    result = apply_lfs([buy, liked], TABLE.slice(0, 0), id_column="id", cardinality=2)

    assert result.matrix.values.shape == (0, 2)


def test_by_default_an_lf_that_raises_stops_with_its_name_and_the_row_id() -> None:
    with pytest.raises(
        LabelingFunctionError,
        match=r"labeling function 'fragile' raised on row 'c-1': ZeroDivisionError: likes divisible by seven",
    ):
        apply_lfs([buy, fragile], TABLE, id_column="id", cardinality=2)


def test_with_on_error_abstain_failures_are_recorded_and_the_rows_abstain() -> None:
    result = apply_lfs([buy, fragile], TABLE, id_column="id", cardinality=2, on_error="abstain")

    assert result.matrix.values[:, 1].tolist() == [ABSTAIN, ABSTAIN, ABSTAIN]
    assert result.matrix.values[:, 0].tolist() == [SPAM, ABSTAIN, SPAM]
    assert result.failures == [LFFailure("fragile", "c-1", "ZeroDivisionError: likes divisible by seven")]


def test_a_vectorized_lf_that_raises_fails_its_whole_batch() -> None:
    @labeling_function(vectorized=True)
    def broken(frame: pd.DataFrame) -> np.ndarray:
        raise KeyError("no_such_column")

    with pytest.raises(
        LabelingFunctionError, match=r"'broken' raised on the batch starting at row 'c-1': KeyError"
    ):
        apply_lfs([broken], TABLE, id_column="id", cardinality=2)

    result = apply_lfs([broken], TABLE, id_column="id", cardinality=2, on_error="abstain", batch_size=2)
    assert result.matrix.values[:, 0].tolist() == [ABSTAIN] * 3
    assert [f.row_id for f in result.failures] == ["c-1", "c-2", "c-3"]


@pytest.mark.parametrize("vote", [7, -2])
def test_a_vote_outside_the_classes_names_the_lf_the_row_and_the_allowed_values(vote: int) -> None:
    @labeling_function()
    def seven(row: Row) -> int:
        return vote

    with pytest.raises(
        LabelingFunctionError,
        match=re.escape(
            f"labeling function 'seven' returned {vote} on row 'c-1'; expected -1 (abstain) or 0..1"
        ),
    ):
        apply_lfs([seven], TABLE, id_column="id", cardinality=2)


def test_an_out_of_range_vote_is_refused_even_with_on_error_abstain() -> None:
    @labeling_function(vectorized=True)
    def third_class(frame: pd.DataFrame) -> np.ndarray:
        return np.where(frame["likes"] > 10, 2, ABSTAIN)

    with pytest.raises(LabelingFunctionError, match="'third_class' returned 2 on row 'c-2'; expected -1"):
        apply_lfs([third_class], TABLE, id_column="id", cardinality=2, on_error="abstain")


def test_a_vectorized_lf_of_the_wrong_length_is_refused() -> None:
    @labeling_function(vectorized=True)
    def one_short(frame: pd.DataFrame) -> np.ndarray:
        return np.zeros(len(frame) - 1, dtype=int)

    with pytest.raises(
        LabelingFunctionError, match=r"'one_short' returned shape \(1,\) for a batch of 2 rows"
    ):
        apply_lfs([one_short], TABLE, id_column="id", cardinality=2, batch_size=2)


def test_an_unknown_on_error_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="on_error must be 'raise' or 'abstain', got 'ignore'"):
        apply_lfs([buy], TABLE, id_column="id", cardinality=2, on_error="ignore")


# --- batching never changes the result -----------------------------------------------

WORDS = ["buy", "song", "love", "check", "FREE", "", "nice"]
PROPERTY_LFS: list[LabelingFunction] = [
    buy,
    liked,
    fragile,
    keyword_lf("free", ["free", "check"], label=SPAM, column="content"),
]


@st.composite
def tables(draw: st.DrawFn) -> pa.Table:
    n = draw(st.integers(min_value=0, max_value=40))
    content = draw(
        st.lists(st.lists(st.sampled_from(WORDS), max_size=4).map(" ".join), min_size=n, max_size=n)
    )
    likes = draw(st.lists(st.integers(min_value=0, max_value=100), min_size=n, max_size=n))
    return pa.table({"id": [f"r{i}" for i in range(n)], "content": content, "likes": likes})


@settings(max_examples=60, deadline=None)
@given(table=tables(), batch_size=st.integers(min_value=1, max_value=45))
def test_any_batch_size_gives_the_same_matrix_and_failures(table: pa.Table, batch_size: int) -> None:
    whole = apply_lfs(PROPERTY_LFS, table, id_column="id", cardinality=2, on_error="abstain")
    batched = apply_lfs(
        PROPERTY_LFS, table, id_column="id", cardinality=2, on_error="abstain", batch_size=batch_size
    )

    np.testing.assert_array_equal(batched.matrix.values, whole.matrix.values)
    assert batched.matrix.lf_keys == whole.matrix.lf_keys
    assert batched.failures == whole.failures
    assert [f.row_id for f in whole.failures] == [
        row_id
        for row_id, likes in zip(table["id"].to_pylist(), table["likes"].to_pylist(), strict=True)
        if likes % 7 == 0
    ]
