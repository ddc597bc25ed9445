"""A fresh store per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from headrace.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An empty store (SQLite metadata + object folder) in a temporary folder."""
    with Store(tmp_path / ".headrace", db_url=f"sqlite:///{tmp_path / 'headrace.db'}") as opened:
        yield opened
