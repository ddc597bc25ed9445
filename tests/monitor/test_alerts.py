"""Threshold checks and the alert webhook (a real HTTP receiver on 127.0.0.1)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest

from headrace.monitor.alerts import WindowFigures, check_window, post_alert
from headrace.project import MonitorThresholds


def test_quiet_figures_breach_nothing() -> None:
    figures = WindowFigures(
        drift_share=0.1, multivariate_drift=False, prediction_drift=False, estimated_accuracy=0.9
    )

    assert check_window(figures, MonitorThresholds(), baseline_accuracy=0.92) == []


def test_each_crossed_threshold_is_one_breach_with_a_message() -> None:
    figures = WindowFigures(
        drift_share=0.6,
        drifted_columns=("a", "b", "c"),
        multivariate_drift=True,
        prediction_drift=True,
        estimated_accuracy=0.7,
        realized_accuracy=0.6,
        realized_rows=40,
        lf_coverage_change={"has_url": -0.3, "short": 0.05},
    )
    thresholds = MonitorThresholds(min_estimated_accuracy=0.8, min_realized_accuracy=0.8)

    breaches = check_window(figures, thresholds, baseline_accuracy=0.9)

    assert [b.check for b in breaches] == [
        "drift_share",
        "multivariate_drift",
        "prediction_drift",
        "min_estimated_accuracy",
        "max_accuracy_drop",
        "min_realized_accuracy",
        "max_lf_coverage_change",
    ]
    assert "60% of feature columns drifted: a, b, c" in breaches[0].message
    assert "LF has_url fires on -30% of rows" in breaches[-1].message


def test_a_check_set_to_none_is_off() -> None:
    figures = WindowFigures(drift_share=0.9, estimated_accuracy=0.1)
    thresholds = MonitorThresholds(drift_share=None, max_accuracy_drop=None)

    assert check_window(figures, thresholds, baseline_accuracy=0.9) == []


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[Any]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("Receiver", (_Receiver,), {"received": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", handler
    finally:
        server.shutdown()
        server.server_close()


def test_post_alert_delivers_the_json(receiver: tuple[str, type[_Receiver]]) -> None:
    url, handler = receiver

    assert post_alert(url, {"breaches": [{"check": "drift_share"}]}) is None
    assert handler.received == [{"breaches": [{"check": "drift_share"}]}]


def test_a_failing_webhook_is_reported_not_raised(receiver: tuple[str, type[_Receiver]]) -> None:
    url, handler = receiver
    handler.status = 500

    assert post_alert(url, {}) == f"webhook {url} answered 500"
    assert "unreachable" in (post_alert("http://127.0.0.1:9/none", {}, timeout_s=2) or "")
