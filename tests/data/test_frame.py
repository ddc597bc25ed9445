"""prepare_frame: the DataFrame a fitted pipeline reads, from an Arrow table."""

from __future__ import annotations

import pyarrow as pa
import pytest

from headrace.data import prepare_frame
from headrace.errors import DataError
from headrace.project import FeaturesConfig


def test_feature_columns_are_selected_in_kind_order_with_text_nulls_as_empty_strings() -> None:
    table = pa.table(
        {
            "id": [1, 2],
            "kind": ["a", None],
            "likes": [3.0, None],
            "content": ["hello", None],
        }
    )
    features = FeaturesConfig(text=["content"], numeric=["likes"], categorical=["kind"])

    frame = prepare_frame(table, features)

    assert list(frame.columns) == ["content", "likes", "kind"]
    assert frame["content"].tolist() == ["hello", ""]
    assert frame["kind"].tolist() == ["a", ""]
    assert frame["likes"].iloc[0] == 3.0
    assert frame["likes"].isna().iloc[1]


def test_a_missing_feature_column_is_named_with_the_columns_present() -> None:
    table = pa.table({"id": [1], "text": ["x"]})

    with pytest.raises(
        DataError, match=r"feature column\(s\) \['content'\] are not in the data; columns: \['id', 'text'\]"
    ):
        prepare_frame(table, FeaturesConfig(text=["content"]))
