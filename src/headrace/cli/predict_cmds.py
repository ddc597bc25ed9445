"""Batch prediction: ``predict``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from headrace.cli.common import engine_options, err, handles_errors, open_engine, out, project_option

__all__ = ["predict"]


class _RowsProgress:
    """Draws rows done (of the total, when the input's metadata tells it) on stderr."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def started(self, total_rows: int | None) -> None:
        self._task = self._progress.add_task("predicting", total=total_rows, rate="")

    def advanced(self, rows: int) -> None:
        if self._task is None:
            return
        self._progress.advance(self._task, rows)
        speed = self._progress.tasks[self._task].speed
        self._progress.update(self._task, rate="" if speed is None else f"{speed:,.0f} rows/s")


@click.command()
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True)
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--model", "ref", default=None, help="Alias or version to use (default: the project's serve.model)."
)
@engine_options
@click.option(
    "--batch-rows",
    type=click.IntRange(min=1),
    default=None,
    help="Rows per model call (default 65536); memory grows with it, not with the input.",
)
@click.option(
    "--keep",
    "keep_columns",
    multiple=True,
    help="Input column to copy to the output (repeatable; default: the project's data.id when present).",
)
@click.option(
    "--overwrite", is_flag=True, help="Replace OUTPUT if it exists (once the new file is complete)."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@project_option
@handles_errors
def predict(
    inputs: tuple[str, ...],
    output: Path,
    ref: str | None,
    engine_kind: str | None,
    workers: int | None,
    dask_address: str | None,
    batch_rows: int | None,
    keep_columns: tuple[str, ...],
    overwrite: bool,
    quiet: bool,
    as_json: bool,
    project_dir: Path,
) -> None:
    """Predict every row of INPUT files (CSV or Parquet; names or globs) into OUTPUT (Parquet).

    OUTPUT holds the kept columns, then label and probability_<class> per class, one
    row per input row in input order: the answers online serving gives the same rows.
    Paths are relative to the current folder.
    """
    from headrace.project import load_project
    from headrace.serve import load_served_model, predict_files
    from headrace.serve.batch import DEFAULT_BATCH_ROWS
    from headrace.store import Store

    project = load_project(project_dir)
    config = project.config
    engine = open_engine(project, engine_kind, workers, dask_address)
    columns: list[ProgressColumn] = [TextColumn("{task.description}"), BarColumn(), TaskProgressColumn()]
    columns += [TextColumn("{task.completed:,.0f} rows"), TextColumn("{task.fields[rate]}")]
    columns += [TimeElapsedColumn(), TimeRemainingColumn()]
    try:
        with Store.for_project(project.root) as store:
            model = load_served_model(store, ref or config.serve.model)
        with Progress(*columns, console=err, transient=True, disable=quiet or not err.is_terminal) as bar:
            result = predict_files(
                model,
                list(inputs),
                output,
                engine=engine,
                batch_rows=batch_rows or DEFAULT_BATCH_ROWS,
                keep_columns=keep_columns,
                # An explicit --keep says exactly what to keep.
                id_column=None if keep_columns else config.data.id,
                overwrite=overwrite,
                progress=_RowsProgress(bar),
            )
    finally:
        engine.close()
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return
    version = "" if result.model_version is None else f" v{result.model_version}"
    kept = ", ".join(result.kept_columns) or "no input column"
    out.print(
        f"predicted {result.rows:,} rows from {len(result.files)} file(s) with model{version} "
        f"({escape(result.model_ref)}) in {result.seconds:.1f}s ({result.rows_per_second:,.0f} rows/s) "
        f"on the {result.engine} engine; kept {escape(kept)}; "
        f"wrote {escape(str(result.output))}",
        soft_wrap=True,
    )
