"""``ModelPackage``: a fitted pipeline plus everything needed to use and trace it."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from headrace.data.frame import prepare_frame
from headrace.errors import ModelPackageError
from headrace.project.config import FeaturesConfig

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

__all__ = ["ModelPackage"]

_FORMAT = 1


@dataclass(frozen=True)
class ModelPackage:
    """A trained model with its featurizer inside, its classes, input schema and lineage.

    ``lineage`` maps roles (``snapshot``, ``training_labels``, ``label_matrix``) to the
    object ids the model was trained from.
    """

    pipeline: Pipeline
    classes: list[str]
    features: FeaturesConfig
    input_schema: dict[str, str]
    lineage: dict[str, str] = field(default_factory=dict)
    format: int = _FORMAT

    def predict_proba(self, table: pa.Table) -> npt.NDArray[np.float64]:
        """Class probabilities for each row of ``table`` (columns as at training)."""
        return np.asarray(self.pipeline.predict_proba(prepare_frame(table, self.features)))

    def predict(self, table: pa.Table) -> npt.NDArray[np.int64]:
        """Most probable class index per row; ties go to the lowest index."""
        return np.asarray(np.argmax(self.predict_proba(table), axis=1), dtype=np.int64)

    def to_bytes(self) -> bytes:
        """Serialize with joblib (the store keeps it as a content-addressed blob)."""
        buffer = io.BytesIO()
        joblib.dump(self, buffer, compress=3)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ModelPackage:
        """Load a package written by :meth:`to_bytes`."""
        try:
            package: Any = joblib.load(io.BytesIO(data))
        except Exception as exc:  # joblib surfaces any unpickling error
            raise ModelPackageError(f"cannot load model package: {type(exc).__name__}: {exc}") from exc
        if not isinstance(package, cls) or package.format != _FORMAT:
            raise ModelPackageError(
                f"object is not a headrace model package of format {_FORMAT}; retrain the model"
            )
        return package
