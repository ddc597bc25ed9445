"""Execution engines behind one seam: ``Engine.map_partitions``."""

from headrace.engines.base import Engine
from headrace.engines.local import LocalEngine

__all__ = ["Engine", "LocalEngine"]
