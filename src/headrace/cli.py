"""The ``headrace`` command: thin commands over the Python API.

Every command translates arguments into one API call and its result into text (or
JSON with ``--json``); errors become a message on stderr and a non-zero exit status.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.tree import Tree

from headrace import __version__
from headrace.errors import HeadraceError

if TYPE_CHECKING:
    from headrace.store import Store

P = ParamSpec("P")
R = TypeVar("R")

# Piped output (CI logs, files) has no terminal width; rich would assume 80 columns.
_out = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
_err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 140)

_LF_HEADERS = {
    "polarity": "votes",
    "coverage": "coverage",
    "overlaps": "overlaps",
    "conflicts": "conflicts",
    "emp_accuracy": "acc (gold)",
    "gold_votes": "gold n",
    "learned_accuracy": "acc (learned)",
    "failures": "failures",
    "seconds": "seconds",
}


def _handles_errors(command: Callable[P, R]) -> Callable[P, R]:
    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except HeadraceError as exc:
            _err.print(f"[bold red]error:[/] {exc}", markup=True, soft_wrap=True)
            sys.exit(exc.exit_code)

    return wrapper


_project_option = click.option(
    "-p",
    "--project",
    "project_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default=True,
    help="Project folder (holds headrace.yaml).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="headrace")
def main() -> None:
    """headrace: from raw, mostly unlabeled data to a monitored production model."""


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--example", required=True, help="Bundled example to copy (e.g. youtube-spam).")
@_handles_errors
def init(directory: Path, example: str) -> None:
    """Scaffold a project in DIRECTORY from a bundled example."""
    from headrace.project import init_project

    target = init_project(directory, example=example)
    _out.print(f"created project {target} from example {example!r}; next: headrace run -p {target}")


class _RichProgress:
    """Draws stage progress on stderr."""

    def __init__(self, progress: Progress, *, log: bool) -> None:
        self._progress = progress
        self._log = log
        self._tasks: dict[str, Any] = {}

    def stage_started(self, name: str, total: int | None = None) -> None:
        self._tasks[name] = self._progress.add_task(name, total=total)

    def advance(self, name: str, amount: int = 1) -> None:
        if name in self._tasks:
            self._progress.advance(self._tasks[name], amount)

    def stage_finished(self, outcome: Any) -> None:
        label = "cached" if outcome.cached else f"{outcome.seconds:.2f}s"
        task = self._tasks.get(outcome.name)
        if task is not None:
            self._progress.update(task, total=1, completed=1, description=f"{outcome.name} ({label})")
        if self._progress.disable and self._log:
            # No live display (a log file, CI): one plain line per stage instead.
            _err.print(f"headrace: {outcome.name} done ({label})")


@main.command()
@_project_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option(
    "--engine",
    "engine_kind",
    type=click.Choice(["local", "processes", "dask"]),
    default=None,
    help="Where LFs run (default: the project file's engine.kind).",
)
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes.")
@click.option("--dask-address", default=None, help="Dask scheduler address (tcp://host:8786).")
@_handles_errors
def run(
    project_dir: Path,
    as_json: bool,
    engine_kind: str | None,
    workers: int | None,
    dask_address: str | None,
) -> None:
    """Ingest → label → train → evaluate → register; print a summary, write report.html."""
    from headrace.engines import make_engine
    from headrace.pipeline import run_project

    start = time.perf_counter()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=_err, transient=as_json, disable=not _err.is_terminal) as progress:
        engine = None
        if engine_kind is not None or dask_address is not None:
            engine = make_engine(engine_kind or "dask", workers=workers, address=dask_address)
        try:
            result = run_project(
                project_dir, progress=_RichProgress(progress, log=not as_json), engine=engine
            )
        finally:
            if engine is not None:
                engine.close()
    if as_json:
        click.echo(json.dumps({**result.to_dict(), "seconds": round(time.perf_counter() - start, 3)}))
        return
    stages = Table(title="stages", title_justify="left")
    for column in ("stage", "cached", "seconds", "run"):
        stages.add_column(column)
    for outcome in result.stages:
        stages.add_row(
            outcome.name,
            "yes" if outcome.cached else "no",
            f"{outcome.seconds:.2f}",
            outcome.run_id[:12],
        )
    _out.print(stages)
    if result.test is not None:
        scores = Table(
            title=f"model v{result.model_version} ({result.alias}) on gold test",
            title_justify="left",
        )
        for metric in ("accuracy", "precision", "recall", "f1", "roc_auc"):
            scores.add_column(metric)
        scores.add_row(
            *(
                f"{result.test[m]:.4f}" if result.test[m] is not None else "-"
                for m in ("accuracy", "precision", "recall", "f1", "roc_auc")
            )
        )
        _out.print(scores)
    _out.print(
        f"registered model v{result.model_version} as {result.alias!r}; label model: {result.label_model}; "
        f"report: {result.report} ({time.perf_counter() - start:.1f}s)"
    )


@main.command()
@_project_option
@click.option("--sort", "sort_by", default=None, help="Sort by this column (e.g. coverage, conflicts).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON records.")
@_handles_errors
def lfs(project_dir: Path, sort_by: str | None, as_json: bool) -> None:
    """Summarize the labeling functions: coverage, overlaps, conflicts, accuracy, failures, runtime."""
    from headrace.pipeline import analyze_lfs

    supervision = analyze_lfs(project_dir)
    summary = supervision.summary
    if sort_by is not None:
        if sort_by not in summary.columns:
            raise click.BadParameter(f"choose one of {list(summary.columns)}", param_hint="--sort")
        summary = summary.sort_values(sort_by, ascending=False, kind="stable")
    if as_json:
        records = summary.reset_index().to_dict(orient="records")
        click.echo(
            json.dumps(
                {
                    "lfs": records,
                    "label_model": supervision.label_model,
                    "failure_examples": supervision.failure_examples,
                },
                default=str,
            )
        )
        return
    table = Table(title=f"{len(summary)} labeling functions", title_justify="left")
    table.add_column("lf", no_wrap=True)
    for column in summary.columns:
        table.add_column(_LF_HEADERS.get(column, column), justify="left" if column == "polarity" else "right")
    for name, row in summary.iterrows():
        table.add_row(str(name), *(_cell(row[c]) for c in summary.columns))
    _out.print(table)
    chosen = supervision.label_model
    dev = ", ".join(f"{k} {v:.3f}" for k, v in (chosen.get("dev_accuracy") or {}).items())
    _out.print(f"label model: {chosen.get('label_model')}" + (f" (dev accuracy: {dev})" if dev else ""))
    for name, examples in supervision.failure_examples.items():
        _out.print(
            f"[bold red]{name}[/] failed on rows: " + "; ".join(f"{e['row']}: {e['error']}" for e in examples)
        )


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "-" if value != value else f"{value:.3f}"  # NaN: no gold votes
    return str(value)


@main.command()
@click.argument("ref", default="staging")
@_project_option
@click.option("--json", "as_json", is_flag=True, help="Print the lineage tree as JSON.")
@_handles_errors
def lineage(ref: str, project_dir: Path, as_json: bool) -> None:
    """Trace model REF (alias or version) back to its labels, LF versions and data snapshot."""
    from headrace.registry import model_lineage

    with _open_store(project_dir) as store:
        result = model_lineage(store, ref)
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return
    version = result.version
    aliases = f" ({', '.join(version.aliases)})" if version.aliases else ""
    tree = Tree(
        f"[bold]model v{version.version}{aliases}[/] registered {version.created_at:%Y-%m-%d %H:%M:%S}"
    )
    _add_node(tree, result.root, seen=set())
    _out.print(tree)


def _add_node(parent: Tree, node: Any, *, seen: set[str]) -> None:
    if node.kind == "lf":
        text = f"LF [bold]{node.meta.get('name')}[/] source {str(node.meta.get('source_hash'))[:12]}"
    else:
        text = f"{node.role} [dim]({node.kind} {node.object_id[:12]})[/]"
    if node.run_id is not None:
        when = "" if node.run_finished_at is None else f" at {node.run_finished_at:%Y-%m-%d %H:%M:%S}"
        text += f" ← {node.run_kind} run {node.run_id[:12]}{when}"
    # A run with several outputs (e.g. the label run) appears once per output: expand
    # its inputs the first time only.
    if node.run_id in seen and node.inputs:
        parent.add(text + " [dim](inputs shown above)[/]")
        return
    if node.run_id is not None:
        seen.add(node.run_id)
    branch = parent.add(text)
    for child in sorted(node.inputs, key=lambda n: (n.kind == "lf", n.role)):
        _add_node(branch, child, seen=seen)


@main.command()
@_project_option
@click.option("--kind", default=None, help="Only runs of this kind (ingest, label, train, …).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True)
@_handles_errors
def runs(project_dir: Path, kind: str | None, limit: int, as_json: bool) -> None:
    """List recorded runs, newest first."""
    with _open_store(project_dir) as store:
        records = store.runs.recent(kind=kind, limit=limit)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "kind": r.kind,
                        "status": r.status,
                        "started_at": r.started_at.isoformat(),
                        "duration_s": r.duration_s,
                        "error": r.error,
                    }
                    for r in records
                ]
            )
        )
        return
    table = Table()
    for column in ("run", "kind", "status", "started", "seconds", "error"):
        table.add_column(column)
    for r in records:
        table.add_row(
            r.id[:12],
            r.kind,
            r.status,
            f"{r.started_at:%Y-%m-%d %H:%M:%S}",
            "" if r.duration_s is None else f"{r.duration_s:.2f}",
            (r.error or "")[:60],
        )
    _out.print(table)


@main.command()
@_project_option
@click.option("--json", "as_json", is_flag=True)
@_handles_errors
def models(project_dir: Path, as_json: bool) -> None:
    """List registered model versions and their aliases."""
    from headrace.registry import list_versions

    with _open_store(project_dir) as store:
        versions = list_versions(store)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "version": v.version,
                        "aliases": list(v.aliases),
                        "f1": v.metrics.get("f1"),
                        "accuracy": v.metrics.get("accuracy"),
                        "created_at": v.created_at.isoformat(),
                    }
                    for v in versions
                ]
            )
        )
        return
    table = Table()
    for column in ("version", "aliases", "f1", "accuracy", "created"):
        table.add_column(column)
    for v in versions:
        f1, acc = v.metrics.get("f1"), v.metrics.get("accuracy")
        table.add_row(
            str(v.version),
            ", ".join(v.aliases),
            "-" if f1 is None else f"{f1:.4f}",
            "-" if acc is None else f"{acc:.4f}",
            f"{v.created_at:%Y-%m-%d %H:%M:%S}",
        )
    _out.print(table)


def _open_store(project_dir: Path) -> Store:
    """The store of the project in ``project_dir`` (its project file must load)."""
    from headrace.project import load_project
    from headrace.store import Store

    return Store.for_project(load_project(project_dir).root)


if __name__ == "__main__":
    main()
