"""Inferring which columns are features, and of what kind, from a table's schema."""

from __future__ import annotations

import pyarrow as pa

from headrace.errors import DataError
from headrace.project.config import FeaturesConfig

__all__ = ["infer_features"]

# A string column whose values average more characters than this is read as free text;
# shorter strings with few distinct values are categories.
_TEXT_MIN_MEAN_LENGTH = 30
_MAX_CATEGORIES = 50


def infer_features(table: pa.Table, *, exclude: set[str]) -> FeaturesConfig:
    """Choose feature columns by type when the project file names none."""
    text: list[str] = []
    numeric: list[str] = []
    categorical: list[str] = []
    for field in table.schema:
        if field.name in exclude or field.name.startswith("__"):
            continue
        column = table.column(field.name)
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            values = column.drop_null()
            mean_length = sum(len(v) for v in values.to_pylist()) / len(values) if len(values) else 0.0
            if mean_length > _TEXT_MIN_MEAN_LENGTH:
                text.append(field.name)
            elif len(values.unique()) <= _MAX_CATEGORIES:
                categorical.append(field.name)
        elif pa.types.is_integer(field.type) or pa.types.is_floating(field.type):
            numeric.append(field.name)
        elif pa.types.is_boolean(field.type) or pa.types.is_dictionary(field.type):
            categorical.append(field.name)
    if not (text or numeric or categorical):
        raise DataError(
            "no usable feature column found; name them under train.features (text, numeric, categorical)"
        )
    return FeaturesConfig(text=text, numeric=numeric, categorical=categorical)
