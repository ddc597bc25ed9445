"""``check``: a model's behavioral tests (the project's tests.py)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from headrace.cli.common import handles_errors, out, project_option

__all__ = ["check"]


@click.command()
@click.argument("ref", default="staging")
@project_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@handles_errors
def check(ref: str, project_dir: Path, as_json: bool) -> None:
    """Run the project's behavioral tests against model REF; exit 1 if one fails its threshold."""
    from headrace.behavior.gate import check_model
    from headrace.project import load_project
    from headrace.store import Store

    project = load_project(project_dir)
    with Store.for_project(project.root) as store:
        result = check_model(project, store, ref)
    report = result.report
    if as_json:
        click.echo(
            json.dumps({"version": result.version.version, "run_id": result.run_id, **report.to_dict()})
        )
    else:
        table = Table(title=f"behavioral tests of model v{result.version.version}")
        for column in ("test", "kind", "cases", "failed", "failure rate", "allowed", ""):
            table.add_column(column)
        for o in report.outcomes:
            table.add_row(
                escape(o.name),
                o.kind,
                str(o.cases),
                str(o.failures),
                f"{o.failure_rate:.1%}",
                f"{o.max_failure_rate:.1%}",
                "[green]pass[/]" if o.passed else "[bold red]FAIL[/]",
            )
        out.print(table)
        for o in report.failed:
            out.print(f"[bold]{escape(o.name)}[/] failing examples:")
            for example in o.examples:
                out.print(f"  {escape(json.dumps(example, ensure_ascii=False))}")
    if not report.passed:
        raise SystemExit(1)
