"""The validate stage: snapshots checked against the constraints file, before any LF runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from headrace.data import load_constraints
from headrace.errors import DataError, DataValidationError, ProjectFileError
from headrace.pipeline import analyze_lfs, run_project
from headrace.registry import list_versions
from headrace.store import RunStatus, Store
from tests.pipeline.quick import edit_rows, quick_project


def validate_runs(project: Path) -> int:
    """How many times the check really ran (a cached stage records no new run)."""
    with Store.for_project(project) as store:
        return len(store.runs.recent(kind="validate"))


def test_a_first_run_infers_the_constraints_file_and_reports_soft_violations(tmp_path: Path) -> None:
    project = quick_project(tmp_path / "spam", constraints=False)

    def new_video(rows: list[dict[str, str]]) -> None:
        for row in rows[:3]:
            row["video"] = "gangnam"

    edit_rows(project / "data" / "gold_test.csv", new_video)

    result = run_project(project)

    path = project / "constraints.yaml"
    header = path.read_text().splitlines()[:2]
    assert header[0] == "# Data constraints of project 'youtube-spam', inferred by headrace 0.1.0"
    assert "from snapshot" in header[1] and "of data/comments.csv (1433 rows)" in header[1]
    rules = load_constraints(path)
    assert rules.id == "comment_id"
    assert set(rules.columns) == {"comment_id", "author", "date", "content", "video"}
    assert [s.name for s in result.stages][:3] == ["ingest", "validate", "label"]
    assert result.model_version == 1  # soft violations do not stop the run
    validation = result.validation
    assert validation is not None and validation["inferred"] is True
    assert [r["rows"] for r in validation["reports"]] == [1433, 120, 400]  # pool, gold dev, gold test
    assert (validation["hard"], validation["soft"]) == (0, 1)
    (violation,) = validation["reports"][2]["violations"]
    assert (violation["column"], violation["rule"], violation["count"]) == ("video", "categories", 3)
    assert [e["value"] for e in violation["examples"]] == ["gangnam"] * 3
    report = (project / "report.html").read_text()
    assert "Data validation" in report and "1 soft violation(s)" in report
    assert "gold_test (data/gold_test.csv)" in report and "gangnam" in report

    again = analyze_lfs(project)  # the file now exists: loaded, not inferred, and the check is cached

    assert again.validation is not None and again.validation.inferred is False
    assert validate_runs(project) == 1


def test_a_hard_violation_stops_the_run_before_labeling_and_registers_nothing(tmp_path: Path) -> None:
    project = quick_project(tmp_path / "spam")
    analyze_lfs(project)  # the first snapshot passes

    def stray_date(rows: list[dict[str, str]]) -> None:
        rows[3]["date"] = "yesterday"

    edit_rows(project / "data" / "comments.csv", stray_date)
    edit_rows(project / "data" / "gold_test.csv", lambda rows: [row.pop("video") for row in rows])

    with pytest.raises(DataValidationError) as raised:
        run_project(project)

    message = str(raised.value)
    assert message.startswith("data validation: 2 hard violation(s) of constraints.yaml; nothing was labeled")
    assert (
        "unlabeled (data/comments.csv): column 'date' was read as text, expected timestamp: "
        "1 value(s) do not look like a timestamp; e.g. 'z13jhp0bxqncu512g22wvzkasxmvvzjaz04' = 'yesterday'"
    ) in message
    assert "gold_test (data/gold_test.csv): column 'video' is missing (required)" in message
    assert "edit " in message and "severity: soft reports a rule without stopping the run" in message
    assert isinstance(raised.value, DataError) and raised.value.exit_code == 13
    with Store.for_project(project) as store:
        assert list_versions(store) == []
        (pipeline, *_) = store.runs.recent(kind="pipeline", limit=1)
        assert pipeline.status == RunStatus.FAILED and pipeline.error == message
        (check, *_) = store.runs.recent(kind="validate", limit=1)
        assert (
            check.status == RunStatus.SUCCEEDED and check.metrics["hard"] == 2 and not check.metrics["passed"]
        )
        assert store.runs.recent(kind="label", limit=1)[0].started_at < check.started_at  # only the first one


def test_an_edited_constraints_file_is_honored_and_changes_the_cache_key(tmp_path: Path) -> None:
    project = quick_project(tmp_path / "spam")
    analyze_lfs(project)
    path = project / "constraints.yaml"
    text = path.read_text()
    tightened = text.replace(
        "      values: [eminem, katyperry, lmfao, psy, shakira]\n      severity: soft",
        "      values: [eminem, katyperry, lmfao, shakira]\n      severity: hard",
    )
    assert tightened != text
    path.write_text(tightened)

    with pytest.raises(
        DataValidationError, match=r"column 'video' has values outside its 4 categories: \d+ of"
    ):
        analyze_lfs(project)
    assert validate_runs(project) == 2

    path.write_text("# only a comment added: the rules are the same\n" + text)
    analyze_lfs(project)
    assert validate_runs(project) == 2  # the original rules' run, reused


def test_validation_can_be_turned_off(tmp_path: Path) -> None:
    project = quick_project(tmp_path / "spam", constraints=False)
    config = project / "headrace.yaml"
    config.write_text(config.read_text().replace("constraints: constraints.yaml", "enabled: false"))

    result = analyze_lfs(project)

    assert result.validation is None
    assert validate_runs(project) == 0
    assert not (project / "constraints.yaml").exists()


def test_a_broken_constraints_file_names_the_rule(tmp_path: Path) -> None:
    project = quick_project(tmp_path / "spam")
    path = project / "constraints.yaml"
    path.write_text(path.read_text().replace("max_rate: 0.197", "max_rate: 2"))

    with pytest.raises(
        ProjectFileError, match=r"columns\.date\.nulls\.max_rate: Input should be less than or equal to 1"
    ):
        analyze_lfs(project)
