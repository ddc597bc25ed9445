"""The prediction server: a Starlette app over a model slot, a micro-batcher and the log.

Routes
------
``POST /v1/predict``        rows in, one prediction per row out (labels, probabilities,
                            model version, a request id per row)
``GET /v1/model``           the served model: version, aliases, input schema, classes,
                            metrics, lineage ids
``POST /v1/model/reload``   check the alias now (API key)
``POST /v1/feedback``       ground truth for logged predictions, by request id (API key)
``GET /healthz``            the process answers
``GET /readyz``             a model is loaded and the batcher runs
``GET /metrics``            Prometheus
``GET /openapi.json``       OpenAPI 3.1, with the served model's row schema

Every client mistake is a 4xx with a JSON body ``{"error": ..., "detail": ...}``:
400 malformed JSON, 401 missing or wrong key, 413 body or row count over the limit,
422 rows that do not fit the model's schema (row, field, expected type), 503 (with
``Retry-After``) only while the queue is full or no model is loaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from headrace.errors import DataError
from headrace.project.config import ServeConfig
from headrace.serve.auth import ApiKey
from headrace.serve.batcher import BatchStats, MicroBatcher, PredictionFailed, Saturated
from headrace.serve.feedback import FEEDBACK_DIRNAME, record_feedback
from headrace.serve.metrics import ServerMetrics
from headrace.serve.openapi import openapi_document
from headrace.serve.predictor import Predictions, ServedModel
from headrace.serve.predlog import PREDICTIONS_DIRNAME, PredictionLog
from headrace.serve.schema import RowValidationError
from headrace.serve.slot import ModelSlot
from headrace.serve.traffic import TRAFFIC_SAMPLE_DIRNAME, TrafficSampler
from headrace.store import Store

__all__ = ["PredictionServer", "create_app"]

logger = logging.getLogger(__name__)


class _ClientError(Exception):
    """A request the server refuses, with its status and message."""

    def __init__(self, status: int, error: str, detail: Any = None, headers: dict[str, str] | None = None):
        super().__init__(error)
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = headers


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _error(exc: _ClientError) -> Response:
    payload: dict[str, Any] = {"error": exc.error}
    if exc.detail is not None:
        payload["detail"] = exc.detail
    return _json(payload, exc.status, exc.headers)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class PredictionServer:
    """Everything one server holds; :attr:`app` is the ASGI application.

    Parameters
    ----------
    store : Store
        The project's store (model registry, and the log under ``store.root``).
    config : ServeConfig
        Limits, batching, logging, reload interval (the project file's ``serve:``).
    api_key : ApiKey, optional
        Defaults to ``HEADRACE_API_KEY`` from the environment.
    log_root : Path, optional
        Prediction log folder; defaults to ``store.root / "predictions"``.
    """

    def __init__(
        self,
        store: Store,
        config: ServeConfig,
        *,
        api_key: ApiKey | None = None,
        log_root: Path | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.api_key = api_key or ApiKey.from_environment()
        self.metrics = ServerMetrics()
        self.slot = ModelSlot(
            store, config.model, reload_interval_s=config.reload_interval_s, on_swap=self._swapped
        )
        self.log: PredictionLog | None = None
        if config.log.enabled:
            self.log = PredictionLog(
                log_root or store.root / PREDICTIONS_DIRNAME,
                flush_rows=config.log.flush_rows,
                flush_interval_s=config.log.flush_interval_s,
            )
        # A bounded uniform sample of live inputs, for checking traffic against the
        # project's data constraints (headrace validate --traffic).
        self.sampler: TrafficSampler | None = None
        if config.sample.rows > 0:
            self.sampler = TrafficSampler(store.root / TRAFFIC_SAMPLE_DIRNAME, size=config.sample.rows)
        self.batcher: MicroBatcher | None = None
        self.app: ASGIApp = _MetricsMiddleware(
            Starlette(
                routes=[
                    Route("/v1/predict", self.predict, methods=["POST"]),
                    Route("/v1/model", self.model, methods=["GET"]),
                    Route("/v1/model/reload", self.reload, methods=["POST"]),
                    Route("/v1/feedback", self.feedback, methods=["POST"]),
                    Route("/healthz", self.healthz, methods=["GET"]),
                    Route("/readyz", self.readyz, methods=["GET"]),
                    Route("/metrics", self.prometheus, methods=["GET"]),
                    Route("/openapi.json", self.openapi, methods=["GET"]),
                ],
                lifespan=self._lifespan,
                exception_handlers={HTTPException: self._http_exception},
            ),
            self.metrics,
        )

    # -- lifecycle -------------------------------------------------------------------

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        log = self.log
        if log is not None:
            log.start()
        self.batcher = MicroBatcher(
            max_size=self.config.batch.max_size,
            max_latency_ms=self.config.batch.max_latency_ms,
            max_queue_rows=self.config.batch.max_queue_rows,
            after_batch=None if log is None and self.sampler is None else self._after_batch,
            on_batch=self._batched,
        )
        self.batcher.start()
        self.metrics.watch(
            lambda: 0 if self.batcher is None else self.batcher.queued_rows,
            lambda: 0 if log is None else log.pending_rows,
        )
        if self.slot.current is None:
            await self.slot.load()
        self.slot.start()
        sampling = None
        if self.sampler is not None:
            sampling = asyncio.get_running_loop().create_task(self._flush_samples(self.sampler))
        try:
            yield
        finally:
            # Order matters for SIGTERM: stop swapping, answer what is queued, then
            # write every logged prediction (and the traffic sample) before the process ends.
            await self.slot.stop()
            await self.batcher.stop()
            if sampling is not None and self.sampler is not None:
                sampling.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sampling
                await asyncio.to_thread(self.sampler.flush)
            if log is not None:
                await asyncio.to_thread(log.close)

    def _after_batch(
        self, model: ServedModel, inputs: pa.Table, predictions: Predictions, request_ids: list[str]
    ) -> None:
        # On the model worker thread, after each model call: both only queue or keep rows.
        if self.log is not None:
            self.log.append(model, inputs, predictions, request_ids)
        if self.sampler is not None:
            self.sampler.offer(model.model_id, inputs)

    async def _flush_samples(self, sampler: TrafficSampler) -> None:
        while True:
            await asyncio.sleep(self.config.sample.flush_interval_s)
            await asyncio.to_thread(sampler.flush)

    def _swapped(self, model: ServedModel, replaced: bool) -> None:
        if replaced:
            self.metrics.model_swaps.inc()
        self.metrics.model_version.set(model.version_number or 0)

    def _batched(self, stats: BatchStats) -> None:
        self.metrics.batch_rows.observe(stats.rows)
        self.metrics.batch_requests.observe(stats.requests)
        self.metrics.predictions.inc(stats.rows)

    # -- routes ----------------------------------------------------------------------

    async def predict(self, request: Request) -> Response:
        try:
            return await self._predict(request)
        except _ClientError as exc:
            return _error(exc)

    async def _predict(self, request: Request) -> Response:
        if self.config.require_key_for_predict:
            self._check_key(request)
        model, batcher = self.slot.current, self.batcher
        if model is None or batcher is None:
            raise _ClientError(503, "no model is loaded yet", headers={"Retry-After": "1"})
        payload = _parse_json(await self._read_body(request))
        rows = payload.get("rows") if isinstance(payload, dict) else None
        if not isinstance(rows, list) or not rows or set(payload) != {"rows"}:
            raise _ClientError(
                422,
                'the body must be a JSON object {"rows": [...]} with at least one row object',
                detail={"expected": {"rows": [model.schema.to_dict()]}},
            )
        if len(rows) > self.config.max_rows:
            raise _ClientError(
                413, f"{len(rows)} rows in one request; the limit is {self.config.max_rows} (serve.max_rows)"
            )
        try:
            table = model.schema.rows_to_table(rows)
        except RowValidationError as exc:
            problems = [p.to_dict() for p in exc.problems]
            raise _ClientError(
                422,
                f"{exc.total} invalid value(s): {exc}",
                detail={"problems": problems, "total": exc.total, "expected": model.schema.to_dict()},
            ) from exc
        request_ids = [uuid.uuid4().hex for _ in rows]
        try:
            predictions = await batcher.submit(model, table, request_ids)
        except Saturated as exc:
            raise _ClientError(
                503, f"server busy: {exc}", headers={"Retry-After": str(exc.retry_after_s)}
            ) from exc
        except PredictionFailed as exc:
            raise _ClientError(422, str(exc)) from exc
        version = model.version_number
        answers = predictions.to_rows()
        for answer, request_id in zip(answers, request_ids, strict=True):
            answer["request_id"] = request_id
            answer["model_version"] = version
        return _json(
            {"model": {"id": model.model_id, "version": version, "ref": model.ref}, "predictions": answers}
        )

    async def model(self, request: Request) -> Response:
        current = self.slot.current
        if current is None:
            return _json({"error": "no model is loaded yet"}, 503, {"Retry-After": "1"})
        return _json(current.describe())

    async def reload(self, request: Request) -> Response:
        try:
            self._check_key(request)
        except _ClientError as exc:
            return _error(exc)
        swapped = await self.slot.refresh()
        current = self.slot.current
        payload: dict[str, Any] = {"swapped": swapped, "error": self.slot.last_error}
        payload["model"] = None if current is None else current.describe()
        return _json(payload)

    async def feedback(self, request: Request) -> Response:
        try:
            self._check_key(request)
            current = self.slot.current
            if current is None:
                raise _ClientError(503, "no model is loaded yet", headers={"Retry-After": "1"})
            payload = _parse_json(await self._read_body(request))
            labels = payload.get("labels") if isinstance(payload, dict) else None
            if not isinstance(labels, list) or not labels or not all(isinstance(r, dict) for r in labels):
                raise _ClientError(
                    422, 'the body must be {"labels": [{"request_id": "...", "label": "<class>"}, ...]}'
                )
            table = _feedback_table(labels)
            result = await asyncio.to_thread(
                record_feedback,
                self.store.root / FEEDBACK_DIRNAME,
                table,
                current.package.classes,
                source="feedback",
            )
        except _ClientError as exc:
            return _error(exc)
        except DataError as exc:
            return _error(_ClientError(422, str(exc)))
        return _json({"recorded": result.rows})

    async def healthz(self, request: Request) -> Response:
        return _json({"status": "ok"})

    async def readyz(self, request: Request) -> Response:
        current = self.slot.current
        if current is None or self.batcher is None:
            return _json({"status": "loading"}, 503, {"Retry-After": "1"})
        return _json(
            {"status": "ready", "model_version": current.version_number, "model_id": current.model_id}
        )

    async def prometheus(self, request: Request) -> Response:
        return Response(generate_latest(self.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def openapi(self, request: Request) -> Response:
        current = self.slot.current
        return _json(openapi_document(None if current is None else current))

    async def _http_exception(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _json({"error": exc.detail}, exc.status_code, dict(exc.headers or {}))

    # -- helpers ---------------------------------------------------------------------

    def _check_key(self, request: Request) -> None:
        problem = self.api_key.problem(request)
        if problem is not None:
            raise _ClientError(401, problem, headers={"WWW-Authenticate": "Bearer"})

    async def _read_body(self, request: Request) -> bytes:
        limit = self.config.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _ClientError(
                413, f"the body is {declared} bytes; the limit is {limit} (serve.max_body_bytes)"
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _ClientError(413, f"the body exceeds {limit} bytes (serve.max_body_bytes)")
            chunks.append(chunk)
        return b"".join(chunks)


def _feedback_table(labels: list[dict[str, Any]]) -> pa.Table:
    for index, row in enumerate(labels):
        for name in ("request_id", "label"):
            if not isinstance(row.get(name), str):
                raise _ClientError(422, f"labels[{index}].{name} must be a string, got {row.get(name)!r}")
    return pa.table(
        {"request_id": [row["request_id"] for row in labels], "label": [row["label"] for row in labels]}
    )


def _parse_json(body: bytes) -> Any:
    if not body:
        raise _ClientError(400, 'empty body: send a JSON object {"rows": [...]}')
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _ClientError(400, f"malformed JSON: {exc}") from exc


class _MetricsMiddleware:
    """Counts and times every HTTP request by route and status (pure ASGI: no per-request task)."""

    _ROUTES = frozenset(
        {"/v1/predict", "/v1/model", "/v1/model/reload", "/v1/feedback", "/healthz", "/readyz", "/metrics"}
    )

    def __init__(self, app: ASGIApp, metrics: ServerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        route = path if path in self._ROUTES else "other"
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.requests.labels(route, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)


def create_app(store: Store, config: ServeConfig, *, api_key: ApiKey | None = None) -> ASGIApp:
    """The ASGI app serving ``config.model`` from ``store`` (see :class:`PredictionServer`)."""
    return PredictionServer(store, config, api_key=api_key).app
