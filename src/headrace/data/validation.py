"""Checks a table must pass before it becomes a snapshot."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from headrace.errors import DataError

__all__ = ["encode_labels", "require_columns", "require_unique_ids"]


def require_columns(table: pa.Table, columns: list[str], *, source: str, key: str) -> None:
    """Fail with the missing column, where it was named, and what the file has."""
    for column in columns:
        if column not in table.column_names:
            raise DataError(
                f"{source}: has no column {column!r} (named by {key}); columns present: {table.column_names}"
            )


def require_unique_ids(table: pa.Table, id_column: str, *, source: str) -> None:
    """Fail on a null or repeated id, naming the first offending row."""
    ids = table.column(id_column)
    if ids.null_count:
        row = pc.index(pc.is_null(ids), True).as_py()
        raise DataError(f"{source}: row {row} has no {id_column!r} (data.id); every row needs one")
    counts = pc.value_counts(ids)
    repeated = pc.filter(counts, pc.greater(counts.field("counts"), 1))
    if len(repeated):
        value = repeated[0]["values"].as_py()
        raise DataError(
            f"{source}: id {value!r} appears {repeated[0]['counts'].as_py()} times in column "
            f"{id_column!r} (data.id); ids must be unique"
        )


def encode_labels(
    table: pa.Table, label_column: str, classes: list[str], *, id_column: str, source: str
) -> pa.Array:
    """Map a gold label column (class names or indices) to class indices ``0..k-1``."""
    values = table.column(label_column).to_pylist()
    ids = table.column(id_column).to_pylist()
    index = {name: i for i, name in enumerate(classes)}
    encoded: list[int] = []
    for row_id, value in zip(ids, values, strict=True):
        if isinstance(value, str) and value in index:
            encoded.append(index[value])
        elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(classes):
            encoded.append(value)
        else:
            raise DataError(
                f"{source}: row {row_id!r} has label {value!r} in column {label_column!r}; "
                f"expected one of {classes} (task.labels) or an index 0..{len(classes) - 1}"
            )
    return pa.array(encoded, type=pa.int8())
