"""The model registry: packaged models, versions and aliases."""

from headrace.registry.lineage import ModelLineage, model_lineage
from headrace.registry.package import ModelPackage
from headrace.registry.registry import (
    ModelVersion,
    get_version,
    list_versions,
    load_model,
    register_model,
    set_alias,
)

__all__ = [
    "ModelLineage",
    "ModelPackage",
    "ModelVersion",
    "get_version",
    "list_versions",
    "load_model",
    "model_lineage",
    "register_model",
    "set_alias",
]
