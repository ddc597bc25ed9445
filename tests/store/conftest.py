"""A fresh store per test, on each metadata database the store supports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from headrace.store import Store
from tests.postgres import BACKENDS, database_url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty metadata database: a SQLite file, or a fresh PostgreSQL database."""
    with database_url(request, request.param, tmp_path) as url:
        yield url


@pytest.fixture
def store(tmp_path: Path, db_url: str) -> Iterator[Store]:
    """An empty store (metadata on ``db_url`` + object folder) in a temporary folder."""
    with Store(tmp_path / ".headrace", db_url=db_url) as opened:
        yield opened
