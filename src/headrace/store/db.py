"""Opening the metadata database and bringing its schema to the current revision.

The schema is versioned with Alembic. Opening a store:

* an empty database is created at the newest revision;
* an older revision is upgraded in place (each migration is one transaction);
* a revision this headrace does not know (written by a newer release) is refused;
* a database holding headrace's tables but no revision is refused (half-made or not
  ours); other applications' tables may share the database (Optuna keeps its studies
  next to ours), which is why the revision lives in its own ``headrace_schema_version``
  table rather than Alembic's default ``alembic_version``.

Writers take the store's **write lock** for the whole of each write transaction (those
begun with ``session.begin()``, and migrations), so two processes on one store (two
runs at once, a run and a ``headrace promote``) serialize their writes rather
than both acting on what they read before the other committed: on SQLite it is the
database's own write lock (``BEGIN IMMEDIATE``), on PostgreSQL a transaction-scoped
advisory lock. Readers never take it (SQLite's WAL, PostgreSQL's MVCC). A writer waits
up to :data:`LOCK_TIMEOUT_S` for the lock, then fails with :class:`StoreError`.

PostgreSQL's ``json`` type refuses ``NaN`` and ``Infinity``, which metrics hold (an
undefined score on an empty slice); on PostgreSQL a non-finite float is written as
``{"$float": "NaN"}`` (or ``"Infinity"``, ``"-Infinity"``) and read back as the float, so
both databases return what was stored.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import time
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction, SessionTransactionOrigin

from headrace.errors import SchemaVersionError, StoreError
from headrace.store.schema import Base

__all__ = [
    "HEAD_REVISION",
    "LOCK_TIMEOUT_S",
    "VERSION_TABLE",
    "current_revision",
    "display_url",
    "lock_for_write",
    "open_database",
]

_MIGRATIONS = Path(__file__).parent / "migrations"

#: The newest schema revision this release writes.
HEAD_REVISION = "0003"

#: Table holding the schema revision (not Alembic's default name: other tools that
#: share the database, such as Optuna, use that one).
VERSION_TABLE = "headrace_schema_version"

#: How long a writer waits for the store's write lock (another process's write
#: transaction) before giving up with :class:`StoreError`.
LOCK_TIMEOUT_S = 30

#: PostgreSQL advisory lock key of the store's write lock ("headrace" in ASCII, as a
#: bigint). Advisory locks are per database: stores in other databases do not contend.
_WRITE_LOCK_KEY = int.from_bytes(b"headrace", "big") >> 1

#: Engines made by :func:`open_database`: only their explicit transactions take the lock
#: (other SQLAlchemy users in the process, such as Optuna, are left alone).
_STORE_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


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
        backend = make_url(url).get_backend_name()
        options: dict[str, Any] = {}
        if backend == "postgresql":
            # A server may drop idle connections (restarts, proxies): check before use.
            options = {"pool_pre_ping": True, "json_serializer": _dumps, "json_deserializer": _loads}
        engine = create_engine(url, **options)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise StoreError(f"HEADRACE_DB / store URL {display_url(url)!r} is not usable: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _postgresql_settings)
    try:
        _check_and_upgrade(engine, display_url(url), upgrade=upgrade)
    except BaseException:
        engine.dispose()
        raise
    _STORE_ENGINES.add(engine)
    return engine


def display_url(url: str) -> str:
    """``url`` with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return re.sub(r":[^:/@]*@", ":***@", url)


def _check_and_upgrade(engine: Engine, url: str, *, upgrade: bool) -> None:
    try:
        revision = current_revision(engine)
        if revision == HEAD_REVISION:
            return
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
        # Two processes opening a new store at once: the second waits here, then finds
        # the schema current (Alembic reads the revision after the lock is taken).
        lock_for_write(connection)
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


def lock_for_write(connection: Connection) -> None:
    """Take the store's write lock until ``connection``'s transaction ends.

    Call first in the transaction, before reading what the writes depend on.
    Transactions begun with ``session.begin()`` on a store's engine take it themselves.

    Raises
    ------
    StoreError
        Another process held the lock for more than :data:`LOCK_TIMEOUT_S`.
    """
    dialect = connection.dialect.name
    try:
        if dialect == "sqlite":
            # The driver would begin a deferred transaction at the first write, which
            # lets two writers both read before either holds the lock.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        elif dialect == "postgresql":
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_S}s'")
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_WRITE_LOCK_KEY})")
    except OperationalError as exc:
        # SQLite: "database is locked" after busy_timeout; PostgreSQL: lock_not_available.
        if "locked" not in str(exc.orig) and getattr(exc.orig, "sqlstate", None) != "55P03":
            raise
        raise StoreError(
            f"the store's metadata database stayed locked by another process for more than "
            f"{LOCK_TIMEOUT_S} s; retry, or look for a stuck headrace process ({exc.orig})"
        ) from exc


@event.listens_for(Session, "after_begin")
def _lock_explicit_transactions(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    # Only ``with session.begin():`` blocks are write transactions by convention; the
    # transactions sessions begin on their own to read take no lock.
    if transaction.origin is SessionTransactionOrigin.BEGIN and connection.engine in _STORE_ENGINES:
        lock_for_write(connection)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # busy_timeout first: switching a new file to WAL takes a lock that a second process
    # opening the same store at the same moment must wait for, not fail on. WAL lets
    # readers (UI, monitoring) proceed while a run writes.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={LOCK_TIMEOUT_S * 1000}")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another connection holds the file.

    SQLite does not always call the busy handler for a journal-mode change: a process
    opening a brand-new store while another one switches it to WAL can get "database
    is locked" at once, whatever busy_timeout says.
    """
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _postgresql_settings(dbapi_connection: Any, _record: Any) -> None:
    # Timestamps come back in the session's time zone; every stored time is UTC, so
    # read them back as UTC whatever the server's default zone.
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    dbapi_connection.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.autocommit = autocommit


#: Key of the object that stands for a non-finite float in PostgreSQL JSON documents.
_FLOAT_TAG = "$float"


def _tag_nonfinite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return {_FLOAT_TAG: "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")}
    if isinstance(value, dict):
        return {key: _tag_nonfinite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_tag_nonfinite(item) for item in value]
    return value


def _untag_nonfinite(document: dict[str, Any]) -> Any:
    if len(document) == 1 and document.get(_FLOAT_TAG) in ("NaN", "Infinity", "-Infinity"):
        return float(document[_FLOAT_TAG])
    return document


def _dumps(value: Any) -> str:
    return json.dumps(_tag_nonfinite(value), allow_nan=False)


def _loads(text: str | bytes) -> Any:
    return json.loads(text, object_hook=_untag_nonfinite)
