"""Active learning: ``suggest`` rows to label, ``annotate`` to import the labels."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape

from headrace.cli.common import handles_errors, out, project_option

__all__ = ["STRATEGY_CHOICES", "annotate", "suggest"]

#: ``headrace.supervision.active.STRATEGIES``, spelled out so the CLI starts without
#: importing the supervision package (a test keeps the two equal).
STRATEGY_CHOICES = ("uncertainty", "disagreement", "lf-conflict", "uncovered", "random")

#: Re-labeled ids listed in the text output at most.
_SHOW_RELABELED = 10


@click.command()
@project_option
@click.option("--n", "n", type=click.IntRange(min=1), default=50, show_default=True, help="Rows to suggest.")
@click.option(
    "--strategy",
    type=click.Choice(STRATEGY_CHOICES),
    default="uncertainty",
    show_default=True,
    help="uncertainty: label-model entropy; disagreement: end model vs label model; lf-conflict: "
    "LFs vote differently; uncovered: no LF votes; random: the baseline.",
)
@click.option(
    "--out",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="CSV to write (default: suggestions.csv in the project folder).",
)
@click.option(
    "--model",
    default=None,
    help="Model --strategy disagreement compares with: alias or version (default: staging).",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Orders ties; seeds random."
)
@click.option("--overwrite", is_flag=True, help="Replace the CSV if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@handles_errors
def suggest(
    project_dir: Path,
    n: int,
    strategy: str,
    output: Path | None,
    model: str | None,
    seed: int,
    overwrite: bool,
    as_json: bool,
) -> None:
    """Rank unlabeled rows worth labeling and write them to a CSV with an empty label column."""
    from headrace.pipeline import suggest_rows

    if model is not None and strategy != "disagreement":
        raise click.UsageError(f"--model applies to --strategy disagreement, not {strategy}")
    result = suggest_rows(
        project_dir, n=n, strategy=strategy, output=output, seed=seed, model=model, overwrite=overwrite
    )
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return
    short = f" (only {result.eligible} rows qualify for {strategy})" if result.rows < n else ""
    against = "" if result.model_version is None else f" against model v{result.model_version}"
    out.print(
        f"wrote {result.rows} rows{short} ranked by {strategy}{against} to {escape(str(result.path))}; "
        f"{result.excluded} annotated or gold rows left out"
    )
    out.print(f"next: fill the label column, then headrace annotate {escape(str(result.path))}")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@project_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@handles_errors
def annotate(file: Path, project_dir: Path, as_json: bool) -> None:
    """Import the labels in FILE (id and label columns) as a new version of the annotations."""
    from headrace.pipeline import import_annotations

    result = import_annotations(project_dir, file)
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return
    out.print(
        f"{escape(str(file))}: {result.labeled} labeled rows ({result.skipped} blank, skipped): "
        f"{result.added} new, {len(result.relabeled)} re-labeled, {result.unchanged} unchanged"
    )
    for row_id, old, new in result.relabeled[:_SHOW_RELABELED]:
        out.print(f"  re-labeled {escape(row_id)}: {escape(old)} → {escape(new)}")
    if len(result.relabeled) > _SHOW_RELABELED:
        out.print(f"  … and {len(result.relabeled) - _SHOW_RELABELED} more")
    if result.changed:
        out.print(f"annotations v{result.version}: {result.total} rows; the next headrace run trains on them")
    elif result.version is None:
        out.print("nothing to import: no row has a label")
    else:
        out.print(f"no change: annotations stay at v{result.version} ({result.total} rows)")
