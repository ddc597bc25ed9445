"""Execution engines behind one seam: ``Engine.map_partitions``."""

from headrace.engines.base import Engine
from headrace.engines.dask import DaskEngine
from headrace.engines.factory import ENGINE_KINDS, make_engine
from headrace.engines.local import LocalEngine
from headrace.engines.processes import ProcessEngine

__all__ = ["ENGINE_KINDS", "DaskEngine", "Engine", "LocalEngine", "ProcessEngine", "make_engine"]
