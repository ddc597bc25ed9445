"""Featurizers built from the data's schema: text → TF-IDF, numbers → scaled, categories → one-hot."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from headrace.errors import DataError
from headrace.project.config import FeaturesConfig

__all__ = ["build_featurizer", "infer_features", "prepare_frame"]

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
            mean_length = (
                sum(len(v) for v in values.to_pylist()) / len(values) if len(values) else 0.0
            )
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


def prepare_frame(table: pa.Table, features: FeaturesConfig) -> pd.DataFrame:
    """Select the feature columns as a DataFrame, with text nulls as empty strings."""
    columns = [*features.text, *features.numeric, *features.categorical]
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise DataError(f"feature column(s) {missing} are not in the data; columns: {table.column_names}")
    frame = table.select(columns).to_pandas()
    for column in features.text:
        frame[column] = frame[column].fillna("").astype(str)
    for column in features.categorical:
        frame[column] = frame[column].astype("string").fillna("").astype(object)
    return frame


def build_featurizer(features: FeaturesConfig) -> ColumnTransformer:
    """An unfitted ColumnTransformer for ``features``: word and character TF-IDF per text column."""
    parts: list[tuple[str, object, str | list[str]]] = []
    for column in features.text:
        parts.append(
            (f"{column}_words", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True), column)
        )
        parts.append(
            (
                f"{column}_chars",
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True),
                column,
            )
        )
    if features.numeric:
        parts.append(
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), features.numeric)
        )
    if features.categorical:
        parts.append(("categorical", OneHotEncoder(handle_unknown="ignore"), features.categorical))
    return ColumnTransformer(parts, sparse_threshold=1.0)
