"""Two processes on one store: writers take turns on the write lock; the same work is done once.

Each test runs on SQLite and PostgreSQL (``store`` is parametrized in conftest.py).
Another process is played by a second engine on the same database, or by a run row
carrying another live process's pid.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from headrace.errors import StoreError
from headrace.store import HEAD_REVISION, RunLog, RunStatus, Store, current_revision, open_database
from headrace.store import db as store_db
from headrace.store.db import lock_for_write
from headrace.store.schema import RunRow


@pytest.fixture
def live_pid() -> Iterator[int]:
    """The pid of another process that is still running."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield sleeper.pid
    sleeper.kill()
    sleeper.wait()


@pytest.fixture
def dead_pid() -> int:
    """The pid of a process that has already exited."""
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    return finished.pid


def running_elsewhere(store: Store, kind: str, cache_key: str, *, pid: int, host: str | None = None) -> str:
    """Record a ``running`` run as if process ``pid`` on ``host`` had started it."""
    run_id = store.runs.start(kind, cache_key=cache_key)
    with store.session() as session, session.begin():
        row = session.get(RunRow, run_id)
        assert row is not None
        row.pid = pid
        row.host = host or socket.gethostname()
    return run_id


def later(seconds: float, action: Callable[[], object]) -> threading.Timer:
    """Run ``action`` in a thread after ``seconds`` (what the other process does meanwhile)."""
    timer = threading.Timer(seconds, action)
    timer.start()
    return timer


def test_a_writer_waits_while_another_holds_the_write_lock(store: Store) -> None:
    other = open_database(store.db_url)
    try:
        with ThreadPoolExecutor(1) as pool:
            with other.begin() as connection:
                lock_for_write(connection)
                waiting: Future[str] = pool.submit(store.runs.start, "ingest")
                time.sleep(0.5)
                assert not waiting.done()
                # Readers are not held up by the lock.
                assert store.runs.recent() == []
            run_id = waiting.result(timeout=10)
    finally:
        other.dispose()

    assert store.runs.get(run_id).status == RunStatus.RUNNING


def test_a_writer_gives_up_after_the_lock_timeout_with_a_store_error(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_db, "LOCK_TIMEOUT_S", 1)
    with Store(tmp_path / ".headrace", db_url=store.db_url) as impatient, store.engine.begin() as connection:
        lock_for_write(connection)
        with pytest.raises(StoreError, match="stayed locked by another process for more than 1 s"):
            impatient.runs.start("ingest")


def test_find_cached_waits_for_the_same_work_in_another_live_process(store: Store, live_pid: int) -> None:
    theirs = running_elsewhere(store, "train", "k", pid=live_pid)
    model = store.put("model", data=b"weights")
    other = later(0.5, lambda: store.runs.finish(theirs, outputs={"model": model}))

    started = time.monotonic()
    cached = store.runs.find_cached("train", "k")
    other.join()

    assert time.monotonic() - started >= 0.4
    assert cached is not None and cached.id == theirs and cached.outputs == {"model": model}


def test_a_run_of_the_same_work_starts_only_after_another_live_process_ends_its_own(
    store: Store, live_pid: int
) -> None:
    theirs = running_elsewhere(store, "train", "k", pid=live_pid)
    other = later(0.5, lambda: store.runs.fail(theirs, "interrupted"))

    started = time.monotonic()
    mine = store.runs.start("train", cache_key="k")
    other.join()

    assert time.monotonic() - started >= 0.4
    assert store.runs.get(theirs).status == RunStatus.FAILED
    assert store.runs.get(mine).status == RunStatus.RUNNING


def test_work_left_running_by_a_dead_process_is_not_waited_for(store: Store, dead_pid: int) -> None:
    running_elsewhere(store, "train", "k", pid=dead_pid)

    started = time.monotonic()
    assert store.runs.find_cached("train", "k") is None
    store.runs.start("train", cache_key="k")

    assert time.monotonic() - started < 2


def test_other_work_and_runs_without_a_cache_key_do_not_wait(store: Store, live_pid: int) -> None:
    running_elsewhere(store, "train", "k", pid=live_pid)

    started = time.monotonic()
    assert store.runs.find_cached("train", "other") is None
    assert store.runs.find_cached("label", "k") is None
    store.runs.start("train")
    store.runs.start("label", cache_key="k")

    assert time.monotonic() - started < 2


def test_work_of_another_host_is_waited_for_at_most_wait_s(store: Store) -> None:
    # Whether a process on another host is alive cannot be told from here.
    running_elsewhere(store, "train", "k", pid=1, host="another-host")
    runs = RunLog(store.engine, store.objects, wait_s=0.5)

    started = time.monotonic()
    assert runs.find_cached("train", "k") is None
    runs.start("train", cache_key="k")

    assert 0.9 <= time.monotonic() - started < 5


def test_processes_opening_a_new_store_at_once_all_find_it_current(db_url: str) -> None:
    # The first creates the schema under the write lock; the others wait, then find it done.
    barrier = threading.Barrier(4)

    def open_at_once(_: int) -> str | None:
        barrier.wait()
        engine = open_database(db_url)
        try:
            return current_revision(engine)
        finally:
            engine.dispose()

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(open_at_once, range(4))) == [HEAD_REVISION] * 4
