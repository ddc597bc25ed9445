"""Selecting the feature columns of an Arrow table as the DataFrame a fitted pipeline reads.

Kept free of scikit-learn so that loading and serving a model package imports only
what prediction needs.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from headrace.errors import DataError
from headrace.project.config import FeaturesConfig

__all__ = ["prepare_frame"]


def prepare_frame(table: pa.Table, features: FeaturesConfig) -> pd.DataFrame:
    """Select the feature columns as a DataFrame, with text nulls as empty strings."""
    columns = [*features.text, *features.numeric, *features.categorical]
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise DataError(f"feature column(s) {missing} are not in the data; columns: {table.column_names}")
    frame: pd.DataFrame = table.select(columns).to_pandas()
    for column in features.text:
        frame[column] = frame[column].fillna("").astype(str)
    for column in features.categorical:
        frame[column] = frame[column].astype("string").fillna("").astype(object)
    return frame
