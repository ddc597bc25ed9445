"""Adaptive micro-batching: concurrent requests share one model call.

Requests wait in a bounded queue. One worker thread runs the model; while it is busy
new requests pile up, and the next call takes all of them (up to ``max_size`` rows) —
so batches grow with load by themselves. While requests arrive together, the oldest
waiting one waits at most ``max_latency_ms`` for company; a lone client is answered at
once. The event loop never runs the model, so it keeps accepting and answering while
a batch computes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pyarrow as pa

from headrace.serve.predictor import Predictions, ServedModel

__all__ = ["BatchStats", "MicroBatcher", "PredictionFailed", "Saturated"]

logger = logging.getLogger(__name__)


class Saturated(Exception):
    """The queue holds ``max_queue_rows`` already: the caller should retry later (HTTP 503)."""

    def __init__(self, queued_rows: int, retry_after_s: int) -> None:
        self.queued_rows = queued_rows
        self.retry_after_s = retry_after_s
        super().__init__(f"{queued_rows} rows are waiting for the model; retry in {retry_after_s} s")


class PredictionFailed(Exception):
    """The model raised on a request's rows (rows that passed schema validation)."""


@dataclass
class _Pending:
    model: ServedModel
    table: pa.Table
    request_ids: list[str]
    enqueued_at: float
    future: asyncio.Future[Predictions] = field(repr=False)

    @property
    def rows(self) -> int:
        return int(self.table.num_rows)


@dataclass(frozen=True)
class BatchStats:
    """What one model call did; handed to the ``on_batch`` hook (metrics)."""

    requests: int
    rows: int
    seconds: float


#: Runs after each successful model call, on the worker thread, with the batch's
#: model, concatenated inputs, predictions and per-row request ids (the prediction log).
AfterBatch = Callable[[ServedModel, pa.Table, Predictions, list[str]], None]


class MicroBatcher:
    """Merges concurrent prediction requests into model calls of at most ``max_size`` rows.

    Parameters
    ----------
    max_size : int
        Rows per model call at most (a single larger request still runs, alone).
    max_latency_ms : float
        How long the oldest waiting request may wait for others before its batch runs.
    max_queue_rows : int
        Rows waiting at most; :meth:`submit` raises :class:`Saturated` beyond.
    after_batch : callable, optional
        Called on the worker thread after each model call (used to log predictions
        without touching the event loop).
    on_batch : callable, optional
        Called on the event loop with :class:`BatchStats` after each model call.
    """

    def __init__(
        self,
        *,
        max_size: int = 64,
        max_latency_ms: float = 2.0,
        max_queue_rows: int = 4096,
        after_batch: AfterBatch | None = None,
        on_batch: Callable[[BatchStats], None] | None = None,
    ) -> None:
        self.max_size = max_size
        self.max_latency_s = max_latency_ms / 1000.0
        self.max_queue_rows = max_queue_rows
        self._after_batch = after_batch
        self._on_batch = on_batch
        self._pending: deque[_Pending] = deque()
        self._queued_rows = 0
        self._wakeup = asyncio.Event()
        self._full = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="headrace-model")
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._seconds_per_row = 1e-4
        self._last_batch_requests = 1

    @property
    def queued_rows(self) -> int:
        """Rows waiting for the model (not counting the batch being computed)."""
        return self._queued_rows

    def start(self) -> None:
        """Start the batching loop on the running event loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="headrace-batcher")

    async def stop(self) -> None:
        """Answer every waiting request, then stop the loop and the worker thread."""
        self._closing = True
        self._wakeup.set()
        self._full.set()
        if self._task is not None:
            await self._task
            self._task = None
        while self._pending:  # never started: answer what was queued anyway
            await self._run_next()
        self._executor.shutdown(wait=True)

    def submit(
        self, model: ServedModel, table: pa.Table, request_ids: list[str]
    ) -> asyncio.Future[Predictions]:
        """Queue ``table`` (conformed to ``model``'s schema) for prediction by ``model``.

        Returns a future with this request's predictions, in row order.

        Raises
        ------
        Saturated
            The queue is full. A request larger than the whole queue is still
            accepted when the queue is empty, so it is never refused forever.
        """
        rows = table.num_rows
        if self._closing:
            raise Saturated(self._queued_rows, 1)
        if self._queued_rows and self._queued_rows + rows > self.max_queue_rows:
            wait = self._queued_rows * self._seconds_per_row
            raise Saturated(self._queued_rows, max(1, round(wait + 0.5)))
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Predictions] = loop.create_future()
        self._pending.append(_Pending(model, table, request_ids, loop.time(), future))
        self._queued_rows += rows
        self._wakeup.set()
        if self._queued_rows >= self.max_size:
            self._full.set()
        return future

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._pending:
                if self._closing:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            wait = self._pending[0].enqueued_at + self.max_latency_s - loop.time()
            # Waiting for company only pays when requests have been arriving together;
            # a lone client (last batch was one request) is answered at once.
            concurrent = self._last_batch_requests > 1 or len(self._pending) > 1
            if concurrent and self._queued_rows < self.max_size and wait > 0 and not self._closing:
                # Give concurrent callers a moment to join; a full batch ends the wait.
                self._full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), timeout=wait)
            await self._run_next()

    async def _run_next(self) -> None:
        batch = self._take_batch()
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            predictions = await loop.run_in_executor(self._executor, self._predict, batch)
        except Exception:
            logger.exception("the model failed on a batch of %d request(s); retrying each alone", len(batch))
            for item in batch:
                await self._run_alone(item)
            return
        seconds = loop.time() - started
        rows = len(predictions)
        self._last_batch_requests = len(batch)
        # A running estimate of cost per row, for the Retry-After of a full queue.
        self._seconds_per_row = 0.8 * self._seconds_per_row + 0.2 * (seconds / max(rows, 1))
        offset = 0
        for item in batch:
            if not item.future.done():
                item.future.set_result(predictions.slice(offset, offset + item.rows))
            offset += item.rows
        if self._on_batch is not None:
            self._on_batch(BatchStats(len(batch), rows, seconds))

    async def _run_alone(self, item: _Pending) -> None:
        loop = asyncio.get_running_loop()
        try:
            predictions = await loop.run_in_executor(self._executor, self._predict, [item])
        except Exception as exc:
            if not item.future.done():
                item.future.set_exception(PredictionFailed(f"the model could not predict these rows: {exc}"))
            return
        if not item.future.done():
            item.future.set_result(predictions)

    def _take_batch(self) -> list[_Pending]:
        first = self._pending.popleft()
        batch, rows = [first], first.rows
        while self._pending:
            item = self._pending[0]
            # One model per batch: during a hot swap, requests validated against the
            # old model finish on it.
            if item.model is not first.model or rows + item.rows > self.max_size:
                break
            batch.append(self._pending.popleft())
            rows += item.rows
        self._queued_rows -= rows
        return batch

    def _predict(self, batch: list[_Pending]) -> Predictions:
        model = batch[0].model
        tables = [item.table for item in batch]
        table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
        predictions = model.predict(table)
        if self._after_batch is not None:
            request_ids = [rid for item in batch for rid in item.request_ids]
            try:
                self._after_batch(model, table, predictions, request_ids)
            except Exception:
                # Logging must never fail a prediction the caller is waiting for.
                logger.exception("could not hand %d predictions to the prediction log", len(predictions))
        return predictions
