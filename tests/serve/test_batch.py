"""Batch prediction: files in, one Parquet file out, the online answers, bounded memory."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from headrace.cli.predict_cmds import predict
from headrace.engines import make_engine
from headrace.errors import DataError, EngineError
from headrace.serve import BatchPredictionResult, ServedModel, predict_files
from headrace.serve.batch import DEFAULT_BATCH_ROWS
from tests.registry.builders import make_package
from tests.serve.batch_fixtures import (
    NUMERIC,
    make_project,
    numeric_model,
    numeric_table,
    text_rows,
    write_numeric_parquet,
)

PREDICTED = ["label", "probability_ham", "probability_spam"]


@pytest.fixture(scope="module")
def text_model() -> ServedModel:
    """The registry builders' TF-IDF + logistic regression over ``content`` and ``links``."""
    return ServedModel(make_package(), None, "direct")


@pytest.fixture(scope="module")
def numbers_model() -> ServedModel:
    return numeric_model()


def expected(model: ServedModel, table: pa.Table, batch_rows: int) -> pa.Table:
    """What ``ServedModel.predict`` answers for ``table`` in calls of ``batch_rows`` rows."""
    conformed = model.schema.conform(table)
    calls = range(0, max(conformed.num_rows, 1), batch_rows)
    return pa.concat_tables(model.predict(conformed.slice(i, batch_rows)).to_table() for i in calls)


def files_in(folder: Path) -> list[str]:
    """Every name in ``folder``, hidden temporary files included."""
    return sorted(p.name for p in folder.iterdir())


# --- what comes out ----------------------------------------------------------------------


def test_parquet_rows_get_the_served_models_predictions_in_input_order(
    text_model: ServedModel, tmp_path: Path
) -> None:
    table = text_rows(50)
    pq.write_table(table, tmp_path / "in.parquet", row_group_size=7)

    result = predict_files(
        text_model, tmp_path / "in.parquet", tmp_path / "out.parquet", batch_rows=10, id_column="comment_id"
    )

    written = pq.read_table(tmp_path / "out.parquet")
    assert written.column_names == ["comment_id", *PREDICTED]
    assert written.column("comment_id").equals(table.column("comment_id"))
    assert written.select(PREDICTED).equals(expected(text_model, table, 10))
    assert isinstance(result, BatchPredictionResult)
    assert (result.rows, result.batches, result.kept_columns) == (50, 5, ("comment_id",))
    assert result.files == (tmp_path / "in.parquet",) and result.output == tmp_path / "out.parquet"


def test_batch_answers_are_the_online_answers_for_the_same_rows(
    text_model: ServedModel, tmp_path: Path
) -> None:
    table = text_rows(12)
    pq.write_table(table, tmp_path / "in.parquet")
    json_rows = [{"content": r["content"], "links": r["links"]} for r in table.to_pylist()]

    predict_files(text_model, tmp_path / "in.parquet", tmp_path / "out.parquet", batch_rows=5)

    written = pq.read_table(tmp_path / "out.parquet")
    # Online: JSON rows → InputSchema.rows_to_table → ServedModel.predict, as one request
    # and as one request per row.
    whole = text_model.predict(text_model.schema.rows_to_table(json_rows))
    single = [text_model.predict(text_model.schema.rows_to_table([row])) for row in json_rows]
    probabilities = np.column_stack([written.column(c).to_numpy() for c in PREDICTED[1:]])
    assert written.column("label").to_pylist() == whole.labels() == [p.labels()[0] for p in single]
    assert np.array_equal(probabilities, whole.probabilities)
    assert np.array_equal(probabilities, np.vstack([p.probabilities for p in single]))


def test_csv_is_read_with_the_models_column_types(text_model: ServedModel, tmp_path: Path) -> None:
    # Every content value is digits: inferred, the column would be int64 and lose "007".
    table = pa.table({"comment_id": [1, 2, 3], "content": ["007", "42", "0"], "links": [1, None, 0]})
    pa_csv.write_csv(table, tmp_path / "in.csv")
    pq.write_table(table, tmp_path / "in.parquet")

    predict_files(text_model, tmp_path / "in.csv", tmp_path / "csv.parquet", keep_columns=["content"])
    predict_files(text_model, tmp_path / "in.parquet", tmp_path / "pq.parquet", keep_columns=["content"])

    from_csv = pq.read_table(tmp_path / "csv.parquet")
    assert from_csv.column("content").to_pylist() == ["007", "42", "0"]
    assert from_csv.equals(pq.read_table(tmp_path / "pq.parquet"))


