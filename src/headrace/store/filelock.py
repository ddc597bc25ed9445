"""An exclusive lock on a file, between processes (and threads) on one machine."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: callers run one process per store
    fcntl = None  # type: ignore[assignment]

__all__ = ["file_lock"]


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if missing) for the block.

    Every caller opens the file itself, so two threads of one process exclude each
    other as two processes do. The lock goes with the process should it die. It
    covers one machine: processes on other machines sharing a store over a network
    file system or PostgreSQL are not serialized by it.
    """
    if fcntl is None:  # pragma: no cover
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
