"""The `headrace` command, run as a real subprocess the way a user runs it."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from headrace.store import RunStatus, Store
from tests.conftest import shorten_search

HEADRACE = [sys.executable, "-m", "headrace.cli"]


def headrace(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HEADRACE, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def test_init_run_lineage_end_to_end(tmp_path: Path) -> None:
    init = headrace("init", str(tmp_path / "spam"), "--example", "youtube-spam")
    assert init.returncode == 0, init.stderr
    shorten_search(tmp_path / "spam")

    first = headrace("run", "--json", cwd=tmp_path / "spam")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["model_version"] == 1
    assert set(summary["test"]) >= {"accuracy", "f1"}
    assert list(summary["stages"]) == [
        "ingest",
        "validate",
        "label",
        "label_model",
        "train",
        "profile",
        "evaluate",
        "register",
        "reference",
        "evaluate_reference",
    ]
    assert not any(s["cached"] for s in summary["stages"].values())
    assert summary["search"]["n_trials"] >= 1 and summary["search"]["family"] in (
        "logistic",
        "lightgbm",
        "linear_svm",
    )
    assert set(summary["slices"]) >= {"short_comment", "video_psy"}
    assert set(summary["gold_reference"]["gap"]) == {"accuracy", "f1", "f1_macro"}

    again = json.loads(headrace("run", "--json", cwd=tmp_path / "spam").stdout)
    assert all(s["cached"] for s in again["stages"].values())

    lineage = headrace("lineage", "staging", "--json", "-p", str(tmp_path / "spam"))
    assert lineage.returncode == 0, lineage.stderr
    tree = json.loads(lineage.stdout)
    assert tree["model_version"] == 1 and "staging" in tree["aliases"]

    text = headrace("lineage", "1", "-p", str(tmp_path / "spam"))
    assert "LF check_out source" in text.stdout and "ingest run" in text.stdout


def test_run_prints_summary_table(example: Path) -> None:
    result = headrace("run", "-p", str(example))
    assert result.returncode == 0, result.stderr
    assert "registered model v1 as 'staging'" in result.stdout
    assert "f1" in result.stdout


@pytest.mark.parametrize(
    ("edit", "code", "message"),
    [
        (lambda s: s.replace("id: comment_id", "id: 7"), 2, "data.id: Input should be a valid string"),
        (lambda s: s.replace("name: youtube-spam\n", ""), 2, "name: is required but missing"),
        (lambda s: s + "trian: {}\n", 2, "trian: is not a known setting"),
        (lambda s: s.replace("data/comments.csv", "data/nothing-*.csv"), 3, "matches no file"),
        (lambda s: s.replace("functions: lfs.py", "functions: missing.py"), 4, "missing.py: file not found"),
    ],
)
def test_bad_project_file_exits_non_zero_with_message(
    example: Path, edit: object, code: int, message: str
) -> None:
    config = example / "headrace.yaml"
    config.write_text(edit(config.read_text()))  # type: ignore[operator]

    result = headrace("run", "-p", str(example))

    assert result.returncode == code
    assert message in " ".join(result.stderr.split()), result.stderr


def test_unknown_model_ref_lists_aliases(example: Path) -> None:
    headrace("run", "-p", str(example))
    result = headrace("lineage", "production", "-p", str(example))
    assert result.returncode == 9
    assert "no model version or alias 'production'" in result.stderr
    assert "staging" in result.stderr


def test_kill_9_mid_run_then_rerun_leaves_a_consistent_store(example: Path) -> None:
    lfs = example / "lfs.py"
    slow = (
        "\n\n@labeling_function()\ndef slow(row) -> int:\n"
        "    import time\n    time.sleep(0.004)\n    return ABSTAIN\n"
    )
    lfs.write_text(lfs.read_text() + slow)
    process = subprocess.Popen(
        [*HEADRACE, "run", "-p", str(example)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    db = example / ".headrace" / "headrace.db"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if db.exists() and _running_kinds(db) & {"label"}:
            break
        time.sleep(0.05)
    else:
        process.kill()
        pytest.fail("the run never reached the label stage")
    time.sleep(0.3)  # well inside applying the slow LF
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)

    rerun = headrace("run", "--json", "-p", str(example))

    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["model_version"] == 1
    with Store.for_project(example) as store:
        interrupted = [r for r in store.runs.recent(limit=100) if r.error and "interrupted" in r.error]
        assert {r.kind for r in interrupted} == {"pipeline", "label"}
        assert not store.runs.recent(status=RunStatus.RUNNING)
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def _running_kinds(db: Path) -> set[str]:
    try:
        with sqlite3.connect(db, timeout=1) as connection:
            rows = connection.execute("SELECT kind FROM runs WHERE status = 'running'").fetchall()
    except sqlite3.OperationalError:
        return set()
    return {row[0] for row in rows}


def test_lfs_summarizes_every_lf_with_failures(example: Path) -> None:
    config = example / "headrace.yaml"
    config.write_text(
        config.read_text().replace("label_model: auto", "label_model: auto\n  on_error: abstain")
    )
    lfs = example / "lfs.py"
    lfs.write_text(
        lfs.read_text() + "\n\n@labeling_function()\ndef fragile(row) -> int:\n"
        "    if 'subscribe' in row.content.lower():\n        raise KeyError('boom')\n    return ABSTAIN\n"
    )

    result = headrace("lfs", "--json", "-p", str(example))

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    by_name = {row["lf"]: row for row in summary["lfs"]}
    assert len(by_name) == 13
    assert by_name["fragile"]["failures"] > 10 and by_name["check_out"]["failures"] == 0
    assert 0 < by_name["check_out"]["coverage"] < 1 and by_name["check_out"]["emp_accuracy"] > 0.8
    assert "KeyError: 'boom'" in summary["failure_examples"]["fragile"][0]["error"]

    text = headrace("lfs", "--sort", "coverage", "-p", str(example))
    assert text.returncode == 0 and "fragile failed on rows" in text.stdout

    wrong = headrace("lfs", "--sort", "nope", "-p", str(example))
    assert wrong.returncode == 2 and "choose one of" in wrong.stderr
