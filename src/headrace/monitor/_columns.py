"""Checks and conversions of the feature columns monitoring reads.

The reference table, a current table and the prediction log's ``inputs`` struct are
all checked here, once, with the same messages; the samples kept for raw-value tests
are all converted here to one layout (text and categories as strings, numbers as
float64), so the two sides of a test always compare like with like.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from headrace.errors import DataError
from headrace.monitor.summary import category_strings

__all__ = ["check_feature_columns", "normalize_sample"]


def _numeric(t: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t) or pa.types.is_decimal(t)
    )


def _text(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


def _categorical(t: pa.DataType) -> bool:
    return bool(_text(t) or pa.types.is_integer(t) or pa.types.is_boolean(t) or pa.types.is_dictionary(t))


_KIND_CHECKS: dict[str, tuple[Callable[[pa.DataType], bool], str]] = {
    "numeric": (_numeric, "integers, floats or booleans"),
    "text": (_text, "strings"),
    "categorical": (_categorical, "strings, integers or booleans"),
}


def check_feature_columns(schema: pa.Schema, features: dict[str, list[str]], where: str) -> None:
    """Raise :class:`DataError` unless ``schema`` holds every feature column with a usable type."""
    seen: dict[str, str] = {}
    for kind, names in features.items():
        accepts, expected = _KIND_CHECKS[kind]
        for name in names:
            if name in seen:
                raise DataError(
                    f"column {name!r} is listed as both {seen[name]} and {kind} in train.features; "
                    "list it once"
                )
            seen[name] = kind
            if name not in schema.names:
                raise DataError(
                    f"{where}: {kind} column {name!r} is missing; it has columns "
                    f"{', '.join(repr(n) for n in schema.names) or 'none'}. Add the column, or remove it "
                    f"from train.features.{kind}"
                )
            column_type = schema.field(name).type
            if not accepts(column_type):
                raise DataError(
                    f"{where}: {kind} column {name!r} must hold {expected}, got {column_type}. Convert the "
                    f"column, or list it under another kind in train.features"
                )


def normalize_sample(
    table: pa.Table, *, text: list[str], numeric: list[str], categorical: list[str]
) -> pa.Table:
    """Sample columns as the tests read them: text and categories as strings, numbers as float64.

    Non-finite numbers become nulls.
    """
    columns: dict[str, pa.Array] = {}
    for name in text:
        columns[name] = pc.cast(table.column(name), pa.string()).combine_chunks()
    for name in numeric:
        values = pc.cast(table.column(name), pa.float64()).combine_chunks()
        # Non-finite numbers are missing values everywhere in monitoring (and NaN != NaN
        # would make equal samples compare unequal).
        columns[name] = pc.if_else(pc.is_finite(values), values, pa.scalar(None, pa.float64()))
    for name in categorical:
        columns[name] = category_strings(table.column(name))
    if not columns:
        return pa.table({})
    return pa.table(columns)
