"""infer_features: which columns are features, and of what kind, when the project file names none."""

from __future__ import annotations

import pyarrow as pa
import pytest

from headrace.data import infer_features
from headrace.errors import DataError

LONG = "this comment is long enough to be read as free text, not a category"


def test_columns_are_sorted_into_text_numeric_and_categorical_by_type() -> None:
    table = pa.table(
        {
            "id": [1, 2, 3],
            "content": [LONG, LONG + " too", None],
            "author_kind": ["new", "old", "new"],
            "likes": [3, 0, 12],
            "ratio": [0.1, 0.5, None],
            "verified": [True, False, True],
            "label": ["ham", "spam", "ham"],
            "__gold__": [0, 1, 0],
        }
    )

    features = infer_features(table, exclude={"id", "label"})

    assert features.text == ["content"]
    assert features.numeric == ["likes", "ratio"]
    assert features.categorical == ["author_kind", "verified"]


def test_short_strings_with_too_many_distinct_values_are_not_features() -> None:
    table = pa.table({"code": [f"c{i}" for i in range(51)], "n": list(range(51))})

    features = infer_features(table, exclude=set())

    assert features.categorical == []
    assert features.numeric == ["n"]


def test_a_table_without_usable_columns_says_where_to_name_them() -> None:
    table = pa.table({"id": [1, 2], "blob": [b"x", b"y"]})

    with pytest.raises(DataError, match=r"no usable feature column found; name them under train\.features"):
        infer_features(table, exclude={"id"})
