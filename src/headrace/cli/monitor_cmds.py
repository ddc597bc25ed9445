"""``feedback`` and ``monitor``: ground truth in, drift and performance out."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from headrace.cli.common import cell, engine_options, err, handles_errors, open_engine, out, project_option

__all__ = ["feedback", "monitor"]


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@project_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@handles_errors
def feedback(file: Path, project_dir: Path, as_json: bool) -> None:
    """Record ground truth for served predictions: FILE holds request_id and label columns.

    The request ids are those /v1/predict answered; a request labelled again keeps
    its latest label.
    """
    from headrace.monitor.logdata import connect, log_source
    from headrace.project import load_project
    from headrace.serve.feedback import FEEDBACK_DIRNAME, read_feedback_file, record_feedback
    from headrace.serve.predlog import PREDICTIONS_DIRNAME
    from headrace.store import Store

    project = load_project(project_dir)
    table = read_feedback_file(file)
    with Store.for_project(project.root) as store:
        result = record_feedback(
            store.root / FEEDBACK_DIRNAME, table, project.config.task.labels, source=str(file)
        )
        source = log_source(store.root / PREDICTIONS_DIRNAME, numbered=False)
    matched = 0
    if source is not None:
        connection = connect()
        connection.register("feedback_rows", table.select(["request_id"]))
        row = connection.execute(
            f"SELECT count(DISTINCT f.request_id) FROM feedback_rows f JOIN {source} l USING (request_id)"
        ).fetchone()
        matched = 0 if row is None else int(row[0])
    if as_json:
        click.echo(json.dumps({**result.to_dict(), "matched": matched}))
        return
    out.print(
        f"recorded {result.rows} label(s) from {file}; {matched} match logged predictions"
        + ("" if matched == result.rows else " (the others may be logged later, or are unknown ids)")
    )


@click.command()
@project_option
@click.option("--model", "ref", default=None, help="Alias or version (default: serve.model).")
@click.option("--window", default=None, help="30m, 1h, 1d or '10000 rows' (default: monitor.window).")
@click.option("--last", default=12, show_default=True, type=click.IntRange(1), help="Most recent windows.")
@click.option("--check", is_flag=True, help="Exit 1 on a breach and POST it to monitor.webhook.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write an HTML report (Plotly, works offline).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole result as JSON.")
@engine_options
@handles_errors
def monitor(
    project_dir: Path,
    ref: str | None,
    window: str | None,
    last: int,
    check: bool,
    report_path: Path | None,
    as_json: bool,
    engine_kind: str | None,
    workers: int | None,
    dask_address: str | None,
) -> None:
    """Drift, label-free and realized performance of a served model, window by window.

    Reads the prediction log of .headrace/predictions (written by headrace serve) and
    the ground truth recorded with headrace feedback. With --check, exits 1 when the
    latest full window crosses a threshold of the project file's monitor: section.
    The project's LFs run on logged rows on the engine (--engine, default engine.kind).
    """
    from headrace.monitor.alerts import post_alert
    from headrace.monitor.report import write_monitor_report
    from headrace.monitor.runner import run_monitor
    from headrace.project import load_project
    from headrace.store import Store

    project = load_project(project_dir)
    engine = open_engine(project, engine_kind, workers, dask_address)
    try:
        with Store.for_project(project.root) as store:
            result = run_monitor(
                project,
                store,
                ref=ref,
                window=window,
                last=last,
                engine=engine,
                progress=None if as_json else _progress,
            )
    finally:
        engine.close()
    payload = result.to_dict()
    if report_path is not None:
        latest = result.windows[-1].summary if result.windows else None
        write_monitor_report(
            report_path, payload, project=project.config.name, profile=result.profile, latest=latest
        )
    webhook = project.config.monitor.webhook
    delivery = None
    if check and result.breaches and webhook is not None:
        delivery = post_alert(webhook, {"project": project.config.name, **payload})
        payload["webhook_error"] = delivery
    if as_json:
        click.echo(json.dumps(payload))
    else:
        _print_result(payload)
        if report_path is not None:
            out.print(f"report: {report_path}")
        if delivery is not None:
            err.print(f"[yellow]warning:[/] {escape(delivery)}")
    if check and result.breaches:
        raise SystemExit(1)


def _progress(message: str) -> None:
    err.print(f"headrace: {message}", highlight=False)


def _print_result(payload: dict[str, object]) -> None:
    model = payload["model"]
    assert isinstance(model, dict)
    table = Table(title=f"model v{model['version']} · window {payload['window']}")
    for column in ("window start", "rows", "drifted", "est. accuracy (95% CI)", "realized (n)", "covered"):
        table.add_column(column)
    windows = payload["windows"]
    assert isinstance(windows, list)
    for window in windows:
        drift = window["drift"]
        estimate = window["estimate"]
        realized = window["realized"]
        drifted = "-" if drift is None else ", ".join(drift["drifted_columns"]) or "none"
        if drift is not None and drift["prediction"]["drifted"]:
            drifted += " + predictions"
        accuracy = "-"
        if estimate is not None and estimate["accuracy"] is not None:
            low, high = estimate["accuracy_ci"]
            accuracy = f"{cell(estimate['accuracy'])} ({cell(low)}–{cell(high)})"
        truth = (
            "-"
            if realized is None or realized["accuracy"] is None
            else (f"{cell(realized['accuracy'])} ({realized['labelled']})")
        )
        covered = "-" if estimate is None else f"{estimate['covered']:.0%}"
        table.add_row(
            window["window"]["start"][:19].replace("T", " "),
            str(window["window"]["rows"]),
            escape(drifted),
            accuracy,
            truth,
            covered,
        )
    out.print(table)
    for note in payload["notes"]:  # type: ignore[attr-defined]
        out.print(f"[dim]note: {escape(str(note))}[/]")
    breaches = payload["breaches"]
    assert isinstance(breaches, list)
    if breaches:
        out.print(f"[bold red]{len(breaches)} breach(es)[/] in the checked window:")
        for breach in breaches:
            out.print(f"  - {escape(breach['message'])}")
    else:
        out.print("[green]no threshold crossed[/] in the checked window")
