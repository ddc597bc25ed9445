"""`run_project`: the whole pipeline, its cache, and its failure modes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from headrace.errors import DataError, LabelingFunctionError, ProjectFileError
from headrace.pipeline import run_project
from headrace.project import init_project
from headrace.registry import get_version, load_model, model_lineage
from headrace.store import RunStatus, Store
from tests.conftest import count_calls, shorten_search

POOL_ROWS, DEV_ROWS = 1433, 120


def stages(result: object) -> dict[str, bool]:
    return {s.name: s.cached for s in result.stages}  # type: ignore[attr-defined]


def test_first_run_trains_registers_and_reports(counted_example: Path) -> None:
    result = run_project(counted_example)

    assert result.model_version == 1
    assert result.alias == "staging"
    assert result.test is not None and result.test["f1"] > 0.85 and result.test["n_rows"] == 400
    assert not any(stages(result).values())
    assert count_calls(counted_example) == POOL_ROWS + DEV_ROWS
    report = (counted_example / "report.html").read_text()
    assert "Confusion matrix" in report and "check_out" in report
    for section in ("Model search", "Reliability", "Slices (gold test)", "Weak supervision vs gold labels"):
        assert section in report, section
    assert result.gold_reference is not None and result.gold_reference["train_rows"] == POOL_ROWS
    assert result.slices is not None and result.slices["video_psy"]["n_rows"] > 0
    assert "<script src=" not in report  # Plotly is inlined: the report works offline
    with Store.for_project(counted_example) as store:
        version = get_version(store, "staging")
        assert version.version == 1 and version.metrics["f1"] == result.test["f1"]
        assert load_model(store, "staging").classes == ["ham", "spam"]


def test_unchanged_rerun_recomputes_nothing(counted_example: Path) -> None:
    first = run_project(counted_example)
    calls = count_calls(counted_example)

    second = run_project(counted_example)

    assert all(stages(second).values()), stages(second)
    assert count_calls(counted_example) == calls
    assert second.model_version == first.model_version
    assert second.test == first.test


def test_editing_one_lf_reapplies_only_that_lf(counted_example: Path) -> None:
    run_project(counted_example)
    calls = count_calls(counted_example)
    lfs = counted_example / "lfs.py"
    source = lfs.read_text()
    edited = re.sub(r'keyword_lf\(\s*"check_out",\s*\[', 'keyword_lf("check_out", ["click here", ', source)
    assert edited != source
    lfs.write_text(edited)

    result = run_project(counted_example)

    assert count_calls(counted_example) == calls  # the counting LF was not re-run
    label = next(s for s in result.stages if s.name == "label")
    assert not label.cached and label.detail["lfs_applied"] == 1
    assert stages(result)["ingest"] is True
    assert stages(result)["label_model"] is False  # downstream of the edit: recomputed


def test_editing_the_counting_lf_reapplies_it(counted_example: Path) -> None:
    run_project(counted_example)
    calls = count_calls(counted_example)
    lfs = counted_example / "lfs.py"
    lfs.write_text(lfs.read_text().replace("return ABSTAIN\n", "return ABSTAIN  # edited\n"))

    run_project(counted_example)

    assert count_calls(counted_example) == calls + POOL_ROWS + DEV_ROWS


def test_new_data_creates_a_new_snapshot_and_model(example: Path) -> None:
    first = run_project(example)
    comments = example / "data" / "comments.csv"
    lines = comments.read_text().splitlines(keepends=True)
    comments.write_text("".join(lines[:-200]))

    second = run_project(example)

    assert stages(second)["ingest"] is False
    assert second.model_version == first.model_version + 1


def test_headrace_db_puts_the_metadata_elsewhere(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "team.db"
    monkeypatch.setenv("HEADRACE_DB", f"sqlite:///{elsewhere}")

    result = run_project(example)

    assert elsewhere.is_file()
    assert not (example / ".headrace" / "headrace.db").exists()
    with Store.for_project(example) as store:
        assert store.runs.get(result.run_id).status == RunStatus.SUCCEEDED


def test_lineage_reaches_lfs_and_snapshot(example: Path) -> None:
    run_project(example)
    with Store.for_project(example) as store:
        lineage = model_lineage(store, "staging")
    tree = lineage.to_dict()["lineage"]
    assert tree["kind"] == "model" and tree["run"]["kind"] == "train"
    labels = next(n for n in tree["inputs"] if n["role"] == "training_labels")
    matrix = next(n for n in labels["inputs"] if n["role"] == "label_matrix")
    snapshot = next(n for n in matrix["inputs"] if n["role"] == "snapshot")
    assert snapshot["run"]["kind"] == "ingest"
    names = {n.meta["name"] for n in lineage.lf_versions()}
    assert {"check_out", "has_url", "short_comment"} <= names
    assert all(len(n.meta["source_hash"]) == 64 for n in lineage.lf_versions())


def test_lf_that_raises_fails_the_run_and_a_fix_recovers(example: Path) -> None:
    lfs = example / "lfs.py"
    good = lfs.read_text()
    lfs.write_text(
        good
        + "\n\n@labeling_function()\ndef fragile(row) -> int:\n"
        + "    if 'subscribe' in row.content.lower():\n        raise KeyError('boom')\n"
        + "    return ABSTAIN\n"
    )

    with pytest.raises(
        LabelingFunctionError, match=r"labeling function 'fragile' raised on row '.+'.*KeyError"
    ):
        run_project(example)

    with Store.for_project(example) as store:
        failed = store.runs.recent(status=RunStatus.FAILED)
        assert {r.kind for r in failed} == {"label", "pipeline"}
        assert "fragile" in (failed[0].error or "")
        assert not store.runs.recent(kind="lf_apply")  # nothing half-written
    lfs.write_text(good)
    result = run_project(example)
    assert result.model_version == 1


def test_on_error_abstain_records_failures(example: Path) -> None:
    config = example / "headrace.yaml"
    config.write_text(
        config.read_text().replace("label_model: auto", "label_model: auto\n  on_error: abstain")
    )
    lfs = example / "lfs.py"
    lfs.write_text(
        lfs.read_text()
        + "\n\n@labeling_function()\ndef fragile(row) -> int:\n"
        + "    if 'subscribe' in row.content.lower():\n        raise KeyError('boom')\n"
        + "    return ABSTAIN\n"
    )

    result = run_project(example)

    failures = int(result.lf_summary.loc["fragile", "failures"])
    assert failures > 10
    assert int(result.lf_summary.loc["check_out", "failures"]) == 0


def test_lf_module_that_fails_to_import_names_the_line(example: Path) -> None:
    lfs = example / "lfs.py"
    lfs.write_text(lfs.read_text() + "\nraise RuntimeError('bad import')\n")

    with pytest.raises(LabelingFunctionError, match=r"lfs\.py \(line \d+\): failed to import: RuntimeError"):
        run_project(example)


def test_malformed_data_file_names_the_file(example: Path) -> None:
    (example / "data" / "comments.csv").write_text('comment_id,content\n"a,"broken\nb,ok,extra,fields\n')

    with pytest.raises(DataError, match=r"comments\.csv"):
        run_project(example)


def test_gold_label_outside_the_classes_names_row_and_choices(example: Path) -> None:
    dev = example / "data" / "gold_dev.csv"
    dev.write_text(dev.read_text().replace(",ham\n", ",maybe\n", 1))

    with pytest.raises(DataError, match=r"gold_dev\.csv: row '.+' has label 'maybe'.*\['ham', 'spam'\]"):
        run_project(example)


def test_invalid_project_file_names_key_and_value(example: Path) -> None:
    config = example / "headrace.yaml"
    config.write_text(config.read_text().replace("metric: f1", "metric: f2"))

    with pytest.raises(ProjectFileError, match=r"train\.metric: .*'f2'"):
        run_project(example)


def test_the_engine_setting_changes_where_lfs_run_not_the_result(tmp_path: Path) -> None:
    local = init_project(tmp_path / "local", example="youtube-spam")
    pooled = init_project(tmp_path / "pooled", example="youtube-spam")
    shorten_search(local)
    shorten_search(pooled)
    config = pooled / "headrace.yaml"
    config.write_text(config.read_text() + "engine: {kind: processes, workers: 2}\n")

    results = [run_project(local), run_project(pooled)]

    matrices = []
    for project, result in zip((local, pooled), results, strict=True):
        with Store.for_project(project) as store:
            label_run = next(s.run_id for s in result.stages if s.name == "label")
            matrices.append(store.runs.get(label_run).outputs["label_matrix"])
    assert matrices[0] == matrices[1]  # content-addressed: the same matrix, byte for byte
    assert results[0].test == results[1].test


def test_a_missing_slices_file_names_the_setting(example: Path) -> None:
    (example / "slices.py").unlink()

    with pytest.raises(DataError, match=r"slices: .*slices\.py not found \(set slices: to a Python file"):
        run_project(example)


def test_gold_train_labels_for_other_rows_are_refused(example: Path) -> None:
    labels = example / "data" / "pool_labels.csv"
    labels.write_text("comment_id,label\nnot-a-pool-id,spam\n")

    with pytest.raises(DataError, match=r"data\.gold\.train: none of its ids are in the unlabeled pool"):
        run_project(example)
