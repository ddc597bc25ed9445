"""Everything monitoring needs to know about a served model, found through its lineage.

The label model is the one fitted in the model's own training run (its
``training_labels`` object's producer); the LFs are the project's, aligned by name to
the label model's columns; the reference LF coverage comes from the training label
matrix. Nothing here rereads training data.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import joblib

from headrace.errors import NotFoundError
from headrace.project import Project, import_project_module
from headrace.registry import ModelPackage, ModelVersion, get_version, load_package
from headrace.store import Store
from headrace.supervision import (
    LabelingFunction,
    LabelMatrix,
    LabelModelProtocol,
    SlicingFunction,
    collect_lfs,
    collect_slices,
)

__all__ = ["MonitoredModel", "find_reference_profile", "load_monitored_model"]


@dataclass(frozen=True)
class MonitoredModel:
    """A registered model with its label model, LFs, slices and training-time baselines.

    ``lfs`` is in the label model's column order; ``None`` marks an LF the label
    model was fitted with that the project no longer defines (it abstains, and is
    listed in ``missing_lfs``).
    """

    version: ModelVersion
    package: ModelPackage
    label_model: LabelModelProtocol | None
    lf_names: list[str]
    lfs: list[LabelingFunction | None]
    reference_coverage: dict[str, float]
    slices: list[SlicingFunction] = field(default_factory=list)
    missing_lfs: list[str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return list(self.package.classes)

    @property
    def baseline_accuracy(self) -> float | None:
        value = self.version.metrics.get("accuracy")
        return None if value is None else float(value)

    @property
    def positive(self) -> int | None:
        """Class whose F1 is reported: the second of a binary task."""
        return 1 if len(self.package.classes) == 2 else None


def load_monitored_model(project: Project, store: Store, ref: str) -> MonitoredModel:
    """Resolve ``ref`` and gather what monitoring it needs.

    Raises
    ------
    NotFoundError
        ``ref`` names no model.
    """
    version = get_version(store, ref)
    package = load_package(store, version.object_id)
    config = project.config
    label_model: LabelModelProtocol | None = None
    lf_names: list[str] = []
    coverage: dict[str, float] = {}
    training_labels = package.lineage.get("training_labels")
    producer = None if training_labels is None else store.runs.producer_of(training_labels)
    if producer is not None and "label_model" in producer.outputs:
        loaded: Any = joblib.load(io.BytesIO(store.objects.read_bytes(producer.outputs["label_model"])))
        label_model = loaded
    matrix_id = package.lineage.get("label_matrix")
    if matrix_id is not None:
        try:
            matrix = LabelMatrix.from_bytes(store.objects.read_bytes(matrix_id))
        except NotFoundError:
            matrix = None
        if matrix is not None:
            lf_names = list(matrix.lf_names)
            votes = matrix.values
            coverage = {
                name: float((votes[:, j] >= 0).mean()) if votes.shape[0] else 0.0
                for j, name in enumerate(lf_names)
            }
    defined = {
        lf.name: lf for lf in collect_lfs(import_project_module(project.path(config.supervision.functions)))
    }
    if not lf_names:
        lf_names = list(defined)
    lfs = [defined.get(name) for name in lf_names]
    slices: list[SlicingFunction] = []
    if config.slices is not None:
        slices = collect_slices(import_project_module(project.path(config.slices)))
    return MonitoredModel(
        version=version,
        package=package,
        label_model=label_model,
        lf_names=lf_names,
        lfs=lfs,
        reference_coverage=coverage,
        slices=slices,
        missing_lfs=[name for name, lf in zip(lf_names, lfs, strict=True) if lf is None],
    )


def find_reference_profile(store: Store, model_id: str) -> str | None:
    """Object id of the reference profile built for model ``model_id`` (``None`` if never built).

    The pipeline's ``profile`` stage reads the model and writes the profile, so the
    profile is an output of a run that consumed the model.
    """
    for record in store.runs.consumers_of(model_id, kind="profile"):
        profile_id = record.outputs.get("reference_profile")
        if profile_id is not None and store.objects.exists(profile_id):
            return profile_id
    return None