def test_csv_and_parquet_give_the_same_predictions(text_model: ServedModel, tmp_path: Path) -> None:
    table = text_rows(40)
    pa_csv.write_csv(table, tmp_path / "in.csv")
    pq.write_table(table, tmp_path / "in.parquet")

    predict_files(text_model, tmp_path / "in.csv", tmp_path / "a.parquet", id_column="comment_id")
    predict_files(text_model, tmp_path / "in.parquet", tmp_path / "b.parquet", id_column="comment_id")

    assert pq.read_table(tmp_path / "a.parquet").equals(pq.read_table(tmp_path / "b.parquet"))


def test_kept_columns_take_their_type_from_the_first_file(text_model: ServedModel, tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("comment_id,content,links\nc-1,hello,1\nc-2,bye,0\n")
    (tmp_path / "b.csv").write_text("comment_id,content,links\n3,song,2\n")
    (tmp_path / "c.csv").write_text("comment_id,content,links\nc-4,song,2\n")

    predict_files(
        text_model, [tmp_path / "a.csv", tmp_path / "b.csv"], tmp_path / "ab.parquet", id_column="comment_id"
    )

    assert pq.read_table(tmp_path / "ab.parquet").column("comment_id").to_pylist() == ["c-1", "c-2", "3"]
    with pytest.raises(
        DataError, match=r"c\.csv: kept column 'comment_id' is string and cannot be read as int64"
    ):
        predict_files(
            text_model,
            [tmp_path / "b.csv", tmp_path / "c.csv"],
            tmp_path / "bc.parquet",
            id_column="comment_id",
        )
    assert not (tmp_path / "bc.parquet").exists()


def test_globs_and_lists_are_read_in_order_and_batches_span_files(
    numbers_model: ServedModel, tmp_path: Path
) -> None:
    for part in range(3):
        write_numeric_parquet(tmp_path / f"part-{part}.parquet", 25, row_group=10, seed=part)
    ids = [pq.read_table(tmp_path / f"part-{part}.parquet").column("id").to_pylist() for part in range(3)]

    result = predict_files(
        numbers_model,
        str(tmp_path / "part-*.parquet"),
        tmp_path / "all.parquet",
        batch_rows=20,
        id_column="id",
    )
    reverse = [tmp_path / "part-2.parquet", tmp_path / "part-1.parquet", str(tmp_path / "part-[01].parquet")]
    predict_files(numbers_model, reverse, tmp_path / "reverse.parquet", id_column="id")

    assert pq.read_table(tmp_path / "all.parquet").column("id").to_pylist() == ids[0] + ids[1] + ids[2]
    # part-1 is named twice (itself, then by the glob) and read once.
    assert pq.read_table(tmp_path / "reverse.parquet").column("id").to_pylist() == ids[2] + ids[1] + ids[0]
    assert (result.rows, result.batches, len(result.files)) == (75, 4, 3)


@pytest.mark.parametrize("kind", ["processes", "dask"])
def test_other_engines_write_the_local_engines_file(
    numbers_model: ServedModel, tmp_path: Path, kind: str
) -> None:
    write_numeric_parquet(tmp_path / "in.parquet", 2_000, row_group=450)
    engine = make_engine(kind, workers=2)
    try:
        remote = predict_files(
            numbers_model, tmp_path / "in.parquet", tmp_path / "remote.parquet", engine=engine, batch_rows=300
        )
    finally:
        engine.close()
    predict_files(numbers_model, tmp_path / "in.parquet", tmp_path / "local.parquet", batch_rows=300)

    assert (remote.engine, remote.batches) == (kind, 7)
    assert pq.read_table(tmp_path / "remote.parquet").equals(pq.read_table(tmp_path / "local.parquet"))


def test_an_empty_input_gives_an_empty_file_with_every_column(
    text_model: ServedModel, tmp_path: Path
) -> None:
    pq.write_table(text_rows(0), tmp_path / "in.parquet")

    result = predict_files(
        text_model, tmp_path / "in.parquet", tmp_path / "out.parquet", id_column="comment_id"
    )

    written = pq.read_table(tmp_path / "out.parquet")
    assert written.num_rows == 0 == result.rows
    assert written.schema.names == ["comment_id", *PREDICTED]


def test_the_output_names_the_model_that_wrote_it(text_model: ServedModel, tmp_path: Path) -> None:
    pq.write_table(text_rows(3), tmp_path / "in.parquet")
    predict_files(text_model, tmp_path / "in.parquet", tmp_path / "out.parquet")

    metadata = pq.read_schema(tmp_path / "out.parquet").metadata
    assert json.loads(metadata[b"headrace"]) == {
        "model_ref": "direct",
        "model_version": None,
        "model_id": "unregistered",
        "classes": ["ham", "spam"],
    }


class RecordedProgress:
    """A progress receiver that remembers what it was told."""

    def __init__(self) -> None:
        self.total: int | None = -1
        self.steps: list[int] = []

    def started(self, total_rows: int | None) -> None:
        self.total = total_rows

    def advanced(self, rows: int) -> None:
        self.steps.append(rows)


def test_progress_knows_the_total_of_parquet_but_not_of_csv(text_model: ServedModel, tmp_path: Path) -> None:
    pq.write_table(text_rows(25), tmp_path / "in.parquet")
    pa_csv.write_csv(text_rows(25), tmp_path / "in.csv")
    parquet, csv = RecordedProgress(), RecordedProgress()

    predict_files(
        text_model, tmp_path / "in.parquet", tmp_path / "a.parquet", batch_rows=10, progress=parquet
    )
    predict_files(text_model, tmp_path / "in.csv", tmp_path / "b.parquet", batch_rows=10, progress=csv)

    assert (parquet.total, parquet.steps) == (25, [10, 10, 5])
    assert (csv.total, csv.steps) == (None, [10, 10, 5])


# --- what is refused ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (["nothing-*.parquet"], r"input '.*nothing-\*\.parquet' matches no file"),
        (["rows.txt"], r"rows\.txt: batch prediction reads \.csv, \.parquet, \.pq files, not '\.txt'"),
        (
            ["rows.csv", "rows.parquet"],
            r"inputs mix CSV \(.*rows\.csv\) and Parquet \(.*rows\.parquet\) files",
        ),
        ([], r"no input given"),
        (["."], r"matches no file; for the files in a folder use a glob such as"),
    ],
)
def test_inputs_that_name_no_usable_files_are_refused(
    text_model: ServedModel, tmp_path: Path, inputs: list[str], message: str
) -> None:
    for name in ("rows.txt", "rows.csv", "rows.parquet"):
        (tmp_path / name).write_text("content,links\n")
    paths = [str(tmp_path / name) if name != "." else str(tmp_path) for name in inputs]

    with pytest.raises(DataError, match=message):
        predict_files(text_model, paths, tmp_path / "out.parquet")
    assert not (tmp_path / "out.parquet").exists()


