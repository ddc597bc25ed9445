"""export_mlflow: a registered model as an MLflow pyfunc directory that MLflow itself loads and runs."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from headrace.errors import ModelPackageError
from headrace.registry import ModelVersion, export_mlflow, register_model, save_package
from headrace.store import Store, hash_bytes
from tests.registry.builders import QUERY, make_package


@pytest.fixture
def pyfunc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ModuleType:
    """``mlflow.pyfunc``, with no tracking server configured and the working folder watched."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlflow 3 warns about its own type hints on import
        import mlflow.pyfunc
    return mlflow.pyfunc


def registered(store: Store, threshold: float | None) -> ModelVersion:
    object_id = save_package(store, make_package(threshold=threshold))
    version, _ = register_model(
        store,
        object_id=object_id,
        train_run_id=store.runs.start("train"),
        eval_run_id=None,
        metrics={},
        alias="production",
    )
    return version


@pytest.mark.parametrize("threshold", [None, 0.9])
def test_mlflow_loads_the_export_and_predicts_as_headrace_does(
    store: Store, pyfunc: ModuleType, tmp_path: Path, threshold: float | None
) -> None:
    version = registered(store, threshold)
    package = make_package(threshold=threshold)

    path = export_mlflow(store, "production", tmp_path / "exported")
    model = pyfunc.load_model(str(path))
    frame = model.predict(QUERY.to_pandas())

    assert list(frame.columns) == ["label", "p_ham", "p_spam"]
    assert frame["label"].tolist() == [package.classes[i] for i in package.predict(QUERY)]
    np.testing.assert_array_equal(frame[["p_ham", "p_spam"]].to_numpy(), package.predict_proba(QUERY))
    if threshold is not None:  # the threshold, not argmax, decided
        assert frame["label"].tolist() != [package.classes[i] for i in package.predict_proba(QUERY).argmax(1)]
    assert model.metadata.metadata["headrace_model_id"] == version.object_id
    assert model.unwrap_python_model().package.object_id == version.object_id
    # Nothing was logged anywhere: the working folder holds only what the test made.
    made = {p.name for p in tmp_path.iterdir()} - {".headrace", "exported"}
    assert all(name.startswith("headrace.db") for name in made), made  # the store's SQLite files


def test_the_export_holds_the_verified_package_and_no_other_pickle(
    store: Store, pyfunc: ModuleType, tmp_path: Path
) -> None:
    version = registered(store, None)

    path = export_mlflow(store, "v1", tmp_path / "exported")

    package_dir = path / "artifacts" / "package"
    assert hash_bytes((package_dir / "manifest.json").read_bytes()) == version.object_id
    assert sorted(p.name for p in package_dir.iterdir()) == ["manifest.json", "pipeline.joblib"]
    assert not list(path.glob("*.pkl"))  # models-from-code: the model object is not cloudpickled
    requirements = (path / "requirements.txt").read_text().split()
    assert "headrace==0.1.0" in requirements and any(r.startswith("scikit-learn==") for r in requirements)


def test_mlflow_refuses_an_export_whose_package_was_tampered_with(
    store: Store, pyfunc: ModuleType, tmp_path: Path
) -> None:
    registered(store, None)
    path = export_mlflow(store, "production", tmp_path / "exported")
    (path / "artifacts" / "package" / "pipeline.joblib").write_bytes(b"tampered")

    with pytest.raises(
        ModelPackageError, match=r"model file 'pipeline.joblib' .* does not match its manifest"
    ):
        pyfunc.load_model(str(path))


def test_the_signature_requires_the_input_columns(store: Store, pyfunc: ModuleType, tmp_path: Path) -> None:
    registered(store, None)
    model = pyfunc.load_model(str(export_mlflow(store, "production", tmp_path / "exported")))

    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException, match=r"Model is missing inputs \['links'\]"):
        model.predict(pd.DataFrame({"content": ["hello"]}))


def test_exporting_into_an_existing_folder_is_refused(store: Store, tmp_path: Path) -> None:
    registered(store, None)
    (tmp_path / "taken").mkdir()

    with pytest.raises(
        ModelPackageError, match=r"cannot export to .*taken: it already exists; choose a new folder"
    ):
        export_mlflow(store, "production", tmp_path / "taken")


def test_without_mlflow_the_error_names_the_extra(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registered(store, None)
    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if not installed

    with pytest.raises(
        ModelPackageError, match=r"exporting to MLflow needs mlflow: pip install 'headrace\[mlflow\]'"
    ):
        export_mlflow(store, "production", tmp_path / "exported")
    assert not (tmp_path / "exported").exists()


def test_a_failed_export_leaves_no_half_written_folder(
    store: Store, pyfunc: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registered(store, None)

    def broken(path: str, **_kwargs: object) -> None:
        Path(path).mkdir()
        (Path(path) / "MLmodel").write_text("partial")
        raise OSError("disk full")

    monkeypatch.setattr(pyfunc, "save_model", broken)

    with pytest.raises(ModelPackageError, match=r"MLflow could not write the model to .*exported: disk full"):
        export_mlflow(store, "production", tmp_path / "exported")
    assert not (tmp_path / "exported").exists()
