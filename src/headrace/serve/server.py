"""Running the prediction server under uvicorn, in one process or several.

With ``workers > 1`` uvicorn starts fresh worker processes that import the app by
name, so the settings travel in an environment variable and each worker opens its
own store connection and its own prediction-log writer (file names carry the pid).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from starlette.types import ASGIApp

from headrace.errors import ProjectFileError
from headrace.project.config import ServeConfig
from headrace.serve.app import PredictionServer
from headrace.store import Store

__all__ = ["ServerSettings", "app_from_environment", "run_server"]

_SETTINGS_VARIABLE = "HEADRACE_SERVE_SETTINGS"


@dataclass(frozen=True)
class ServerSettings:
    """Where and what to serve."""

    store_root: Path
    config: ServeConfig
    #: Where the store's objects live (the project's ``store.objects`` or
    #: ``HEADRACE_OBJECTS``, resolved by the CLI); ``None``: ``store_root/objects``.
    objects: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "warning"

    def to_json(self) -> str:
        return json.dumps(
            {
                "store_root": str(self.store_root),
                "objects": self.objects,
                "config": self.config.model_dump(mode="json"),
            }
        )


def app_from_environment() -> ASGIApp:
    """The app of one worker process (uvicorn's factory when ``workers > 1``)."""
    raw = os.environ.get(_SETTINGS_VARIABLE)
    if raw is None:
        raise ProjectFileError(f"{_SETTINGS_VARIABLE} is not set: start workers with `headrace serve`")
    settings = json.loads(raw)
    store = Store(Path(settings["store_root"]), objects=settings.get("objects"))
    return PredictionServer(store, ServeConfig.model_validate(settings["config"])).app


def run_server(settings: ServerSettings) -> None:
    """Serve until SIGINT/SIGTERM; on the way out queued requests are answered and the log is written."""
    import uvicorn

    options: dict[str, object] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        # One line per request on 2 cores costs more than the model call itself.
        "access_log": False,
        "http": "httptools" if importlib.util.find_spec("httptools") else "h11",
        "loop": "uvloop" if sys.platform != "win32" and importlib.util.find_spec("uvloop") else "asyncio",
        "server_header": False,
        "timeout_graceful_shutdown": 30,
    }
    if settings.workers == 1:
        store = Store(settings.store_root, objects=settings.objects)
        try:
            uvicorn.run(PredictionServer(store, settings.config).app, **options)  # type: ignore[arg-type]
        finally:
            store.close()
        return
    os.environ[_SETTINGS_VARIABLE] = settings.to_json()
    uvicorn.run(
        "headrace.serve.server:app_from_environment",
        factory=True,
        workers=settings.workers,
        **options,  # type: ignore[arg-type]
    )
