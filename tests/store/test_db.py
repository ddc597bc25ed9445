"""open_database: create, upgrade, or refuse a metadata database by its schema revision."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, inspect, text

from headrace.errors import SchemaVersionError, StoreError
from headrace.store import HEAD_REVISION, current_revision, open_database
from headrace.store.db import _alembic_config

HEADRACE_TABLES = {"objects", "runs", "run_objects", "model_versions", "aliases"}


@pytest.fixture
def url(db_url: str) -> str:
    """An empty metadata database on each backend (tests/*/conftest.py)."""
    return db_url


@pytest.fixture
def raw(url: str) -> Iterator[Engine]:
    """A plain engine on the same file, for preparing databases by hand."""
    engine = create_engine(url)
    yield engine
    engine.dispose()


def opened(url: str, **kwargs: bool) -> list[str]:
    """Open ``url``, return its table names, and release the connections."""
    engine = open_database(url, **kwargs)
    try:
        assert current_revision(engine) == HEAD_REVISION
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_fresh_database_is_created_at_the_head_revision(url: str) -> None:
    tables = opened(url)

    assert set(tables) >= HEADRACE_TABLES


def test_reopening_a_current_store_keeps_its_data(url: str, raw: Engine) -> None:
    opened(url)
    with raw.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO objects (id, kind, size, created_at, meta) "
                "VALUES ('a', 'blob', 1, '2026-01-01', '{}')"
            )
        )

    opened(url)

    with raw.connect() as connection:
        assert connection.execute(text("SELECT id FROM objects")).scalars().all() == ["a"]


def test_a_store_from_a_newer_headrace_is_refused(url: str, raw: Engine) -> None:
    with raw.begin() as connection:
        connection.execute(text("CREATE TABLE headrace_schema_version (version_num VARCHAR(32) NOT NULL)"))
        connection.execute(text("INSERT INTO headrace_schema_version VALUES ('9999')"))

    with pytest.raises(SchemaVersionError, match="schema revision '9999', newer than this headrace"):
        open_database(url)


def test_a_database_with_headrace_tables_and_no_revision_is_refused(url: str, raw: Engine) -> None:
    with raw.begin() as connection:
        connection.execute(text("CREATE TABLE runs (id INTEGER PRIMARY KEY)"))

    with pytest.raises(
        SchemaVersionError, match=r"has headrace tables \(runs\) but no headrace schema revision"
    ):
        open_database(url)
    # Refusing must not have touched the database.
    assert inspect(raw).get_table_names() == ["runs"]


def test_other_applications_tables_may_share_the_database(url: str, raw: Engine) -> None:
    with raw.begin() as connection:
        connection.execute(text("CREATE TABLE customers (id INTEGER PRIMARY KEY)"))
        # Optuna (the search's study storage) keeps Alembic's default version table.
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('v3.2.0.a')"))

    tables = opened(url)

    assert set(tables) >= HEADRACE_TABLES | {"customers", "alembic_version"}


def test_a_store_downgraded_to_base_is_upgraded_on_open(url: str, raw: Engine) -> None:
    opened(url)
    with raw.begin() as connection:
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    # Alembic leaves only its (now empty) version table behind.
    assert inspect(raw).get_table_names() == ["headrace_schema_version"]
    assert current_revision(raw) is None

    tables = opened(url)

    assert set(tables) >= HEADRACE_TABLES


def test_a_store_with_an_empty_version_table_is_upgraded_on_open(url: str, raw: Engine) -> None:
    with raw.begin() as connection:
        connection.execute(text("CREATE TABLE headrace_schema_version (version_num VARCHAR(32) NOT NULL)"))

    tables = opened(url)

    assert set(tables) >= HEADRACE_TABLES


def test_an_unknown_database_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="store URL 'nosuchdb://x' is not usable"):
        open_database("nosuchdb://x")


def test_an_unreachable_database_is_a_store_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'headrace.db'}"

    with pytest.raises(StoreError, match="cannot open the metadata database at"):
        open_database(url)


def test_a_store_with_two_schema_revisions_is_refused(url: str, raw: Engine) -> None:
    with raw.begin() as connection:
        connection.execute(text("CREATE TABLE headrace_schema_version (version_num VARCHAR(32) NOT NULL)"))
        connection.execute(text("INSERT INTO headrace_schema_version VALUES ('0001'), ('0002')"))

    with pytest.raises(SchemaVersionError, match=r"several schema revisions \['0001', '0002'\]"):
        open_database(url)
