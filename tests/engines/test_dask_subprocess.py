"""The dask engine on a real cluster: ``dask scheduler`` and two ``dask worker`` processes.

The cluster is started the way an operator starts one (the ``dask`` command, on
127.0.0.1, the address shared through a scheduler file), in its own folder, so the
workers cannot import the project's ``lfs.py``: the LFs must travel by value. A project
stage and the ``predict`` command run on it and must give what the local engine gives.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import cloudpickle
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from headrace.engines import DaskEngine
from headrace.errors import EngineError
from headrace.pipeline import analyze_lfs
from headrace.project import init_project
from headrace.serve import load_served_model, predict_files
from headrace.store import Store
from tests.serve.batch_fixtures import make_project, text_rows

pytestmark = pytest.mark.timeout(180)

# The workers run in another folder and cannot import this module: send its functions by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

DASK = [sys.executable, "-m", "dask"]
HEADRACE = [sys.executable, "-m", "headrace.cli"]
START_TIMEOUT_S = 60.0


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process this module started, with whatever it started (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _worker_caches(address: str) -> dict[str, list[str]]:
    """Per worker: the digests of the functions it has run for the dask engine."""
    from distributed import Client

    with Client(address, timeout=30) as client:
        caches: dict[str, list[str]] = client.run(_cached_digests)
    return caches


def _cached_digests() -> list[str]:
    from headrace.engines import dask as dask_engine

    return list(dask_engine._worker_functions)


def _scheduler_address(path: Path, scheduler: subprocess.Popen[bytes], logs: Path) -> str:
    """The address in the scheduler file, once the scheduler has written it whole."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            return str(json.loads(path.read_text())["address"])
        except (OSError, ValueError, KeyError):
            if scheduler.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"dask scheduler did not start:\n{logs.read_text(errors='replace')[-4000:]}"
                ) from None
            time.sleep(0.1)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A scheduler and two single-threaded workers on 127.0.0.1; yields the scheduler address."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask-cluster")
    scheduler_file = folder / "scheduler.json"
    logs = folder / "logs.txt"
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> subprocess.Popen[bytes]:
        with logs.open("ab") as log:
            process = subprocess.Popen(
                [*DASK, *args], cwd=folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        started.append(process)
        return process

    try:
        # A port of 0 lets the OS choose; the scheduler file says which. The idle timeout
        # stops a scheduler orphaned by a killed test run, and its workers follow it.
        scheduler = start(
            "scheduler",
            "--host=127.0.0.1",
            "--port=0",
            "--no-dashboard",
            "--dashboard-address=127.0.0.1:0",  # its HTTP server: no clash with a busy :8787
            f"--scheduler-file={scheduler_file}",
            "--idle-timeout=300s",
        )
        address = _scheduler_address(scheduler_file, scheduler, logs)
        for name in ("w1", "w2"):
            start(
                "worker",
                f"--scheduler-file={scheduler_file}",
                f"--name={name}",
                "--nthreads=1",
                "--host=127.0.0.1",
                "--no-dashboard",
                "--no-nanny",
                "--death-timeout=60s",
            )
        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT_S)
        yield address
    finally:
        for process in reversed(started):
            _stop(process)


def test_a_project_stage_on_the_cluster_gives_the_local_label_matrix(cluster: str, tmp_path: Path) -> None:
    local = init_project(tmp_path / "local", example="youtube-spam")
    remote = init_project(tmp_path / "remote", example="youtube-spam")
    config = remote / "headrace.yaml"
    config.write_text(config.read_text() + f"engine: {{kind: dask, address: '{cluster}'}}\n")

    expected = analyze_lfs(local).labeling
    found = analyze_lfs(remote).labeling

    assert found.matrix.values.shape == (1433, 12)
    assert found.matrix.values.tobytes() == expected.matrix.values.tobytes()
    assert found.matrix.lf_names == expected.matrix.lf_names
    assert found.matrix.lf_keys == expected.matrix.lf_keys
    assert {n: s["failures"] for n, s in found.lf_stats.items()} == {
        n: s["failures"] for n, s in expected.lf_stats.items()
    }
    # The LFs ran on the cluster's workers, not here.
    assert any(_worker_caches(cluster).values())


def test_predict_with_dask_address_writes_the_local_engines_file(cluster: str, tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    pa_csv.write_csv(text_rows(2_000), project / "new.csv")
    before = _worker_caches(cluster)

    flags = [f"--dask-address={cluster}", "--batch-rows=150", "--json"]
    done = subprocess.run(
        [*HEADRACE, "predict", "new.csv", "remote.parquet", *flags],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    with Store.for_project(project) as store:
        model = load_served_model(store, "production")
    predict_files(
        model, project / "new.csv", project / "local.parquet", id_column="comment_id", batch_rows=150
    )

    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["engine"], summary["rows"], summary["batches"]) == ("dask", 2_000, 14)
    assert pq.read_table(project / "remote.parquet").equals(pq.read_table(project / "local.parquet"))
    # Both workers predicted some of the 14 batches: each has unpickled the model's function.
    after = _worker_caches(cluster)
    assert all(set(after[worker]) - set(before[worker]) for worker in after), (before, after)


def test_an_unreachable_scheduler_is_an_engine_error_that_says_what_to_do() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = DaskEngine(address=f"tcp://127.0.0.1:{port}", connect_timeout_s=1.0)

    start = time.monotonic()
    with pytest.raises(EngineError, match=rf"cannot reach the Dask scheduler at 'tcp://127.0.0.1:{port}' "):
        engine.map_partitions(len, [[1]])
    assert time.monotonic() - start < 15
    engine.close()


def test_a_scheduler_without_workers_is_an_engine_error_that_says_what_to_do() -> None:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=0,
        processes=False,
        host="127.0.0.1",
        protocol="tcp",
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": False},
    ) as idle:
        address = idle.scheduler_address
        engine = DaskEngine(address=address, connect_timeout_s=1.0)
        with pytest.raises(EngineError) as raised:
            engine.map_partitions(len, [[1]])
        engine.close()

    assert str(raised.value) == (
        f"the Dask scheduler at {address!r} has no workers after 1s; start some with `dask worker {address}`"
    )
