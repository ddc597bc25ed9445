"""The registry's public surface, locked: adding or removing a name is a deliberate change."""

from __future__ import annotations

import sys

import headrace.registry

PUBLIC = {
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
}


def test_the_registry_exports_exactly_its_public_names() -> None:
    assert set(headrace.registry.__all__) == PUBLIC
    assert all(hasattr(headrace.registry, name) for name in PUBLIC)


def test_importing_the_registry_does_not_import_mlflow() -> None:
    import subprocess

    code = "import sys, headrace.registry; print('mlflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "False"
