"""Featurizers built from the data's schema.

One ``ColumnTransformer`` turns the feature columns into one matrix:

* text → word (1–2-gram) and character (2–5-gram, within words) TF-IDF, plus sentence
  embeddings when ``features.embeddings`` is true (:mod:`headrace.train.embeddings`);
* numeric → median imputation, then standard scaling;
* categorical → one-hot, except columns with more than ``max_one_hot`` distinct values in
  the training rows, which are target encoded (scikit-learn ``TargetEncoder``, whose
  ``fit_transform`` cross-fits so a row's encoding never saw its own label).

A featurizer is fitted once per search on the (unexpanded) training rows with their
hard labels — target encoding needs a label per row — and ends up as the first step of
the model's ``Pipeline``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

from headrace.errors import DataError
from headrace.project.config import FeaturesConfig

__all__ = ["MAX_ONE_HOT", "build_featurizer", "high_cardinality_columns"]

#: Categorical columns with more distinct training values than this are target encoded.
MAX_ONE_HOT = 50


def high_cardinality_columns(
    features: FeaturesConfig, frame: pd.DataFrame, *, max_one_hot: int = MAX_ONE_HOT
) -> list[str]:
    """The categorical columns of ``frame`` with more than ``max_one_hot`` distinct values."""
    return [c for c in features.categorical if frame[c].nunique(dropna=False) > max_one_hot]


def build_featurizer(
    features: FeaturesConfig, frame: pd.DataFrame | None = None, *, max_one_hot: int = MAX_ONE_HOT
) -> ColumnTransformer:
    """An unfitted ColumnTransformer for ``features``.

    Parameters
    ----------
    features : FeaturesConfig
        The columns by kind, and whether to add sentence embeddings of the text columns.
    frame : DataFrame, optional
        The training rows (as :func:`headrace.data.prepare_frame` makes them); used only
        to count categories. Without it every categorical column is one-hot encoded.
    max_one_hot : int
        Categorical columns with more distinct values are target encoded instead.

    Raises
    ------
    TrainingError
        ``features.embeddings`` is true but the ``text-embeddings`` extra is not installed.
    DataError
        ``frame`` lacks a feature column.

    Examples
    --------
    >>> build_featurizer(FeaturesConfig(numeric=["age"])).transformers[0][0]
    'numeric'
    """
    parts: list[tuple[str, Any, str | list[str]]] = []
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
    if features.embeddings and features.text:
        from headrace.train.embeddings import SentenceEmbeddings, require_embeddings

        require_embeddings()
        for column in features.text:
            parts.append((f"{column}_embedding", SentenceEmbeddings(), column))
    if features.numeric:
        parts.append(
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler()),
                features.numeric,
            )
        )
    high: list[str] = []
    if frame is not None:
        missing = [c for c in features.categorical if c not in frame.columns]
        if missing:
            raise DataError(f"feature column(s) {missing} are not in the training rows")
        high = high_cardinality_columns(features, frame, max_one_hot=max_one_hot)
    low = [c for c in features.categorical if c not in high]
    if low:
        parts.append(("categorical", OneHotEncoder(handle_unknown="ignore"), low))
    if high:
        parts.append(("target_encoded", TargetEncoder(), high))
    return ColumnTransformer(parts, sparse_threshold=1.0)
