"""``augment``: preview the augmented training rows without training."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from headrace.cli.common import handles_errors, out, project_option

__all__ = ["augment", "print_augmentation"]


@click.command()
@project_option
@click.option(
    "--n",
    "n",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="Augmented copies to show next to their originals.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@handles_errors
def augment(project_dir: Path, n: int, as_json: bool) -> None:
    """Apply the project's transformation functions (augment.py) and show what they make.

    Runs the pipeline up to the augment stage (cached where unchanged; `headrace run`
    reuses it) and shows N copies drawn from the rows training will see.
    """
    from headrace.pipeline import preview_augmentation

    preview = preview_augmentation(project_dir, n=n)
    if as_json:
        click.echo(json.dumps(preview.to_dict(), default=str))
        return
    summary = preview.summary
    policy = summary["policy"]
    settings = ", ".join(f"{k}={v}" for k, v in policy.items() if k != "policy")
    out.print(
        f"{summary['rows_in']} training rows + {summary['rows_added']} copies = {summary['rows_out']} rows "
        f"(policy {policy['policy']}: {settings}; {summary['unchanged']} unchanged copies left out"
        f"{'; cached' if preview.cached else ''})"
    )
    counts = Table(title="transformation functions", title_justify="left")
    for column in ("tf", "copies", "declined"):
        counts.add_column(column, justify="left" if column == "tf" else "right")
    for name, copies in summary["per_tf"].items():
        counts.add_row(name, str(copies), str(summary["declined"].get(name, 0)))
    out.print(counts)
    if not preview.examples:
        return
    examples = Table(title=f"{len(preview.examples)} augmented copies", title_justify="left", show_lines=True)
    for column in ("copy", "tfs", "column", "before", "after"):
        examples.add_column(column, overflow="fold")
    for example in preview.examples:
        for column, change in example["changes"].items():
            examples.add_row(
                escape(str(example["id"])),
                escape(str(example["tfs"])),
                escape(column),
                escape(str(change["before"])),
                escape(str(change["after"])),
            )
    out.print(examples)


def print_augmentation(section: dict[str, Any]) -> None:
    """The lines ``headrace run`` prints about augmentation: rows added, test F1 with vs without."""
    per_tf = ", ".join(f"{name} {count}" for name, count in section["per_tf"].items())
    out.print(
        f"augmentation: +{section['rows_added']} copies of {section['rows_in']} training rows ({per_tf})"
    )
    comparison = section.get("comparison")
    if comparison is None:
        return
    f1 = comparison["test"]["f1"]
    accuracy = comparison["test"]["accuracy"]
    out.print(
        f"  gold test f1 {f1['with']:.4f} with vs {f1['without']:.4f} without ({f1['delta']:+.4f}); "
        f"accuracy {accuracy['with']:.4f} vs {accuracy['without']:.4f} ({accuracy['delta']:+.4f})"
    )
    moved = [
        f"{name} {scores['f1']['delta']:+.3f}"
        for name, scores in comparison["slices"].items()
        if scores["f1"]["delta"] is not None and scores["f1"]["delta"] != 0
    ]
    if moved:
        out.print("  slice f1 Δ: " + ", ".join(moved))
