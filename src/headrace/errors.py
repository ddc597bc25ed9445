"""headrace's one exception hierarchy.

Every error a user can cause is a :class:`HeadraceError`; the CLI maps them to exit
codes and, later, the server maps them to 4xx answers. Errors from dependencies are
translated at the boundary (``raise ProjectFileError(...) from exc``)::

    HeadraceError
    ├── ProjectFileError        headrace.yaml missing, unreadable or invalid
    ├── DataError               a data file is unreadable, malformed or inconsistent
    │   └── DataValidationError data breaks a hard rule of the project's constraints file
    ├── LabelingFunctionError   an LF module fails to import, or an LF fails or misbehaves
    │   └── AugmentationError   a transformation function fails or misbehaves, or a policy is invalid
    ├── LabelModelError         a label matrix or label model input is invalid
    ├── TrainingError           a model cannot be trained or evaluated on the given labels
    ├── EngineError             an execution engine cannot be started or reached
    ├── StoreError              the metadata DB or object store is unusable
    │   └── SchemaVersionError  the store was written by a newer headrace
    ├── ModelPackageError       a model package is missing or cannot be loaded
    ├── RegistryError           an alias or registry operation is invalid
    │   └── ReleaseGateError    behavioral tests refuse a promotion
    └── NotFoundError           a run, object, model version or alias does not exist
"""

from __future__ import annotations

__all__ = [
    "AugmentationError",
    "DataError",
    "DataValidationError",
    "EngineError",
    "HeadraceError",
    "LabelModelError",
    "LabelingFunctionError",
    "ModelPackageError",
    "NotFoundError",
    "ProjectFileError",
    "RegistryError",
    "ReleaseGateError",
    "SchemaVersionError",
    "StoreError",
    "TrainingError",
]


class HeadraceError(Exception):
    """Base class of every error headrace raises on purpose."""

    #: Process exit status the CLI uses for this kind of error.
    exit_code: int = 1


class ProjectFileError(HeadraceError):
    """The project file is missing, unreadable or does not validate."""

    exit_code = 2


class DataError(HeadraceError):
    """A data file is unreadable, malformed, or inconsistent with the project file."""

    exit_code = 3


class DataValidationError(DataError):
    """Data breaks a hard rule of the constraints file (``validation.constraints``)."""

    exit_code = 13


class LabelingFunctionError(HeadraceError):
    """An LF module failed to import, or an LF raised or returned an invalid label."""

    exit_code = 4


class AugmentationError(LabelingFunctionError):
    """A transformation function raised or returned a malformed row, or a policy is invalid.

    A subclass of :class:`LabelingFunctionError` (same exit code): TFs are user-written
    functions loaded and run the way LFs are.
    """


class LabelModelError(HeadraceError):
    """A label matrix or the inputs of a label model are invalid."""

    exit_code = 5


class TrainingError(HeadraceError):
    """A model could not be trained or evaluated."""

    exit_code = 6


class EngineError(HeadraceError):
    """An execution engine cannot be started or reached."""

    exit_code = 10


class StoreError(HeadraceError):
    """The metadata database or the object store cannot be used."""

    exit_code = 7


class SchemaVersionError(StoreError):
    """The store's schema is newer than this headrace understands."""


class ModelPackageError(HeadraceError):
    """A model package is missing, corrupt, or does not match its manifest."""

    exit_code = 8


class RegistryError(HeadraceError):
    """An alias name or a registry operation (promote, rollback) is invalid."""

    exit_code = 11


class ReleaseGateError(RegistryError):
    """A promotion the model's behavioral tests refuse (``--force --reason`` overrides)."""

    exit_code = 12


class NotFoundError(HeadraceError):
    """A referenced run, object, model version or alias does not exist."""

    exit_code = 9
