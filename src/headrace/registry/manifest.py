"""The model manifest: what a model package is, in one canonical JSON object.

A model package is a manifest plus files, all in the content-addressed object store.
The manifest is stored as an object of kind ``model``; its object id (the sha256 of
its canonical JSON bytes) *is* the model's id in runs, lineage and the registry. It
names every file by ``name``, ``size`` and ``sha256`` (which is also the file's object
id, kind ``model_file``), so the manifest id pins every byte of the model: a loader
checks the manifest against its id and each file against the manifest before it
unpickles anything.

Format version 1::

    {
      "type": "headrace.model_package",
      "format_version": 1,
      "classes": ["ham", "spam"],                  # index = class id
      "input_schema": {"content": "string"},       # column -> Arrow type
      "featurizer": {"text": ["content"], "numeric": [], "categorical": [], ...},
      "pipeline_steps": ["features: sklearn.compose._column_transformer.ColumnTransformer", ...],
      "threshold": 0.42,                           # binary only: class 1 iff P(1) > it; null: argmax
      "metrics": {},                               # training-time scores, optional
      "lineage": {"snapshot": "…", "training_labels": "…", "label_matrix": "…"},
      "libraries": {"python": "3.11.7", "headrace": "0.1.0", "scikit-learn": "1.9.1", …},
      "files": [{"name": "pipeline.joblib", "role": "pipeline", "size": 81234, "sha256": "…"}]
    }

Any change to this layout bumps :data:`FORMAT_VERSION`; a loader refuses versions it
does not know.
"""

from __future__ import annotations

import importlib.metadata
import platform
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from headrace import __version__
from headrace.store import canonical_json

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST_TYPE",
    "PIPELINE_FILE",
    "Manifest",
    "PackageFile",
    "compatibility_notes",
    "library_versions",
]

#: The manifest layout this headrace writes and the only one it reads.
FORMAT_VERSION = 1

#: The ``type`` field every manifest carries (tells a manifest from other JSON objects).
MANIFEST_TYPE = "headrace.model_package"

#: Name of the main file: the joblib-pickled fitted scikit-learn ``Pipeline``.
PIPELINE_FILE = "pipeline.joblib"

#: Libraries recorded for every package (distribution names), besides Python and headrace.
_CORE_LIBRARIES = ("scikit-learn", "numpy", "pandas", "pyarrow", "joblib")

#: Top-level modules already covered by the core list (or the standard library).
_COVERED_MODULES = {"sklearn", "numpy", "pandas", "pyarrow", "joblib", "headrace", "builtins"}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PackageFile(_Frozen):
    """One file of a package; ``sha256`` is also its object id in the store."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    role: str = Field(min_length=1)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Manifest(_Frozen):
    """What a model package holds and how it was made (see the module docstring)."""

    type: Literal["headrace.model_package"] = "headrace.model_package"
    format_version: Literal[1] = 1
    classes: list[str] = Field(min_length=2)
    input_schema: dict[str, str]
    featurizer: dict[str, Any]
    pipeline_steps: list[str]
    threshold: float | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)
    lineage: dict[str, str] = Field(default_factory=dict)
    libraries: dict[str, str]
    files: list[PackageFile] = Field(min_length=1)

    def to_bytes(self) -> bytes:
        """The canonical JSON encoding (sorted keys, no whitespace): what gets hashed and stored."""
        return canonical_json(self.model_dump(mode="json")).encode("utf-8")

    def file(self, name: str) -> PackageFile:
        """The entry of the file called ``name``."""
        for entry in self.files:
            if entry.name == name:
                return entry
        raise KeyError(name)


def library_versions(pipeline: Any) -> dict[str, str]:
    """Versions of Python, headrace, the core libraries, and any other library the pipeline uses.

    Other libraries (``lightgbm``, ``imblearn``, …) are found from the modules of the
    estimators and functions inside the pipeline's (deep) parameters.
    """
    versions = {"python": platform.python_version(), "headrace": __version__}
    for dist in _CORE_LIBRARIES:
        versions[dist] = _installed_version(dist) or "unknown"
    modules = {_top_module(pipeline)} | {_top_module(v) for v in _parameter_values(pipeline)}
    extra = sorted(m for m in modules if m and m not in _COVERED_MODULES)
    if extra:
        owners = importlib.metadata.packages_distributions()
        for module in extra:
            for dist in owners.get(module, []):
                version = _installed_version(dist)
                if version is not None:
                    versions[dist] = version
    return versions


def compatibility_notes(packaged: dict[str, str]) -> list[str]:
    """One note per library whose running version differs from the one the package was made with."""
    notes = []
    for name, version in sorted(packaged.items()):
        if name == "python":
            running: str | None = platform.python_version()
        elif name == "headrace":
            running = __version__
        else:
            running = _installed_version(name)
        if running != version:
            notes.append(f"{name}: packaged with {version}, running {running or 'not installed'}")
    return notes


def _installed_version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _parameter_values(estimator: Any) -> list[Any]:
    get_params = getattr(estimator, "get_params", None)
    if get_params is None:
        return []
    return list(get_params(deep=True).values())


def _top_module(value: Any) -> str | None:
    if not (hasattr(value, "get_params") or callable(value)):
        return None
    module = getattr(value, "__module__", None)
    return module.split(".")[0] if isinstance(module, str) else None
