"""``ui``: the web dashboard."""

from __future__ import annotations

from pathlib import Path

import click

from headrace.cli.common import err, handles_errors, host_option, log_level_option, project_option

__all__ = ["ui"]


@click.command()
@project_option
@host_option
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@log_level_option
@handles_errors
def ui(project_dir: Path, host: str, port: int, log_level: str) -> None:
    """Web dashboard: runs, lineage, labeling functions, models and monitoring.

    Pages read what the pipeline stored (nothing is recomputed). Promote and rollback
    need HEADRACE_API_KEY (environment) and the same key typed in the form; without
    it the dashboard is read-only.
    """
    import importlib.util
    import sys

    import uvicorn

    from headrace.serve.auth import API_KEY_VARIABLE, ApiKey
    from headrace.ui.app import LOOPBACK_HOSTS, create_ui_app

    loopback = host in LOOPBACK_HOSTS
    app = create_ui_app(project_dir, allowed_hosts=LOOPBACK_HOSTS if loopback else None)
    mode = (
        "promote and rollback need the API key"
        if ApiKey.from_environment().configured
        else f"read-only ({API_KEY_VARIABLE} is not set)"
    )
    err.print(f"headrace: dashboard on http://{host}:{port}; {mode}")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        server_header=False,
        http="httptools" if importlib.util.find_spec("httptools") else "h11",
        loop="uvloop" if sys.platform != "win32" and importlib.util.find_spec("uvloop") else "asyncio",
    )
