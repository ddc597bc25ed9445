"""``headrace serve`` as a real process on 127.0.0.1: load, malformed input, SIGTERM, kill -9, hot swap.

Every run is bounded: a fixed number of requests and a time cap.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest

from headrace.registry import promote
from headrace.serve.predlog import read_prediction_log
from headrace.store import Store
from tests.registry.builders import register
from tests.serve.live import HEADRACE, LiveServer, load, make_project

VALID = {"content": "subscribe to my channel", "links": 2}
#: What a careless client sends: each must get a 4xx that says what is wrong.
MALFORMED = [
    b"{not json",
    b'{"rows": [{"content": "a"}]}',
    b'{"rows": [{"content": 5, "links": 1}]}',
    b'{"rows": [{"content": "a", "links": 1, "extra": true}]}',
    b'{"rows": "everything"}',
    b"",
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def logged_ids(project: Path) -> list[str]:
    return list(read_prediction_log(project / ".headrace" / "predictions").column("request_id").to_pylist())


def body_with_tenth_malformed(client: int, i: int) -> bytes:
    if i % 10 == 9:
        return MALFORMED[(client + i) % len(MALFORMED)]
    return json.dumps({"rows": [{**VALID, "links": client}]}).encode()


def test_32_clients_with_10_percent_malformed_get_no_5xx_and_every_valid_row_is_logged_once(
    project: Path,
) -> None:
    with LiveServer(project) as server:
        outcomes = load(
            server.url, body_with_tenth_malformed, clients=32, requests_per_client=20, time_cap_s=60
        )
        # SIGTERM: queued requests answered, the log written; uvicorn then re-raises
        # the signal, so the exit status is -SIGTERM rather than 0.
        assert server.terminate() in (0, -signal.SIGTERM)

    assert len(outcomes) == 640
    assert [o for o in outcomes if o.status >= 500] == []
    bad = [o for o in outcomes if o.body in MALFORMED]
    good = [o for o in outcomes if o.body not in MALFORMED]
    assert len(bad) == 64
    assert all(400 <= o.status < 500 and o.answer["error"] for o in bad)
    assert all(o.status == 200 for o in good)
    served = [p["request_id"] for o in good for p in o.answer["predictions"]]
    logged = logged_ids(project)
    assert len(logged) == len(set(logged)) == len(served)
    assert set(logged) == set(served)


def test_after_kill_9_the_log_is_readable_and_a_restarted_server_serves_and_logs(project: Path) -> None:
    server = LiveServer(project).start()
    try:
        settled = load(
            server.url, lambda c, i: json.dumps({"rows": [VALID]}).encode(), clients=4, requests_per_client=25
        )
        time.sleep(1.0)  # several flush intervals (0.2 s): these rows must be on disk
        # Kill while requests are still coming in: the rows in flight may be lost.
        load(
            server.url,
            lambda c, i: json.dumps({"rows": [VALID]}).encode(),
            clients=8,
            requests_per_client=200,
            time_cap_s=0.5,
        )
        server.kill()
    finally:
        server.kill()

    files = sorted((project / ".headrace" / "predictions").rglob("*.parquet"))
    assert files
    for path in files:
        pq.read_table(path)  # every file that carries the name is complete
    before = set(logged_ids(project))
    assert {p["request_id"] for o in settled for p in o.answer["predictions"]} <= before

    with LiveServer(project) as restarted:
        response = httpx.post(f"{restarted.url}/v1/predict", json={"rows": [VALID]})
        assert response.status_code == 200
    assert response.json()["predictions"][0]["request_id"] in set(logged_ids(project))


def test_a_promotion_under_load_swaps_the_model_without_failing_a_request(project: Path) -> None:
    with Store.for_project(project) as store:
        register(store, c=0.01)

    def promote_v2() -> None:
        with Store.for_project(project) as store:
            promote(store, "2", "production", reason="test")

    with LiveServer(project) as server:
        outcomes = load(
            server.url,
            lambda c, i: json.dumps({"rows": [VALID]}).encode(),
            clients=8,
            requests_per_client=150,
            during=promote_v2,
            time_cap_s=60,
        )
        # The alias is checked every 0.1 s: the swap lands well within the run.
        assert httpx.get(f"{server.url}/v1/model").json()["version"] == 2

    assert {o.status for o in outcomes} == {200}
    versions_by_client: dict[int, list[int]] = {}
    for outcome in outcomes:
        versions_by_client.setdefault(outcome.client, []).append(outcome.answer["model"]["version"])
    assert {v for vs in versions_by_client.values() for v in vs} == {1, 2}
    for versions in versions_by_client.values():
        assert versions == sorted(versions)  # never back to the old model once swapped


def test_two_worker_processes_serve_and_both_log(project: Path) -> None:
    with LiveServer(project, args=["--workers", "2"]) as server:
        outcomes = load(
            server.url, lambda c, i: json.dumps({"rows": [VALID]}).encode(), clients=8, requests_per_client=20
        )
        assert server.terminate() in (0, -signal.SIGTERM)

    assert {o.status for o in outcomes} == {200}
    assert len(set(logged_ids(project))) == 160


def test_serving_an_unknown_alias_fails_before_binding(project: Path) -> None:
    result = subprocess.run(
        [*HEADRACE, "serve", "-p", str(project), "--model", "canary"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 9
    assert "canary" in result.stderr
