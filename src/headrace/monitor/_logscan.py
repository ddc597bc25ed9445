"""DuckDB's side of :func:`headrace.monitor.current.summarize_log`.

Every statistic is an aggregate whose state does not grow with the log: counts, sums,
min/max, ``histogram(x, edges)`` over the reference's fixed edges, counts after a
hash join with the reference's (small) category and vocabulary tables, and a
reservoir sample. So the memory a scan needs is set by the profile, not by the number
of logged rows. One scan computes the numeric, text-length and probability columns;
each categorical and text column gets one more (reading only its own Parquet column),
and the sample one more.

Edges travel into SQL as a ``'[…]'::DOUBLE[]`` string: Python's float reprs parse back
to the very same doubles, so DuckDB buckets exactly as the Arrow path does.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from headrace.errors import DataError
from headrace.monitor._columns import check_feature_columns, normalize_sample
from headrace.monitor.current import CurrentSummary
from headrace.monitor.profile import Binning, ReferenceProfile
from headrace.monitor.summary import CategoricalStats, NumericStats, PredictionStats, TextStats
from headrace.monitor.tokens import sql_tokens

__all__ = ["scan_log"]


def scan_log(
    profile: ReferenceProfile,
    source: str | Path | Sequence[str | Path],
    *,
    where: str | None,
    parameters: list[object],
    sample_size: int,
    seed: int,
    memory_limit: str,
    threads: int | None,
) -> CurrentSummary:
    files = _files(source)
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": memory_limit,
        "threads": threads or min(4, os.cpu_count() or 1),
        # Aggregates need no row order; keeping it would make DuckDB buffer more.
        "preserve_insertion_order": False,
    }
    try:
        with duckdb.connect(config=config) as con:
            return _Scan(con, profile, files, where, parameters).run(sample_size, seed)
    except duckdb.Error as exc:
        raise DataError(f"could not summarize the prediction log with DuckDB: {exc}") from exc


class _Scan:
    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        profile: ReferenceProfile,
        files: list[str],
        where: str | None,
        parameters: list[object],
    ) -> None:
        self.con = con
        self.profile = profile
        self.parameters = parameters
        listing = ", ".join(_quote(f) for f in files)
        source = f"read_parquet([{listing}], hive_partitioning = true, union_by_name = true)"
        self.cte = f"WITH scan AS (SELECT * FROM {source} WHERE ({where or 'TRUE'}))\n"
        schema = con.sql(f"SELECT * FROM {source} LIMIT 0").to_arrow_table().schema
        self.predictions = self._check(schema)

    def run(self, sample_size: int, seed: int) -> CurrentSummary:
        rows, numeric, lengths, probabilities = self._numeric()
        categorical = {
            name: self._categories(name, ref.categories) for name, ref in self.profile.categorical.items()
        }
        text = {}
        for name, ref in self.profile.text.items():
            tokens, known = self._tokens(name, ref.vocabulary)
            length = lengths[name]
            text[name] = TextStats(length.count, length.nulls, length, tokens, tokens - known)
        prediction = None
        if self.predictions and self.profile.prediction is not None:
            labels = self._categories_of("label", self.profile.prediction.classes)
            counts = (*labels.counts[:-1], labels.counts[-1] + labels.nulls)
            prediction = PredictionStats(rows, counts, tuple(probabilities))
        return CurrentSummary(rows, numeric, categorical, text, prediction, self._sample(sample_size, seed))

    def _check(self, schema: pa.Schema) -> bool:
        if "inputs" not in schema.names or not pa.types.is_struct(schema.field("inputs").type):
            raise DataError(
                "the Parquet files have no 'inputs' struct column; point summarize_log at the prediction log"
            )
        inputs = schema.field("inputs").type
        fields = pa.schema([inputs.field(i) for i in range(inputs.num_fields)])
        kinds = {"text": list(self.profile.text), "numeric": list(self.profile.numeric)}
        check_feature_columns(
            fields, {**kinds, "categorical": list(self.profile.categorical)}, "prediction log inputs"
        )
        prediction = self.profile.prediction
        if prediction is None or not {"label", "probabilities"} <= set(schema.names):
            return False
        struct = schema.field("probabilities").type
        names = [struct.field(i).name for i in range(struct.num_fields)]
        for name in prediction.classes:
            if name not in names:
                raise DataError(
                    f"prediction log: 'probabilities' has no field for class {name!r} (has {names}); the log "
                    "holds another model's predictions"
                )
        return True

    def _numeric(self) -> tuple[int, dict[str, NumericStats], dict[str, NumericStats], list[NumericStats]]:
        columns: list[tuple[str, Binning]] = []  # (SQL expression of a DOUBLE, binning)
        for name, ref in self.profile.numeric.items():
            columns.append((f"CAST({_input(name)} AS DOUBLE)", ref.binning))
        for name, text_ref in self.profile.text.items():
            columns.append((f"CAST(length(CAST({_input(name)} AS VARCHAR)) AS DOUBLE)", text_ref.length))
        if self.predictions and self.profile.prediction is not None:
            for name, binning in zip(
                self.profile.prediction.classes, self.profile.prediction.binnings, strict=True
            ):
                columns.append((f"CAST(struct_extract(probabilities, {_quote(name)}) AS DOUBLE)", binning))
        raw = ", ".join(f"{expression} AS r{i}" for i, (expression, _) in enumerate(columns))
        finite = ", ".join(f"CASE WHEN isfinite(r{i}) THEN r{i} END AS v{i}" for i in range(len(columns)))
        aggregates = ["count(*) AS n_rows"]
        for i, (_, binning) in enumerate(columns):
            aggregates += _aggregates(f"v{i}", binning)
        query = (
            f"{self.cte}, raw AS (SELECT {raw or '1 AS r'} FROM scan), "
            f"vals AS (SELECT {finite or '1 AS v'} FROM raw)\nSELECT {', '.join(aggregates)} FROM vals"
        )
        (row,) = self.con.execute(query, self.parameters).fetchall()  # aggregates: exactly one row
        rows = int(row[0])
        stats = [
            _numeric_stats(row[1 + 8 * i : 1 + 8 * (i + 1)], rows, b) for i, (_, b) in enumerate(columns)
        ]
        numeric = dict(zip(self.profile.numeric, stats, strict=False))
        count = len(self.profile.numeric)
        lengths = dict(zip(self.profile.text, stats[count:], strict=False))
        return rows, numeric, lengths, stats[count + len(self.profile.text) :]

    def _categories(self, name: str, categories: tuple[str, ...]) -> CategoricalStats:
        return self._categories_of(f"CAST({_input(name)} AS VARCHAR)", categories)

    def _categories_of(self, expression: str, categories: tuple[str, ...]) -> CategoricalStats:
        lookup = pa.table(
            {"value": pa.array(categories, type=pa.string()), "idx": pa.array(range(len(categories)))}
        )
        self.con.register("lookup", lookup)
        query = (
            f"{self.cte}SELECT k.idx, s.v IS NULL AS missing, count(*) AS n "
            f"FROM (SELECT {expression} AS v FROM scan) s LEFT JOIN lookup k ON s.v = k.value GROUP BY ALL"
        )
        counts = [0] * (len(categories) + 1)
        nulls = 0
        for idx, missing, n in self.con.execute(query, self.parameters).fetchall():
            if missing:
                nulls += int(n)
            else:
                counts[len(categories) if idx is None else int(idx)] += int(n)
        self.con.unregister("lookup")
        return CategoricalStats(sum(counts), nulls, tuple(counts))

    def _tokens(self, name: str, vocabulary: tuple[str, ...]) -> tuple[int, int]:
        self.con.register("vocabulary", pa.table({"token": pa.array(vocabulary, type=pa.string())}))
        tokens = sql_tokens(f"CAST({_input(name)} AS VARCHAR)")
        query = (
            f"{self.cte}SELECT count(*), count(v.token) FROM (SELECT unnest({tokens}) AS token FROM scan) s "
            "LEFT JOIN vocabulary v ON s.token = v.token"
        )
        ((tokens_n, known),) = self.con.execute(query, self.parameters).fetchall()
        self.con.unregister("vocabulary")
        return int(tokens_n), int(known)

    def _sample(self, size: int, seed: int) -> pa.Table:
        profile = self.profile
        if not profile.columns:
            return pa.table({})
        selected = ", ".join(f"{_input(name)} AS {_identifier(name)}" for name in profile.columns)
        query = (
            f"{self.cte}SELECT * FROM (SELECT {selected} FROM scan) s "
            f"USING SAMPLE reservoir({int(size)} ROWS) REPEATABLE ({int(seed)})"
        )
        table = self.con.sql(query, params=self.parameters).to_arrow_table()
        return normalize_sample(
            table,
            text=list(profile.text),
            numeric=list(profile.numeric),
            categorical=list(profile.categorical),
        )


def _aggregates(column: str, binning: Binning) -> list[str]:
    """Eight aggregates per column: count, nulls, mean, std, min, max, bucket counts, tails."""
    edges = binning.edges
    if edges:
        listing = "'[" + ", ".join(repr(e) for e in edges) + "]'::DOUBLE[]"
        first, last = repr(edges[0]), repr(edges[-1])
        histogram = f"histogram({column}, {listing})"
        # Branch-free (30% faster than FILTER): values inside the edges add exact zeros.
        below = f"sum(greatest({first}::DOUBLE - {column}, 0.0))"
        above = f"sum(greatest({column} - {last}::DOUBLE, 0.0))"
        tails = f"struct_pack(b := coalesce({below}, 0), a := coalesce({above}, 0))"
    else:
        histogram, tails = "NULL", "NULL"
    return [
        f"count({column})",
        f"count(*) - count({column})",
        f"avg({column})",
        f"stddev_pop({column})",
        f"min({column})",
        f"max({column})",
        histogram,
        tails,
    ]


def _numeric_stats(values: Sequence[Any], rows: int, binning: Binning) -> NumericStats:
    count, nulls, mean, std, minimum, maximum, histogram, tails = values
    edges = binning.edges_array()
    bins = np.zeros(edges.shape[0] + 1, dtype=np.int64)
    if histogram:
        keys = np.asarray(list(histogram.keys()), dtype=np.float64)
        counts = np.asarray(list(histogram.values()), dtype=np.int64)
        # Keys are the edges themselves, plus +inf for the overflow bucket.
        np.add.at(bins, np.searchsorted(edges, keys, side="left"), counts)
    elif count:
        bins[0] = int(count)
    below = float(tails["b"]) if tails else 0.0
    above = float(tails["a"]) if tails else 0.0
    return NumericStats(
        count=int(count),
        nulls=int(nulls),
        mean=None if mean is None else float(mean),
        std=None if std is None else float(std),
        minimum=None if minimum is None else float(minimum),
        maximum=None if maximum is None else float(maximum),
        bins=tuple(int(b) for b in bins),
        below=below,
        above=above,
    )


def _files(source: str | Path | Sequence[str | Path]) -> list[str]:
    sources = [source] if isinstance(source, str | Path) else list(source)
    files: list[str] = []
    for item in sources:
        path = Path(item)
        pattern = str(path / "**" / "*.parquet") if path.is_dir() else str(item)
        # glob skips dot-files, so a log file still being written (".part-….tmp") is never read.
        files += sorted(glob.glob(pattern, recursive=True))
    if not files:
        shown = ", ".join(str(s) for s in sources)
        raise DataError(f"no Parquet files match {shown}; check the prediction log folder or glob")
    return files


def _input(name: str) -> str:
    return f"struct_extract(inputs, {_quote(name)})"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
