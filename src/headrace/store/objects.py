"""Content-addressed object store: immutable blobs named by their sha256, at any fsspec URL.

Layout: ``ROOT/ab/abcdef…`` (the first two hex digits fan the objects out). ``ROOT`` is a
local folder — a plain path or a ``file://`` URL, handled with the operating system's
own calls, so the default store neither imports fsspec nor pays for it — or any URL
fsspec knows: ``memory://…``, and ``s3://bucket/prefix``, ``gs://…`` or ``az://…`` once
s3fs, gcsfs or adlfs is installed. Connection options (endpoints, credentials) come
from fsspec's own configuration (``FSSPEC_S3_ENDPOINT_URL``-style variables or
``~/.config/fsspec/``) or the ``storage_options`` of :class:`ObjectStore`.

No write ever leaves a partial object under its final name:

- a local folder: the object is written to ``ROOT/tmp`` and renamed into place once
  complete (a crash can leave a stray temp file, never a truncated object);
- an object store (S3, GCS, Azure, …): one put, which the service makes visible only
  once it is complete;
- any other filesystem (``memory://``, SFTP, HDFS, …): the object is uploaded to
  ``ROOT/tmp`` and moved into place.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, BinaryIO

from headrace.errors import NotFoundError, StoreError
from headrace.store.hashing import hash_bytes, hash_file

__all__ = ["ObjectStore", "local_folder"]

#: Protocols whose single put makes an object visible only once it is complete.
_ATOMIC_PUT_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "oss", "oci"})

_CHUNK = 1 << 20


def local_folder(location: str | Path) -> Path | None:
    """The local folder ``location`` names (a plain path or a ``file://`` URL), else ``None``."""
    if isinstance(location, Path):
        return location
    for prefix in ("file://", "local://"):
        if location.startswith(prefix):
            return Path(location.removeprefix(prefix))
    if "://" in location or "::" in location:
        return None
    return Path(location).expanduser()


class ObjectStore:
    """Immutable blobs addressed by the sha256 of their content.

    Parameters
    ----------
    location : Path or str
        The folder or fsspec URL holding the objects (``.headrace/objects``,
        ``memory://bucket/objects``, ``s3://bucket/prefix``); created on first write.
    storage_options : mapping, optional
        Options for the fsspec filesystem of a URL (ignored for a local folder).

    Raises
    ------
    StoreError
        The URL's protocol is unknown to fsspec, or its package (s3fs, gcsfs, …) is
        not installed.

    Examples
    --------
    >>> objects = ObjectStore("memory://demo/objects")
    >>> object_id = objects.put_bytes(b"hello")
    >>> objects.read_bytes(object_id)
    b'hello'
    """

    def __init__(self, location: str | Path, *, storage_options: dict[str, Any] | None = None) -> None:
        self.url = str(location)
        self._root = local_folder(location)
        self._fs: Any = None
        self._base = ""
        self._atomic_put = False
        if self._root is None:
            self._connect(self.url, storage_options or {})

    @property
    def is_local(self) -> bool:
        """Whether the objects are files in a local folder (readable by path)."""
        return self._root is not None

    @property
    def root(self) -> Path:
        """The local folder holding the objects; a :class:`StoreError` for a remote store."""
        if self._root is None:
            raise StoreError(
                f"the object store at {self.url} is not a local folder: "
                "read its objects with open() or read_bytes()"
            )
        return self._root

    def path(self, object_id: str) -> Path:
        """Return the local path of an existing object.

        Raises
        ------
        NotFoundError
            ``object_id`` is not a well-formed id or is not stored.
        StoreError
            The store is not a local folder (use :meth:`open` or :meth:`read_bytes`).
        """
        path = self.root / _relative_key(object_id)
        if not path.is_file():
            raise self._missing(object_id)
        return path

    def exists(self, object_id: str) -> bool:
        """Return whether ``object_id`` is stored."""
        key = _relative_key(object_id)
        if self._root is not None:
            return (self._root / key).is_file()
        with self._remote("read"):
            return bool(self._fs.isfile(self._key(key)))

    def size(self, object_id: str) -> int:
        """Return the size of a stored object in bytes."""
        if self._root is not None:
            return self.path(object_id).stat().st_size
        with self._remote("read", object_id):
            return int(self._fs.size(self._key(_relative_key(object_id))))

    def read_bytes(self, object_id: str) -> bytes:
        """Return the content of an object."""
        if self._root is not None:
            return self.path(object_id).read_bytes()
        with self._remote("read", object_id):
            return bytes(self._fs.cat_file(self._key(_relative_key(object_id))))

    def open(self, object_id: str) -> BinaryIO:
        """Open an object for reading: a binary file object (use it as a context manager).

        Readers that take a file object (``pyarrow.parquet.read_table``, ``joblib.load``)
        read remote objects through it without a local copy.
        """
        if self._root is not None:
            return self.path(object_id).open("rb")
        with self._remote("read", object_id):
            handle: BinaryIO = self._fs.open(self._key(_relative_key(object_id)), "rb")
        return handle

    def verify(self, object_id: str) -> None:
        """Check that the stored bytes of ``object_id`` still hash to it.

        Raises
        ------
        NotFoundError
            The object is not stored.
        StoreError
            Its bytes hash to something else (the store was damaged or tampered with).
        """
        digest = hashlib.sha256()
        with self.open(object_id) as handle, self._remote("read", object_id):
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != object_id:
            raise StoreError(
                f"object {object_id} in the object store at {self.url} is corrupt: its bytes hash to "
                f"{digest.hexdigest()} (the store was damaged or tampered with; restore or recompute it)"
            )

    def put_bytes(self, data: bytes) -> str:
        """Store ``data`` and return its object id (idempotent)."""
        object_id = hash_bytes(data)
        if self.exists(object_id):
            return object_id
        if self._root is not None:
            self._commit_local(self._root, lambda tmp: tmp.write_bytes(data), object_id)
        else:
            self._upload(object_id, lambda target: self._fs.pipe_file(target, data))
        return object_id

    def put_file(self, source: Path) -> str:
        """Copy the file at ``source`` into the store and return its object id."""
        object_id = hash_file(source)
        if self.exists(object_id):
            return object_id
        if self._root is not None:
            self._commit_local(self._root, lambda tmp: shutil.copyfile(source, tmp), object_id)
        else:
            self._upload(object_id, lambda target: self._fs.put_file(str(source), target))
        return object_id

    def put_with(self, write: Callable[[Path], None]) -> str:
        """Store what ``write(path)`` writes to a temporary local path; return its object id.

        Lets writers such as ``pyarrow.parquet.write_table`` stream straight to disk
        instead of building the whole blob in memory first; a remote store receives
        the finished file in one upload.
        """
        tmp = self._temp_path()
        try:
            write(tmp)
            object_id = hash_file(tmp)
            if self._root is not None:
                final = self._root / _relative_key(object_id)
                if not final.is_file():
                    final.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(tmp, final)
            elif not self.exists(object_id):
                self._upload(object_id, lambda target: self._fs.put_file(str(tmp), target))
        finally:
            tmp.unlink(missing_ok=True)
        return object_id

    def __repr__(self) -> str:
        return f"ObjectStore({self.url!r})"

    def _commit_local(self, root: Path, write: Callable[[Path], object], object_id: str) -> None:
        tmp = self._temp_path()
        try:
            write(tmp)
            final = root / _relative_key(object_id)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _temp_path(self) -> Path:
        # A local store's temp files sit next to the objects, so the rename stays on one
        # filesystem; a remote store's go to the system's temp folder.
        tmp_dir = None if self._root is None else self._root / "tmp"
        try:
            if tmp_dir is not None:
                tmp_dir.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=tmp_dir, prefix="obj-")
        except OSError as exc:
            raise StoreError(f"cannot write to the object store at {self.url}: {exc}") from exc
        os.close(handle)
        return Path(name)

    def _connect(self, url: str, storage_options: dict[str, Any]) -> None:
        try:
            import fsspec  # type: ignore[import-untyped]  # fsspec ships no type information
            from fsspec.implementations.local import LocalFileSystem  # type: ignore[import-untyped]

            fs, base = fsspec.core.url_to_fs(url, **storage_options)
        except (ImportError, ValueError, OSError) as exc:
            raise StoreError(
                f"cannot open the object store at {url!r} (HEADRACE_OBJECTS or store.objects): {exc}"
            ) from exc
        if isinstance(fs, LocalFileSystem):
            self._root = Path(base)
            return
        self._fs = fs
        self._base = str(base).rstrip("/")
        protocols = {fs.protocol} if isinstance(fs.protocol, str) else set(fs.protocol)
        self._atomic_put = bool(protocols & _ATOMIC_PUT_PROTOCOLS)

    def _key(self, relative: str) -> str:
        return f"{self._base}/{relative}"

    def _upload(self, object_id: str, send: Callable[[str], object]) -> None:
        final = self._key(_relative_key(object_id))
        with self._remote("write"):
            if self._atomic_put:
                send(final)
                return
            staging = self._key(f"tmp/obj-{uuid.uuid4().hex}")
            self._fs.makedirs(self._key("tmp"), exist_ok=True)
            self._fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
            try:
                send(staging)
                self._fs.mv(staging, final)
            except BaseException:
                with suppress(OSError):  # the upload's own error is the one to report
                    self._fs.rm_file(staging)
                raise

    @contextmanager
    def _remote(self, action: str, object_id: str | None = None) -> Iterator[None]:
        # Translates the filesystem's errors; a read of an absent object is NotFoundError.
        try:
            yield
        except FileNotFoundError as exc:
            if object_id is None:
                raise StoreError(f"cannot {action} the object store at {self.url}: {exc}") from exc
            raise self._missing(object_id) from exc
        except OSError as exc:
            raise StoreError(f"cannot {action} the object store at {self.url}: {exc}") from exc

    def _missing(self, object_id: str) -> NotFoundError:
        return NotFoundError(f"object {object_id} is not in the object store at {self.url}")


def _relative_key(object_id: str) -> str:
    if len(object_id) != 64 or not all(c in "0123456789abcdef" for c in object_id):
        raise NotFoundError(f"{object_id!r} is not an object id (expected 64 hex digits)")
    return f"{object_id[:2]}/{object_id}"
