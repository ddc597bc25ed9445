"""Shared fixtures: a fresh store per test, and a small fitted package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from headrace.registry import ModelPackage
from headrace.store import Store
from tests.registry.builders import make_package


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An empty store (SQLite metadata + object folder) in a temporary folder."""
    with Store(tmp_path / ".headrace", db_url=f"sqlite:///{tmp_path / 'headrace.db'}") as opened:
        yield opened


@pytest.fixture(scope="module")
def package() -> ModelPackage:
    """A fitted package, not yet stored."""
    return make_package()
