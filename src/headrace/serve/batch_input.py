"""Reading batch prediction's input: files and globs, checked up front, streamed in batches.

:func:`resolve_inputs` turns names and globs into files of one format;
:func:`open_source` checks a file has the model's columns before anything is
predicted; :func:`read_parts` streams every file's rows, conformed to the model's
input schema, in batches of a given number of rows, in input order.
"""

from __future__ import annotations

import csv
import glob
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from headrace.errors import DataError
from headrace.serve.schema import InputSchema

__all__ = ["Part", "Source", "open_source", "read_parts", "resolve_inputs"]

_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def resolve_inputs(inputs: str | Path | Sequence[str | Path]) -> tuple[list[Path], str]:
    """Expand file names and globs into files, in order, and name their one format.

    A name that is a file is taken as is; anything else is a glob (``**`` recurses),
    whose matches are sorted. Files named twice are read once.

    Returns
    -------
    files, format
        The files, and ``"csv"`` or ``"parquet"`` (chosen by extension).

    Raises
    ------
    DataError
        Nothing given, a name or glob matches no file, an extension other than
        ``.csv``, ``.parquet`` or ``.pq``, or CSV and Parquet files mixed.
    """
    items = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    if not items:
        raise DataError("no input given; name CSV or Parquet files, or globs such as 'data/*.parquet'")
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_file():
            files.append(path)
            continue
        matches = sorted(Path(p) for p in glob.glob(str(item), recursive=True) if Path(p).is_file())
        if not matches:
            hint = (
                f"; for the files in a folder use a glob such as '{path / '*.parquet'}'"
                if path.is_dir()
                else ""
            )
            raise DataError(f"input {str(item)!r} matches no file{hint}")
        files.extend(matches)
    files = list(dict.fromkeys(files))
    by_format: dict[str, Path] = {}
    for path in files:
        kind = _FORMATS.get(path.suffix.lower())
        if kind is None:
            suffix = path.suffix or "no extension"
            raise DataError(f"{path}: batch prediction reads {', '.join(_FORMATS)} files, not {suffix!r}")
        by_format.setdefault(kind, path)
    if len(by_format) > 1:
        raise DataError(
            f"inputs mix CSV ({by_format['csv']}) and Parquet ({by_format['parquet']}) files; "
            "predict each format in its own run"
        )
    return files, next(iter(by_format))


@dataclass(frozen=True)
class Source:
    """One input file: its format, columns as read, and row count when a Parquet footer tells it."""

    path: Path
    kind: str
    schema: pa.Schema
    rows: int | None


@dataclass(frozen=True)
class Part:
    """Rows on their way to the model: kept columns first, then the model's conformed inputs."""

    table: pa.Table
    first_row: int
    files: tuple[Path, ...]


def _csv_options(schema: InputSchema, columns: list[str] | None) -> dict[str, Any]:
    # As headrace.data.read_table parses CSV (so ingest and prediction agree), but the
    # model's columns are read as its types rather than inferred: a text column of
    # digits stays text, a count column with a stray letter fails here, by name.
    convert = pa_csv.ConvertOptions(
        column_types={spec.name: spec.arrow_type for spec in schema.fields},
        include_columns=columns,
        strings_can_be_null=False,
    )
    return {"parse_options": pa_csv.ParseOptions(newlines_in_values=True), "convert_options": convert}


def open_source(path: Path, kind: str, schema: InputSchema) -> Source:
    """Open ``path`` (a ``kind`` file); check, before anything is predicted, that it has the model's columns.

    Raises
    ------
    DataError
        The file cannot be read, lacks a model input column, or has one of a type that
        cannot be cast to the model's.
    """
    try:
        if kind == "parquet":
            with pq.ParquetFile(path) as file:
                physical, rows = file.schema_arrow, file.metadata.num_rows
        else:
            # The streaming reader infers the other columns' types from the first block.
            with pa_csv.open_csv(path, **_csv_options(schema, None)) as reader:
                physical, rows = reader.schema, None
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OSError) as exc:
        raise _read_error(path, kind, exc) from exc
    # Conforming no rows checks the names and that each column's type can be cast.
    schema.conform(physical.empty_table(), source=str(path))
    return Source(path, kind, physical, rows)


