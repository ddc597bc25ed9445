"""Reading data files (CSV, Parquet, JSON lines) into Arrow tables.

Errors from the readers are translated into :class:`~headrace.errors.DataError`
naming the file and, where the reader knows it, the row.
"""

from __future__ import annotations

import glob
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from headrace.errors import DataError

__all__ = ["SUPPORTED_SUFFIXES", "read_sources", "read_table", "resolve_sources"]

SUPPORTED_SUFFIXES = (".csv", ".parquet", ".pq", ".jsonl", ".ndjson")


def resolve_sources(root: Path, patterns: list[str], *, key: str) -> list[Path]:
    """Expand file names and globs (relative to ``root``) into a sorted list of files.

    ``key`` is the project-file key the patterns came from, for the error message.
    """
    files: list[Path] = []
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(root / pattern)
        matches = sorted(Path(p) for p in glob.glob(full, recursive=True) if Path(p).is_file())
        if not matches:
            raise DataError(f"{key}: {pattern!r} matches no file under {root}")
        for match in matches:
            if match.suffix.lower() not in SUPPORTED_SUFFIXES:
                raise DataError(
                    f"{key}: {match} has an unsupported format; use one of {', '.join(SUPPORTED_SUFFIXES)}"
                )
        files.extend(matches)
    return list(dict.fromkeys(files))


def read_table(path: Path) -> pa.Table:
    """Read one CSV, Parquet or JSON-lines file into an Arrow table."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pa_csv.read_csv(
                path,
                parse_options=pa_csv.ParseOptions(newlines_in_values=True),
                convert_options=pa_csv.ConvertOptions(strings_can_be_null=False),
            )
        if suffix in (".parquet", ".pq"):
            return pq.read_table(path)
        if suffix in (".jsonl", ".ndjson"):
            return pa_json.read_json(path)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        raise DataError(f"{path}: cannot be read as {suffix[1:].upper()}: {exc}") from exc
    raise DataError(f"{path}: unsupported format; use one of {', '.join(SUPPORTED_SUFFIXES)}")


def read_sources(files: list[Path]) -> pa.Table:
    """Read and concatenate files, unifying compatible schemas (e.g. int and null)."""
    tables = [read_table(path) for path in files]
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        names = ", ".join(str(p) for p in files)
        raise DataError(f"files {names} have incompatible columns: {exc}") from exc
