"""The store: one metadata database plus one content-addressed object store.

By default both live in the project's ``.headrace/`` folder (``headrace.db`` is SQLite
in WAL mode); ``HEADRACE_DB`` points the metadata at any SQLAlchemy URL instead, e.g. a
team's PostgreSQL server, and ``HEADRACE_OBJECTS`` (or ``store: {objects: URL}`` in the
project file) the objects at another folder or any fsspec URL, e.g. ``s3://bucket/prefix``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from headrace.errors import NotFoundError
from headrace.project.loader import PROJECT_FILENAME, load_project
from headrace.store.db import open_database
from headrace.store.objects import ObjectStore, local_folder
from headrace.store.runs import RunLog
from headrace.store.schema import ObjectRow

__all__ = ["STORE_DIRNAME", "ObjectInfo", "Store"]

#: Folder of a project that holds its store.
STORE_DIRNAME = ".headrace"


@dataclass(frozen=True)
class ObjectInfo:
    """What the metadata database knows about a stored object."""

    id: str
    kind: str
    size: int
    created_at: datetime
    meta: dict[str, Any]


class Store:
    """Metadata database and object store of one project.

    Parameters
    ----------
    root : Path
        The store folder (``PROJECT/.headrace``); objects go to ``root/objects``.
    db_url : str, optional
        SQLAlchemy URL of the metadata database; defaults to ``HEADRACE_DB`` or
        ``sqlite:///root/headrace.db``.
    objects : str or Path, optional
        Folder or fsspec URL of the object store (see :class:`ObjectStore`); defaults
        to ``HEADRACE_OBJECTS`` or ``root/objects``.
    """

    def __init__(self, root: Path, db_url: str | None = None, objects: str | Path | None = None) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.db_url = db_url or os.environ.get("HEADRACE_DB") or f"sqlite:///{root / 'headrace.db'}"
        self.objects = ObjectStore(objects or os.environ.get("HEADRACE_OBJECTS") or root / "objects")
        self.engine: Engine = open_database(self.db_url)
        self.runs = RunLog(self.engine, self.objects)

    @classmethod
    def for_project(cls, project_dir: Path) -> Store:
        """Open (creating if needed) the store of the project in ``project_dir``.

        The objects go where ``HEADRACE_OBJECTS`` says, else where the project file's
        ``store.objects`` says (a relative folder is taken from the project folder),
        else to ``.headrace/objects``.

        Raises
        ------
        ProjectFileError
            ``project_dir`` has a project file that does not load.
        StoreError
            The objects URL names a filesystem fsspec does not know or cannot reach.
        """
        objects: str | Path | None = os.environ.get("HEADRACE_OBJECTS")
        if not objects and (project_dir / PROJECT_FILENAME).is_file():
            project = load_project(project_dir)
            objects = project.config.store.objects
            folder = None if objects is None else local_folder(objects)
            if folder is not None:
                objects = project.root / folder
        return cls(project_dir / STORE_DIRNAME, objects=objects)

    def session(self) -> Session:
        """A new ORM session on the metadata database (use as a context manager)."""
        return Session(self.engine)

    def put(
        self,
        kind: str,
        *,
        data: bytes | None = None,
        write: Callable[[Path], None] | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> str:
        """Store a blob (given as ``data`` or written by ``write(path)``) and register it.

        The blob is committed to the object store before its row is added, so a row
        never points at a missing blob. Storing identical content twice is a no-op
        that returns the same id.
        """
        if data is not None and write is None:
            object_id = self.objects.put_bytes(data)
        elif write is not None and data is None:
            object_id = self.objects.put_with(write)
        else:
            raise TypeError("Store.put needs exactly one of data= or write=")
        with Session(self.engine) as session, session.begin():
            if session.get(ObjectRow, object_id) is None:
                session.add(
                    ObjectRow(
                        id=object_id,
                        kind=kind,
                        size=self.objects.size(object_id),
                        created_at=datetime.now(UTC),
                        meta=dict(meta or {}),
                    )
                )
        return object_id

    def object_info(self, object_id: str) -> ObjectInfo:
        """Return the metadata of a registered object."""
        with Session(self.engine) as session:
            row = session.get(ObjectRow, object_id)
            if row is None:
                raise NotFoundError(f"object {object_id} is not registered in this store")
            created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
            return ObjectInfo(row.id, row.kind, row.size, created, dict(row.meta or {}))

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
