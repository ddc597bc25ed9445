"""What every command shares: consoles, error handling, the project and engine options, the store."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from headrace.engines.factory import ENGINE_KINDS
from headrace.errors import HeadraceError

if TYPE_CHECKING:
    from headrace.engines import Engine
    from headrace.project import Project
    from headrace.store import Store

__all__ = [
    "cell",
    "engine_options",
    "err",
    "handles_errors",
    "open_engine",
    "open_store",
    "out",
    "project_option",
]

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


#: ``--host`` of the commands that start an HTTP server.
host_option = click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind; only loopback unless told."
)

#: ``--log-level`` of the commands that start an HTTP server.
log_level_option = click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    help="uvicorn's log level.",
)


def engine_options(command: Callable[P, R]) -> Callable[P, R]:
    """Add ``--engine``, ``--workers`` and ``--dask-address`` (as ``engine_kind``, ``workers``
    and ``dask_address``); :func:`open_engine` turns them into an engine."""
    options = (
        click.option(
            "--engine",
            "engine_kind",
            type=click.Choice(ENGINE_KINDS),
            default=None,
            help="Where partitioned work runs (default: the project file's engine.kind; "
            "dask with --dask-address).",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            default=None,
            help="Worker processes of the processes engine or of a local Dask cluster "
            "(default: engine.workers, else one per CPU).",
        ),
        click.option(
            "--dask-address",
            default=None,
            metavar="ADDRESS",
            help="Dask scheduler to run on, e.g. tcp://10.0.0.5:8786 (default: engine.address; "
            "none starts a local cluster).",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


def open_engine(project: Project, kind: str | None, workers: int | None, address: str | None) -> Engine:
    """The engine the project file's ``engine:`` section names, with the command line's overrides.

    ``kind``, ``workers`` and ``address`` are the ``--engine``, ``--workers`` and
    ``--dask-address`` values (``None`` where not given); each given one overrides its
    key of the project file. A scheduler address alone means the dask engine. The
    engine starts nothing until it is first used; close it.

    Raises
    ------
    click.UsageError
        Flags that contradict each other: an address for another engine, ``--workers``
        for the local engine or for a running Dask cluster (its workers are those that
        joined it).
    """
    from headrace.engines import make_engine

    settings = project.config.engine
    chosen = kind or ("dask" if address is not None else settings.kind)
    if address is not None and chosen != "dask":
        raise click.UsageError(f"--dask-address needs the dask engine, not --engine {chosen}")
    if workers is not None and chosen == "local":
        raise click.UsageError("--workers applies to the processes and dask engines, not to local")
    if address is None and chosen == "dask":
        address = settings.address
    if workers is not None and address is not None:
        raise click.UsageError(
            f"--workers sizes a local Dask cluster; the cluster at {address} runs the workers that joined it"
        )
    return make_engine(chosen, workers=workers or settings.workers, address=address)


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
