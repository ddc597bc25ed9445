"""Shared fixtures: a fresh store per test (on each metadata database), and a small fitted package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from headrace.registry import ModelPackage
from headrace.store import Store
from tests.postgres import BACKENDS, database_url
from tests.registry.builders import make_package


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


@pytest.fixture(scope="module")
def package() -> ModelPackage:
    """A fitted package, not yet stored."""
    return make_package()
