"""``runs``: the recorded runs of every stage."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from headrace.cli.common import handles_errors, open_store, out, project_option

__all__ = ["runs"]


@click.command()
@project_option
@click.option("--kind", default=None, help="Only runs of this kind (ingest, label, train, …).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def runs(project_dir: Path, kind: str | None, limit: int, as_json: bool) -> None:
    """List recorded runs, newest first."""
    with open_store(project_dir) as store:
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
    out.print(table)
