"""Building blocks of the registry tests: a small fitted TF-IDF + logistic regression package."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from headrace.project import FeaturesConfig
from headrace.registry import ModelPackage, ModelVersion, register_model, save_package
from headrace.store import Store

FEATURES = FeaturesConfig(text=["content"], numeric=["links"])
SCHEMA = {"content": "string", "links": "int64"}
TRAIN = pd.DataFrame(
    {
        "content": [
            "check out my channel",
            "subscribe to my channel now",
            "free money at my channel",
            "love this song",
            "this song is great",
            "best song ever",
        ],
        "links": [2, 1, 3, 0, 0, 1],
    }
)
LABELS = [1, 1, 1, 0, 0, 0]
#: Rows to predict: an extra id column, a missing text and a missing count.
QUERY = pa.table(
    {
        "id": [1, 2, 3, 4],
        "content": ["please subscribe to my channel", "what a song", None, "my channel song"],
        "links": [1, 0, 2, None],
    }
)


def fit_pipeline(seed: int = 0, c: float = 4.0) -> Pipeline:
    """A tiny fitted pipeline of the shape headrace trains (featurizer + classifier)."""
    featurizer = ColumnTransformer(
        [
            ("words", TfidfVectorizer(), "content"),
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["links"]),
        ]
    )
    model = LogisticRegression(C=c, random_state=seed)
    return Pipeline([("features", featurizer), ("model", model)]).fit(TRAIN, LABELS)


def make_package(c: float = 4.0, **kwargs: object) -> ModelPackage:
    """A package around a freshly fitted pipeline; ``c`` varies the model (and so its id)."""
    return ModelPackage(
        pipeline=fit_pipeline(c=c),
        classes=["ham", "spam"],
        features=FEATURES,
        input_schema=SCHEMA,
        lineage={"snapshot": "a" * 64, "training_labels": "b" * 64},
        **kwargs,  # type: ignore[arg-type]
    )


def register(store: Store, c: float = 4.0, alias: str | None = None, **kwargs: object) -> ModelVersion:
    """Save a package (trained with ``C=c``) from a recorded train run and register it."""
    with store.runs.recording("train") as run:
        run.outputs["model"] = save_package(store, make_package(c))
    version, _ = register_model(
        store,
        object_id=run.outputs["model"],
        train_run_id=run.id,
        eval_run_id=None,
        metrics={"f1": 0.5},
        alias=alias,
        **kwargs,  # type: ignore[arg-type]
    )
    return version
