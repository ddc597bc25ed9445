"""Two processes on one project and store at once never corrupt it.

Two ``headrace run`` processes started at the same moment on the same project and
store (SQLite and PostgreSQL metadata): one may wait for the store's write lock, both
must finish, and the store must read back consistent. Two ``headrace serve``
processes logging predictions to the same project: every prediction is logged
exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from headrace.registry import alias_history, get_version, list_versions
from headrace.serve.predlog import PREDICTIONS_DIRNAME, read_prediction_log
from headrace.store import STORE_DIRNAME, RunStatus, Store
from tests.postgres import BACKENDS, database_url
from tests.registry.builders import register
from tests.serve.live import HEADRACE, LiveServer, load, make_project

#: Logistic regression only: these tests are about the store, not the search, and two
#: LightGBM searches fighting over two cores would take minutes.
FAST_MODELS = "models: [logistic]"


@pytest.fixture
def project(example: Path) -> Path:
    """The example project with a logistic-only search."""
    config = example / "headrace.yaml"
    text = config.read_text()
    assert "models: [logistic, lightgbm, linear_svm]" in text
    config.write_text(text.replace("models: [logistic, lightgbm, linear_svm]", FAST_MODELS))
    return example


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, project: Path) -> Iterator[str]:
    """The project's metadata database: its own SQLite file, or a fresh PostgreSQL database."""
    folder = project / STORE_DIRNAME
    folder.mkdir()
    with database_url(request, request.param, folder) as url:
        yield url


def run_command(project: Path, db_url: str) -> list[str]:
    return [*HEADRACE, "run", "--json", "-p", str(project)]


def start_run(project: Path, db_url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        run_command(project, db_url),
        env={**os.environ, "HEADRACE_DB": db_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_runs_at_once_both_finish_and_leave_the_store_consistent(project: Path, db_url: str) -> None:
    processes = [start_run(project, db_url) for _ in range(2)]
    try:
        outputs = [process.communicate(timeout=240) for process in processes]
    finally:
        for process in processes:
            process.kill()
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    summaries = [json.loads(stdout) for stdout, _ in outputs]

    with Store(project / ".headrace", db_url=db_url) as store:
        versions = list_versions(store)
        runs = store.runs.recent(limit=10_000)
        assert [v.version for v in versions] == [1], versions
        assert versions[0].aliases == ("staging",)
        assert {s["model_version"] for s in summaries} == {1}
        assert {r.status for r in runs} == {RunStatus.SUCCEEDED}
        for record in runs:
            for object_id in [*record.inputs.values(), *record.outputs.values()]:
                assert store.objects.exists(object_id), (record.kind, object_id)
                store.object_info(object_id)  # registered in the metadata too

    third = subprocess.run(
        run_command(project, db_url),
        env={**os.environ, "HEADRACE_DB": db_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert third.returncode == 0, third.stderr
    summary = json.loads(third.stdout)
    assert summary["model_version"] == 1
    assert all(stage["cached"] for stage in summary["stages"].values()), summary["stages"]


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty metadata database (SQLite file or fresh PostgreSQL database) outside any project."""
    with database_url(request, request.param, tmp_path) as url:
        yield url


def test_concurrent_writers_serialize_on_the_store_lock(tmp_path: Path, backend_url: str) -> None:
    # Eight processes' worth of connections (one store each) write at once: the same
    # object, and a new model version each behind one alias. Without the write lock two
    # writers read "no such object" / "latest version 0" before either commits.
    stores = [Store(tmp_path / ".headrace", db_url=backend_url) for _ in range(8)]
    try:
        barrier = threading.Barrier(len(stores))

        def write(index: int) -> int:
            store = stores[index]
            barrier.wait()
            store.put("blob", data=b"the same bytes")
            return register(store, c=1.0 + index, alias="staging").version

        with ThreadPoolExecutor(len(stores)) as pool:
            versions = list(pool.map(write, range(len(stores))))

        assert sorted(versions) == list(range(1, len(stores) + 1))
        history = alias_history(stores[0], "staging")
        assert [move.previous_version for move in history[:-1]] == [move.version for move in history[1:]]
        assert get_version(stores[0], "staging").version == history[0].version
    finally:
        for store in stores:
            store.close()


def test_two_servers_log_every_prediction_exactly_once(
    tmp_path: Path, backend_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADRACE_DB", backend_url)  # make_project and both servers use it
    project = make_project(tmp_path / "project")

    def body(client: int, i: int) -> bytes:
        return json.dumps({"rows": [{"content": f"comment {client}-{i}", "links": i % 3}]}).encode()

    with LiveServer(project) as first, LiveServer(project) as second:
        with ThreadPoolExecutor(2) as pool:
            loads = [
                pool.submit(load, server.url, body, clients=8, requests_per_client=25, time_cap_s=30)
                for server in (first, second)
            ]
            outcomes = [outcome for future in loads for outcome in future.result()]
        pids = [server.process.pid for server in (first, second) if server.process is not None]
        for server in (first, second):
            assert server.terminate() in (0, -signal.SIGTERM)

    assert len(outcomes) == 2 * 8 * 25
    assert {o.status for o in outcomes} == {200}
    served = [p["request_id"] for o in outcomes for p in o.answer["predictions"]]
    log = read_prediction_log(project / STORE_DIRNAME / PREDICTIONS_DIRNAME)
    logged = log.column("request_id").to_pylist()
    assert len(logged) == len(set(logged)) == len(served)
    assert set(logged) == set(served)
    assert set(log.column("model_version").to_pylist()) == {1}
    names = [path.name for path in (project / STORE_DIRNAME / PREDICTIONS_DIRNAME).rglob("*.parquet")]
    for pid in pids:
        assert any(f"-{pid}-" in name for name in names), (pid, names)
