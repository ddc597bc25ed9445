"""Registered models: ``lineage``, ``models``, ``promote``, ``rollback``, ``history``, ``export``."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from headrace.cli.common import handles_errors, open_store, out, project_option

if TYPE_CHECKING:
    from headrace.registry import AliasMove

__all__ = ["export", "history", "lineage", "models", "promote", "rollback"]

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
reason_option = click.option("--reason", default=None, help="Why (kept in the alias history).")
actor_option = click.option(
    "--actor", default=None, help="Who (kept in the alias history; default: the current OS user)."
)


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
@json_option
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
                        **v.to_dict(),
                        "f1": v.metrics.get("f1"),
                        "accuracy": v.metrics.get("accuracy"),
                    }
                    for v in versions
                ]
            )
        )
        return
    table = Table()
    for column in ("version", "aliases", "f1", "accuracy", "created", "model id"):
        table.add_column(column)
    for v in versions:
        f1, acc = v.metrics.get("f1"), v.metrics.get("accuracy")
        table.add_row(
            str(v.version),
            escape(", ".join(v.aliases)),
            "-" if f1 is None else f"{f1:.4f}",
            "-" if acc is None else f"{acc:.4f}",
            f"{v.created_at:%Y-%m-%d %H:%M:%S}",
            v.object_id[:12],
        )
    out.print(table)


@click.command()
@click.argument("version")
@click.argument("alias")
@project_option
@reason_option
@actor_option
@click.option(
    "--force", is_flag=True, help="Promote although behavioral tests fail (needs --reason; recorded)."
)
@json_option
@handles_errors
def promote(
    version: str,
    alias: str,
    project_dir: Path,
    reason: str | None,
    actor: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Point ALIAS (e.g. production) at model VERSION (3, v3, or another alias such as staging).

    When the project's checks: section gates ALIAS, the behavioral tests must pass
    first; --force --reason "…" overrides them, and the override is recorded.
    """
    from headrace.behavior.gate import check_model, gates
    from headrace.errors import ReleaseGateError
    from headrace.project import load_project
    from headrace.registry import get_version
    from headrace.registry import promote as promote_alias
    from headrace.store import Store

    project = load_project(project_dir)
    with Store.for_project(project.root) as store:
        if gates(project, alias):
            result = check_model(project, store, version)
            if not result.report.passed:
                if not force:
                    raise ReleaseGateError(
                        f"model v{result.version.version} fails behavioral tests, so it cannot become "
                        f"{alias!r}: {result.summary()} (see `headrace check {version}`; "
                        'override with --force --reason "…")'
                    )
                if not reason:
                    raise ReleaseGateError(
                        "--force needs --reason: say why failing behavioral tests are acceptable"
                    )
                reason = f"{reason} [forced past failing behavioral tests: {result.summary()}]"
        move = promote_alias(store, version, alias, reason=reason, actor=actor or _current_user())
        target = get_version(store, alias)
    if as_json:
        click.echo(
            json.dumps(
                {"alias": alias, "version": target.version, "move": None if move is None else move.to_dict()}
            )
        )
        return
    if move is None:
        out.print(f"{escape(alias)} already points at model v{target.version}; nothing changed")
    else:
        out.print(_describe(move))


@click.command()
@click.argument("alias")
@project_option
@reason_option
@actor_option
@json_option
@handles_errors
def rollback(alias: str, project_dir: Path, reason: str | None, actor: str | None, as_json: bool) -> None:
    """Point ALIAS back at the version it pointed at before its latest promotion."""
    from headrace.registry import rollback as rollback_alias

    with open_store(project_dir) as store:
        move = rollback_alias(store, alias, reason=reason, actor=actor or _current_user())
    if as_json:
        click.echo(json.dumps(move.to_dict()))
        return
    out.print(_describe(move))


@click.command()
@click.argument("alias", required=False)
@project_option
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@json_option
@handles_errors
def history(alias: str | None, project_dir: Path, limit: int, as_json: bool) -> None:
    """Moves of ALIAS (default: every alias), newest first."""
    from headrace.registry import alias_history

    with open_store(project_dir) as store:
        moves = alias_history(store, alias, limit=limit)
    if as_json:
        click.echo(json.dumps([m.to_dict() for m in moves]))
        return
    table = Table()
    for column in ("when", "alias", "action", "from", "to", "actor", "reason"):
        table.add_column(column)
    for m in moves:
        table.add_row(
            f"{m.moved_at:%Y-%m-%d %H:%M:%S}",
            escape(m.alias),
            m.action,
            "-" if m.previous_version is None else f"v{m.previous_version}",
            f"v{m.version}",
            escape(m.actor or ""),
            escape(m.reason or ""),
        )
    out.print(table)


@click.command()
@click.argument("ref")
@click.option(
    "--mlflow",
    "mlflow_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Write an MLflow pyfunc model directory here (must not exist; needs the mlflow extra).",
)
@project_option
@json_option
@handles_errors
def export(ref: str, mlflow_dir: Path, project_dir: Path, as_json: bool) -> None:
    """Export model REF (alias or version) as an MLflow pyfunc model."""
    from headrace.registry import export_mlflow, get_version

    with open_store(project_dir) as store:
        version = get_version(store, ref)
        path = export_mlflow(store, str(version.version), mlflow_dir)
    if as_json:
        click.echo(
            json.dumps({"version": version.version, "object_id": version.object_id, "path": str(path)})
        )
        return
    out.print(
        f"exported model v{version.version} to {escape(str(path))}; "
        f"load it with mlflow.pyfunc.load_model({escape(repr(str(path)))})"
    )


def _describe(move: AliasMove) -> str:
    before = "nothing" if move.previous_version is None else f"v{move.previous_version}"
    return f"{escape(move.alias)}: {before} → v{move.version} ({move.action})"


def _current_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment (some containers)
        return None
