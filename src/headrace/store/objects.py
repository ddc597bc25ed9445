"""Content-addressed object store: immutable blobs named by their sha256.

Layout: ``ROOT/ab/abcdef…`` (the first two hex digits fan the files out). Every write
goes to a temporary file in ``ROOT/tmp`` first and is renamed into place only once it
is complete, so a crash can leave a stray temp file but never a truncated object.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from headrace.errors import NotFoundError, StoreError
from headrace.store.hashing import hash_bytes, hash_file

__all__ = ["ObjectStore"]


class ObjectStore:
    """Immutable blobs addressed by the sha256 of their content.

    Parameters
    ----------
    root : Path
        Directory holding the objects; created on first write.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, object_id: str) -> Path:
        """Return the path of an existing object; raise :class:`NotFoundError` if absent."""
        path = self._location(object_id)
        if not path.is_file():
            raise NotFoundError(f"object {object_id} is not in the object store at {self.root}")
        return path

    def exists(self, object_id: str) -> bool:
        """Return whether ``object_id`` is stored."""
        return self._location(object_id).is_file()

    def read_bytes(self, object_id: str) -> bytes:
        """Return the content of an object."""
        return self.path(object_id).read_bytes()

    def put_bytes(self, data: bytes) -> str:
        """Store ``data`` and return its object id (idempotent)."""
        object_id = hash_bytes(data)
        if not self.exists(object_id):
            self._commit(lambda tmp: tmp.write_bytes(data), object_id)
        return object_id

    def put_file(self, source: Path) -> str:
        """Copy the file at ``source`` into the store and return its object id."""
        object_id = hash_file(source)
        if not self.exists(object_id):
            self._commit(lambda tmp: shutil.copyfile(source, tmp), object_id)
        return object_id

    def put_with(self, write: Callable[[Path], None]) -> str:
        """Store what ``write(path)`` writes to a temporary path; return its object id.

        Lets writers such as ``pyarrow.parquet.write_table`` stream straight to disk
        instead of building the whole blob in memory first.
        """
        tmp = self._temp_path()
        try:
            write(tmp)
            object_id = hash_file(tmp)
            final = self._location(object_id)
            if final.is_file():
                tmp.unlink()
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return object_id

    def _commit(self, write: Callable[[Path], object], object_id: str) -> None:
        tmp = self._temp_path()
        try:
            write(tmp)
            final = self._location(object_id)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _temp_path(self) -> Path:
        tmp_dir = self.root / "tmp"
        try:
            tmp_dir.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=tmp_dir, prefix="obj-")
        except OSError as exc:
            raise StoreError(f"cannot write to the object store at {self.root}: {exc}") from exc
        os.close(handle)
        return Path(name)

    def _location(self, object_id: str) -> Path:
        if len(object_id) != 64 or not all(c in "0123456789abcdef" for c in object_id):
            raise NotFoundError(f"{object_id!r} is not an object id (expected 64 hex digits)")
        return self.root / object_id[:2] / object_id