def test_a_file_without_a_model_column_is_refused_before_anything_is_predicted(
    text_model: ServedModel, tmp_path: Path
) -> None:
    pq.write_table(text_rows(5), tmp_path / "a.parquet")
    pq.write_table(text_rows(5).drop_columns(["links"]), tmp_path / "b.parquet")

    with pytest.raises(DataError, match=r"b\.parquet lacks the model's input column\(s\) \['links'\]"):
        predict_files(text_model, str(tmp_path / "*.parquet"), tmp_path / "out.parquet")
    assert files_in(tmp_path) == ["a.parquet", "b.parquet"]


def test_a_bad_value_late_in_the_input_leaves_no_partial_output(
    numbers_model: ServedModel, tmp_path: Path
) -> None:
    table = numeric_table(100)
    x0 = [str(v) for v in table.column("x0").to_pylist()]
    x0[95] = "abc"
    table = table.set_column(1, "x0", pa.array(x0))
    pq.write_table(table, tmp_path / "in.parquet", row_group_size=20)

    with pytest.raises(
        DataError, match=r"in\.parquet: column 'x0' is string and cannot be read as the model's number"
    ):
        predict_files(numbers_model, tmp_path / "in.parquet", tmp_path / "out.parquet", batch_rows=20)
    assert files_in(tmp_path) == ["in.parquet"]


def test_a_csv_value_of_the_wrong_type_is_reported_with_its_column(
    text_model: ServedModel, tmp_path: Path
) -> None:
    (tmp_path / "in.csv").write_text("comment_id,content,links\n1,hello,2\n2,bye,two\n")

    with pytest.raises(
        DataError, match=r"in\.csv: cannot be read as CSV: .*CSV column #2 \('links'\).*'two'"
    ):
        predict_files(text_model, tmp_path / "in.csv", tmp_path / "out.parquet")


