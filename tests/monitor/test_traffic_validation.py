"""Served traffic against the project's constraints: in ``headrace monitor`` and in the server's sample."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from headrace.monitor import run_monitor, write_monitor_report
from headrace.pipeline import run_project
from headrace.project import ServeConfig, load_project
from headrace.registry import promote
from headrace.serve import validate_traffic
from headrace.serve.app import PredictionServer
from headrace.serve.auth import ApiKey
from headrace.store import Store
from tests.monitor.conftest import EXAMPLES, read_rows
from tests.pipeline.quick import quick_project


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A quickly trained example whose production model answered 150 rows: 5 empty texts, 2 missing."""
    project = quick_project(tmp_path_factory.mktemp("traffic") / "spam")
    run_project(project)
    contents: list[Any] = [row["content"] for row in read_rows(EXAMPLES / "youtube-spam/data/gold_test.csv")]
    contents = contents[:143] + [""] * 5 + [None] * 2
    with Store.for_project(project) as store:
        promote(store, "1", "production")
        config = ServeConfig.model_validate({"log": {"flush_interval_s": 0.05}})
        with TestClient(PredictionServer(store, config, api_key=ApiKey("k")).app) as client:
            for start in range(0, len(contents), 25):
                rows = [{"content": text} for text in contents[start : start + 25]]
                assert client.post("/v1/predict", json={"rows": rows}).status_code == 200
    return project


def test_monitor_reports_violations_of_the_window_and_a_hard_one_is_a_breach(served: Path) -> None:
    project = load_project(served)
    with Store.for_project(served) as store:
        result = run_monitor(project, store, window="1d")

    (window,) = result.windows
    assert window.validation is not None and window.validation.rows == 150
    found = {(v.column, v.rule): v for v in window.validation.violations}
    assert set(found) == {("content", "nulls"), ("content", "length")}
    nulls, length = found["content", "nulls"], found["content", "length"]
    assert (nulls.severity, nulls.count, len(nulls.examples)) == ("hard", 2, 2)
    assert (length.severity, length.count) == ("soft", 5)  # 3.3% of rows, above the 1% tolerance
    assert all(len(e.id) == 32 for e in length.examples)  # examples are named by request id
    (breach,) = [b for b in result.breaches if b.check == "data_validation"]
    assert "column 'content' is null in 1.3% of rows (2), above max_rate 0.0%" in breach.message
    assert any(note.startswith("data validation (soft): window 1") for note in result.notes)
    payload = result.to_dict()
    assert payload["windows"][0]["validation"]["hard"] == 1

    report = write_monitor_report(served / "monitor.html", payload, project="spam")

    text = report.read_text()
    assert "Data validation (latest window)" in text and "null in 1.3% of rows" in text


def test_the_servers_traffic_sample_is_checked_by_validate_traffic(served: Path) -> None:
    with Store.for_project(served) as store:
        sample, report = validate_traffic(load_project(served), store)

    assert sample.seen == 150 and sample.table.num_rows == 150  # serve.sample.rows: 1000 keeps them all
    assert report.source == "traffic of model v1 (150 sampled of 150 rows)"
    assert sorted((v.rule, v.severity, v.count) for v in report.violations) == [
        ("length", "soft", 5),
        ("nulls", "hard", 2),
    ]


def test_headrace_validate_traffic_exits_13_on_a_hard_violation(served: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "headrace.cli", "validate", "--traffic", "--json", "-p", str(served)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 13, result.stderr
    payload = json.loads(result.stdout)
    assert (payload["hard"], payload["soft"], payload["seen"]) == (1, 1, 150)
    assert "1 hard violation(s) of constraints.yaml" in result.stderr
