"""Building blocks of the batch prediction tests: models, input files and a project."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from headrace.project import FeaturesConfig
from headrace.registry import ModelPackage
from headrace.serve import ServedModel
from headrace.store import Store
from tests.registry.builders import register

#: The numeric model's input columns.
NUMERIC = ["x0", "x1", "x2", "x3"]

PROJECT_FILE = """\
name: batch-predict
data: {unlabeled: data/*.csv, id: comment_id}
task: {labels: [ham, spam]}
"""


def numeric_model(seed: int = 0) -> ServedModel:
    """A logistic regression over four float columns, with no imputer (a null makes it fail)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.standard_normal((500, len(NUMERIC))), columns=NUMERIC)
    labels = (frame.sum(axis=1) > 0).astype(int)
    pipeline = Pipeline(
        [
            ("features", ColumnTransformer([("numeric", StandardScaler(), NUMERIC)])),
            ("model", LogisticRegression()),
        ]
    ).fit(frame, labels)
    package = ModelPackage(
        pipeline=pipeline,
        classes=["low", "high"],
        features=FeaturesConfig(numeric=NUMERIC),
        input_schema=dict.fromkeys(NUMERIC, "double"),
    )
    return ServedModel(package, None, "numeric")


def numeric_table(rows: int, *, start: int = 0, seed: int = 0) -> pa.Table:
    """``rows`` rows of the numeric model's columns after an ``id`` column (``start``, ``start + 1``, …)."""
    rng = np.random.default_rng(seed)
    columns = {name: rng.standard_normal(rows) for name in NUMERIC}
    return pa.table({"id": np.arange(start, start + rows), **columns})


def write_numeric_parquet(path: Path, rows: int, *, row_group: int, seed: int = 0) -> Path:
    """A Parquet file of :func:`numeric_table` rows, written a row group at a time."""
    with pq.ParquetWriter(path, numeric_table(0).schema) as writer:
        for start in range(0, rows, row_group):
            size = min(row_group, rows - start)
            writer.write_table(numeric_table(size, start=start, seed=seed + start))
    return path


def text_rows(count: int, *, start: int = 0) -> pa.Table:
    """Rows for the registry builders' TF-IDF model: ids, texts (some null) and link counts."""
    words = ["check out my channel", "great song", "subscribe now", "love it", "0123"]
    return pa.table(
        {
            "comment_id": [f"c-{i}" for i in range(start, start + count)],
            "content": [None if i % 7 == 3 else words[i % len(words)] for i in range(start, start + count)],
            "links": [None if i % 5 == 4 else i % 3 for i in range(start, start + count)],
        }
    )


def make_project(root: Path) -> Path:
    """A project whose ``production`` alias is the builders' TF-IDF model (v1)."""
    root.mkdir(parents=True)
    (root / "headrace.yaml").write_text(PROJECT_FILE)
    with Store.for_project(root) as store:
        register(store, c=4.0, alias="production")
    return root
