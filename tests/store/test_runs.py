"""RunLog: every stage execution is a run that ends succeeded or failed, never in between."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from headrace.errors import NotFoundError
from headrace.store import RunStatus, Store
from headrace.store.schema import RunRow


def set_pid(store: Store, run_id: str, pid: int) -> None:
    """Pretend the run was started by process ``pid``."""
    with store.session() as session, session.begin():
        row = session.get(RunRow, run_id)
        assert row is not None
        row.pid = pid


@pytest.fixture
def dead_pid() -> int:
    """The pid of a process that has already exited."""
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    return finished.pid


@pytest.fixture
def live_pid() -> Iterator[int]:
    """The pid of another process that is still running."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield sleeper.pid
    sleeper.kill()
    sleeper.wait()


def test_a_block_that_returns_is_recorded_as_succeeded_with_outputs_and_metrics(store: Store) -> None:
    snapshot = store.put("snapshot", data=b"rows")
    labels = store.put("labels", data=b"votes")

    with store.runs.recording(
        "label", params={"lfs": 3}, cache_key="k1", inputs={"snapshot": snapshot}
    ) as run:
        run.outputs["labels"] = labels
        run.metrics["coverage"] = 0.75

    record = store.runs.get(run.id)
    assert record.status == RunStatus.SUCCEEDED
    assert record.kind == "label"
    assert record.params == {"lfs": 3}
    assert record.cache_key == "k1"
    assert record.inputs == {"snapshot": snapshot}
    assert record.outputs == {"labels": labels}
    assert record.metrics == {"coverage": 0.75}
    assert record.error is None
    assert record.finished_at is not None and record.finished_at >= record.started_at
    assert record.duration_s is not None and record.duration_s >= 0


def test_a_block_that_raises_is_recorded_as_failed_and_the_error_propagates(store: Store) -> None:
    with pytest.raises(ValueError, match="column 'text' is missing"), store.runs.recording("ingest") as run:
        run.metrics["rows"] = 10
        raise ValueError("column 'text' is missing")

    record = store.runs.get(run.id)
    assert record.status == RunStatus.FAILED
    assert record.error == "column 'text' is missing"
    assert record.outputs == {}
    assert record.finished_at is not None


def test_an_error_without_a_message_is_recorded_by_its_type(store: Store) -> None:
    with pytest.raises(KeyboardInterrupt), store.runs.recording("train") as run:
        raise KeyboardInterrupt

    assert store.runs.get(run.id).error == "KeyboardInterrupt"


def test_find_cached_returns_the_newest_succeeded_run_with_the_key(store: Store) -> None:
    old = store.put("labels", data=b"old")
    new = store.put("labels", data=b"new")
    with store.runs.recording("label", cache_key="k") as first:
        first.outputs["labels"] = old
    with store.runs.recording("label", cache_key="k") as second:
        second.outputs["labels"] = new

    cached = store.runs.find_cached("label", "k")

    assert cached is not None and cached.id == second.id
    assert store.runs.find_cached("label", "other-key") is None
    assert store.runs.find_cached("train", "k") is None


def test_find_cached_ignores_failed_runs(store: Store) -> None:
    with pytest.raises(RuntimeError), store.runs.recording("label", cache_key="k"):
        raise RuntimeError("LF crashed")

    assert store.runs.find_cached("label", "k") is None


def test_find_cached_ignores_runs_whose_output_object_was_deleted(store: Store) -> None:
    kept = store.put("labels", data=b"kept")
    lost = store.put("labels", data=b"lost")
    with store.runs.recording("label", cache_key="k") as older:
        older.outputs["labels"] = kept
    with store.runs.recording("label", cache_key="k") as newer:
        newer.outputs["labels"] = lost
    store.objects.path(lost).unlink()

    cached = store.runs.find_cached("label", "k")

    assert cached is not None and cached.id == older.id
    store.objects.path(kept).unlink()
    assert store.runs.find_cached("label", "k") is None


def test_reap_stale_fails_a_running_run_whose_process_is_gone(store: Store, dead_pid: int) -> None:
    orphan = store.runs.start("train")
    set_pid(store, orphan, dead_pid)

    reaped = store.runs.reap_stale()

    assert reaped == [orphan]
    record = store.runs.get(orphan)
    assert record.status == RunStatus.FAILED
    assert record.error == f"interrupted: process {dead_pid} ended before the run finished"
    assert store.runs.reap_stale() == []


def test_reap_stale_leaves_runs_of_this_process_and_of_live_processes_alone(
    store: Store, live_pid: int
) -> None:
    mine = store.runs.start("train")
    theirs = store.runs.start("train")
    set_pid(store, theirs, live_pid)

    assert store.runs.reap_stale() == []
    assert store.runs.get(mine).status == RunStatus.RUNNING
    assert store.runs.get(theirs).status == RunStatus.RUNNING


def test_get_accepts_a_unique_id_prefix_of_six_characters_or_more(store: Store) -> None:
    run_id = store.runs.start("ingest")

    assert store.runs.get(run_id[:6]).id == run_id
    assert store.runs.get(run_id[:12]).id == run_id
    with pytest.raises(NotFoundError, match=f"no run with id {run_id[:5]!r}"):
        store.runs.get(run_id[:5])


def test_get_refuses_an_ambiguous_prefix_and_an_unknown_id(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = iter(["abcdef0000000000000000000000000a", "abcdef0000000000000000000000000b"])
    monkeypatch.setattr("headrace.store.runs.uuid.uuid4", lambda: SimpleNamespace(hex=next(ids)))
    first = store.runs.start("ingest")
    store.runs.start("ingest")

    assert store.runs.get(first).id == first
    with pytest.raises(NotFoundError, match="no run with id 'abcdef'"):
        store.runs.get("abcdef")
    with pytest.raises(NotFoundError, match="no run with id 'ffffffff'"):
        store.runs.get("ffffffff")


def test_get_treats_sql_wildcards_in_a_prefix_literally(store: Store) -> None:
    store.runs.start("ingest")

    with pytest.raises(NotFoundError):
        store.runs.get("%%%%%%")
    with pytest.raises(NotFoundError):
        store.runs.get("______")


def test_finish_and_fail_of_an_unknown_run_are_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no run with id 'nope'"):
        store.runs.finish("nope")
    with pytest.raises(NotFoundError, match="no run with id 'nope'"):
        store.runs.fail("nope", "boom")


def test_recent_lists_newest_first_and_filters(store: Store) -> None:
    first = store.runs.start("ingest")
    second = store.runs.start("train")
    store.runs.fail(second, "boom")

    assert [r.id for r in store.runs.recent()] == [second, first]
    assert [r.id for r in store.runs.recent(kind="ingest")] == [first]
    assert [r.id for r in store.runs.recent(status=RunStatus.FAILED)] == [second]
    assert len(store.runs.recent(limit=1)) == 1
