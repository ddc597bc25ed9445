"""Building an engine from its name and settings (project file or command line)."""

from __future__ import annotations

from headrace.engines.base import Engine
from headrace.engines.dask import DaskEngine
from headrace.engines.local import LocalEngine
from headrace.engines.processes import ProcessEngine
from headrace.errors import EngineError

__all__ = ["ENGINE_KINDS", "make_engine"]

#: The engines by the name the project file and ``--engine`` use.
ENGINE_KINDS = ("local", "processes", "dask")


def make_engine(kind: str, *, workers: int | None = None, address: str | None = None) -> Engine:
    """Return an engine of ``kind`` (``local``, ``processes`` or ``dask``)."""
    if kind == "local":
        return LocalEngine()
    if kind == "processes":
        return ProcessEngine(workers=workers)
    if kind == "dask":
        return DaskEngine(address=address, workers=workers)
    raise EngineError(f"engine {kind!r} is not known; choose one of {list(ENGINE_KINDS)}")
