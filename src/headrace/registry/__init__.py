"""The model registry: packaged models, versions, aliases and their history, MLflow export.

A model package is a manifest plus files in the content-addressed store; the
manifest's object id is the model's id (:mod:`headrace.registry.manifest`). Versions
number the registered packages; aliases (``staging``, ``production``) point at
versions and every move is kept, so a promotion can be rolled back.
"""

from headrace.registry.aliases import alias_history, promote, rollback
from headrace.registry.export import export_mlflow
from headrace.registry.lineage import ModelLineage, model_lineage
from headrace.registry.manifest import FORMAT_VERSION, Manifest, PackageFile
from headrace.registry.package import ModelPackage
from headrace.registry.storage import (
    load_package,
    read_manifest,
    read_package_directory,
    save_package,
    verify_package,
    write_package_directory,
)
from headrace.registry.types import AliasMove, ModelVersion
from headrace.registry.versions import get_version, list_versions, load_model, register_model

__all__ = [
    "FORMAT_VERSION",
    "AliasMove",
    "Manifest",
    "ModelLineage",
    "ModelPackage",
    "ModelVersion",
    "PackageFile",
    "alias_history",
    "export_mlflow",
    "get_version",
    "list_versions",
    "load_model",
    "load_package",
    "model_lineage",
    "promote",
    "read_manifest",
    "read_package_directory",
    "register_model",
    "rollback",
    "save_package",
    "verify_package",
    "write_package_directory",
]
