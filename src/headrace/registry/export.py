"""Exporting a registered model as an MLflow ``python_function`` model directory.

The directory loads with ``mlflow.pyfunc.load_model(DIR)`` wherever headrace and the
packaged library versions are installed; see :mod:`headrace.registry.mlflow_model`
for what it holds and what its ``predict`` returns. MLflow is imported only here
(the ``mlflow`` extra); nothing is logged to a tracking server or model registry.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from headrace.errors import ModelPackageError
from headrace.registry.manifest import Manifest
from headrace.registry.storage import write_package_directory
from headrace.registry.versions import get_version
from headrace.store import Store

__all__ = ["export_mlflow"]

_ENTRY = Path(__file__).with_name("_mlflow_entry.py")

_PROGRESS_BAR = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"

#: Arrow types MLflow checks as ``string``. Every other column is declared ``any``
#: (present, type unchecked): MLflow refuses int64 input for a double column and
#: missing values (floats in pandas) for a long one, while the model's own frame
#: preparation handles both.
_STRING_TYPES = {
    "string",
    "large_string",
    "string_view",
    "dictionary<values=string, indices=int32, ordered=0>",
}


def export_mlflow(store: Store, ref: str, path: Path | str) -> Path:
    """Write the model ``ref`` (alias or version) names as an MLflow pyfunc model at ``path``.

    The package is verified (manifest and files against their hashes) before it is
    copied; the MLflow model verifies it again when it loads. ``path`` must not exist.

    Returns
    -------
    Path
        The model directory.

    Raises
    ------
    ModelPackageError
        MLflow is not installed (install ``headrace[mlflow]``), ``path`` exists, the
        package does not verify, or MLflow cannot write the model.

    Examples
    --------
    >>> export_mlflow(store, "production", "exported")  # doctest: +SKIP
    >>> mlflow.pyfunc.load_model("exported").predict(frame)  # doctest: +SKIP
       label    p_ham   p_spam
    0   spam    0.081    0.919
    """
    target = Path(path)
    if target.exists():
        raise ModelPackageError(f"cannot export to {target}: it already exists; choose a new folder")
    pyfunc, signature_types = _import_mlflow()
    version = get_version(store, ref)
    with tempfile.TemporaryDirectory(prefix="headrace-export-") as staging:
        package_dir = Path(staging) / "package"
        manifest = write_package_directory(store, version.object_id, package_dir)
        from headrace.registry.mlflow_model import (
            LABEL_COLUMN,
            MODEL_ID_CONFIG,
            PACKAGE_ARTIFACT,
            probability_column,
        )

        outputs = [LABEL_COLUMN, *(probability_column(c) for c in manifest.classes)]
        try:
            with warnings.catch_warnings(), _without_progress_bar():
                # The signature is given explicitly; an input example would only repeat it.
                warnings.filterwarnings(
                    "ignore", message=".*input example was not provided", category=UserWarning
                )
                pyfunc.save_model(
                    str(target),
                    python_model=str(_ENTRY),
                    artifacts={PACKAGE_ARTIFACT: str(package_dir)},
                    model_config={MODEL_ID_CONFIG: version.object_id},
                    signature=_signature(manifest, outputs, signature_types),
                    pip_requirements=_requirements(manifest),
                    metadata={
                        "headrace_model_id": version.object_id,
                        "headrace_model_version": version.version,
                        "classes": list(manifest.classes),
                        "threshold": manifest.threshold,
                        "output_columns": outputs,
                    },
                )
        except Exception as exc:  # MlflowException, OSError, …: translated at the boundary
            shutil.rmtree(target, ignore_errors=True)  # no half-written model directory
            raise ModelPackageError(f"MLflow could not write the model to {target}: {exc}") from exc
    return target


@contextmanager
def _without_progress_bar() -> Iterator[None]:
    # MLflow draws a progress bar while it copies artifacts (into a local folder here);
    # only its environment variable turns it off. A value the user set is kept.
    if _PROGRESS_BAR in os.environ:
        yield
        return
    os.environ[_PROGRESS_BAR] = "false"
    try:
        yield
    finally:
        os.environ.pop(_PROGRESS_BAR, None)


def _import_mlflow() -> tuple[Any, Any]:
    try:
        with warnings.catch_warnings():
            # mlflow 3 warns about its own type hints while importing pyfunc.
            warnings.simplefilter("ignore")
            import mlflow.models.signature as signature
            import mlflow.pyfunc as pyfunc
            import mlflow.types as types
    except ImportError as exc:
        raise ModelPackageError("exporting to MLflow needs mlflow: pip install 'headrace[mlflow]'") from exc
    return pyfunc, (signature, types)


def _signature(manifest: Manifest, outputs: list[str], modules: Any) -> Any:
    signature, types = modules
    inputs = types.Schema(
        [
            types.ColSpec("string" if arrow_type in _STRING_TYPES else types.schema.AnyType(), name)
            for name, arrow_type in manifest.input_schema.items()
        ]
    )
    output_schema = types.Schema(
        [types.ColSpec("string", outputs[0]), *(types.ColSpec("double", c) for c in outputs[1:])]
    )
    return signature.ModelSignature(inputs=inputs, outputs=output_schema)


def _requirements(manifest: Manifest) -> list[str]:
    return [f"{name}=={version}" for name, version in sorted(manifest.libraries.items()) if name != "python"]
