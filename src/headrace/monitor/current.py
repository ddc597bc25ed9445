"""Summaries of the current data, against a reference profile's buckets.

Two ways to get the same :class:`CurrentSummary` (they agree exactly, bar the random
sample):

* :func:`summarize_table` / :func:`summarize_log_table`: from an Arrow table in
  memory — feature columns (plus the model's predictions), or prediction-log rows;
* :func:`summarize_log`: streaming with DuckDB over the prediction log's Parquet files
  (``.headrace/predictions/model=…/date=…/*.parquet``, see
  :mod:`headrace.serve.predlog`), in bounded memory however large the log, with an
  optional SQL filter such as a time window on ``logged_at``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from headrace.errors import DataError
from headrace.monitor._columns import check_feature_columns, normalize_sample
from headrace.monitor.profile import ReferenceProfile
from headrace.monitor.summary import (
    CategoricalStats,
    FloatArray,
    NumericStats,
    PredictionStats,
    TextStats,
    categorical_stats,
    finite_values,
    numeric_stats,
    prediction_stats,
    sample_rows,
    text_stats,
)

if TYPE_CHECKING:
    from headrace.serve.predictor import Predictions

__all__ = ["CurrentSummary", "summarize_log", "summarize_log_table", "summarize_table"]

IntArray = npt.NDArray[np.int64]

#: Rows sampled for the tests that need raw values.
SAMPLE_SIZE = 5_000


@dataclass(frozen=True)
class CurrentSummary:
    """The current window's statistics over a reference profile's buckets.

    ``sample`` is a uniform sample of at most ``sample_size`` rows (all rows when the
    window is that small), in the profile sample's column layout.
    """

    rows: int
    numeric: dict[str, NumericStats]
    categorical: dict[str, CategoricalStats]
    text: dict[str, TextStats]
    prediction: PredictionStats | None
    sample: pa.Table


def summarize_table(
    profile: ReferenceProfile,
    table: pa.Table,
    predictions: Predictions | None = None,
    *,
    sample_size: int = SAMPLE_SIZE,
    seed: int = 0,
) -> CurrentSummary:
    """Summarize feature rows held in memory.

    Parameters
    ----------
    profile : ReferenceProfile
        The reference the summary will be compared with.
    table : pyarrow.Table
        The current rows, with every profiled column.
    predictions : Predictions, optional
        The model's predictions on ``table``'s rows, for prediction drift.
    sample_size : int
        Rows to sample for the raw-value tests.
    seed : int
        Seed of the sample.

    Raises
    ------
    DataError
        If a profiled column is missing or has the wrong type.
    """
    _check_table(profile, table.schema, "current data")
    label_ids = probabilities = None
    if predictions is not None and profile.prediction is not None:
        label_ids, probabilities = _align_predictions(
            list(profile.prediction.classes), predictions, table.num_rows
        )
    return _summarize(profile, table, label_ids, probabilities, sample_size, seed)


def summarize_log_table(
    profile: ReferenceProfile, log: pa.Table, *, sample_size: int = SAMPLE_SIZE, seed: int = 0
) -> CurrentSummary:
    """Summarize prediction-log rows held in memory (``read_prediction_log``'s table).

    Features come from the ``inputs`` struct, predictions from ``label`` and the
    ``probabilities`` struct.

    Raises
    ------
    DataError
        If ``inputs`` lacks a profiled column, or ``probabilities`` a class.
    """
    if "inputs" not in log.column_names:
        raise DataError("prediction log rows have no 'inputs' column; pass rows read from the prediction log")
    inputs = log.column("inputs").combine_chunks()
    fields = {inputs.type.field(i).name: inputs.field(i) for i in range(inputs.type.num_fields)}
    table = pa.table(fields) if fields else pa.table({})
    _check_table(profile, table.schema, "prediction log inputs")
    label_ids = probabilities = None
    if profile.prediction is not None and {"label", "probabilities"} <= set(log.column_names):
        label_ids, probabilities = _log_predictions(list(profile.prediction.classes), log)
    return _summarize(profile, table, label_ids, probabilities, sample_size, seed)


def summarize_log(
    profile: ReferenceProfile,
    source: str | Path | Sequence[str | Path],
    *,
    where: str | None = None,
    parameters: Sequence[object] = (),
    sample_size: int = SAMPLE_SIZE,
    seed: int = 0,
    memory_limit: str = "1GB",
    threads: int | None = None,
) -> CurrentSummary:
    """Summarize the prediction log with DuckDB, streaming over its Parquet files.

    Parameters
    ----------
    profile : ReferenceProfile
        The reference the summary will be compared with.
    source : str, Path or sequence of them
        A folder (every ``*.parquet`` below it), a file, or a glob; Hive partitions
        (``model=…``, ``date=…``) become columns.
    where : str, optional
        A SQL condition on the log's columns selecting the window, with ``?``
        placeholders for ``parameters``, e.g. ``"logged_at >= ? AND logged_at < ?"``.
    parameters : sequence
        Values of ``where``'s placeholders.
    sample_size : int
        Rows kept in DuckDB's reservoir sample for the raw-value tests.
    seed : int
        Seed of the reservoir sample (repeatable only on a single thread).
    memory_limit : str
        DuckDB's memory limit; every aggregate is bounded, so the default suffices
        for any log size.
    threads : int, optional
        DuckDB threads; by default the machine's cores, at most 4.

    Returns
    -------
    CurrentSummary

    Raises
    ------
    DataError
        If no file matches ``source``, a profiled column is missing from the log's
        ``inputs``, or DuckDB cannot read the files or the filter.

    Examples
    --------
    >>> summary = summarize_log(profile, ".headrace/predictions/model=abc",
    ...                         where="logged_at >= ?", parameters=[since])  # doctest: +SKIP
    """
    from headrace.monitor._logscan import scan_log

    return scan_log(
        profile,
        source,
        where=where,
        parameters=list(parameters),
        sample_size=sample_size,
        seed=seed,
        memory_limit=memory_limit,
        threads=threads,
    )


def _summarize(
    profile: ReferenceProfile,
    table: pa.Table,
    label_ids: IntArray | None,
    probabilities: FloatArray | None,
    sample_size: int,
    seed: int,
) -> CurrentSummary:
    numeric = {}
    for name, ref in profile.numeric.items():
        values, missing = finite_values(table.column(name))
        numeric[name] = numeric_stats(values, missing, ref.binning.edges_array())
    categorical = {
        name: categorical_stats(table.column(name), pa.array(ref.categories, type=pa.string()))
        for name, ref in profile.categorical.items()
    }
    text = {
        name: text_stats(
            table.column(name), ref.length.edges_array(), pa.array(ref.vocabulary, type=pa.string())
        )
        for name, ref in profile.text.items()
    }
    prediction = None
    if profile.prediction is not None and label_ids is not None and probabilities is not None:
        edges = [b.edges_array() for b in profile.prediction.binnings]
        prediction = prediction_stats(label_ids, probabilities, edges)
    sample = normalize_sample(
        sample_rows(table.select(profile.columns), sample_size, seed),
        text=list(profile.text),
        numeric=list(profile.numeric),
        categorical=list(profile.categorical),
    )
    return CurrentSummary(table.num_rows, numeric, categorical, text, prediction, sample)


def _check_table(profile: ReferenceProfile, schema: pa.Schema, where: str) -> None:
    kinds = {
        "text": list(profile.text),
        "numeric": list(profile.numeric),
        "categorical": list(profile.categorical),
    }
    check_feature_columns(schema, kinds, where)


def _align_predictions(
    classes: list[str], predictions: Predictions, rows: int
) -> tuple[IntArray, FloatArray]:
    if len(predictions) != rows:
        raise DataError(
            f"current predictions: {len(predictions)} predictions for {rows} rows; pass one per row"
        )
    missing = [c for c in classes if c not in predictions.classes]
    if missing:
        raise DataError(
            f"current predictions have no class {missing[0]!r}; the reference classes are {classes}. "
            "Compare predictions of models with the same classes"
        )
    order = [list(predictions.classes).index(c) for c in classes]
    remap = np.array([classes.index(c) if c in classes else -1 for c in predictions.classes], dtype=np.int64)
    label_ids = remap[np.asarray(predictions.label_ids, dtype=np.int64)]
    return label_ids, np.asarray(predictions.probabilities, dtype=np.float64)[:, order]


def _log_predictions(classes: list[str], log: pa.Table) -> tuple[IntArray, FloatArray]:
    index = pc.index_in(log.column("label"), value_set=pa.array(classes, type=pa.string()))
    label_ids = np.asarray(pc.fill_null(index, -1), dtype=np.int64)
    struct = log.column("probabilities").combine_chunks()
    names = [struct.type.field(i).name for i in range(struct.type.num_fields)]
    columns = []
    for name in classes:
        if name not in names:
            raise DataError(
                f"prediction log: 'probabilities' has no field for class {name!r} (has {names}); the log "
                "holds another model's predictions"
            )
        values = pc.cast(struct.field(names.index(name)), pa.float64())
        columns.append(np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64))
    probabilities = np.column_stack(columns) if columns else np.empty((log.num_rows, 0))
    return label_ids, probabilities
