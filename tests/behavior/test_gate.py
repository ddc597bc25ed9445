"""``headrace check`` and the promotion gate, on the trained example."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from headrace.pipeline import run_project
from headrace.project import init_project
from headrace.store import Store
from tests.conftest import shorten_search

HEADRACE = [sys.executable, "-m", "headrace.cli"]

FAILING_TEST = """
from headrace.behavior import MinimumFunctionality

praise_is_spam = MinimumFunctionality(
    "praise is spam", ["I love this song", "beautiful voice"], expected="spam"
)
"""


def headrace(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HEADRACE, *args], capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = init_project(tmp_path_factory.mktemp("gate") / "spam", example="youtube-spam")
    shorten_search(root)
    run_project(root)
    return root


def test_check_runs_the_example_tests_and_records_the_run(project: Path) -> None:
    result = headrace("check", "staging", "-p", str(project), "--json")

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["passed"] is True
    assert {t["kind"] for t in report["tests"]} == {"minimum_functionality", "invariance", "directional"}
    with Store.for_project(project) as store:
        [run] = store.runs.recent(kind="behavior_check")
        assert run.metrics["passed"] is True


def test_a_failing_test_stops_promotion_to_production_unless_forced_with_a_reason(
    project: Path, tmp_path: Path
) -> None:
    (project / "tests.py").write_text((project / "tests.py").read_text() + FAILING_TEST)

    check = headrace("check", "staging", "-p", str(project))
    refused = headrace("promote", "staging", "production", "-p", str(project))
    no_reason = headrace("promote", "staging", "production", "-p", str(project), "--force")
    to_canary = headrace("promote", "staging", "canary", "-p", str(project))
    forced = headrace(
        "promote", "staging", "production", "-p", str(project), "--force", "--reason", "known gap", "--json"
    )

    assert check.returncode == 1
    assert "praise is spam" in check.stdout and "FAIL" in check.stdout
    assert refused.returncode == 12
    assert "fails behavioral tests" in refused.stderr and "praise is spam: 100% failed" in refused.stderr
    assert no_reason.returncode == 12 and "--force needs --reason" in no_reason.stderr
    assert to_canary.returncode == 0  # only production is gated
    assert forced.returncode == 0, forced.stderr
    reason = json.loads(forced.stdout)["move"]["reason"]
    assert reason.startswith("known gap [forced past failing behavioral tests: praise is spam")
