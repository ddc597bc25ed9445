"""Ground truth for logged predictions: checked, appended atomically, latest label wins."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from headrace.errors import DataError
from headrace.serve.feedback import feedback_source, read_feedback_file, record_feedback

CLASSES = ["ham", "spam"]


def test_feedback_is_appended_and_the_latest_label_per_request_wins(tmp_path: Path) -> None:
    record_feedback(tmp_path, pa.table({"request_id": ["a", "b"], "label": ["spam", "ham"]}), CLASSES)
    time.sleep(0.01)
    record_feedback(tmp_path, pa.table({"request_id": ["a"], "label": ["ham"], "note": ["fixed"]}), CLASSES)

    source = feedback_source(tmp_path)
    assert source is not None
    rows = duckdb.sql(f"SELECT request_id, true_label FROM {source} ORDER BY request_id").fetchall()
    assert rows == [("a", "ham"), ("b", "ham")]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pa.table({"id": ["a"], "label": ["ham"]}), r"lacks column\(s\) \['request_id'\]"),
        (pa.table({"request_id": ["a", None], "label": ["ham", "spam"]}), "row 1 has no request_id"),
        (
            pa.table({"request_id": ["a", "b"], "label": ["ham", "eggs"]}),
            "row 1 has label 'eggs', which is not a class",
        ),
        (pa.table({"request_id": pa.array([], pa.string()), "label": pa.array([], pa.string())}), "no rows"),
    ],
)
def test_bad_feedback_is_refused_and_nothing_is_written(
    tmp_path: Path, table: pa.Table, message: str
) -> None:
    with pytest.raises(DataError, match=message):
        record_feedback(tmp_path, table, CLASSES, source="labels.csv")

    assert list(tmp_path.iterdir()) == []


def test_feedback_files_read_from_csv(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("request_id,label\nabc,spam\n")

    assert read_feedback_file(path).to_pylist() == [{"request_id": "abc", "label": "spam"}]
    with pytest.raises(DataError, match="no such feedback file"):
        read_feedback_file(tmp_path / "missing.csv")