def read_parts(
    sources: list[Source], keep: list[pa.Field], schema: InputSchema, batch_rows: int
) -> Iterator[Part]:
    """Every row of ``sources``, in order, in parts of ``batch_rows`` rows (the last may have fewer).

    Each part holds the ``keep`` columns (cast to the given types: those of the first
    file) and then the model's input columns, conformed to ``schema``.

    Raises
    ------
    DataError
        A file cannot be read, or a value cannot take the model's type or the kept
        column's type; the message names the file and the column.
    """
    return _regroup(_read(sources, keep, schema, batch_rows), batch_rows)


def _read(
    sources: list[Source], keep: list[pa.Field], schema: InputSchema, batch_rows: int
) -> Iterator[Part]:
    names = [field.name for field in keep]
    columns = list(dict.fromkeys([*names, *schema.names]))
    first_row = 0
    for source in sources:
        batches = _batches(source, columns, schema, batch_rows)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                break
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OSError) as exc:
                raise _read_error(source.path, source.kind, exc) from exc
            table = pa.Table.from_batches([batch])
            features = schema.conform(table, source=str(source.path))
            kept = [_cast_kept(table.column(field.name), field, source) for field in keep]
            combined = pa.Table.from_arrays(
                [*kept, *features.columns], names=[*names, *features.column_names]
            )
            yield Part(combined, first_row, (source.path,))
            first_row += batch.num_rows


def _batches(
    source: Source, columns: list[str], schema: InputSchema, batch_rows: int
) -> Iterator[pa.RecordBatch]:
    if source.kind == "csv":
        with pa_csv.open_csv(source.path, **_csv_options(schema, columns)) as reader:
            yield from reader
        return
    # ParquetFile rather than a pyarrow.dataset scan: a dataset scan keeps part of what
    # it read until the scan ends, so its memory grows with the file
    # (https://github.com/apache/arrow/issues/39808), and pre-buffering holds whole row
    # groups ahead; this reader frees each batch once it is dropped.
    with pq.ParquetFile(source.path, pre_buffer=False) as file:
        yield from file.iter_batches(batch_size=batch_rows, columns=columns, use_threads=True)


def _cast_kept(column: pa.ChunkedArray, field: pa.Field, source: Source) -> pa.ChunkedArray:
    if column.type == field.type:
        return column
    try:
        return column.cast(field.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise DataError(
            f"{source.path}: kept column {field.name!r} is {column.type} and cannot be read as {field.type}, "
            f"its type in the first input file: {exc}"
        ) from exc


def _regroup(parts: Iterator[Part], rows: int) -> Iterator[Part]:
    """Regroup parts into ``rows`` rows each, across files.

    Files with small row groups (or CSV blocks) would otherwise make small model calls,
    each paying the fixed cost of pandas and scikit-learn. Slicing and concatenating
    Arrow tables copies nothing.
    """
    held: list[Part] = []
    count = 0
    for part in parts:
        if part.table.num_rows == 0:
            continue
        held.append(part)
        count += part.table.num_rows
        while count >= rows:
            merged = _merge(held)
            yield Part(merged.table.slice(0, rows), merged.first_row, merged.files)
            rest = merged.table.slice(rows)
            held = [Part(rest, merged.first_row + rows, merged.files[-1:])] if rest.num_rows else []
            count -= rows
    if held:
        yield _merge(held)


def _merge(parts: list[Part]) -> Part:
    if len(parts) == 1:
        return parts[0]
    files = tuple(dict.fromkeys(path for part in parts for path in part.files))
    return Part(pa.concat_tables([part.table for part in parts]), parts[0].first_row, files)


def _read_error(path: Path, kind: str, exc: Exception) -> DataError:
    message = str(exc)
    if kind == "csv":
        names = _csv_header(path)
        # Arrow numbers CSV columns; say which column that is.
        message = re.sub(
            r"CSV column #(\d+)",
            lambda m: f"CSV column #{m[1]} ({names[int(m[1])]!r})" if int(m[1]) < len(names) else m[0],
            message,
        )
    return DataError(f"{path}: cannot be read as {kind.upper() if kind == 'csv' else 'Parquet'}: {message}")


def _csv_header(path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8", errors="replace") as file:
            return next(csv.reader(file), [])
    except OSError:
        return []
