"""``init`` and ``run``: create a project and run its pipeline."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from headrace.cli.common import engine_options, err, handles_errors, open_engine, out, project_option

__all__ = ["init", "run"]


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--example", required=True, help="Bundled example to copy (e.g. youtube-spam).")
@handles_errors
def init(directory: Path, example: str) -> None:
    """Scaffold a project in DIRECTORY from a bundled example."""
    from headrace.project import init_project

    target = init_project(directory, example=example)
    out.print(f"created project {target} from example {example!r}; next: headrace run -p {target}")


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
            err.print(f"headrace: {outcome.name} done ({label})")


@click.command()
@project_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@engine_options
@handles_errors
def run(
    project_dir: Path,
    as_json: bool,
    engine_kind: str | None,
    workers: int | None,
    dask_address: str | None,
) -> None:
    """Ingest → label → train → evaluate → register; print a summary, write report.html."""
    from headrace.pipeline import run_project
    from headrace.project import load_project

    start = time.perf_counter()
    engine = open_engine(load_project(project_dir), engine_kind, workers, dask_address)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=err, transient=as_json, disable=not err.is_terminal) as progress:
            result = run_project(
                project_dir, progress=_RichProgress(progress, log=not as_json), engine=engine
            )
    finally:
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
    out.print(stages)
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
        out.print(scores)
    if result.validation is not None:
        from headrace.cli.validate_cmds import print_violations

        print_violations(result.validation)
    if result.augmentation is not None:
        from headrace.cli.augment_cmds import print_augmentation

        print_augmentation(result.augmentation)
    out.print(
        f"registered model v{result.model_version} as {result.alias!r}; label model: {result.label_model}; "
        f"report: {result.report} ({time.perf_counter() - start:.1f}s)"
    )
