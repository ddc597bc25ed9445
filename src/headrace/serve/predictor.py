"""The one prediction path that online and batch serving share.

A :class:`ServedModel` is a loaded model package with the version it was registered
as; :meth:`ServedModel.predict` takes an Arrow table already conformed to the input
schema and answers labels and probabilities from one model call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from headrace.registry import ModelPackage, ModelVersion, get_version, load_package
from headrace.serve.schema import InputSchema
from headrace.store import Store

__all__ = ["Predictions", "ServedModel", "load_served_model", "probability_column"]


def probability_column(class_name: str) -> str:
    """Name of the column holding ``P(class_name)`` in batch output."""
    return f"probability_{class_name}"


@dataclass(frozen=True)
class Predictions:
    """Labels and class probabilities for a table of rows, from one model call."""

    label_ids: npt.NDArray[np.int64]
    probabilities: npt.NDArray[np.float64]
    classes: list[str]

    def __len__(self) -> int:
        return int(self.label_ids.shape[0])

    def labels(self) -> list[str]:
        return [self.classes[i] for i in self.label_ids.tolist()]

    def slice(self, start: int, stop: int) -> Predictions:
        return Predictions(self.label_ids[start:stop], self.probabilities[start:stop], self.classes)

    def to_table(self) -> pa.Table:
        """``label`` (string) and one ``probability_<class>`` column per class."""
        classes = pa.array(self.classes, type=pa.string())
        columns: dict[str, Any] = {"label": classes.take(pa.array(self.label_ids))}
        for index, name in enumerate(self.classes):
            columns[probability_column(name)] = pa.array(self.probabilities[:, index], type=pa.float64())
        return pa.table(columns)

    def to_rows(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per row: ``label`` and ``probabilities`` by class."""
        classes = self.classes
        return [
            {"label": classes[label], "probabilities": dict(zip(classes, probs, strict=True))}
            for label, probs in zip(self.label_ids.tolist(), self.probabilities.tolist(), strict=True)
        ]


@dataclass(frozen=True)
class ServedModel:
    """A model package being served, and which registered version (and alias) it is.

    ``version`` is ``None`` for a package served straight from a directory.
    """

    package: ModelPackage
    version: ModelVersion | None
    ref: str
    schema: InputSchema = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "schema", InputSchema(self.package.input_schema))

    @property
    def model_id(self) -> str:
        return self.package.object_id or (self.version.object_id if self.version else "unregistered")

    @property
    def version_number(self) -> int | None:
        return None if self.version is None else self.version.version

    def predict(self, table: pa.Table) -> Predictions:
        """Labels and probabilities of ``table`` (conformed to :attr:`schema`)."""
        probs = self.package.predict_proba(table)
        return Predictions(self.package.decide(probs), probs, list(self.package.classes))

    def describe(self) -> dict[str, Any]:
        """What ``GET /v1/model`` answers."""
        version = self.version
        return {
            "model_id": self.model_id,
            "version": None if version is None else version.version,
            "ref": self.ref,
            "aliases": [] if version is None else list(version.aliases),
            "classes": list(self.package.classes),
            "threshold": self.package.threshold,
            "input_schema": self.schema.to_dict(),
            "metrics": {} if version is None else version.metrics,
            "training_metrics": self.package.metrics,
            "lineage": dict(self.package.lineage),
            "train_run_id": None if version is None else version.train_run_id,
            "created_at": None if version is None else version.created_at.isoformat(),
        }


def load_served_model(store: Store, ref: str) -> ServedModel:
    """Load (verified) the model ``ref`` — an alias or a version — for serving."""
    version = get_version(store, ref)
    return ServedModel(load_package(store, version.object_id), version, ref)
