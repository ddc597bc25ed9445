"""``lineage`` and ``models``: registered models and where they came from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from rich.tree import Tree

from headrace.cli.common import handles_errors, open_store, out, project_option

__all__ = ["lineage", "models"]


@click.command()
@click.argument("ref", default="staging")
@project_option
@click.option("--json", "as_json", is_flag=True, help="Print the lineage tree as JSON.")
@handles_errors
def lineage(ref: str, project_dir: Path, as_json: bool) -> None:
    """Trace model REF (alias or version) back to its labels, LF versions and data snapshot."""
    from headrace.registry import model_lineage

    with open_store(project_dir) as store:
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
    out.print(tree)


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


@click.command()
@project_option
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def models(project_dir: Path, as_json: bool) -> None:
    """List registered model versions and their aliases."""
    from headrace.registry import list_versions

    with open_store(project_dir) as store:
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
    out.print(table)
