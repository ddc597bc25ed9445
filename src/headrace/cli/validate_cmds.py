"""``validate``: the project's data (or its served traffic) against its constraints file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from headrace.cli.common import err, handles_errors, out, project_option

__all__ = ["print_violations", "validate"]

#: Violations shown as table rows at most (``--json`` has them all).
_MAX_ROWS = 50


@click.command()
@project_option
@click.option("--json", "as_json", is_flag=True, help="Print the whole result as JSON.")
@click.option(
    "--infer",
    is_flag=True,
    help="Infer the constraints from the unlabeled data and write validation.constraints.",
)
@click.option("--overwrite", is_flag=True, help="With --infer: replace an existing constraints file.")
@click.option(
    "--traffic",
    is_flag=True,
    help="Check the served model's sample of live traffic (.headrace/traffic_sample) instead of the files.",
)
@click.option("--model", "ref", default=None, help="With --traffic: alias or version (default: serve.model).")
@handles_errors
def validate(
    project_dir: Path, as_json: bool, infer: bool, overwrite: bool, traffic: bool, ref: str | None
) -> None:
    """Check the project's data files against its constraints file; exit 13 on a hard violation.

    The files are those data.unlabeled and data.gold (dev, test) name, read as
    headrace run reads them. --infer writes the constraints file from the unlabeled
    data instead (refusing to replace one without --overwrite); --traffic checks the
    rows headrace serve sampled from live requests.
    """
    from headrace.errors import DataValidationError

    if overwrite and not infer:
        raise click.UsageError("--overwrite only applies with --infer")
    if infer and traffic:
        raise click.UsageError("--infer writes rules from the data files; it does not combine with --traffic")
    if ref is not None and not traffic:
        raise click.UsageError("--model only applies with --traffic")
    if infer:
        _infer(project_dir, overwrite=overwrite, as_json=as_json)
        return
    payload = _traffic(project_dir, ref) if traffic else _files(project_dir)
    if as_json:
        click.echo(json.dumps(payload))
    else:
        print_violations(payload)
    if payload["hard"]:
        where = escape(Path(payload["constraints"]).name)
        err.print(f"[bold red]error:[/] {payload['hard']} hard violation(s) of {where}", soft_wrap=True)
        sys.exit(DataValidationError.exit_code)


def _files(project_dir: Path) -> dict[str, Any]:
    from headrace.pipeline.validate import validate_project

    return validate_project(project_dir).to_dict()


def _traffic(project_dir: Path, ref: str | None) -> dict[str, Any]:
    from headrace.project import load_project
    from headrace.serve.traffic import validate_traffic
    from headrace.store import Store

    project = load_project(project_dir)
    with Store.for_project(project.root) as store:
        sample, report = validate_traffic(project, store, ref)
    return {
        "constraints": str(project.path(project.config.validation.constraints)),
        "model_id": sample.model_id,
        "seen": sample.seen,
        "sampled": sample.table.num_rows,
        "ok": report.ok,
        "hard": len(report.hard),
        "soft": len(report.soft),
        "reports": [report.to_dict()],
    }


def _infer(project_dir: Path, *, overwrite: bool, as_json: bool) -> None:
    from headrace.pipeline.validate import infer_project_constraints

    path, constraints = infer_project_constraints(project_dir, overwrite=overwrite)
    if as_json:
        click.echo(json.dumps({"constraints": str(path), **constraints.model_dump(mode="json")}))
        return
    out.print(
        f"wrote {path}: rules for {len(constraints.columns)} column(s), inferred from the unlabeled data; "
        "edit them, then `headrace validate`"
    )


def print_violations(validation: dict[str, Any]) -> None:
    """Print a validation result (``DataValidation.to_dict()`` or the ``--traffic`` form) as a table."""
    reports = validation["reports"]
    found = [(r["source"], v) for r in reports for v in r["violations"]]
    rows = sum(r["rows"] for r in reports)
    rules = sum(r["rules"] for r in reports)
    where = Path(validation["constraints"]).name
    if validation.get("inferred"):
        out.print(
            f"[dim]{escape(where)} was inferred from this snapshot: edit it to tighten or relax a rule[/]"
        )
    if not found:
        out.print(
            f"[green]data validation:[/] {rows} rows of {len(reports)} source(s) keep all {rules} rules "
            f"of {escape(where)}"
        )
        return
    table = Table(title=f"data validation ({escape(where)})", title_justify="left")
    for column in ("source", "column", "rule", "severity", "rows", "share", "e.g."):
        table.add_column(column)
    for source, violation in found[:_MAX_ROWS]:
        example = violation["examples"][0] if violation["examples"] else None
        table.add_row(
            escape(source),
            escape(violation["column"]),
            violation["rule"],
            "[bold red]hard[/]" if violation["severity"] == "hard" else "[yellow]soft[/]",
            str(violation["count"]),
            f"{violation['rate']:.1%}",
            "" if example is None else escape(f"{example['id']!r} = {example['value']!r}")[:80],
        )
    out.print(table)
    if len(found) > _MAX_ROWS:
        out.print(f"[dim]… and {len(found) - _MAX_ROWS} more (--json lists them all)[/]")
    hard = sum(1 for _, v in found if v["severity"] == "hard")
    out.print(
        f"data validation: {hard} hard, {len(found) - hard} soft violation(s) in {rows} rows of "
        f"{len(reports)} source(s) ({rules} rules)"
    )
