"""Checks a table must pass before it becomes a snapshot; each names the row to fix."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest

from headrace.data import encode_labels, require_columns, require_unique_ids
from headrace.errors import DataError

CLASSES = ["ham", "spam"]


def test_present_columns_pass() -> None:
    require_columns(
        pa.table({"id": [1], "label": ["ham"]}), ["id", "label"], source="gold.csv", key="data.id"
    )


def test_a_missing_column_names_the_setting_and_the_columns_present() -> None:
    table = pa.table({"id": [1], "text": ["x"]})

    with pytest.raises(
        DataError,
        match=r"gold\.csv: has no column 'label' \(named by data\.gold\.label\); "
        r"columns present: \['id', 'text'\]",
    ):
        require_columns(table, ["id", "label"], source="gold.csv", key="data.gold.label")


def test_unique_ids_pass() -> None:
    require_unique_ids(pa.table({"id": ["a", "b", "c"]}), "id", source="rows.csv")


def test_a_repeated_id_is_named_with_its_count() -> None:
    table = pa.table({"id": ["a", "b", "a", "c", "a"]})

    with pytest.raises(
        DataError, match=r"rows\.csv: id 'a' appears 3 times in column 'id' \(data\.id\); ids must be unique"
    ):
        require_unique_ids(table, "id", source="rows.csv")


def test_a_null_id_names_its_row() -> None:
    table = pa.table({"comment_id": [10, None, 12]})

    with pytest.raises(DataError, match=r"rows\.csv: row 1 has no 'comment_id' \(data\.id\)"):
        require_unique_ids(table, "comment_id", source="rows.csv")


def test_labels_given_as_names_or_indices_are_encoded_as_class_indices() -> None:
    names = pa.table({"id": ["r1", "r2", "r3"], "label": ["spam", "ham", "spam"]})
    indices = pa.table({"id": ["r1", "r2"], "label": [1, 0]})

    encoded = encode_labels(names, "label", CLASSES, id_column="id", source="gold.csv")

    assert encoded.type == pa.int8()
    assert encoded.to_pylist() == [1, 0, 1]
    assert encode_labels(indices, "label", CLASSES, id_column="id", source="gold.csv").to_pylist() == [1, 0]


@pytest.mark.parametrize(
    ("labels", "row", "bad"),
    [
        (["ham", "eggs"], "r2", "'eggs'"),
        (["ham", "Spam"], "r2", "'Spam'"),  # class names are case-sensitive
        (["ham", ""], "r2", "''"),
        (["ham", None], "r2", "None"),
        ([0, 2], "r2", "2"),
        ([0, -1], "r2", "-1"),
        ([1.0, 0.0], "r1", "1.0"),  # floats are not class indices, even whole ones
        ([False, True], "r1", "False"),  # nor are booleans
    ],
)
def test_an_unknown_label_names_the_row_id_and_the_allowed_classes(
    labels: list[object], row: str, bad: str
) -> None:
    table = pa.table({"id": ["r1", "r2"], "label": labels})
    with pytest.raises(
        DataError,
        match=rf"gold\.csv: row '{row}' has label {re.escape(bad)} in column 'label'; "
        r"expected one of \['ham', 'spam'\] \(task\.labels\) or an index 0\.\.1",
    ):
        encode_labels(table, "label", CLASSES, id_column="id", source="gold.csv")
