"""ModelPackage: a fitted pipeline with its classes, features and lineage, as one blob."""

from __future__ import annotations

import dataclasses
import io

import joblib
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from headrace.errors import DataError, ModelPackageError, NotFoundError
from headrace.project import FeaturesConfig
from headrace.registry import ModelPackage, load_model, register_model
from headrace.store import Store
from headrace.train import TrainingSet, fit_pipeline

FEATURES = FeaturesConfig(text=["content"])
TEXTS = [
    "check out my channel",
    "subscribe to my channel now",
    "free money at my channel",
    "love this song",
    "this song is great",
    "best song ever",
]
LABELS = [1, 1, 1, 0, 0, 0]
QUERY = pa.table({"id": [1, 2], "content": ["please subscribe to my channel", "what a song"]})


@pytest.fixture(scope="module")
def package() -> ModelPackage:
    probs = np.eye(2)[LABELS]
    training = TrainingSet(frame=pd.DataFrame({"content": TEXTS}), probs=probs)
    pipeline = fit_pipeline(training, FEATURES, cardinality=2, seed=0)
    return ModelPackage(
        pipeline=pipeline,
        classes=["ham", "spam"],
        features=FEATURES,
        input_schema={"content": "string"},
        lineage={"snapshot": "a" * 64},
    )


def test_a_package_predicts_class_indices_from_a_table(package: ModelPackage) -> None:
    probs = package.predict_proba(QUERY)

    assert probs.shape == (2, 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_array_equal(package.predict(QUERY), probs.argmax(axis=1))
    assert package.predict(QUERY).tolist() == [1, 0]


def test_a_table_without_the_feature_columns_is_a_data_error(package: ModelPackage) -> None:
    with pytest.raises(DataError, match=r"feature column\(s\) \['content'\] are not in the data"):
        package.predict(pa.table({"text": ["x"]}))


def test_to_bytes_and_from_bytes_round_trip(package: ModelPackage) -> None:
    loaded = ModelPackage.from_bytes(package.to_bytes())

    assert loaded.classes == ["ham", "spam"]
    assert loaded.features == FEATURES
    assert loaded.input_schema == {"content": "string"}
    assert loaded.lineage == {"snapshot": "a" * 64}
    np.testing.assert_array_equal(loaded.predict_proba(QUERY), package.predict_proba(QUERY))


@pytest.mark.parametrize("data", [b"", b"not a model package", b"\x80\x04garbage"])
def test_garbage_bytes_are_a_model_package_error(data: bytes) -> None:
    with pytest.raises(ModelPackageError, match="cannot load model package"):
        ModelPackage.from_bytes(data)


def test_another_pickled_object_is_not_a_model_package() -> None:
    buffer = io.BytesIO()
    joblib.dump({"pipeline": None}, buffer)

    with pytest.raises(
        ModelPackageError, match="object is not a headrace model package of format 1; retrain"
    ):
        ModelPackage.from_bytes(buffer.getvalue())


def test_a_package_of_another_format_is_refused(package: ModelPackage) -> None:
    future = dataclasses.replace(package, format=2)

    with pytest.raises(ModelPackageError, match="not a headrace model package of format 1"):
        ModelPackage.from_bytes(future.to_bytes())


def test_load_model_reads_the_package_a_reference_names(store: Store, package: ModelPackage) -> None:
    object_id = store.put("model", data=package.to_bytes())
    run_id = store.runs.start("train")
    register_model(
        store, object_id=object_id, train_run_id=run_id, eval_run_id=None, metrics={}, alias="prod"
    )

    loaded = load_model(store, "prod")

    assert loaded.predict(QUERY).tolist() == package.predict(QUERY).tolist()
    with pytest.raises(NotFoundError):
        load_model(store, "staging")


def test_load_model_of_a_corrupt_blob_is_a_model_package_error(store: Store) -> None:
    object_id = store.put("model", data=b"corrupt")
    register_model(
        store, object_id=object_id, train_run_id=store.runs.start("train"), eval_run_id=None, metrics={}
    )

    with pytest.raises(ModelPackageError, match="cannot load model package"):
        load_model(store, "1")
