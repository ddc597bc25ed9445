"""PredictionLog: predictions written in the background as complete Parquet files."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

from headrace.serve import ServedModel
from headrace.serve.predlog import PredictionLog, read_prediction_log
from tests.registry.builders import QUERY, make_package

MODEL = ServedModel(make_package(), None, "test")
ROWS = MODEL.schema.conform(QUERY)
PREDICTIONS = MODEL.predict(ROWS)


def append(log: PredictionLog, prefix: str, when: datetime | None = None) -> None:
    log.append(MODEL, ROWS, PREDICTIONS, [f"{prefix}{i}" for i in range(ROWS.num_rows)], when)


def parquet_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.parquet"))


def test_rows_are_written_once_enough_of_them_wait(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path, flush_rows=8, flush_interval_s=60)
    log.start()
    append(log, "a")
    time.sleep(0.2)
    assert parquet_files(tmp_path) == []  # 4 rows wait for 8
    append(log, "b")
    deadline = time.monotonic() + 5
    while not parquet_files(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.02)
    log.close()

    assert len(parquet_files(tmp_path)) == 1
    assert log.rows_written == 8
    assert log.pending_rows == 0


def test_waiting_rows_are_written_after_the_flush_interval(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path, flush_rows=1000, flush_interval_s=0.1)
    log.start()
    append(log, "a")
    deadline = time.monotonic() + 5
    while not parquet_files(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        assert read_prediction_log(tmp_path).num_rows == 4
    finally:
        log.close()


def test_close_writes_everything_appended(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path, flush_rows=10_000, flush_interval_s=60)
    log.start()
    for i in range(10):
        append(log, f"r{i}-")
    log.close()

    table = read_prediction_log(tmp_path)
    assert table.num_rows == 40
    assert len(set(table.column("request_id").to_pylist())) == 40


def test_files_are_partitioned_by_model_and_day_and_hold_inputs_and_outputs(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path, flush_rows=10_000, flush_interval_s=60)
    log.start()
    append(log, "x", datetime(2026, 1, 2, 23, 59, tzinfo=UTC))
    append(log, "y", datetime(2026, 1, 3, 0, 1, tzinfo=UTC))
    log.close()

    folders = sorted(str(p.parent.relative_to(tmp_path)) for p in parquet_files(tmp_path))
    assert folders == [f"model={MODEL.model_id}/date=2026-01-02", f"model={MODEL.model_id}/date=2026-01-03"]
    rows = read_prediction_log(tmp_path).sort_by("request_id").to_pylist()
    first = rows[0]
    assert first["request_id"] == "x0"
    assert first["inputs"] == {"content": "please subscribe to my channel", "links": 1}
    assert first["label"] == PREDICTIONS.labels()[0]
    assert first["probabilities"]["spam"] == PREDICTIONS.probabilities[0, 1]
    assert first["model_id"] == MODEL.model_id


def test_only_complete_files_carry_the_parquet_name(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path, flush_rows=4, flush_interval_s=60)
    log.start()
    for i in range(5):
        append(log, f"r{i}-")
    log.close()

    # A temporary file of a write cut short by a crash is skipped by readers.
    folder = parquet_files(tmp_path)[0].parent
    (folder / ".part-crashed.parquet.tmp").write_bytes(b"PAR1 truncated")
    for path in parquet_files(tmp_path):
        pq.read_table(path)
    assert read_prediction_log(tmp_path).num_rows == 20


def test_an_empty_or_missing_log_reads_as_an_empty_table(tmp_path: Path) -> None:
    assert read_prediction_log(tmp_path / "nothing").num_rows == 0