def test_a_model_failure_names_the_rows(numbers_model: ServedModel, tmp_path: Path) -> None:
    # This model has no imputer: scikit-learn refuses a missing value.
    table = numeric_table(60)
    x1 = table.column("x1").to_pylist()
    x1[55] = None
    pq.write_table(table.set_column(2, "x1", pa.array(x1)), tmp_path / "in.parquet")

    with pytest.raises(
        DataError, match=r"input rows 50–59 \(.*in\.parquet\): the model could not predict them: "
    ):
        predict_files(numbers_model, tmp_path / "in.parquet", tmp_path / "out.parquet", batch_rows=10)
    assert files_in(tmp_path) == ["in.parquet"]


class BrokenEngine:
    """An engine whose workers are gone."""

    name = "broken"

    def map_partitions(self, fn: Callable[[Any], Any], partitions: Sequence[Any]) -> list[Any]:
        raise BrokenPipeError("worker 3 is gone")

    def close(self) -> None:
        """Nothing to release."""


def test_an_engine_failure_is_an_engine_error(text_model: ServedModel, tmp_path: Path) -> None:
    pq.write_table(text_rows(30), tmp_path / "in.parquet")

    with pytest.raises(
        EngineError, match=r"the broken engine failed on input rows 0–29 .*: BrokenPipeError: worker"
    ):
        predict_files(
            text_model,
            tmp_path / "in.parquet",
            tmp_path / "out.parquet",
            engine=BrokenEngine(),
            batch_rows=10,
        )
    assert files_in(tmp_path) == ["in.parquet"]


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("missing/out.parquet", r"output folder .*missing does not exist"),
        ("out.csv", r"output .*out\.csv must be a \.parquet file"),
        ("old.parquet", r"output .*old\.parquet exists; pass overwrite=True \(--overwrite\) to replace it"),
        ("in.parquet", r"output .*in\.parquet exists"),
    ],
)
def test_unusable_outputs_are_refused(
    text_model: ServedModel, tmp_path: Path, output: str, message: str
) -> None:
    pq.write_table(text_rows(3), tmp_path / "in.parquet")
    (tmp_path / "old.parquet").write_bytes(b"old")

    with pytest.raises(DataError, match=message):
        predict_files(text_model, tmp_path / "in.parquet", tmp_path / output)
    assert files_in(tmp_path) == ["in.parquet", "old.parquet"]


def test_the_output_cannot_be_an_input_even_with_overwrite(text_model: ServedModel, tmp_path: Path) -> None:
    pq.write_table(text_rows(3), tmp_path / "in.parquet")

    with pytest.raises(DataError, match=r"output .*in\.parquet is also an input"):
        predict_files(text_model, tmp_path / "in.parquet", tmp_path / "in.parquet", overwrite=True)


def test_overwrite_replaces_an_existing_output_only_once_the_new_one_is_complete(
    numbers_model: ServedModel, tmp_path: Path
) -> None:
    write_numeric_parquet(tmp_path / "good.parquet", 30, row_group=10)
    bad = numeric_table(30).set_column(1, "x0", pa.array(["1.0"] * 25 + ["oops"] * 5))
    pq.write_table(bad, tmp_path / "bad.parquet", row_group_size=10)
    (tmp_path / "out.parquet").write_bytes(b"previous results")

    with pytest.raises(DataError, match="'x0'"):
        predict_files(
            numbers_model, tmp_path / "bad.parquet", tmp_path / "out.parquet", batch_rows=10, overwrite=True
        )
    assert (tmp_path / "out.parquet").read_bytes() == b"previous results"
    assert files_in(tmp_path) == ["bad.parquet", "good.parquet", "out.parquet"]

    predict_files(numbers_model, tmp_path / "good.parquet", tmp_path / "out.parquet", overwrite=True)
    assert pq.read_table(tmp_path / "out.parquet").num_rows == 30


def test_kept_columns_must_exist_and_not_clash_and_the_id_is_kept_only_where_every_file_has_it(
    text_model: ServedModel, tmp_path: Path
) -> None:
    pq.write_table(text_rows(3), tmp_path / "a.parquet")
    pq.write_table(text_rows(3).drop_columns(["comment_id"]), tmp_path / "b.parquet")
    both = [tmp_path / "a.parquet", tmp_path / "b.parquet"]

    with pytest.raises(DataError, match=r"b\.parquet lacks the column\(s\) \['comment_id'\] to keep"):
        predict_files(text_model, both, tmp_path / "out.parquet", keep_columns=["comment_id"])
    pq.write_table(text_rows(3).append_column("label", pa.array(["x"] * 3)), tmp_path / "labeled.parquet")
    with pytest.raises(DataError, match=r"kept column\(s\) \['label'\] would clash with the prediction's"):
        predict_files(
            text_model, tmp_path / "labeled.parquet", tmp_path / "out.parquet", keep_columns=["label"]
        )
    result = predict_files(text_model, both, tmp_path / "out.parquet", id_column="comment_id")
    assert result.kept_columns == () and result.columns == tuple(PREDICTED)


