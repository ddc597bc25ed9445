"""Reading the prediction log with DuckDB: windows by time and by count, rows flattened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from headrace.errors import DataError
from headrace.monitor.logdata import connect, list_windows, log_source, parse_window, read_log_rows
from headrace.serve import ServedModel
from headrace.serve.predlog import PredictionLog
from tests.registry.builders import QUERY, make_package

MODEL = ServedModel(make_package(), None, "test")
ROWS = MODEL.schema.conform(QUERY)
START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def write_log(root: Path, hours: list[float]) -> None:
    """Four rows per entry of ``hours``, logged that many hours after START."""
    log = PredictionLog(root, flush_rows=10_000, flush_interval_s=60)
    log.start()
    predictions = MODEL.predict(ROWS)
    for n, hour in enumerate(hours):
        ids = [f"{n:03d}-{i}" for i in range(ROWS.num_rows)]
        log.append(MODEL, ROWS, predictions, ids, START + timedelta(hours=hour))
    log.close()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("1h", timedelta(hours=1)),
        ("2d", timedelta(days=2)),
        ("500 rows", 500),
    ],
)
def test_window_specs(spec: str, expected: object) -> None:
    assert parse_window(spec) == expected


@pytest.mark.parametrize("spec", ["1 hour", "0h", "rows", "0 rows"])
def test_bad_window_specs_say_what_is_allowed(spec: str) -> None:
    with pytest.raises(DataError, match="window"):
        parse_window(spec)


def test_time_windows_hold_the_rows_logged_in_them(tmp_path: Path) -> None:
    write_log(tmp_path, [0.1, 0.2, 1.5, 3.0])
    source = log_source(tmp_path, MODEL.model_id)
    assert source is not None
    connection = connect()

    windows = list_windows(connection, source, timedelta(hours=1))

    assert [(w.start.hour, w.rows) for w in windows] == [(10, 8), (11, 4), (13, 4)]
    rows = read_log_rows(
        connection, source, ["content", "links"], where=windows[1].where(), classes=["ham", "spam"]
    )
    assert rows.num_rows == 4
    assert rows.column_names == [
        "request_id",
        "logged_at",
        "label",
        "content",
        "links",
        "probability_ham",
        "probability_spam",
    ]
    assert rows.column("content").to_pylist() == QUERY.column("content").to_pylist()


def test_count_windows_cut_the_log_in_logging_order(tmp_path: Path) -> None:
    write_log(tmp_path, [2.0, 0.0, 1.0])  # written out of order
    source = log_source(tmp_path)
    assert source is not None
    connection = connect()

    windows = list_windows(connection, source, 5)

    assert [w.rows for w in windows] == [5, 5, 2]
    first = read_log_rows(connection, source, ["links"], where=windows[0].where())
    assert first.column("request_id").to_pylist() == ["001-0", "001-1", "001-2", "001-3", "002-0"]


def test_an_empty_log_has_no_source(tmp_path: Path) -> None:
    assert log_source(tmp_path / "none") is None
    assert log_source(tmp_path) is None
