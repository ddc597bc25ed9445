"""Schema revision 0002 (alias history): a store from 0001 upgrades in place and keeps its data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text

from headrace.errors import NotFoundError
from headrace.registry import alias_history, get_version, list_versions, promote, rollback
from headrace.store import HEAD_REVISION, Store, current_revision
from headrace.store.db import VERSION_TABLE, _alembic_config
from headrace.store.schema import Base

T1 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
T2 = datetime(2026, 2, 1, 17, 0, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    """How SQLAlchemy writes a datetime to SQLite (bound as text: no sqlite3 adapter needed)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


@pytest.fixture
def url(db_url: str) -> str:
    """An empty metadata database on each backend (tests/*/conftest.py)."""
    return db_url


@pytest.fixture
def raw(url: str) -> Iterator[Engine]:
    engine = create_engine(url)
    yield engine
    engine.dispose()


def migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    with engine.begin() as connection:
        config = _alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def store_at_0001_with_models(raw: Engine) -> None:
    """A 0001 store holding two versions: production → v1, staging → v2."""
    migrate(raw, "0001")
    with raw.begin() as connection:
        for oid in ("a" * 64, "b" * 64):
            connection.execute(
                text("INSERT INTO objects VALUES (:id, 'model', 10, :t, '{}')"), {"id": oid, "t": stamp(T1)}
            )
        connection.execute(
            text(
                "INSERT INTO runs (id, kind, status, params, metrics, started_at, host, pid) "
                "VALUES ('r1', 'train', 'succeeded', '{}', '{}', :t, 'h', 1)"
            ),
            {"t": stamp(T1)},
        )
        for version, oid in ((1, "a" * 64), (2, "b" * 64)):
            connection.execute(
                text("INSERT INTO model_versions VALUES (:v, :oid, 'r1', NULL, :m, :t)"),
                {"v": version, "oid": oid, "m": '{"f1": 0.8}', "t": stamp(T1)},
            )
        connection.execute(text("INSERT INTO aliases VALUES ('production', 1, :t)"), {"t": stamp(T1)})
        connection.execute(text("INSERT INTO aliases VALUES ('staging', 2, :t)"), {"t": stamp(T2)})
    assert current_revision(raw) == "0001"


def test_the_head_revision_is_0003() -> None:
    # 0003 (object sizes as 64-bit integers, tests/store/test_values.py) follows 0002.
    assert HEAD_REVISION == "0003"


def test_upgrading_a_0001_store_keeps_versions_and_aliases_and_starts_their_history(
    raw: Engine, url: str, tmp_path: Path
) -> None:
    store_at_0001_with_models(raw)

    with Store(tmp_path / ".headrace", db_url=url) as store:
        assert current_revision(store.engine) == HEAD_REVISION
        versions = list_versions(store)
        history = alias_history(store)

    assert [(v.version, v.object_id, v.aliases, v.metrics) for v in versions] == [
        (2, "b" * 64, ("staging",), {"f1": 0.8}),
        (1, "a" * 64, ("production",), {"f1": 0.8}),
    ]
    assert [(m.alias, m.version, m.previous_version, m.action, m.moved_at) for m in history] == [
        ("staging", 2, None, "migrated", T2),
        ("production", 1, None, "migrated", T1),
    ]


def test_an_upgraded_store_promotes_and_rolls_back(raw: Engine, url: str, tmp_path: Path) -> None:
    store_at_0001_with_models(raw)

    with Store(tmp_path / ".headrace", db_url=url) as store:
        with pytest.raises(NotFoundError, match="has no earlier version to roll back to"):
            rollback(store, "production")
        move = promote(store, "staging", "production", reason="after upgrade")
        assert move is not None and (move.previous_version, move.version) == (1, 2)
        assert rollback(store, "production").version == 1
        assert get_version(store, "production").version == 1


def test_the_migrated_alias_history_table_matches_the_schema(raw: Engine, url: str, tmp_path: Path) -> None:
    store_at_0001_with_models(raw)
    Store(tmp_path / ".headrace", db_url=url).close()

    with raw.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        diffs = [d for d in compare_metadata(context, Base.metadata) if "alias_history" in repr(d)]

    assert diffs == []
    assert {ix["name"] for ix in inspect(raw).get_indexes("alias_history")} == {"ix_alias_history_alias"}


def test_downgrading_to_0001_drops_only_the_history(raw: Engine, url: str, tmp_path: Path) -> None:
    store_at_0001_with_models(raw)
    Store(tmp_path / ".headrace", db_url=url).close()

    migrate(raw, "0001", down=True)

    assert "alias_history" not in inspect(raw).get_table_names()
    with raw.connect() as connection:
        assert connection.execute(text("SELECT name, version FROM aliases ORDER BY name")).all() == [
            ("production", 1),
            ("staging", 2),
        ]
