"""Reading ``headrace.yaml`` into a :class:`Project`, with errors that say what to fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from headrace.errors import ProjectFileError
from headrace.project.config import ProjectConfig

__all__ = ["PROJECT_FILENAME", "Project", "load_project"]

#: Name of the project file at the root of a project folder.
PROJECT_FILENAME = "headrace.yaml"


@dataclass(frozen=True)
class Project:
    """A loaded project: its folder and its validated configuration."""

    root: Path
    config: ProjectConfig

    @property
    def file(self) -> Path:
        """Path of the project file."""
        return self.root / PROJECT_FILENAME

    def path(self, relative: str) -> Path:
        """Resolve a path written in the project file against the project folder."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.root / candidate


def load_project(root: Path | str) -> Project:
    """Load and validate the project in ``root`` (a folder, or its ``headrace.yaml``).

    Raises
    ------
    ProjectFileError
        The file is missing, is not YAML, or a key is missing or invalid; the message
        names the key path, the bad value and what is allowed.
    """
    root = Path(root).resolve()
    if root.is_file():
        file, root = root, root.parent
    else:
        file = root / PROJECT_FILENAME
    if not file.is_file():
        raise ProjectFileError(
            f"{file}: no project file here; create one with `headrace init DIR --example youtube-spam`"
        )
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectFileError(f"{file}: cannot read the project file: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ProjectFileError(f"{file}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ProjectFileError(
            f"{file}: the project file must be a mapping of keys (name, data, task, …), "
            f"got {type(raw).__name__}"
        )
    try:
        config = ProjectConfig.model_validate(raw)
    except ValidationError as exc:
        raise ProjectFileError(_describe(file, exc)) from exc
    return Project(root=root, config=config)


def _describe(file: Path, exc: ValidationError) -> str:
    lines = [f"{file.name}: {exc.error_count()} invalid setting(s)"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"  {key}: {_explain(error)}")
    return "\n".join(lines)


def _explain(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return f"is not a known setting (got {error['input']!r}); check the spelling"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{message}; got {error['input']!r}"
