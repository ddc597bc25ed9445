"""The in-process engine: the default, with no overhead and no dependencies."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = ["LocalEngine"]

T = TypeVar("T")
R = TypeVar("R")


class LocalEngine:
    """Runs each partition in this process, one after another."""

    name = "local"

    def map_partitions(self, fn: Callable[[T], R], partitions: Sequence[T]) -> list[R]:
        """Return ``[fn(p) for p in partitions]``."""
        return [fn(partition) for partition in partitions]

    def close(self) -> None:
        """Nothing to release."""
