"""``headrace init``: scaffold a project folder from a bundled example."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from headrace.errors import ProjectFileError
from headrace.project.loader import PROJECT_FILENAME

__all__ = ["available_examples", "init_project"]


def _examples_root() -> Path:
    # Installed wheels carry the examples inside the package; a source checkout
    # (editable install) keeps them at the repository root.
    packaged = Path(str(resources.files("headrace"))) / "_examples"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "examples"


def available_examples() -> list[str]:
    """Names of the bundled example projects."""
    root = _examples_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / PROJECT_FILENAME).is_file())


def init_project(target: Path, *, example: str) -> Path:
    """Copy the bundled example ``example`` into the new folder ``target``.

    Raises
    ------
    ProjectFileError
        The example does not exist, or ``target`` already holds a project file.
    """
    names = available_examples()
    if example not in names:
        raise ProjectFileError(f"--example {example!r} is not a bundled example; choose one of {names}")
    if (target / PROJECT_FILENAME).exists():
        raise ProjectFileError(f"{target / PROJECT_FILENAME} already exists; choose an empty folder")
    source = _examples_root() / example
    shutil.copytree(
        source,
        target,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".headrace", "__pycache__", "report.html"),
    )
    return target
