"""Current-data summaries: from Arrow in memory and from the prediction log with DuckDB, agreeing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from headrace.errors import DataError
from headrace.monitor import (
    CurrentSummary,
    ReferenceProfile,
    build_profile,
    summarize_log,
    summarize_log_table,
    summarize_table,
)
from headrace.monitor.summary import NumericStats
from headrace.project import FeaturesConfig
from headrace.serve.predictor import Predictions
from headrace.serve.predlog import log_table

FEATURES = FeaturesConfig(text=["review"], numeric=["price", "rooms"], categorical=["city"])
START = datetime(2026, 3, 1, tzinfo=UTC)
REVIEWS = [
    "Great view!",
    "noisy street, small room",
    "Clean & quiet",
    "Schön, ruhig — 5★",
    "ÉCOLE près d'ici",
    None,
]


@dataclass(frozen=True)
class Model:
    """What ``log_table`` reads of a served model."""

    model_id: str = "m1"
    version_number: int = 2


def make_rows(rows: int, seed: int, shift: float = 0.0) -> tuple[pa.Table, Predictions]:
    rng = np.random.default_rng(seed)
    price = rng.lognormal(4.0 + shift, 0.5, rows)
    price[rng.random(rows) < 0.01] = np.nan
    table = pa.table(
        {
            "review": pa.array(rng.choice(np.array(REVIEWS, dtype=object), rows), type=pa.string()),
            "price": pa.array(price, mask=rng.random(rows) < 0.02),
            "rooms": rng.integers(1, 5 if shift else 4, rows),
            "city": pa.array(
                rng.choice(["Oslo", "Lima", "Pune", "Kyiv"], rows), mask=rng.random(rows) < 0.01
            ),
        }
    )
    positive = 1 / (1 + np.exp(-(np.log(np.nan_to_num(price, nan=55.0)) - 4.0) * 3))
    probabilities = np.column_stack([1 - positive, positive])
    return table, Predictions((positive >= 0.5).astype(np.int64), probabilities, ["ham", "spam"])


@pytest.fixture(scope="module")
def profile() -> ReferenceProfile:
    table, predictions = make_rows(4000, seed=0)
    return build_profile(table, FEATURES, predictions)


def write_log(root: Path, parts: list[tuple[pa.Table, Predictions, datetime]]) -> pa.Table:
    """Write each part as one log file (predlog's layout); returns all rows as one table."""
    tables = []
    for n, (table, predictions, when) in enumerate(parts):
        ids = [f"{n}-{i}" for i in range(table.num_rows)]
        rows = log_table(Model(), table, predictions, ids, when)  # type: ignore[arg-type]
        folder = root / "model=m1" / f"date={when:%Y-%m-%d}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(rows, folder / f"part-{n}.parquet")
        tables.append(rows)
    return pa.concat_tables(tables)


def assert_same_stats(left: NumericStats, right: NumericStats) -> None:
    """Counts and buckets exactly; sums and moments up to float summation order."""
    assert (left.count, left.nulls, left.bins) == (right.count, right.nulls, right.bins)
    assert (left.minimum, left.maximum) == (right.minimum, right.maximum)
    for name in ("mean", "std", "below", "above"):
        assert getattr(left, name) == pytest.approx(getattr(right, name), rel=1e-9, abs=1e-9)


def assert_same_summary(left: CurrentSummary, right: CurrentSummary) -> None:
    assert left.rows == right.rows
    for name in left.numeric:
        assert_same_stats(left.numeric[name], right.numeric[name])
    assert left.categorical == right.categorical
    for name in left.text:
        a, b = left.text[name], right.text[name]
        assert (a.count, a.nulls, a.tokens, a.oov_tokens) == (b.count, b.nulls, b.tokens, b.oov_tokens)
        assert_same_stats(a.length, b.length)
    assert left.prediction is not None and right.prediction is not None
    assert left.prediction.label_counts == right.prediction.label_counts
    for a, b in zip(left.prediction.probabilities, right.prediction.probabilities, strict=True):
        assert_same_stats(a, b)
    assert left.sample.schema == right.sample.schema


def test_arrow_and_duckdb_summaries_agree(profile: ReferenceProfile, tmp_path: Path) -> None:
    first, second = make_rows(3000, seed=1, shift=0.3), make_rows(2000, seed=2, shift=0.3)
    log = write_log(tmp_path, [(*first, START), (*second, START + timedelta(days=1))])
    in_memory = summarize_log_table(profile, log)
    streamed = summarize_log(profile, tmp_path)
    assert_same_summary(in_memory, streamed)
    assert in_memory.rows == 5000 and in_memory.numeric["rooms"].bins[-1] > 0  # rooms = 4 is new


def test_feature_tables_and_log_rows_give_the_same_summary(profile: ReferenceProfile) -> None:
    table, predictions = make_rows(2500, seed=3)
    direct = summarize_table(profile, table, predictions)
    logged = summarize_log_table(profile, log_table(Model(), table, predictions, ["x"] * 2500, START))  # type: ignore[arg-type]
    assert_same_summary(direct, logged)
    assert direct.sample.equals(logged.sample)


def test_predictions_are_matched_by_class_name(profile: ReferenceProfile) -> None:
    table, predictions = make_rows(500, seed=4)
    swapped = Predictions(1 - predictions.label_ids, predictions.probabilities[:, ::-1], ["spam", "ham"])
    assert (
        summarize_table(profile, table, swapped).prediction
        == summarize_table(profile, table, predictions).prediction
    )
    with pytest.raises(DataError, match="current predictions have no class 'spam'"):
        summarize_table(
            profile, table, Predictions(predictions.label_ids, predictions.probabilities, ["ham", "eggs"])
        )


def test_missing_values_are_counted_apart(profile: ReferenceProfile) -> None:
    table = pa.table(
        {
            "review": pa.array([None, "ok"], type=pa.string()),
            "price": [float("nan"), float("inf")],
            "rooms": pa.array([None, 2], type=pa.int64()),
            "city": pa.array([None, "Oslo"], type=pa.string()),
        }
    )
    summary = summarize_table(profile, table)
    assert (summary.numeric["price"].count, summary.numeric["price"].nulls) == (0, 2)
    assert (summary.numeric["rooms"].count, summary.numeric["rooms"].nulls) == (1, 1)
    assert (summary.categorical["city"].count, summary.categorical["city"].nulls) == (1, 1)
    assert (summary.text["review"].count, summary.text["review"].nulls) == (1, 1)
    assert summary.sample.column("price").null_count == 2


def test_a_where_filter_selects_a_window(profile: ReferenceProfile, tmp_path: Path) -> None:
    early, late = make_rows(300, seed=5), make_rows(700, seed=6, shift=1.0)
    log = write_log(tmp_path, [(*early, START), (*late, START + timedelta(days=2))])
    window = summarize_log(profile, tmp_path, where="logged_at >= ?", parameters=[START + timedelta(days=1)])
    only_late = summarize_log_table(profile, log.slice(300))
    assert window.rows == 700 and window.sample.num_rows == 700
    assert window.categorical == only_late.categorical
    by_partition = summarize_log(profile, tmp_path, where="date = ?", parameters=[f"{START:%Y-%m-%d}"])
    assert by_partition.rows == 300


def test_the_scan_is_memory_bounded(profile: ReferenceProfile, tmp_path: Path) -> None:
    # 200k rows with 300-character reviews: 60 MB of text. Keeping the values (what an
    # exact quantile or a collect would do) does not fit a 32 MB DuckDB limit; the
    # summary's aggregates have fixed-size state, so the whole scan does.
    table, predictions = make_rows(100_000, seed=7)
    long = pa.array([f"{'word ' * 60}{i % 50}" for i in range(100_000)])
    table = table.set_column(0, "review", long)
    write_log(tmp_path, [(table, predictions, START), (table, predictions, START + timedelta(hours=1))])
    summary = summarize_log(profile, tmp_path, memory_limit="32MB", threads=1, sample_size=1000)
    assert summary.rows == 200_000 and summary.sample.num_rows == 1000
    assert summary.text["review"].tokens == 200_000 * 61
    assert sum(summary.numeric["price"].bins) == summary.numeric["price"].count
    with duckdb.connect(config={"memory_limit": "32MB", "threads": 1}) as con:
        files = sorted(str(f) for f in tmp_path.rglob("*.parquet"))
        with pytest.raises(duckdb.OutOfMemoryException):
            con.execute("SELECT list(inputs.review) FROM read_parquet(?)", [files]).fetchall()


def test_files_being_written_are_skipped(profile: ReferenceProfile, tmp_path: Path) -> None:
    log = write_log(tmp_path, [(*make_rows(100, seed=8), START)])
    (tmp_path / "model=m1" / "date=2026-03-01" / ".part-9.parquet.tmp").write_bytes(b"half a file")
    assert summarize_log(profile, tmp_path).rows == log.num_rows


def test_no_files_is_an_error(profile: ReferenceProfile, tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no Parquet files match .*check the prediction log folder"):
        summarize_log(profile, tmp_path)


def test_a_log_without_a_profiled_input_is_an_error(profile: ReferenceProfile, tmp_path: Path) -> None:
    table, predictions = make_rows(50, seed=9)
    write_log(tmp_path, [(table.drop_columns(["city"]), predictions, START)])
    with pytest.raises(DataError, match="prediction log inputs: categorical column 'city' is missing"):
        summarize_log(profile, tmp_path)


def test_a_log_of_another_model_is_an_error(profile: ReferenceProfile, tmp_path: Path) -> None:
    table, predictions = make_rows(50, seed=10)
    other = Predictions(predictions.label_ids, predictions.probabilities, ["ham", "eggs"])
    write_log(tmp_path, [(table, other, START)])
    with pytest.raises(DataError, match="'probabilities' has no field for class 'spam'"):
        summarize_log(profile, tmp_path)


def test_a_bad_filter_is_reported_as_a_data_error(profile: ReferenceProfile, tmp_path: Path) -> None:
    write_log(tmp_path, [(*make_rows(50, seed=11), START)])
    with pytest.raises(DataError, match="could not summarize the prediction log with DuckDB"):
        summarize_log(profile, tmp_path, where="no_such_column > 1")
