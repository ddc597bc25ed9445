"""``serve``: the HTTP prediction server."""

from __future__ import annotations

from pathlib import Path

import click

from headrace.cli.common import err, handles_errors, host_option, log_level_option, project_option

__all__ = ["serve"]


@click.command()
@project_option
@click.option(
    "--model", "ref", default=None, help="Alias or version to serve (default: serve.model, production)."
)
@host_option
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Server processes.")
@log_level_option
@handles_errors
def serve(project_dir: Path, ref: str | None, host: str, port: int, workers: int, log_level: str) -> None:
    """Serve a registered model over HTTP: POST /v1/predict, GET /v1/model, /metrics, …

    Requests are micro-batched, every prediction is logged to .headrace/predictions,
    and a served alias follows promotions and rollbacks without a restart.
    HEADRACE_API_KEY (environment) guards state-changing endpoints.
    """
    from headrace.project import load_project
    from headrace.registry import get_version
    from headrace.serve.auth import API_KEY_VARIABLE, ApiKey
    from headrace.serve.server import ServerSettings, run_server
    from headrace.store import Store

    project = load_project(project_dir)
    config = project.config.serve
    if ref is not None:
        config = config.model_copy(update={"model": ref})
    store = Store.for_project(project.root)
    with store:
        # An unknown alias fails here, with the registry's message, rather than as a
        # server that never becomes ready.
        version = get_version(store, config.model)
    if config.require_key_for_predict and not ApiKey.from_environment().configured:
        err.print(f"[bold red]error:[/] serve.require_key_for_predict is set but {API_KEY_VARIABLE} is not")
        raise SystemExit(2)
    err.print(
        f"headrace: serving model v{version.version} ({config.model}) on http://{host}:{port} "
        f"with {workers} worker(s); predictions logged under {store.root / 'predictions'}"
    )
    run_server(ServerSettings(store.root, config, host=host, port=port, workers=workers, log_level=log_level))
