"""The engine seam: where partitioned work runs.

Every stage that maps a function over partitions of data (LF application, batch
prediction, monitoring scans) goes through one method, :meth:`Engine.map_partitions`,
which returns the results in partition order whatever the engine does underneath.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

__all__ = ["Engine"]

T = TypeVar("T")
R = TypeVar("R")


class Engine(Protocol):
    """Runs a function over partitions and gathers the results in order."""

    #: Short name used in project files and on the command line.
    name: str

    def map_partitions(self, fn: Callable[[T], R], partitions: Sequence[T]) -> list[R]:
        """Return ``[fn(p) for p in partitions]``, possibly computed elsewhere, in order."""
        ...

    def close(self) -> None:
        """Release workers or connections the engine holds."""
        ...
