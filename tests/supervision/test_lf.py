"""Labeling functions: row-wise or vectorized programs that vote a class or abstain."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from headrace.errors import LabelingFunctionError
from headrace.project import import_project_module
from headrace.supervision import (
    ABSTAIN,
    LabelingFunction,
    LFBatch,
    Row,
    collect_lfs,
    keyword_lf,
    labeling_function,
    regex_lf,
)

HAM, SPAM = 0, 1

FRAME = pd.DataFrame(
    {
        "id": ["c-1", "c-2", "c-3", "c-4"],
        "content": ["Check OUT my channel", "love this song", None, "subscribe pls"],
        "likes": [0, 12, 3, 1],
    }
)
IDS = FRAME["id"].tolist()


def votes(lf: LabelingFunction, frame: pd.DataFrame = FRAME) -> list[int]:
    batch = LFBatch(pa.RecordBatch.from_pandas(frame, preserve_index=False), "id")
    column, failures = lf.label_batch(batch, on_error="raise")
    assert failures == []
    return column.tolist()


# --- row-wise LFs --------------------------------------------------------------------


def test_a_row_wise_lf_reads_columns_as_attributes_or_items() -> None:
    @labeling_function()
    def popular(row: Row) -> int:
        return HAM if row.likes > 5 and row["content"] else ABSTAIN

    assert popular.name == "popular"
    assert not popular.vectorized
    assert votes(popular) == [ABSTAIN, HAM, ABSTAIN, ABSTAIN]


def test_a_name_can_be_given_explicitly() -> None:
    @labeling_function("lf_short")
    def short(row: Row) -> int:
        return ABSTAIN

    assert short.name == "lf_short"


def test_resources_are_passed_as_keyword_arguments() -> None:
    @labeling_function(resources={"spam_words": {"channel", "subscribe"}})
    def spammy(row: Row, spam_words: set[str]) -> int:
        words = set(str(row.content).lower().split())
        return SPAM if words & spam_words else ABSTAIN

    assert votes(spammy) == [SPAM, ABSTAIN, ABSTAIN, SPAM]


def test_preprocessors_run_in_order_before_the_lf() -> None:
    def lower(row: Row) -> Row:
        # A missing text reaches row-wise LFs as a float NaN (pandas' missing value).
        return Row(row, content=row.content.lower() if isinstance(row.content, str) else "")

    def word_count(row: Row) -> Row:
        return Row(row, words=len(row.content.split()))

    @labeling_function(pre=[lower, word_count])
    def one_word_or_check(row: Row) -> int:
        return SPAM if row.content.startswith("check") else (HAM if row.words == 0 else ABSTAIN)

    assert votes(one_word_or_check) == [SPAM, ABSTAIN, HAM, ABSTAIN]


def test_reading_a_missing_column_lists_the_columns() -> None:
    row = Row(id="c-1", content="x")

    with pytest.raises(AttributeError, match=r"row has no column 'text'; columns: \['content', 'id'\]"):
        _ = row.text


@pytest.mark.parametrize("bad", ["1", 1.0, None, True])
def test_a_row_wise_lf_must_return_an_int(bad: object) -> None:
    @labeling_function()
    def sloppy(row: Row) -> object:
        return bad

    with pytest.raises(
        LabelingFunctionError,
        match=rf"labeling function 'sloppy' returned {bad!r} on row 'c-1'; expected an int",
    ):
        votes(sloppy)


def test_numpy_integers_are_accepted_as_votes() -> None:
    @labeling_function()
    def numpy_vote(row: Row) -> np.int64:
        return np.int64(SPAM)

    assert votes(numpy_vote) == [SPAM] * 4


# --- the key: what determines an LF's cached output ----------------------------------


def lf_file(tmp_path: Path, body: str, *, preamble: str = "") -> LabelingFunction:
    """Import an lfs.py whose single LF has ``body``; return that LF."""
    path = tmp_path / "lfs.py"
    path.write_text(
        "from headrace.supervision import ABSTAIN, labeling_function\n"
        f"{preamble}\n"
        "@labeling_function(resources={'limit': 5})\n"
        "def short(row, limit):\n"
        f"    {body}\n",
        encoding="utf-8",
    )
    (lf,) = collect_lfs(import_project_module(path))
    return lf


def test_the_key_is_stable_when_the_lf_is_unchanged(tmp_path: Path) -> None:
    original = lf_file(tmp_path, "return 0 if len(row.content) < limit else ABSTAIN")
    # Unrelated edits elsewhere in the file (and re-importing) keep the key.
    reimported = lf_file(
        tmp_path, "return 0 if len(row.content) < limit else ABSTAIN", preamble="# a new comment\nX = 1\n"
    )

    assert reimported.key == original.key


def test_the_key_changes_when_the_source_changes(tmp_path: Path) -> None:
    original = lf_file(tmp_path, "return 0 if len(row.content) < limit else ABSTAIN")
    edited = lf_file(tmp_path, "return 0 if len(row.content) <= limit else ABSTAIN")

    assert edited.key != original.key
    assert edited.source_hash != original.source_hash


def test_the_key_changes_with_resources_name_and_preprocessors() -> None:
    def fn(row: Row, limit: int) -> int:
        return ABSTAIN

    def strip(row: Row) -> Row:
        return row

    base = labeling_function(resources={"limit": 5})(fn)

    assert labeling_function(resources={"limit": 5})(fn).key == base.key
    assert labeling_function(resources={"limit": 6})(fn).key != base.key
    assert labeling_function("other", resources={"limit": 5})(fn).key != base.key
    assert labeling_function(resources={"limit": 5}, pre=[strip])(fn).key != base.key
    assert labeling_function(resources={"limit": 5}, vectorized=True)(fn).key != base.key


# --- vectorized LFs ------------------------------------------------------------------


def test_a_vectorized_lf_labels_the_whole_batch_at_once() -> None:
    @labeling_function(vectorized=True)
    def liked(frame: pd.DataFrame) -> np.ndarray:
        return np.where(frame["likes"] > 2, HAM, ABSTAIN)

    assert votes(liked) == [ABSTAIN, HAM, HAM, ABSTAIN]


def test_whole_floats_from_a_vectorized_lf_are_accepted() -> None:
    @labeling_function(vectorized=True)
    def floaty(frame: pd.DataFrame) -> np.ndarray:
        return np.full(len(frame), 1.0)

    assert votes(floaty) == [SPAM] * 4


@pytest.mark.parametrize("output", [np.full(4, 0.5), np.full(4, True)])
def test_a_vectorized_lf_must_return_integers(output: np.ndarray) -> None:
    @labeling_function(vectorized=True)
    def fractional(frame: pd.DataFrame) -> np.ndarray:
        return output

    with pytest.raises(LabelingFunctionError, match="'fractional' returned non-integer labels"):
        votes(fractional)


def test_a_vectorized_lf_must_return_one_label_per_row() -> None:
    @labeling_function(vectorized=True)
    def too_few(frame: pd.DataFrame) -> np.ndarray:
        return np.zeros(2, dtype=int)

    with pytest.raises(
        LabelingFunctionError,
        match=r"'too_few' returned shape \(2,\) for a batch of 4 rows; "
        r"a vectorized LF returns one label per row",
    ):
        votes(too_few)


# --- keyword_lf and regex_lf ---------------------------------------------------------


def test_keyword_lf_matches_any_keyword_case_insensitively_and_abstains_otherwise() -> None:
    lf = keyword_lf("promo", ["check out", "SUBSCRIBE"], label=SPAM, column="content")

    assert lf.vectorized
    assert votes(lf) == [SPAM, ABSTAIN, ABSTAIN, SPAM]


def test_keyword_lf_can_be_case_sensitive() -> None:
    lf = keyword_lf("promo", ["Check"], label=SPAM, column="content", case_sensitive=True)

    assert votes(lf) == [SPAM, ABSTAIN, ABSTAIN, ABSTAIN]


def test_keywords_are_literal_text_not_patterns() -> None:
    frame = pd.DataFrame({"id": ["a", "b"], "content": ["www.site.com", "wwwXsiteXcom"]})
    lf = keyword_lf("url", ["www.site.com"], label=SPAM, column="content")

    assert votes(lf, frame) == [SPAM, ABSTAIN]


def test_keyword_lf_needs_a_keyword() -> None:
    with pytest.raises(LabelingFunctionError, match="keyword_lf 'promo': give at least one keyword"):
        keyword_lf("promo", [], label=SPAM, column="content")


def test_regex_lf_matches_anywhere_case_insensitively() -> None:
    lf = regex_lf("song", r"\bsong\b|^check", label=HAM, column="content")

    assert votes(lf) == [HAM, HAM, ABSTAIN, ABSTAIN]


def test_an_invalid_regex_is_refused_when_the_lf_is_defined() -> None:
    with pytest.raises(LabelingFunctionError, match=r"regex_lf 'broken': invalid pattern '\(unclosed'"):
        regex_lf("broken", "(unclosed", label=SPAM, column="content")


def test_a_pattern_lf_key_depends_on_its_specification() -> None:
    base = regex_lf("url", r"https?://", label=SPAM, column="content")

    assert regex_lf("url", r"https?://", label=SPAM, column="content").key == base.key
    assert regex_lf("url", r"https://", label=SPAM, column="content").key != base.key
    assert regex_lf("url", r"https?://", label=HAM, column="content").key != base.key
    assert regex_lf("url", r"https?://", label=SPAM, column="title").key != base.key
    assert regex_lf("url", r"https?://", label=SPAM, column="content", case_sensitive=True).key != base.key
    assert (
        keyword_lf("url", ["a"], label=SPAM, column="content").key
        != keyword_lf("url", ["b"], label=SPAM, column="content").key
    )


# --- collect_lfs ---------------------------------------------------------------------


def module_with(**members: object) -> types.ModuleType:
    module = types.ModuleType("lfs")
    module.__file__ = "/project/lfs.py"
    for name, value in members.items():
        setattr(module, name, value)
    return module


def test_collect_lfs_returns_the_lfs_in_definition_order() -> None:
    first = keyword_lf("first", ["a"], label=SPAM, column="content")
    second = regex_lf("second", "b", label=HAM, column="content")

    # The same LF bound to two names counts once; other values are ignored.
    found = collect_lfs(module_with(first=first, helper=len, second=second, alias=first))

    assert found == [first, second]


def test_two_lfs_with_one_name_are_refused() -> None:
    one = keyword_lf("promo", ["a"], label=SPAM, column="content")
    other = keyword_lf("promo", ["b"], label=SPAM, column="content")

    with pytest.raises(
        LabelingFunctionError, match=r"/project/lfs\.py: two labeling functions are named 'promo'"
    ):
        collect_lfs(module_with(one=one, other=other))


def test_a_module_without_lfs_is_refused() -> None:
    with pytest.raises(LabelingFunctionError, match=r"/project/lfs\.py: defines no labeling functions"):
        collect_lfs(module_with(helper=len))
