"""Opening the metadata database and bringing its schema to the current revision.

The schema is versioned with Alembic. Opening a store:

* an empty database is created at the newest revision;
* an older revision is upgraded in place (each migration is one transaction);
* a revision this headrace does not know (written by a newer release) is refused;
* a database holding headrace's tables but no revision is refused (half-made or not
  ours); other applications' tables may share the database (Optuna keeps its studies
  next to ours), which is why the revision lives in its own ``headrace_schema_version``
  table rather than Alembic's default ``alembic_version``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from headrace.errors import SchemaVersionError, StoreError
from headrace.store.schema import Base

__all__ = ["HEAD_REVISION", "VERSION_TABLE", "current_revision", "open_database"]

_MIGRATIONS = Path(__file__).parent / "migrations"

#: The newest schema revision this release writes.
HEAD_REVISION = "0002"

#: Table holding the schema revision (not Alembic's default name: other tools that
#: share the database, such as Optuna, use that one).
VERSION_TABLE = "headrace_schema_version"


def open_database(url: str, *, upgrade: bool = True) -> Engine:
    """Connect to ``url`` and make sure its schema is at :data:`HEAD_REVISION`.

    Parameters
    ----------
    url : str
        Any SQLAlchemy URL (``sqlite:///path/headrace.db``, ``postgresql+psycopg://…``).
    upgrade : bool
        Upgrade an older schema in place; with ``False`` an older schema is refused.

    Raises
    ------
    SchemaVersionError
        The database was written by a newer headrace, or is not a headrace store.
    StoreError
        The database cannot be reached.
    """
    try:
        engine = create_engine(url, future=True)
    except (SQLAlchemyError, ValueError) as exc:
        raise StoreError(f"HEADRACE_DB / store URL {url!r} is not usable: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        revision = current_revision(engine)
        if revision == HEAD_REVISION:
            return engine
        ours = set(inspect(engine).get_table_names()) & set(Base.metadata.tables)
        if revision is None and ours:
            raise SchemaVersionError(
                f"the database at {url} has headrace tables ({', '.join(sorted(ours))}) but no "
                "headrace schema revision: it is not a headrace store; point HEADRACE_DB at "
                "another database"
            )
        if revision is not None and revision not in _known_revisions():
            raise SchemaVersionError(
                f"the store at {url} has schema revision {revision!r}, newer than this "
                f"headrace understands (newest known: {HEAD_REVISION!r}); upgrade headrace"
            )
        if revision is not None and not upgrade:
            raise SchemaVersionError(
                f"the store at {url} has schema revision {revision!r}; "
                f"this headrace needs {HEAD_REVISION!r}: open it with upgrade=True"
            )
        _upgrade(engine)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the metadata database at {url}: {exc}") from exc
    return engine


def current_revision(engine: Engine) -> str | None:
    """Return the schema revision stamped in the database, or ``None`` when unstamped.

    Read with plain SQL: importing Alembic costs ~0.15 s, paid only when a store
    actually needs upgrading.
    """
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) > 1:
        raise SchemaVersionError(f"the store has several schema revisions {rows}; it is damaged")
    return rows[0] if rows else None


def _upgrade(engine: Engine) -> None:
    from alembic import command

    with engine.begin() as connection:
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (UI, monitoring) proceed while a run writes; busy_timeout makes
    # a second writer wait for the lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
