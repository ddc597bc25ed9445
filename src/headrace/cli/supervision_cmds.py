"""``lfs``: how the labeling functions behave."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from headrace.cli.common import cell, handles_errors, out, project_option

__all__ = ["lfs"]

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


@click.command()
@project_option
@click.option("--sort", "sort_by", default=None, help="Sort by this column (e.g. coverage, conflicts).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON records.")
@handles_errors
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
        table.add_row(str(name), *(cell(row[c]) for c in summary.columns))
    out.print(table)
    chosen = supervision.label_model
    dev = ", ".join(f"{k} {v:.3f}" for k, v in (chosen.get("dev_accuracy") or {}).items())
    out.print(f"label model: {chosen.get('label_model')}" + (f" (dev accuracy: {dev})" if dev else ""))
    for name, examples in supervision.failure_examples.items():
        out.print(
            f"[bold red]{name}[/] failed on rows: " + "; ".join(f"{e['row']}: {e['error']}" for e in examples)
        )
