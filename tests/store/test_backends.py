"""What SQLite lets pass and PostgreSQL does not: every backend stores and returns the same values.

Each test runs on SQLite and PostgreSQL (``db_url``/``store`` are parametrized in
conftest.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import BigInteger, Engine, create_engine, inspect, make_url, text

from headrace.errors import StoreError
from headrace.store import HEAD_REVISION, Store, current_revision, open_database
from headrace.store.db import _alembic_config
from headrace.store.schema import ObjectRow

NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


@pytest.fixture
def raw(db_url: str) -> Iterator[Engine]:
    """A plain engine on the same database, for preparing it by hand."""
    engine = create_engine(db_url)
    yield engine
    engine.dispose()


def same(a: object, b: object) -> bool:
    """Equality where NaN equals NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_non_finite_metrics_and_metadata_round_trip(store: Store) -> None:
    # An undefined score (F1 of an empty slice) is NaN; PostgreSQL's json refuses the token.
    metrics = {**NON_FINITE, "slices": [{"f1": math.nan, "n": 0}], "text": "NaN", "tag": {"$float": 1}}
    with store.runs.recording("evaluate") as run:
        run.metrics.update(metrics)
    object_id = store.put("evaluation", data=b"{}", meta=NON_FINITE)

    assert same(store.runs.get(run.id).metrics, metrics)
    assert same(store.object_info(object_id).meta, NON_FINITE)


def test_an_object_over_2_gib_is_registered(store: Store) -> None:
    size = 5 * 2**30
    with store.session() as session, session.begin():
        session.add(ObjectRow(id="f" * 64, kind="snapshot", size=size, created_at=datetime.now(UTC), meta={}))

    assert store.object_info("f" * 64).size == size


def test_times_come_back_in_utc_whatever_the_server_zone(db_url: str, raw: Engine, tmp_path: Path) -> None:
    if make_url(db_url).get_backend_name() == "postgresql":
        with raw.connect() as connection:
            connection.execute(
                text(f"ALTER DATABASE \"{make_url(db_url).database}\" SET timezone = 'Asia/Kolkata'")
            )
            connection.commit()

    with Store(tmp_path / ".headrace", db_url=db_url) as store:
        before = datetime.now(UTC)
        run_id = store.runs.start("ingest")
        started = store.runs.get(run_id).started_at

    assert started.utcoffset() == timedelta(0)
    assert abs(started - before) < timedelta(minutes=1)


def test_a_0002_store_upgrades_to_64_bit_object_sizes(db_url: str, raw: Engine) -> None:
    with raw.begin() as connection:
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.execute(
            text("INSERT INTO objects (id, kind, size, created_at, meta) VALUES (:id, 'blob', 7, :t, '{}')"),
            {"id": "a" * 64, "t": datetime(2026, 1, 1, tzinfo=UTC)},
        )

    engine = open_database(db_url)
    try:
        assert current_revision(engine) == HEAD_REVISION == "0003"
        size = next(c for c in inspect(engine).get_columns("objects") if c["name"] == "size")
        if engine.dialect.name == "postgresql":
            assert isinstance(size["type"], BigInteger)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT size FROM objects")).scalar_one() == 7
    finally:
        engine.dispose()


def test_an_unreachable_postgresql_server_is_a_store_error(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql+psycopg://nobody@/headrace?host={tmp_path / 'no-server-here'}&connect_timeout=2"

    with pytest.raises(StoreError, match="cannot open the metadata database at postgresql"):
        open_database(url)


def test_messages_never_show_the_database_password(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql+psycopg://team:s3cret@/headrace?host={tmp_path / 'no-server-here'}&connect_timeout=2"

    with pytest.raises(StoreError) as raised:
        open_database(url)

    assert "s3cret" not in str(raised.value)
    assert "team:***@" in str(raised.value)
