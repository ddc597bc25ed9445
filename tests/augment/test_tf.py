"""Transformation functions: the decorator, keys, row-wise and vectorized calls, errors."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from headrace.augment import TransformationFunction, collect_tfs, transformation_function
from headrace.errors import AugmentationError, LabelingFunctionError
from headrace.project import import_project_module
from headrace.supervision import Row

ROWS = [{"id": "a", "text": "hello there"}, {"id": "b", "text": "spam spam"}]
RNG = np.random.default_rng(0)


@transformation_function()
def shout(row: Row) -> dict[str, Any]:
    return {**row, "text": row.text.upper()}


@transformation_function("suffix", resources={"suffix": "!!"})
def add_suffix(row: Row, suffix: str) -> dict[str, Any]:
    return {**row, "text": row.text + suffix}


@transformation_function(vectorized=True)
def shout_all(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(text=frame["text"].str.upper())


def test_the_decorator_names_the_tf_and_keeps_its_source_and_resources() -> None:
    assert isinstance(shout, TransformationFunction)
    assert (shout.name, add_suffix.name, shout_all.vectorized) == ("shout", "suffix", True)
    assert "upper()" in shout.source
    assert add_suffix.resources == {"suffix": "!!"}
    assert len({shout.key, add_suffix.key, shout_all.key}) == 3


def test_the_key_changes_with_the_source_and_the_resources(tmp_path: Path) -> None:
    module = tmp_path / "augment.py"
    template = (
        "from headrace.augment import transformation_function\n\n"
        "@transformation_function(resources={{'n': {n}}})\n"
        "def tf(row, n):\n    return {{**row, 'text': row.text * {body}}}\n"
    )
    module.write_text(template.format(n=1, body="n"))
    first = collect_tfs(import_project_module(module))[0].key
    module.write_text(template.format(n=1, body="n"))
    assert collect_tfs(import_project_module(module))[0].key == first  # unchanged file: same key
    module.write_text(template.format(n=1, body="(n + 1)"))
    edited = collect_tfs(import_project_module(module))[0].key
    module.write_text(template.format(n=2, body="(n + 1)"))
    resourced = collect_tfs(import_project_module(module))[0].key

    assert len({first, edited, resourced}) == 3


def test_a_row_wise_tf_gets_a_copy_of_each_row() -> None:
    @transformation_function()
    def in_place(row: Row) -> Row:
        row["text"] = "changed"
        return row

    out = in_place.transform_rows(ROWS, ["a", "b"], RNG)

    assert [r["text"] for r in out if r is not None] == ["changed", "changed"]
    assert ROWS[0]["text"] == "hello there"  # the original is untouched


def test_a_tf_that_asks_for_rng_gets_the_seeded_generator() -> None:
    @transformation_function()
    def noisy(row: Row, rng: np.random.Generator) -> dict[str, Any]:
        return {**row, "text": f"{row.text} {rng.integers(1_000_000)}"}

    def run(seed: int) -> list[Any]:
        return noisy.transform_rows(ROWS, ["a", "b"], np.random.default_rng(seed))

    assert noisy.takes_rng and not shout.takes_rng
    assert run(1) == run(1)
    assert run(1) != run(2)


def test_the_rng_name_is_reserved_for_the_generator() -> None:
    with pytest.raises(AugmentationError, match="'rng' is reserved"):
        transformation_function(resources={"rng": 1})


def test_a_tf_that_raises_is_named_with_the_row_id() -> None:
    @transformation_function()
    def broken(row: Row) -> dict[str, Any]:
        raise ValueError("no text")

    with pytest.raises(AugmentationError, match=r"'broken' raised on row 'a': ValueError: no text"):
        broken.transform_rows(ROWS, ["a", "b"], RNG)


@pytest.mark.parametrize(
    ("result", "message"),
    [
        ("HELLO", r"'bad' returned str 'HELLO' on row 'a'; expected the whole new row"),
        ({"text": "x"}, r"different columns on row 'a' \(missing \['id'\], unknown \[\]\)"),
        ({"id": "a", "text": "x", "more": 1}, r"missing \[\], unknown \['more'\]"),
    ],
)
def test_a_tf_must_return_a_whole_row_or_none(result: Any, message: str) -> None:
    bad = TransformationFunction(name="bad", fn=lambda row: result)

    with pytest.raises(AugmentationError, match=message):
        bad.transform_rows(ROWS, ["a", "b"], RNG)


def test_augmentation_errors_are_labeling_function_errors() -> None:
    assert issubclass(AugmentationError, LabelingFunctionError)
    assert AugmentationError.exit_code == LabelingFunctionError.exit_code


def test_vectorized_tfs_take_pandas_or_arrow_and_give_rows() -> None:
    @transformation_function(vectorized=True, batch_format="arrow")
    def arrow_shout(table: pa.Table) -> pa.Table:
        import pyarrow.compute as pc

        return table.set_column(1, "text", pc.utf8_upper(table.column("text")))

    table = pa.Table.from_pylist(ROWS)

    expected = [{"id": "a", "text": "HELLO THERE"}, {"id": "b", "text": "SPAM SPAM"}]
    assert shout_all.transform_batch(table, "a", RNG) == expected
    assert arrow_shout.transform_batch(table, "a", RNG) == expected


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (lambda f: f.head(1), r"returned 1 rows with columns \['id', 'text'\] for a batch of 2 rows"),
        (lambda f: f.drop(columns="id"), r"returned 2 rows with columns \['text'\]"),
        (lambda f: f.assign(text=[1, 2]), r"values that do not fit the columns' types"),
        (lambda f: f["text"].tolist(), r"returned list; a vectorized TF returns a pandas DataFrame"),
    ],
)
def test_a_vectorized_tf_must_return_the_same_rows_and_columns(result: Any, message: str) -> None:
    bad = TransformationFunction(name="bad", fn=result, vectorized=True)

    with pytest.raises(AugmentationError, match=message):
        bad.transform_batch(pa.Table.from_pylist(ROWS), "a", RNG)


def test_a_vectorized_tf_that_raises_names_the_batch() -> None:
    bad = TransformationFunction(name="bad", fn=lambda f: f["missing"], vectorized=True)

    with pytest.raises(AugmentationError, match=r"'bad' raised on the batch starting at row 'a': KeyError"):
        bad.transform_batch(pa.Table.from_pylist(ROWS), "a", RNG)


def test_collect_tfs_finds_them_in_definition_order() -> None:
    module = types.ModuleType("augment")
    module.__dict__.update(b=add_suffix, a=shout, helper=len, again=add_suffix)

    assert [tf.name for tf in collect_tfs(module)] == ["suffix", "shout"]


def test_collect_tfs_refuses_duplicate_names_and_empty_modules() -> None:
    twin = TransformationFunction(name="shout", fn=lambda row: row)
    duplicated = types.ModuleType("augment")
    duplicated.__dict__.update(a=shout, b=twin)
    with pytest.raises(AugmentationError, match="two transformation functions are named 'shout'"):
        collect_tfs(duplicated)
    with pytest.raises(AugmentationError, match="defines no transformation functions"):
        collect_tfs(types.ModuleType("empty"))
