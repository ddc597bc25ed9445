"""Saving and loading model packages: a manifest and files in the content-addressed store.

Loading verifies before it trusts: the manifest's bytes must hash to the id asked
for, and every file's bytes to the sha256 the manifest gives, before any file is
unpickled. The bytes that were hashed are the bytes that are unpickled (read once, in
memory), so nothing can change between the check and the load.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
from pydantic import ValidationError

from headrace.errors import ModelPackageError, NotFoundError
from headrace.project.config import FeaturesConfig
from headrace.registry.manifest import (
    FORMAT_VERSION,
    MANIFEST_TYPE,
    PIPELINE_FILE,
    Manifest,
    PackageFile,
    compatibility_notes,
    library_versions,
)
from headrace.registry.package import ModelPackage
from headrace.store import Store, hash_bytes

__all__ = [
    "MANIFEST_FILE",
    "MODEL_FILE_KIND",
    "MODEL_KIND",
    "load_package",
    "read_manifest",
    "read_package_directory",
    "save_package",
    "verify_package",
    "write_package_directory",
]

#: Object kind of a package's manifest (its id is the model's id).
MODEL_KIND = "model"

#: Object kind of the files a manifest names.
MODEL_FILE_KIND = "model_file"

#: Name of the manifest in a package directory (:func:`write_package_directory`).
MANIFEST_FILE = "manifest.json"


def save_package(store: Store, package: ModelPackage) -> str:
    """Store ``package`` as files plus a manifest; return the manifest's object id (the model id).

    The files are committed before the manifest that names them, so a stored manifest
    never points at a missing file. Saving an identical package again returns the same id.

    Examples
    --------
    >>> model_id = save_package(store, ModelPackage(pipeline, ["ham", "spam"], features, schema))
    ... # doctest: +SKIP
    """
    buffer = io.BytesIO()
    joblib.dump(package.pipeline, buffer, compress=3)
    data = buffer.getvalue()
    file_id = store.put(MODEL_FILE_KIND, data=data, meta={"name": PIPELINE_FILE})
    manifest = Manifest(
        classes=list(package.classes),
        input_schema=dict(package.input_schema),
        featurizer=package.features.model_dump(mode="json"),
        pipeline_steps=_describe_steps(package.pipeline),
        threshold=package.threshold,
        metrics=dict(package.metrics),
        lineage=dict(package.lineage),
        libraries=library_versions(package.pipeline),
        files=[PackageFile(name=PIPELINE_FILE, role="pipeline", size=len(data), sha256=file_id)],
    )
    return store.put(
        MODEL_KIND,
        data=manifest.to_bytes(),
        meta={
            "format_version": FORMAT_VERSION,
            "classes": manifest.classes,
            "features": package.columns,
            "threshold": package.threshold,
        },
    )


def load_package(store: Store, object_id: str) -> ModelPackage:
    """Load the package whose manifest is ``object_id``, verifying every byte first.

    Raises
    ------
    ModelPackageError
        The object is not a model manifest, the manifest does not hash to its id, its
        format is unknown, a file is missing or does not match the sha256 the manifest
        gives (named in the message, expected vs actual), or the pipeline cannot be
        unpickled. Nothing is unpickled unless every check passed.
    NotFoundError
        ``object_id`` is not registered in this store.
    """
    manifest = read_manifest(store, object_id)
    return _assemble(object_id, manifest, lambda entry: _read_store_file(store, object_id, entry))


def read_manifest(store: Store, object_id: str) -> Manifest:
    """Read and verify the manifest ``object_id`` (its hash, type and format); unpickle nothing."""
    return _read_manifest(store, object_id)[1]


def _read_manifest(store: Store, object_id: str) -> tuple[bytes, Manifest]:
    info = store.object_info(object_id)
    if info.kind != MODEL_KIND:
        raise ModelPackageError(f"object {object_id} is a {info.kind!r} object, not a model package")
    try:
        data = store.objects.read_bytes(object_id)
    except NotFoundError as exc:
        raise ModelPackageError(
            f"the manifest of model {object_id} is missing from the object store at {store.objects.url}"
        ) from exc
    return data, _parse_manifest(object_id, data)


def verify_package(store: Store, object_id: str) -> Manifest:
    """Check the manifest ``object_id`` and every file it names against their hashes; unpickle nothing.

    Raises
    ------
    ModelPackageError
        As :func:`load_package`, for everything but unpickling.
    """
    manifest = read_manifest(store, object_id)
    for entry in manifest.files:
        _check_file(object_id, entry, _read_store_file(store, object_id, entry))
    return manifest


def write_package_directory(store: Store, object_id: str, directory: Path) -> Manifest:
    """Write the verified manifest (as ``manifest.json``) and files of a package into ``directory``."""
    data, manifest = _read_manifest(store, object_id)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MANIFEST_FILE).write_bytes(data)
    files = {entry.name: _read_store_file(store, object_id, entry) for entry in manifest.files}
    for entry in manifest.files:
        _check_file(object_id, entry, files[entry.name])
    for name, content in files.items():
        (directory / name).write_bytes(content)
    return manifest


def read_package_directory(directory: Path, object_id: str) -> ModelPackage:
    """Load a package written by :func:`write_package_directory`, verified against ``object_id``."""
    try:
        data = (directory / MANIFEST_FILE).read_bytes()
    except OSError as exc:
        raise ModelPackageError(f"cannot read the model manifest in {directory}: {exc}") from exc
    manifest = _parse_manifest(object_id, data)

    def read(entry: PackageFile) -> bytes:
        try:
            return (directory / entry.name).read_bytes()
        except OSError as exc:
            raise ModelPackageError(
                f"model file {entry.name!r} of model {object_id} cannot be read from {directory}: {exc}"
            ) from exc

    return _assemble(object_id, manifest, read)


def _parse_manifest(object_id: str, data: bytes) -> Manifest:
    actual = hash_bytes(data)
    if actual != object_id:
        raise ModelPackageError(
            f"the manifest of model {object_id} is corrupt: its bytes hash to {actual}; "
            "the store was damaged or tampered with, so the model is refused (retrain or restore it)"
        )
    try:
        raw: Any = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raw = None
    if not isinstance(raw, dict) or raw.get("type") != MANIFEST_TYPE:
        raise ModelPackageError(
            f"object {object_id} is not a model manifest (a single-pickle package from an older "
            "headrace?); retrain the model with `headrace run`"
        )
    version = raw.get("format_version")
    if version != FORMAT_VERSION:
        advice = "upgrade headrace" if isinstance(version, int) and version > FORMAT_VERSION else "retrain"
        raise ModelPackageError(
            f"model {object_id} has package format {version!r}; this headrace reads format "
            f"{FORMAT_VERSION}: {advice}"
        )
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise ModelPackageError(f"the manifest of model {object_id} is invalid: {problems}") from exc


def _read_store_file(store: Store, object_id: str, entry: PackageFile) -> bytes:
    try:
        return store.objects.read_bytes(entry.sha256)
    except NotFoundError as exc:
        raise ModelPackageError(
            f"model file {entry.name!r} (object {entry.sha256}) of model {object_id} is missing "
            f"from the object store at {store.objects.url}"
        ) from exc


def _check_file(object_id: str, entry: PackageFile, data: bytes) -> None:
    actual = hash_bytes(data)
    if actual != entry.sha256 or len(data) != entry.size:
        raise ModelPackageError(
            f"model file {entry.name!r} of model {object_id} does not match its manifest: "
            f"expected sha256 {entry.sha256} ({entry.size} bytes), got {actual} ({len(data)} bytes); "
            "refusing to unpickle it (the store was damaged or tampered with: retrain or restore it)"
        )


def _assemble(object_id: str, manifest: Manifest, read: Callable[[PackageFile], bytes]) -> ModelPackage:
    # Every file is read and checked before any is unpickled.
    files: dict[str, bytes] = {}
    for entry in manifest.files:
        data = read(entry)
        _check_file(object_id, entry, data)
        files[entry.name] = data
    if PIPELINE_FILE not in files:
        raise ModelPackageError(f"the manifest of model {object_id} names no {PIPELINE_FILE!r} file")
    try:
        features = FeaturesConfig.model_validate(manifest.featurizer)
    except ValidationError as exc:
        raise ModelPackageError(
            f"the featurizer in the manifest of model {object_id} is not understood by this headrace: {exc}"
        ) from exc
    pipeline, warned = _unpickle(object_id, manifest, files[PIPELINE_FILE])
    notes = compatibility_notes(manifest.libraries)
    notes += [note for note in warned if note not in notes]
    return ModelPackage(
        pipeline=pipeline,
        classes=list(manifest.classes),
        features=features,
        input_schema=dict(manifest.input_schema),
        lineage=dict(manifest.lineage),
        threshold=manifest.threshold,
        metrics=dict(manifest.metrics),
        manifest=manifest,
        object_id=object_id,
        compatibility=tuple(notes),
    )


def _unpickle(object_id: str, manifest: Manifest, data: bytes) -> tuple[Any, list[str]]:
    # Library drift is reported in ``compatibility``, not as warnings: scikit-learn warns
    # (InconsistentVersionWarning) when unpickling estimators from another release.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            pipeline = joblib.load(io.BytesIO(data))
        except ModuleNotFoundError as exc:
            raise ModelPackageError(
                f"model {object_id} needs the module {exc.name!r}, which is not installed; "
                f"it was packaged with {manifest.libraries}"
            ) from exc
        except Exception as exc:  # unpickling surfaces any error of the pickled classes
            raise ModelPackageError(
                f"cannot unpickle {PIPELINE_FILE!r} of model {object_id}: {type(exc).__name__}: {exc}"
            ) from exc
    if not hasattr(pipeline, "predict_proba"):
        raise ModelPackageError(
            f"{PIPELINE_FILE!r} of model {object_id} holds a {type(pipeline).__name__}, "
            "not a fitted pipeline with predict_proba"
        )
    return pipeline, [f"{w.category.__name__}: {w.message}" for w in caught]


def _describe_steps(pipeline: Any) -> list[str]:
    steps = getattr(pipeline, "steps", None)
    named = steps if isinstance(steps, list) else [("model", pipeline)]
    return [f"{name}: {type(step).__module__}.{type(step).__qualname__}" for name, step in named]
