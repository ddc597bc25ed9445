"""The server's sample of live traffic: bounded, uniform across flushes and restarts, written whole."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from starlette.testclient import TestClient

from headrace.project import ServeConfig
from headrace.registry import get_version
from headrace.serve import TrafficSampler, read_traffic_sample
from headrace.serve.app import PredictionServer
from headrace.serve.auth import ApiKey
from headrace.serve.traffic import TRAFFIC_SAMPLE_DIRNAME, merge_samples
from headrace.store import Store


def serve(store: Store, requests: list[dict[str, Any]], **sample: Any) -> PredictionServer:
    """Answer each row in its own request, then shut the server down."""
    config = ServeConfig.model_validate({"log": {"flush_interval_s": 0.05}, "sample": sample})
    server = PredictionServer(store, config, api_key=ApiKey("k"))
    with TestClient(server.app) as client:
        for row in requests:
            assert client.post("/v1/predict", json={"rows": [row]}).status_code == 200
    return server


def comments(start: int, stop: int) -> list[dict[str, Any]]:
    return [{"content": f"comment {i}", "links": i} for i in range(start, stop)]


def folder(store: Store) -> Path:
    return store.root / TRAFFIC_SAMPLE_DIRNAME


def model_id(store: Store) -> str:
    return get_version(store, "production").object_id


def test_the_server_keeps_at_most_k_of_its_rows_and_writes_them_at_shutdown(store: Store) -> None:
    serve(store, comments(0, 30), rows=5, flush_interval_s=60)

    sample = read_traffic_sample(folder(store), model_id(store))

    assert sample is not None and sample.seen == 30
    assert sample.table.num_rows == 5 and sample.table.column_names == ["content", "links"]
    assert set(sample.table.column("links").to_pylist()) <= set(range(30))
    assert sample.table.column("content").to_pylist() == [
        f"comment {i}" for i in sample.table["links"].to_pylist()
    ]
    assert sorted(p.name for p in folder(store).iterdir()) == [
        f"model={model_id(store)}.parquet",
        f"model={model_id(store)}.parquet.lock",
    ]  # written whole: no temporary file left


def test_the_sample_is_written_every_flush_interval_while_serving(store: Store) -> None:
    config = ServeConfig.model_validate({"sample": {"rows": 3, "flush_interval_s": 0.05}})
    server = PredictionServer(store, config, api_key=ApiKey("k"))
    with TestClient(server.app) as client:
        for row in comments(0, 4):
            client.post("/v1/predict", json={"rows": [row]})
        deadline = time.monotonic() + 5
        sample = None
        while (sample is None or sample.seen < 4) and time.monotonic() < deadline:
            time.sleep(0.02)
            sample = read_traffic_sample(folder(store), model_id(store))  # the server still runs

        # Flushes may split the 4 rows in any way: the file still counts all and keeps 3.
        assert sample is not None and sample.seen == 4 and sample.table.num_rows == 3


def test_a_restarted_server_adds_to_the_same_sample(store: Store) -> None:
    serve(store, comments(0, 20), rows=5, flush_interval_s=60)
    serve(store, comments(20, 30), rows=5, flush_interval_s=60)

    sample = read_traffic_sample(folder(store), model_id(store))

    assert sample is not None and sample.seen == 30 and sample.table.num_rows == 5
    assert sample.updated_at is not None


def test_sampling_can_be_turned_off(store: Store) -> None:
    server = serve(store, comments(0, 3), rows=0)

    assert server.sampler is None
    assert not folder(store).exists()


def test_every_row_is_equally_likely_to_stay_across_flushes(tmp_path: Path) -> None:
    # 200 rows offered in batches of 8, flushed every 40: each row should stay with
    # probability 10/200, early ones as often as late ones.
    kept = np.zeros(200)
    trials = 80
    for trial in range(trials):
        sampler = TrafficSampler(tmp_path / str(trial), size=10, seed=trial)
        for start in range(0, 200, 8):
            sampler.offer("m", pa.table({"i": np.arange(start, min(start + 8, 200))}))
            if (start + 8) % 40 == 0:
                sampler.flush()
        sampler.flush()
        sample = read_traffic_sample(tmp_path / str(trial), "m")
        assert sample is not None and sample.seen == 200 and sample.table.num_rows == 10
        kept[sample.table.column("i").to_numpy()] += 1

    expected = trials * 10 / 200  # 4 per row
    assert kept.sum() == trials * 10
    assert abs(kept[:100].mean() - expected) < 0.6 and abs(kept[100:].mean() - expected) < 0.6  # ~4.3 sd
    # Each fifth of the stream (one flush interval) gets its share: 160 of 800, within ~4.5 sd.
    assert all(abs(chunk.sum() - 160) < 50 for chunk in kept.reshape(5, 40))


def test_merging_two_samples_takes_each_stream_in_proportion() -> None:
    rng = np.random.default_rng(0)
    first = pa.table({"stream": ["a"] * 10})
    second = pa.table({"stream": ["b"] * 10})

    shares = [
        merge_samples(first, 300, second, 100, 10, rng).column("stream").to_pylist().count("a")
        for _ in range(2000)
    ]

    assert np.mean(shares) == pytest.approx(7.5, abs=0.1)  # 10 × 300 / 400
    assert merge_samples(first.slice(0, 3), 3, second.slice(0, 2), 2, 10, rng).num_rows == 5  # all of both


def test_a_bad_batch_is_logged_and_never_fails_the_request(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sampler = TrafficSampler(tmp_path, size=4, seed=0)
    sampler.offer("m", pa.table({"x": [1, 2]}))

    with caplog.at_level(logging.ERROR, logger="headrace.serve.traffic"):
        sampler.offer("m", pa.table({"y": ["changed schema"]}))

    assert "could not add 1 rows to the traffic sample" in caplog.text
    assert sampler.live("m")[1] == 2
