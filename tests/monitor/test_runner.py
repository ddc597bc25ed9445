"""``run_monitor`` and the ``monitor``/``feedback`` commands on real served traffic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from headrace.errors import NotFoundError
from headrace.monitor.runner import run_monitor
from headrace.project import load_project
from headrace.serve.feedback import FEEDBACK_DIRNAME, record_feedback
from headrace.store import Store
from tests.monitor.conftest import EXAMPLES, ServedExample, read_rows, serve_rows
from tests.monitor.test_alerts import receiver  # noqa: F401 - the fixture

HEADRACE = [sys.executable, "-m", "headrace.cli"]


def headrace(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HEADRACE, *args], capture_output=True, text=True, timeout=300, check=False)


def give_feedback(example: ServedExample) -> None:
    with Store.for_project(example.project) as store:
        record_feedback(
            store.root / FEEDBACK_DIRNAME,
            pa.table({"request_id": example.request_ids, "label": example.labels}),
            ["ham", "spam"],
        )


def monitor(example: ServedExample, **kwargs: object):  # type: ignore[no-untyped-def]
    project = load_project(example.project)
    with Store.for_project(example.project) as store:
        return run_monitor(project, store, **kwargs)  # type: ignore[arg-type]


def test_in_distribution_traffic_is_estimated_close_to_the_truth(served: ServedExample) -> None:
    give_feedback(served)

    result = monitor(served, window="1d")

    [window] = result.windows
    assert window.window.rows == 400
    assert window.realized is not None
    # The gold test rows with their own labels: the realized accuracy is the test score.
    assert window.realized.labelled == 400
    assert window.realized.accuracy == pytest.approx(result.baseline_accuracy)
    assert window.estimate is not None
    assert abs(window.estimate.accuracy - window.realized.accuracy) < 0.05
    assert window.estimate.covered > 0.7
    assert set(window.realized.slices) >= {"short_comment", "has_link"}
    assert window.drift is not None
    assert window.drift.multivariate is not None


def test_shifted_traffic_drifts_breaches_and_the_estimate_follows_the_truth(served: ServedExample) -> None:
    # A simulated stream: after the YouTube test rows, SMS messages (another domain).
    sms = read_rows(EXAMPLES / "sms-spam/data/gold_test.csv")[:800]
    sms_ids = serve_rows(served.project, [row["text"] for row in sms])
    give_feedback(served)
    with Store.for_project(served.project) as store:
        record_feedback(
            store.root / FEEDBACK_DIRNAME,
            pa.table({"request_id": sms_ids, "label": [row["label"] for row in sms]}),
            ["ham", "spam"],
        )

    result = monitor(served, window="400 rows")

    first, *_, last = result.windows
    assert [w.window.rows for w in result.windows] == [400, 400, 400]
    assert first.drift is not None and last.drift is not None
    assert not first.drift.column("content").drifted
    assert last.drift.column("content").drifted
    assert result.checked == last.window.index
    assert "drift_share" in {b.check for b in result.breaches}
    assert last.lf_coverage_change  # the YouTube LFs fire differently on SMS
    # The label-free estimate tracks the accuracy the feedback reveals, window by window.
    for window in result.windows:
        assert window.estimate is not None and window.realized is not None
        assert window.realized.accuracy is not None
        assert abs(window.estimate.accuracy - window.realized.accuracy) < 0.08


def test_nothing_logged_is_a_clear_error(trained: Path) -> None:
    project = load_project(trained)
    with Store.for_project(trained) as store, pytest.raises(NotFoundError, match="nothing is logged"):
        run_monitor(project, store)


def test_monitor_check_exits_1_on_a_breach_posts_the_webhook_and_writes_the_report(
    served: ServedExample,
    receiver: tuple[str, type],  # noqa: F811 - the fixture
) -> None:
    url, handler = receiver
    config = served.project / "headrace.yaml"
    config.write_text(
        config.read_text() + f"monitor:\n  webhook: {url}\n  thresholds: {{drift_share: 0.0}}\n"
    )
    report = served.project / "monitor.html"

    checked = headrace("monitor", "-p", str(served.project), "--check", "--report", str(report))

    assert checked.returncode == 1, checked.stderr
    assert "breach" in checked.stdout
    assert len(handler.received) == 1
    assert handler.received[0]["breaches"][0]["check"] == "drift_share"
    text = report.read_text()
    assert "Estimated vs realized accuracy" in text
    assert "Reference vs latest window" in text
    assert '<script src="http' not in text  # plotly.js is inlined: the page works offline


def test_monitor_json_and_a_passing_check(served: ServedExample) -> None:
    config = served.project / "headrace.yaml"
    thresholds = (
        "{drift_share: null, multivariate_drift: false, prediction_drift: false, "
        "max_accuracy_drop: 0.2, max_lf_coverage_change: null}"
    )
    config.write_text(config.read_text() + f"monitor:\n  thresholds: {thresholds}\n")

    checked = headrace("monitor", "-p", str(served.project), "--check", "--json")

    assert checked.returncode == 0, checked.stderr
    payload = json.loads(checked.stdout)
    assert payload["ok"] is True
    assert payload["windows"][0]["window"]["rows"] == 400


def test_feedback_command_records_labels_and_counts_matches(served: ServedExample, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "request_id,label\n"
        + "".join(f"{i},{lab}\n" for i, lab in zip(served.request_ids[:10], served.labels[:10], strict=True))
        + "unknown-id,ham\n"
    )

    result = headrace("feedback", str(labels), "-p", str(served.project), "--json")
    bad = headrace("feedback", str(tmp_path / "missing.csv"), "-p", str(served.project))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == 11
    assert json.loads(result.stdout)["matched"] == 10
    assert bad.returncode == 3
    assert "no such feedback file" in bad.stderr
