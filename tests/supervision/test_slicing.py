"""Slicing functions: row-wise and vectorized, collected from a module, applied to tables."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from headrace.errors import LabelingFunctionError
from headrace.supervision import Row, SlicingFunction, apply_slices, collect_slices, slicing_function

TABLE = pa.table({"content": ["hi", None, "a long comment here"], "likes": [3, 0, 12]})


@slicing_function()
def popular(row: Row) -> bool:
    return bool(row.likes > 5)


@slicing_function("empty")
def no_text(row: Row) -> bool:
    return row.content is None


@slicing_function(vectorized=True)
def short(frame: pd.DataFrame) -> pd.Series:
    return frame["content"].fillna("").str.len() < 5


def test_row_wise_and_vectorized_slices_give_one_bool_per_row() -> None:
    masks = apply_slices([popular, no_text, short], TABLE)

    assert list(masks) == ["popular", "empty", "short"]
    np.testing.assert_array_equal(masks["popular"], [False, False, True])
    np.testing.assert_array_equal(masks["empty"], [False, True, False])
    np.testing.assert_array_equal(masks["short"], [True, True, False])
    assert all(mask.dtype == np.bool_ for mask in masks.values())


def test_pandas_and_arrow_tables_give_the_same_masks() -> None:
    from_arrow = apply_slices([popular, no_text, short], TABLE)
    from_pandas = apply_slices([popular, no_text, short], TABLE.to_pandas())

    for name, mask in from_arrow.items():
        np.testing.assert_array_equal(from_pandas[name], mask)


def test_the_decorator_names_the_slice_and_keys_it_by_its_source() -> None:
    assert isinstance(popular, SlicingFunction)
    assert (popular.name, no_text.name, short.vectorized) == ("popular", "empty", True)
    assert popular.key != no_text.key
    assert "likes" in popular.source


def test_collect_slices_finds_them_in_definition_order() -> None:
    module = types.ModuleType("slices")
    module.__dict__.update(a=short, b=popular, helper=len, again=short)

    assert collect_slices(module) == [short, popular]
    assert collect_slices(types.ModuleType("empty")) == []


def test_two_slices_with_one_name_are_refused() -> None:
    other = slicing_function("popular")(lambda row: True)
    module = types.ModuleType("slices")
    module.__file__ = "slices.py"
    module.__dict__.update(a=popular, b=other)

    with pytest.raises(LabelingFunctionError, match=r"slices\.py: two slicing functions are named 'popular'"):
        collect_slices(module)
    with pytest.raises(LabelingFunctionError, match="two slicing functions are named 'popular'"):
        apply_slices([popular, other], TABLE)


def test_a_row_wise_slice_must_return_a_bool() -> None:
    counts = slicing_function("counts")(lambda row: row.likes)

    with pytest.raises(
        LabelingFunctionError, match=r"slicing function 'counts' returned 3 on row 0; expected True or False"
    ):
        apply_slices([counts], TABLE)


def test_a_vectorized_slice_must_return_one_bool_per_row() -> None:
    wrong = slicing_function("wrong", vectorized=True)(lambda frame: np.array([True]))

    with pytest.raises(
        LabelingFunctionError, match=r"'wrong' returned dtype bool and shape \(1,\) for 3 rows"
    ):
        apply_slices([wrong], TABLE)


def test_a_failing_slice_names_itself_and_the_row() -> None:
    broken = slicing_function("broken")(lambda row: row.missing)

    with pytest.raises(LabelingFunctionError, match=r"'broken' raised on row 0: AttributeError"):
        apply_slices([broken], TABLE)
