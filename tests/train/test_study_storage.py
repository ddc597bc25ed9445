"""Optuna's storage opens on a brand-new database from many processes at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest

from headrace.train.study import open_storage
from tests.postgres import BACKENDS, database_url


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty metadata database: Optuna has made no tables in it yet."""
    with database_url(request, request.param, tmp_path) as url:
        yield url


def test_concurrent_first_opens_all_succeed(fresh_url: str) -> None:
    # Two projects' first searches on one team server: without the lock, PostgreSQL
    # refuses all but one CREATE TYPE with a unique violation.
    openers = 4
    start = threading.Barrier(openers)
    errors: list[BaseException] = []

    def open_once() -> None:
        start.wait()
        try:
            storage = open_storage(fresh_url)
            storage.remove_session()
            storage.engine.dispose()
        except BaseException as exc:  # collected: a thread's exception would be lost
            errors.append(exc)

    threads = [threading.Thread(target=open_once) for _ in range(openers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    storage = open_storage(fresh_url)
    try:
        study = optuna.create_study(storage=storage, study_name="after", direction="maximize")
        assert study.study_name == "after"
    finally:
        storage.remove_session()
        storage.engine.dispose()
