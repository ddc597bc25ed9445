"""Reading data files: globs resolved, CSV/Parquet/JSONL read alike, errors name the file."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from headrace.data import read_sources, read_table, resolve_sources
from headrace.errors import DataError

TABLE = pa.table({"id": [1, 2, 3], "text": ["hi there", "", "buy now"], "score": [0.5, 1.5, -2.0]})


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_globs_expand_to_sorted_files_without_duplicates(tmp_path: Path) -> None:
    for name in ("b.csv", "a.csv", "c.parquet"):
        (tmp_path / name).write_text("id\n1\n")
    (tmp_path / "sub").mkdir()

    files = resolve_sources(tmp_path, ["a.csv", "*.csv", "*.parquet"], key="data.unlabeled")

    assert files == [tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.parquet"]


def test_recursive_and_absolute_patterns_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "2024" / "01").mkdir(parents=True)
    nested = tmp_path / "2024" / "01" / "rows.jsonl"
    nested.write_text('{"id": 1}\n')

    assert resolve_sources(tmp_path, ["**/*.jsonl"], key="k") == [nested]
    assert resolve_sources(Path("/nowhere"), [str(nested)], key="k") == [nested]


def test_a_pattern_that_matches_nothing_names_the_key_and_the_pattern(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"data\.gold\.dev: 'gold/\*\.csv' matches no file under"):
        resolve_sources(tmp_path, ["gold/*.csv"], key="data.gold.dev")


def test_an_unsupported_file_format_is_refused_with_the_supported_ones(tmp_path: Path) -> None:
    (tmp_path / "rows.xlsx").write_text("")

    with pytest.raises(
        DataError, match=r"data\.unlabeled: .*rows\.xlsx has an unsupported format; use one of \.csv"
    ):
        resolve_sources(tmp_path, ["rows.*"], key="data.unlabeled")


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".pq", ".jsonl", ".ndjson"])
def test_every_supported_format_reads_to_the_same_table(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"rows{suffix}"
    if suffix == ".csv":
        write_csv(path, 'id,text,score\n1,hi there,0.5\n2,"",1.5\n3,buy now,-2.0\n')
    elif suffix in (".parquet", ".pq"):
        pq.write_table(TABLE, path)
    else:
        path.write_text(
            '{"id": 1, "text": "hi there", "score": 0.5}\n'
            '{"id": 2, "text": "", "score": 1.5}\n'
            '{"id": 3, "text": "buy now", "score": -2.0}\n'
        )

    assert read_table(path).to_pylist() == TABLE.to_pylist()


def test_csv_keeps_empty_strings_and_newlines_inside_quoted_values(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "rows.csv", 'id,text\n1,""\n2,"two\nlines"\n')

    assert read_table(path).column("text").to_pylist() == ["", "two\nlines"]


@pytest.mark.parametrize(
    ("name", "content", "detail"),
    [
        ("rows.csv", "id,text\n1,a\n2,b,c\n", "cannot be read as CSV: .*Expected 2 columns, got 3"),
        ("rows.jsonl", '{"id": 1}\n{oops\n', "cannot be read as JSONL"),
        ("rows.parquet", "not parquet at all", "cannot be read as PARQUET"),
    ],
)
def test_a_malformed_file_is_a_data_error_naming_the_file(
    tmp_path: Path, name: str, content: str, detail: str
) -> None:
    path = tmp_path / name
    path.write_text(content)

    with pytest.raises(DataError, match=f"^{re.escape(str(path))}: {detail}"):
        read_table(path)


def test_a_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot be read as CSV"):
        read_table(tmp_path / "gone.csv")


def test_reading_an_unsupported_suffix_directly_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rows.txt"
    path.write_text("id\n1\n")

    with pytest.raises(DataError, match=r"rows\.txt: unsupported format"):
        read_table(path)


def test_read_sources_concatenates_and_fills_missing_columns_with_nulls(tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", "id,x\n1,2\n")
    second = write_csv(tmp_path / "b.csv", "id,y\n3,4\n")

    table = read_sources([first, second])

    assert table.to_pylist() == [{"id": 1, "x": 2, "y": None}, {"id": 3, "x": None, "y": 4}]


def test_files_with_incompatible_columns_are_named(tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", "id,x\n1,2\n")
    second = write_csv(tmp_path / "b.csv", "id,x\nq,r\n")

    with pytest.raises(DataError, match=r"files .*a\.csv, .*b\.csv have incompatible columns"):
        read_sources([first, second])