# --- memory ------------------------------------------------------------------------------


class AllocationProbe(RecordedProgress):
    """Samples Arrow's allocations, relative to the start, each time a batch has been written."""

    def __init__(self) -> None:
        super().__init__()
        self.base = 0
        self.peak = 0

    def started(self, total_rows: int | None) -> None:
        super().started(total_rows)
        self.base = pa.total_allocated_bytes()

    def advanced(self, rows: int) -> None:
        super().advanced(rows)
        self.peak = max(self.peak, pa.total_allocated_bytes() - self.base)


def test_memory_does_not_grow_with_the_input(numbers_model: ServedModel, tmp_path: Path) -> None:
    # What grows with the input is what is kept between batches (a reader that holds
    # what it read, results piling up): Arrow buffers are sampled after each written
    # batch, and numpy's and Python's peaks come from tracemalloc. Byte counts, not
    # timings, so the test cannot flake on a busy machine.
    batch_rows = 20_000
    arrow: dict[int, int] = {}
    python: dict[int, int] = {}
    for rows in (100_000, 800_000):
        path = write_numeric_parquet(tmp_path / f"in-{rows}.parquet", rows, row_group=batch_rows)
        probe = AllocationProbe()
        tracemalloc.start()
        try:
            result = predict_files(
                numbers_model, path, tmp_path / f"out-{rows}.parquet", batch_rows=batch_rows, progress=probe
            )
            python[rows] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        arrow[rows] = probe.peak
        assert result.rows == rows

    batch_bytes = batch_rows * (len(NUMERIC) + 1) * 8
    large_input_bytes = 800_000 * (len(NUMERIC) + 1) * 8
    # The allowance covers a batch the model thread may or may not hold when sampled.
    assert arrow[800_000] <= arrow[100_000] + 2 * batch_bytes, arrow
    assert python[800_000] <= python[100_000] + batch_bytes, python
    assert arrow[800_000] + python[800_000] < large_input_bytes / 4


# --- the command -------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "project")
    pa_csv.write_csv(text_rows(12), root / "new.csv")
    return root


def headrace_predict(project: Path, *args: str) -> Result:
    return CliRunner().invoke(predict, [*args, "-p", str(project)], catch_exceptions=False)


def test_the_command_predicts_with_the_projects_model_and_keeps_its_id(project: Path) -> None:
    result = headrace_predict(project, str(project / "new.csv"), str(project / "out.parquet"), "--json")

    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows"] == 12 and summary["kept_columns"] == ["comment_id"]
    assert summary["model"]["ref"] == "production" and summary["model"]["version"] == 1
    assert summary["engine"] == "local" and summary["output"] == str(project / "out.parquet")
    written = pq.read_table(project / "out.parquet")
    assert written.column_names == ["comment_id", *PREDICTED]


def test_the_command_keeps_what_keep_names_and_says_what_it_did(project: Path) -> None:
    result = headrace_predict(
        project, str(project / "*.csv"), str(project / "out.parquet"), "--keep", "links", "--model", "v1"
    )

    assert result.exit_code == 0, result.stderr
    assert "predicted 12 rows from 1 file(s) with model v1 (v1)" in result.stdout
    assert "kept links" in result.stdout
    assert pq.read_schema(project / "out.parquet").names == ["links", *PREDICTED]


def test_the_commands_help_states_the_default_batch_size() -> None:
    help_text = " ".join(CliRunner().invoke(predict, ["--help"]).stdout.split())

    assert f"(default {DEFAULT_BATCH_ROWS})" in help_text


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["missing.csv", "out.parquet"], 3, "matches no file"),
        (["new.csv", "out.parquet", "--model", "v9"], 9, "v9"),
        (["new.csv", "new.csv.parquet", "--keep", "nope"], 3, "lacks the column(s) ['nope'] to keep"),
    ],
)
def test_the_command_reports_errors_with_their_exit_codes(
    project: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], code: int, message: str
) -> None:
    monkeypatch.chdir(project)  # paths on the command line are relative to the current folder

    result = headrace_predict(project, *args)

    assert result.exit_code == code
    assert message in " ".join(result.stderr.split())
    assert not (project / "out.parquet").exists()
