"""`headrace validate`, and `headrace run` stopping on a hard violation, as real subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from headrace.cli import main
from headrace.project import init_project
from tests.pipeline.quick import edit_rows

HEADRACE = [sys.executable, "-m", "headrace.cli"]


def headrace(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HEADRACE, *args], capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return init_project(tmp_path / "spam", example="youtube-spam")


def break_data(project: Path) -> None:
    """A stray date in the pool (hard: the column is no longer a timestamp) and a new video (soft)."""

    def change(rows: list[dict[str, str]]) -> None:
        rows[3]["date"] = "yesterday"
        rows[5]["video"] = "gangnam"

    edit_rows(project / "data" / "comments.csv", change)


def test_the_example_data_keeps_its_shipped_constraints(project: Path) -> None:
    result = headrace("validate", "-p", str(project))

    assert result.returncode == 0, result.stderr
    assert "data validation: 1953 rows of 3 source(s) keep all 57 rules of constraints.yaml" in result.stdout


def test_violations_are_listed_and_a_hard_one_exits_13(project: Path) -> None:
    break_data(project)

    text = headrace("validate", "-p", str(project))
    as_json = headrace("validate", "--json", "-p", str(project))

    assert text.returncode == as_json.returncode == 13
    flat = " ".join(text.stdout.split())
    assert "date │ type │ hard │ 1 │ 0.1%" in flat and "video │ categories │ soft │ 1 │ 0.1%" in flat
    assert "1 hard, 1 soft violation(s) in 1953 rows of 3 source(s)" in flat
    assert "error: 1 hard violation(s) of constraints.yaml" in text.stderr
    payload = json.loads(as_json.stdout)
    assert (payload["ok"], payload["hard"], payload["soft"]) == (False, 1, 1)
    (pool, _dev, _test) = payload["reports"]
    assert pool["source"] == "unlabeled (data/comments.csv)" and pool["rows"] == 1433
    date = next(v for v in pool["violations"] if v["rule"] == "type")
    assert date["examples"] == [{"row": 3, "id": "z13jhp0bxqncu512g22wvzkasxmvvzjaz04", "value": "yesterday"}]


def test_run_stops_on_a_hard_violation_with_the_message_and_exit_13(project: Path) -> None:
    break_data(project)

    result = headrace("run", "-p", str(project))

    assert result.returncode == 13
    message = " ".join(result.stderr.split())
    assert "error: data validation: 1 hard violation(s) of constraints.yaml; nothing was labeled" in message
    assert "column 'date' was read as text, expected timestamp" in message
    assert "registered model" not in result.stdout
    models = headrace("models", "--json", "-p", str(project))
    assert json.loads(models.stdout) == []


def test_infer_writes_the_file_and_refuses_to_overwrite_it_without_the_flag(project: Path) -> None:
    shipped = (project / "constraints.yaml").read_text()

    refused = headrace("validate", "--infer", "-p", str(project))

    assert refused.returncode == 2
    assert "constraints.yaml already exists; pass --overwrite" in " ".join(refused.stderr.split())
    assert (project / "constraints.yaml").read_text() == shipped

    written = headrace("validate", "--infer", "--overwrite", "--json", "-p", str(project))

    assert written.returncode == 0, written.stderr
    assert json.loads(written.stdout)["columns"]["video"]["categories"]["values"] == [
        "eminem",
        "katyperry",
        "lmfao",
        "psy",
        "shakira",
    ]
    assert (
        (project / "constraints.yaml")
        .read_text()
        .startswith("# Data constraints of project 'youtube-spam', inferred by headrace")
    )


def test_validate_without_a_constraints_file_says_how_to_get_one(project: Path) -> None:
    (project / "constraints.yaml").unlink()

    result = CliRunner().invoke(main, ["validate", "-p", str(project)])

    assert result.exit_code == 2
    assert "write one with `headrace validate --infer`" in " ".join(result.stderr.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--overwrite"], "--overwrite only applies with --infer"),
        (["--infer", "--traffic"], "does not combine with --traffic"),
        (["--model", "production"], "--model only applies with --traffic"),
    ],
)
def test_contradictory_flags_are_usage_errors(project: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["validate", *args, "-p", str(project)])

    assert result.exit_code == 2 and message in result.stderr
