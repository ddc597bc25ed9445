"""MicroBatcher: concurrent requests merged into model calls, answered in order."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import pyarrow as pa
import pytest

from headrace.serve import Predictions, ServedModel
from headrace.serve.batcher import BatchStats, MicroBatcher, PredictionFailed, Saturated
from tests.registry.builders import QUERY, make_package

MODEL = ServedModel(make_package(), None, "test")
ROWS = MODEL.schema.conform(QUERY)


def run(coroutine_fn: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    return asyncio.run(coroutine_fn())


def test_concurrent_requests_share_a_model_call_and_get_their_own_rows_back() -> None:
    calls: list[BatchStats] = []

    async def scenario() -> list[Predictions]:
        batcher = MicroBatcher(max_size=64, max_latency_ms=50, on_batch=calls.append)
        batcher.start()
        futures = [batcher.submit(MODEL, ROWS.slice(i, 1), [f"r{i}"]) for i in range(4)]
        results = list(await asyncio.gather(*futures))
        await batcher.stop()
        return results

    results = run(scenario)

    assert [(c.requests, c.rows) for c in calls] == [(4, 4)]
    expected = MODEL.predict(ROWS)
    for i, result in enumerate(results):
        assert result.label_ids.tolist() == expected.label_ids[i : i + 1].tolist()
        assert result.probabilities[0].tolist() == pytest.approx(expected.probabilities[i].tolist())


def test_a_batch_never_exceeds_max_size_rows() -> None:
    calls: list[BatchStats] = []

    async def scenario() -> None:
        batcher = MicroBatcher(max_size=3, max_latency_ms=20, on_batch=calls.append)
        batcher.start()
        await asyncio.gather(*[batcher.submit(MODEL, ROWS.slice(0, 2), ["a", "b"]) for _ in range(5)])
        await batcher.stop()

    run(scenario)

    assert [c.rows for c in calls] == [2, 2, 2, 2, 2]


def test_a_lone_request_waits_no_longer_than_max_latency() -> None:
    async def scenario() -> float:
        batcher = MicroBatcher(max_size=64, max_latency_ms=5)
        batcher.start()
        loop = asyncio.get_running_loop()
        await batcher.submit(MODEL, ROWS.slice(0, 1), ["a"])  # warm the model up
        started = loop.time()
        await batcher.submit(MODEL, ROWS.slice(0, 1), ["b"])
        elapsed = loop.time() - started
        await batcher.stop()
        return elapsed

    assert run(scenario) < 0.5


def test_a_full_queue_refuses_with_a_retry_hint_instead_of_growing() -> None:
    async def scenario() -> Saturated:
        batcher = MicroBatcher(max_size=4, max_latency_ms=1000, max_queue_rows=4)
        batcher.start()
        first = batcher.submit(MODEL, ROWS, ["a", "b", "c", "d"])
        with pytest.raises(Saturated) as caught:
            batcher.submit(MODEL, ROWS.slice(0, 1), ["e"])
        await first
        await batcher.stop()
        return caught.value

    refused = run(scenario)

    assert refused.queued_rows == 4
    assert refused.retry_after_s >= 1


def test_a_request_larger_than_the_queue_still_runs_when_the_queue_is_empty() -> None:
    async def scenario() -> int:
        batcher = MicroBatcher(max_size=2, max_queue_rows=2)
        batcher.start()
        result = await batcher.submit(MODEL, ROWS, ["a", "b", "c", "d"])
        await batcher.stop()
        return len(result)

    assert run(scenario) == 4


class _Failing(ServedModel):
    """A model that raises on rows whose ``links`` is 99 (rows that pass the schema)."""

    def predict(self, table: pa.Table) -> Predictions:
        if 99 in table.column("links").to_pylist():
            raise ValueError("links=99 breaks the model")
        return super().predict(table)


def test_rows_that_break_the_model_fail_alone_and_their_batch_mates_succeed() -> None:
    model = _Failing(make_package(), None, "test")
    bad = pa.table({"content": ["x"], "links": pa.array([99], type=pa.int64())})

    async def scenario() -> tuple[BaseException | None, int]:
        batcher = MicroBatcher(max_size=64, max_latency_ms=50)
        batcher.start()
        good = batcher.submit(model, ROWS.slice(0, 1), ["a"])
        broken = batcher.submit(model, bad, ["b"])
        results = await asyncio.gather(good, broken, return_exceptions=True)
        await batcher.stop()
        return (results[1] if isinstance(results[1], BaseException) else None), len(results[0])  # type: ignore[arg-type]

    error, good_rows = run(scenario)

    assert isinstance(error, PredictionFailed)
    assert "links=99 breaks the model" in str(error)
    assert good_rows == 1


def test_after_batch_runs_off_the_event_loop_once_per_model_call() -> None:
    seen: list[tuple[str, list[str]]] = []

    def after(model: ServedModel, inputs: pa.Table, predictions: Predictions, ids: list[str]) -> None:
        seen.append((threading.current_thread().name, ids))

    async def scenario() -> None:
        batcher = MicroBatcher(max_latency_ms=50, after_batch=after)
        batcher.start()
        await asyncio.gather(
            batcher.submit(MODEL, ROWS.slice(0, 2), ["a", "b"]),
            batcher.submit(MODEL, ROWS.slice(2, 1), ["c"]),
        )
        await batcher.stop()

    run(scenario)

    assert len(seen) == 1
    thread, ids = seen[0]
    assert thread.startswith("headrace-model")
    assert ids == ["a", "b", "c"]


def test_stop_answers_every_queued_request_and_then_refuses_new_ones() -> None:
    async def scenario() -> tuple[int, bool]:
        batcher = MicroBatcher(max_size=1, max_latency_ms=1000)
        batcher.start()
        futures = [batcher.submit(MODEL, ROWS.slice(i, 1), [str(i)]) for i in range(4)]
        await batcher.stop()
        done = sum(1 for f in futures if f.done() and f.exception() is None)
        try:
            batcher.submit(MODEL, ROWS.slice(0, 1), ["late"])
        except Saturated:
            return done, True
        return done, False

    assert run(scenario) == (4, True)
