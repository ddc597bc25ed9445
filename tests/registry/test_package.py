"""Model packages: a manifest plus files in the store, verified byte for byte before anything is unpickled."""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path

import joblib
import numpy as np
import pyarrow as pa
import pytest
from sklearn.pipeline import Pipeline

from headrace import __version__
from headrace.errors import DataError, ModelPackageError
from headrace.registry import (
    FORMAT_VERSION,
    Manifest,
    ModelPackage,
    load_package,
    read_manifest,
    read_package_directory,
    save_package,
    verify_package,
    write_package_directory,
)
from headrace.registry.manifest import library_versions
from headrace.store import Store, canonical_json, hash_bytes
from tests.registry.builders import FEATURES, QUERY, SCHEMA, fit_pipeline, make_package


class _Touch:
    """Unpickling this creates ``path``: proof of whether a pickle was ever loaded."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.path),))  # type: ignore[return-value]


def evil_pickle(marker: Path) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(_Touch(marker), buffer)
    return buffer.getvalue()


def store_manifest(store: Store, manifest: Manifest) -> str:
    """Store a hand-made manifest (consistent with its own id)."""
    return store.put("model", data=manifest.to_bytes())


# ---- prediction -----------------------------------------------------------------


def test_a_package_predicts_class_indices_from_a_table(package: ModelPackage) -> None:
    probs = package.predict_proba(QUERY)

    assert probs.shape == (4, 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_array_equal(package.predict(QUERY), probs.argmax(axis=1))
    assert package.predict(QUERY)[:2].tolist() == [1, 0]


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.7, 1.0])
def test_a_threshold_decides_class_one_when_its_probability_exceeds_it(threshold: float) -> None:
    package = make_package(threshold=threshold)

    p_spam = package.predict_proba(QUERY)[:, 1]

    assert package.predict(QUERY).tolist() == [int(p > threshold) for p in p_spam]


def test_a_threshold_of_one_half_agrees_with_the_argmax(package: ModelPackage) -> None:
    halfway = make_package(threshold=0.5)

    assert halfway.predict(QUERY).tolist() == package.predict(QUERY).tolist()


def test_the_package_decides_as_training_tuned_and_scored_the_threshold() -> None:
    from headrace.train import decide  # the rule training tunes thresholds with

    class Fixed:
        def predict_proba(self, frame: object) -> np.ndarray:
            return np.array([[0.7, 0.3], [0.5, 0.5], [0.3, 0.7], [0.6, 0.4]])

    for threshold in (None, 0.3, 0.4, 0.5, 0.7):
        package = ModelPackage(Fixed(), ["ham", "spam"], FEATURES, SCHEMA, threshold=threshold)
        assert package.predict(QUERY).tolist() == decide(package.predict_proba(QUERY), threshold).tolist()


def test_prediction_does_not_change_the_package(package: ModelPackage) -> None:
    before = pickle.dumps(package.pipeline)

    package.predict(QUERY)

    assert pickle.dumps(package.pipeline) == before


def test_a_table_without_the_feature_columns_is_a_data_error(package: ModelPackage) -> None:
    with pytest.raises(DataError, match=r"feature column\(s\) \['content', 'links'\] are not in the data"):
        package.predict(pa.table({"text": ["x"]}))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"threshold": 1.5}, "threshold must be between 0 and 1, got 1.5"),
        (
            {"threshold": 0.5, "classes": ["a", "b", "c"]},
            "a decision threshold needs a binary model; this one has 3",
        ),
        ({"classes": ["ham", "ham"]}, r"classes must be at least two unique names, got \['ham', 'ham'\]"),
        ({"input_schema": {"content": "string"}}, r"input_schema must .* missing \['links'\]"),
    ],
)
def test_an_inconsistent_package_is_refused_at_construction(changes: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "pipeline": None,
        "classes": ["ham", "spam"],
        "features": FEATURES,
        "input_schema": SCHEMA,
        **changes,
    }
    with pytest.raises(ModelPackageError, match=message):
        ModelPackage(**fields)  # type: ignore[arg-type]


# ---- saving and loading ------------------------------------------------------------


def test_save_and_load_round_trip_predicts_identically(store: Store) -> None:
    package = make_package(threshold=0.4, metrics={"dev_f1": 0.75})

    object_id = save_package(store, package)
    loaded = load_package(store, object_id)

    np.testing.assert_array_equal(loaded.predict_proba(QUERY), package.predict_proba(QUERY))
    np.testing.assert_array_equal(loaded.predict(QUERY), package.predict(QUERY))
    for name in ("classes", "features", "input_schema", "lineage", "threshold", "metrics"):
        assert getattr(loaded, name) == getattr(package, name), name
    assert loaded.object_id == object_id
    assert loaded.manifest is not None and loaded.manifest.threshold == 0.4
    assert loaded.compatibility == ()


def test_the_manifest_is_canonical_json_whose_hash_is_the_model_id(
    store: Store, package: ModelPackage
) -> None:
    object_id = save_package(store, package)

    data = store.objects.read_bytes(object_id)
    manifest = json.loads(data)

    assert hash_bytes(data) == object_id
    assert canonical_json(manifest).encode() == data
    assert store.object_info(object_id).kind == "model"
    assert manifest["type"] == "headrace.model_package" and manifest["format_version"] == FORMAT_VERSION
    assert manifest["input_schema"] == SCHEMA and manifest["classes"] == ["ham", "spam"]
    assert manifest["featurizer"]["text"] == ["content"] and manifest["featurizer"]["numeric"] == ["links"]
    assert manifest["lineage"] == {"snapshot": "a" * 64, "training_labels": "b" * 64}
    assert manifest["threshold"] is None and manifest["metrics"] == {}
    assert manifest["pipeline_steps"] == [
        "features: sklearn.compose._column_transformer.ColumnTransformer",
        "model: sklearn.linear_model._logistic.LogisticRegression",
    ]
    assert set(manifest["libraries"]) == {
        "python",
        "headrace",
        "scikit-learn",
        "numpy",
        "pandas",
        "pyarrow",
        "joblib",
    }
    assert manifest["libraries"]["headrace"] == __version__
    (entry,) = manifest["files"]
    assert (entry["name"], entry["role"]) == ("pipeline.joblib", "pipeline")
    assert store.object_info(entry["sha256"]).kind == "model_file"
    assert entry["size"] == len(store.objects.read_bytes(entry["sha256"]))


def test_saving_the_same_package_twice_gives_the_same_id(store: Store, package: ModelPackage) -> None:
    assert save_package(store, package) == save_package(store, package)


def test_library_versions_name_lightgbm_only_when_the_pipeline_uses_it() -> None:
    from lightgbm import LGBMClassifier

    with_lgbm = Pipeline([("model", LGBMClassifier(verbose=-1))])

    assert "lightgbm" in library_versions(with_lgbm)
    assert "lightgbm" not in library_versions(fit_pipeline())


# ---- refusals --------------------------------------------------------------------


def test_a_tampered_file_is_refused_before_it_is_unpickled(
    store: Store, package: ModelPackage, tmp_path: Path
) -> None:
    object_id = save_package(store, package)
    entry = read_manifest(store, object_id).file("pipeline.joblib")
    marker = tmp_path / "unpickled"
    evil = evil_pickle(marker)
    store.objects.path(entry.sha256).write_bytes(evil)

    with pytest.raises(
        ModelPackageError,
        match=rf"model file 'pipeline.joblib' of model {object_id} does not match its manifest: "
        rf"expected sha256 {entry.sha256} \({entry.size} bytes\), got {hash_bytes(evil)} "
        rf"\({len(evil)} bytes\); refusing to unpickle it",
    ):
        load_package(store, object_id)
    with pytest.raises(ModelPackageError, match="does not match its manifest"):
        verify_package(store, object_id)
    assert not marker.exists()
    # The replacement really was live: loading it unchecked would have run its code.
    joblib.load(store.objects.path(entry.sha256))
    assert marker.exists()


def test_a_tampered_manifest_is_refused(store: Store, package: ModelPackage) -> None:
    object_id = save_package(store, package)
    path = store.objects.path(object_id)
    path.write_bytes(path.read_bytes().replace(b'"threshold":null', b'"threshold":0.01'))

    with pytest.raises(
        ModelPackageError,
        match=rf"the manifest of model {object_id} is corrupt: its bytes hash to [0-9a-f]{{64}}",
    ):
        load_package(store, object_id)


def test_a_missing_file_is_named(store: Store, package: ModelPackage) -> None:
    object_id = save_package(store, package)
    entry = read_manifest(store, object_id).file("pipeline.joblib")
    store.objects.path(entry.sha256).unlink()

    with pytest.raises(
        ModelPackageError,
        match=rf"model file 'pipeline.joblib' \(object {entry.sha256}\) of model {object_id} is missing",
    ):
        load_package(store, object_id)


def test_an_object_of_another_kind_is_not_a_model(store: Store) -> None:
    object_id = store.put("snapshot", data=b"rows")

    with pytest.raises(
        ModelPackageError, match=f"object {object_id} is a 'snapshot' object, not a model package"
    ):
        load_package(store, object_id)


def test_an_old_single_pickle_package_is_refused_unopened(store: Store, tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    object_id = store.put("model", data=evil_pickle(marker))

    with pytest.raises(
        ModelPackageError, match=f"object {object_id} is not a model manifest .* retrain the model"
    ):
        load_package(store, object_id)
    assert not marker.exists()


def test_an_unknown_format_version_is_refused(store: Store) -> None:
    future = {"type": "headrace.model_package", "format_version": 2, "files": []}
    object_id = store.put("model", data=canonical_json(future).encode())

    with pytest.raises(
        ModelPackageError,
        match=f"model {object_id} has package format 2; this headrace reads format 1: upgrade headrace",
    ):
        load_package(store, object_id)


def test_an_incomplete_manifest_is_refused(store: Store) -> None:
    partial = {"type": "headrace.model_package", "format_version": 1, "classes": ["a", "b"]}
    object_id = store.put("model", data=canonical_json(partial).encode())

    with pytest.raises(
        ModelPackageError, match=r"the manifest of model .* is invalid: input_schema: Field required"
    ):
        load_package(store, object_id)


def test_a_file_needing_a_missing_module_names_it(store: Store, package: ModelPackage) -> None:
    real = read_manifest(store, save_package(store, package))
    data = b"cheadrace_no_such_module\nThing\n."
    file_id = store.put("model_file", data=data)
    entry = real.files[0].model_copy(update={"sha256": file_id, "size": len(data)})
    object_id = store_manifest(store, real.model_copy(update={"files": [entry]}))

    with pytest.raises(
        ModelPackageError, match="needs the module 'headrace_no_such_module', which is not installed"
    ):
        load_package(store, object_id)


def test_a_file_without_a_fitted_pipeline_is_refused(store: Store, package: ModelPackage) -> None:
    real = read_manifest(store, save_package(store, package))
    buffer = io.BytesIO()
    joblib.dump({"not": "a pipeline"}, buffer)
    file_id = store.put("model_file", data=buffer.getvalue())
    entry = real.files[0].model_copy(update={"sha256": file_id, "size": len(buffer.getvalue())})
    object_id = store_manifest(store, real.model_copy(update={"files": [entry]}))

    with pytest.raises(ModelPackageError, match="holds a dict, not a fitted pipeline with predict_proba"):
        load_package(store, object_id)


# ---- library drift -------------------------------------------------------------------


def test_library_drift_is_noted_not_warned(store: Store, package: ModelPackage) -> None:
    real = read_manifest(store, save_package(store, package))
    drifted = real.model_copy(
        update={"libraries": {**real.libraries, "scikit-learn": "0.0.1", "lightgbm": "0.1"}}
    )

    loaded = load_package(store, store_manifest(store, drifted))

    import sklearn

    assert loaded.compatibility == (
        "lightgbm: packaged with 0.1, running " + _version("lightgbm"),
        f"scikit-learn: packaged with 0.0.1, running {sklearn.__version__}",
    )
    np.testing.assert_array_equal(loaded.predict(QUERY), package.predict(QUERY))


def test_scikit_learn_version_warnings_while_unpickling_become_notes(
    store: Store, package: ModelPackage, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr("sklearn.base.__version__", "0.0.1")  # as if pickled by another release
        object_id = save_package(store, package)

    loaded = load_package(store, object_id)  # warnings are errors in this test suite

    assert any(
        note.startswith("InconsistentVersionWarning: Trying to unpickle estimator")
        for note in loaded.compatibility
    )


def _version(dist: str) -> str:
    import importlib.metadata

    return importlib.metadata.version(dist)


# ---- package directories ---------------------------------------------------------------


def test_a_package_directory_round_trips_and_is_verified(
    store: Store, package: ModelPackage, tmp_path: Path
) -> None:
    object_id = save_package(store, package)

    manifest = write_package_directory(store, object_id, tmp_path / "pkg")
    loaded = read_package_directory(tmp_path / "pkg", object_id)

    assert sorted(p.name for p in (tmp_path / "pkg").iterdir()) == ["manifest.json", "pipeline.joblib"]
    assert loaded.manifest == manifest
    np.testing.assert_array_equal(loaded.predict_proba(QUERY), package.predict_proba(QUERY))
    (tmp_path / "pkg" / "pipeline.joblib").write_bytes(b"tampered")
    with pytest.raises(
        ModelPackageError, match=r"model file 'pipeline.joblib' .* does not match its manifest"
    ):
        read_package_directory(tmp_path / "pkg", object_id)
    with pytest.raises(ModelPackageError, match=f"the manifest of model {'0' * 64} is corrupt"):
        read_package_directory(tmp_path / "pkg", "0" * 64)
