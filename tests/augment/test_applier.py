"""apply_tfs: copies under a policy, labels carried over, provenance, determinism, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from headrace.augment import (
    AUGMENTED_FROM_COLUMN,
    TFS_COLUMN,
    ApplyAllPolicy,
    ApplyOnePolicy,
    RandomPolicy,
    apply_tfs,
    augmentation_examples,
    transformation_function,
)
from headrace.errors import AugmentationError
from headrace.supervision import Row

TABLE = pa.table({"id": ["a", "b", "c"], "text": ["hi there", "buy now", None], "likes": [1, 2, 3]})
PROBS = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])


@transformation_function()
def shout(row: Row) -> dict[str, Any] | None:
    return None if row.text is None else {**row, "text": row.text.upper()}


@transformation_function()
def exclaim(row: Row) -> dict[str, Any] | None:
    return None if row.text is None else {**row, "text": row.text + "!"}


@transformation_function(vectorized=True)
def more_likes(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(likes=frame["likes"] + 10)


@transformation_function()
def noisy(row: Row, rng: np.random.Generator) -> dict[str, Any]:
    return {**row, "likes": row.likes + int(rng.integers(1, 1_000_000))}


def test_copies_follow_their_original_and_inherit_its_label() -> None:
    result = apply_tfs([shout, exclaim], TABLE, PROBS, id_column="id", policy=ApplyOnePolicy())

    table = result.table
    assert table.column("id").to_pylist() == ["a", "a#aug0", "a#aug1", "b", "b#aug0", "b#aug1", "c"]
    assert table.column("text").to_pylist()[:3] == ["hi there", "HI THERE", "hi there!"]
    assert table.column(AUGMENTED_FROM_COLUMN).to_pylist() == [None, "a", "a", None, "b", "b", None]
    assert table.column(TFS_COLUMN).to_pylist() == [None, "shout", "exclaim", None, "shout", "exclaim", None]
    np.testing.assert_array_equal(result.source, [0, 0, 0, 1, 1, 1, 2])
    np.testing.assert_array_equal(result.probs, PROBS[[0, 0, 0, 1, 1, 1, 2]])
    np.testing.assert_array_equal(result.augmented, [False, True, True, False, True, True, False])
    assert result.summary() == {
        "rows_in": 3,
        "rows_added": 4,
        "rows_out": 7,
        "per_tf": {"shout": 2, "exclaim": 2},
        "declined": {"shout": 1, "exclaim": 1},  # row c has no text
        "unchanged": 0,
        "policy": {"policy": "one", "n_per_original": 1, "keep_original": True},
    }


def test_apply_all_chains_row_wise_and_vectorized_tfs() -> None:
    result = apply_tfs([exclaim, more_likes, shout], TABLE, PROBS, id_column="id", policy=ApplyAllPolicy())

    copy = result.table.to_pylist()[1]
    assert (copy["text"], copy["likes"]) == ("HI THERE!", 11)
    assert copy[TFS_COLUMN] == "exclaim+more_likes+shout"
    assert result.per_tf == {"exclaim": 2, "more_likes": 2, "shout": 2}
    assert result.declined == {"exclaim": 1, "more_likes": 0, "shout": 0}


def test_without_originals_only_the_copies_are_left() -> None:
    result = apply_tfs(
        [shout], TABLE, PROBS, id_column="id", policy=ApplyOnePolicy(n_per_original=2, keep_original=False)
    )

    assert result.table.column("id").to_pylist() == ["a#aug0", "a#aug1", "b#aug0", "b#aug1"]
    assert result.augmented.all()
    np.testing.assert_array_equal(result.probs, PROBS[[0, 0, 1, 1]])


def test_copies_identical_to_their_original_are_left_out() -> None:
    @transformation_function()
    def lower(row: Row) -> dict[str, Any] | None:
        return None if row.text is None else {**row, "text": row.text.lower()}

    result = apply_tfs([lower], TABLE, PROBS, id_column="id", policy=ApplyAllPolicy())

    assert result.n_augmented == 0 and result.unchanged == 2
    assert result.table.num_rows == 3


def test_the_same_seed_gives_the_same_rows_and_another_seed_others() -> None:
    def run(seed: int) -> list[dict[str, Any]]:
        policy = RandomPolicy(k=2, n_per_original=3)
        rows: list[dict[str, Any]] = apply_tfs(
            [noisy, more_likes, exclaim], TABLE, PROBS, id_column="id", policy=policy, seed=seed
        ).table.to_pylist()
        return rows

    assert run(0) == run(0)
    assert run(0) != run(1)


def test_an_integer_id_column_becomes_text_so_copies_can_be_named() -> None:
    table = TABLE.set_column(0, "id", pa.array([10, 20, 30]))

    result = apply_tfs([shout], table, PROBS, id_column="id", policy=ApplyAllPolicy())

    assert result.table.schema.field("id").type == pa.string()
    assert result.table.column("id").to_pylist() == ["10", "10#aug0", "20", "20#aug0", "30"]


def test_a_failing_tf_stops_with_its_name_and_the_row_id() -> None:
    @transformation_function()
    def fragile(row: Row) -> dict[str, Any]:
        return {**row, "text": row.text.title()}

    with pytest.raises(AugmentationError, match=r"'fragile' raised on row 'c': AttributeError"):
        apply_tfs([fragile], TABLE, PROBS, id_column="id", policy=ApplyAllPolicy())


def test_a_value_of_the_wrong_type_names_the_tfs_and_the_row() -> None:
    @transformation_function()
    def count_words(row: Row) -> dict[str, Any]:
        return {**row, "text": len((row.text or "").split())}

    with pytest.raises(
        AugmentationError, match=r"'exclaim\+count_words' made a row from row 'a' whose values do not fit"
    ):
        apply_tfs([exclaim, count_words], TABLE, PROBS, id_column="id", policy=ApplyAllPolicy())


@pytest.mark.parametrize(
    ("probs", "id_column", "table", "message"),
    [
        (PROBS[:2], "id", TABLE, r"probs must be one label distribution per row, shape \(3, classes\)"),
        (PROBS, "key", TABLE, "no id column 'key' in the rows"),
        (PROBS, "id", TABLE.append_column(TFS_COLUMN, pa.nulls(3, pa.string())), "augment them once"),
    ],
)
def test_inputs_are_checked(probs: Any, id_column: str, table: pa.Table, message: str) -> None:
    with pytest.raises(AugmentationError, match=message):
        apply_tfs([shout], table, probs, id_column=id_column, policy=ApplyAllPolicy())


def test_examples_show_what_each_copy_changed() -> None:
    result = apply_tfs([shout, more_likes], TABLE, PROBS, id_column="id", policy=ApplyOnePolicy())

    examples = augmentation_examples(result.table, TABLE, id_column="id", n=10)

    assert [e["id"] for e in examples] == ["a#aug0", "a#aug1", "b#aug0", "b#aug1", "c#aug1"]
    assert examples[0] == {
        "id": "a#aug0",
        "from": "a",
        "tfs": "shout",
        "changes": {"text": {"before": "hi there", "after": "HI THERE"}},
    }
    assert examples[1]["changes"] == {"likes": {"before": 1, "after": 11}}
    assert len(augmentation_examples(result.table, TABLE, id_column="id", n=2)) == 2
