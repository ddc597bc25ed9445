"""Featurizers built from the data's schema: text → TF-IDF, numbers → scaled, categories → one-hot."""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from headrace.project.config import FeaturesConfig

__all__ = ["build_featurizer"]


def build_featurizer(features: FeaturesConfig) -> ColumnTransformer:
    """An unfitted ColumnTransformer for ``features``: word and character TF-IDF per text column."""
    parts: list[tuple[str, object, str | list[str]]] = []
    for column in features.text:
        parts.append(
            (
                f"{column}_words",
                TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True),
                column,
            )
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
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                features.numeric,
            )
        )
    if features.categorical:
        parts.append(("categorical", OneHotEncoder(handle_unknown="ignore"), features.categorical))
    return ColumnTransformer(parts, sparse_threshold=1.0)
