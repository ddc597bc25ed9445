"""What every command shares: consoles, error handling, the project option, the store."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from headrace.errors import HeadraceError

if TYPE_CHECKING:
    from headrace.store import Store

__all__ = ["cell", "err", "handles_errors", "open_store", "out", "project_option"]

P = ParamSpec("P")
R = TypeVar("R")

# Piped output (CI logs, files) has no terminal width; rich would assume 80 columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 140)


def handles_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`HeadraceError` into its message on stderr and its exit status."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except HeadraceError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
            sys.exit(exc.exit_code)

    return wrapper


project_option = click.option(
    "-p",
    "--project",
    "project_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default=True,
    help="Project folder (holds headrace.yaml).",
)


def open_store(project_dir: Path) -> Store:
    """The store of the project in ``project_dir`` (its project file must load)."""
    from headrace.project import load_project
    from headrace.store import Store

    return Store.for_project(load_project(project_dir).root)


def cell(value: Any) -> str:
    """A table cell: floats to three decimals, NaN as ``-``."""
    if isinstance(value, float):
        return "-" if value != value else f"{value:.3f}"
    return str(value)
