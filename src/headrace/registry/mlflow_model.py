"""A headrace model as an MLflow ``python_function`` model.

Imported only when exporting (:func:`headrace.registry.export_mlflow`) or when MLflow
loads an exported model, so headrace itself never needs MLflow.

The model directory holds the package (``manifest.json`` and its files) as the
artifact ``package``, and the manifest's id in the model config. Loading verifies
the manifest against that id and every file against the manifest before anything is
unpickled, exactly as :func:`headrace.registry.load_package` does.

``predict`` takes a pandas DataFrame with the model's input columns (others are
ignored) and returns one row per input row with the columns:

* ``label``: the predicted class name (threshold-aware, as ``ModelPackage.predict``);
* ``p_<class>``: the probability of each class, in class order (e.g. ``p_ham``, ``p_spam``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from mlflow.pyfunc.model import PythonModel, PythonModelContext

from headrace.errors import ModelPackageError
from headrace.registry.package import ModelPackage
from headrace.registry.storage import read_package_directory

__all__ = [
    "LABEL_COLUMN",
    "MODEL_ID_CONFIG",
    "PACKAGE_ARTIFACT",
    "HeadracePyfuncModel",
    "prediction_frame",
    "probability_column",
]

#: Name of the artifact (a directory) holding the manifest and the package files.
PACKAGE_ARTIFACT = "package"

#: Model-config key holding the manifest id the package is verified against.
MODEL_ID_CONFIG = "headrace_model_id"

#: Output column with the predicted class name.
LABEL_COLUMN = "label"


def probability_column(class_name: str) -> str:
    """Output column with the probability of ``class_name``."""
    return f"p_{class_name}"


def prediction_frame(package: ModelPackage, table: pa.Table) -> pd.DataFrame:
    """The MLflow output frame for ``table``: ``label`` then one ``p_<class>`` column per class."""
    probs = package.predict_proba(table)
    labels = package.predict(table)
    frame = pd.DataFrame({LABEL_COLUMN: [package.classes[i] for i in labels]})
    for index, name in enumerate(package.classes):
        frame[probability_column(name)] = probs[:, index]
    return frame


class HeadracePyfuncModel(PythonModel):
    """MLflow ``PythonModel`` that serves a verified headrace model package."""

    def __init__(self) -> None:
        self._package: ModelPackage | None = None

    def load_context(self, context: PythonModelContext) -> None:
        """Load and verify the package from the model's ``package`` artifact."""
        config: dict[str, Any] = dict(context.model_config or {})
        object_id = config.get(MODEL_ID_CONFIG)
        artifacts: dict[str, str] = dict(context.artifacts or {})
        if not isinstance(object_id, str) or PACKAGE_ARTIFACT not in artifacts:
            raise ModelPackageError(
                f"this MLflow model lacks the {MODEL_ID_CONFIG!r} config or the {PACKAGE_ARTIFACT!r} "
                "artifact; export it again with `headrace export REF --mlflow DIR`"
            )
        self._package = read_package_directory(Path(artifacts[PACKAGE_ARTIFACT]), object_id)

    def predict(
        self, context: PythonModelContext, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Labels and class probabilities for each row of ``model_input`` (see the module docstring)."""
        if self._package is None:
            raise ModelPackageError("the MLflow model was not loaded: use mlflow.pyfunc.load_model(DIR)")
        table = pa.Table.from_pandas(pd.DataFrame(model_input), preserve_index=False)
        return prediction_frame(self._package, table)

    @property
    def package(self) -> ModelPackage:
        """The loaded headrace package."""
        if self._package is None:
            raise ModelPackageError("the MLflow model was not loaded: use mlflow.pyfunc.load_model(DIR)")
        return self._package
