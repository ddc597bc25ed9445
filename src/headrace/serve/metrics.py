"""Prometheus metrics of one server, in a registry of its own (several apps may share a process)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["ServerMetrics"]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384)


class ServerMetrics:
    """Request counts by status, latency, batch sizes, queue depth, model swaps, log backlog."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "headrace_http_requests",
            "HTTP requests answered, by route and status code.",
            ["route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "headrace_http_request_duration_seconds",
            "Time from request to response, by route.",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_rows = Histogram(
            "headrace_batch_rows",
            "Rows per model call (adaptive micro-batching).",
            buckets=_BATCH_BUCKETS,
            registry=self.registry,
        )
        self.batch_requests = Histogram(
            "headrace_batch_requests",
            "Requests merged into one model call.",
            buckets=_BATCH_BUCKETS,
            registry=self.registry,
        )
        self.predictions = Counter("headrace_predictions", "Rows predicted.", registry=self.registry)
        self.model_swaps = Counter(
            "headrace_model_swaps", "Times the served model was replaced.", registry=self.registry
        )
        self.model_version = Gauge(
            "headrace_model_version", "Registered version of the served model.", registry=self.registry
        )
        self.queue_rows = Gauge("headrace_queue_rows", "Rows waiting for the model.", registry=self.registry)
        self.log_pending_rows = Gauge(
            "headrace_prediction_log_pending_rows",
            "Predictions not yet written to the log.",
            registry=self.registry,
        )

    def watch(self, queue_rows: Callable[[], float], log_pending_rows: Callable[[], float]) -> None:
        """Read the gauges from the batcher and the log at scrape time."""
        self.queue_rows.set_function(queue_rows)
        self.log_pending_rows.set_function(log_pending_rows)
