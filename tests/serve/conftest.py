"""Shared fixtures: a store with a registered model behind the ``production`` alias."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from headrace.store import Store
from tests.registry.builders import register


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store whose ``production`` alias points at v1 (TF-IDF + LR over ``content``, ``links``)."""
    with Store(tmp_path / ".headrace", db_url=f"sqlite:///{tmp_path / 'headrace.db'}") as opened:
        register(opened, c=4.0, alias="production")
        yield opened
