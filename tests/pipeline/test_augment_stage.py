"""The augment stage of `headrace run`: recorded and cached, retrains on the copies, compared
with the same model without them, shown in the report, `--json` and `headrace augment`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from headrace.augment import AUGMENTED_FROM_COLUMN
from headrace.cli import main
from headrace.errors import AugmentationError, ProjectFileError
from headrace.pipeline import PipelineResult, preview_augmentation, run_project
from headrace.project import init_project
from headrace.store import Store

AUGMENT_PY = '''
from headrace.augment import case_tf, transformation_function, typo_tf

typos = typo_tf("content", rate=0.05)
shout = case_tf("content", mode="upper", name="shout")


@transformation_function()
def counted(row):
    """Shortens "subscribe"; leaves one line per call in tf_calls.txt (tests count calls)."""
    with open(__file__.replace("augment.py", "tf_calls.txt"), "a") as log:
        log.write("x\\n")
    text = row.content or ""
    return {**row, "content": text.replace("subscribe", "sub")} if "subscribe" in text else None
'''

AUGMENT_SECTION = "augment: {functions: augment.py, policy: random, k: 1, seed: 3, compare: true}\n"


def calls(project: Path) -> int:
    log = project / "tf_calls.txt"
    return len(log.read_text().splitlines()) if log.exists() else 0


def stages(result: object) -> dict[str, bool]:
    return {s.name: s.cached for s in result.stages}  # type: ignore[attr-defined]


@pytest.fixture
def augmented(tmp_path: Path) -> Path:
    """The example with three TFs, one logistic trial and no gold-label reference (fast)."""
    project = init_project(tmp_path / "spam", example="youtube-spam")
    config = project / "headrace.yaml"
    text = config.read_text()
    for old, new in (
        ("search: {trials: 40, timeout_s: 120}", "search: {trials: 1, timeout_s: 60}"),
        ("models: [logistic, lightgbm, linear_svm]", "models: [logistic]"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    lines = [line for line in text.splitlines(keepends=True) if "pool_labels.csv" not in line]
    lines = [line for line in lines if not line.startswith("augment:")]
    config.write_text("".join(lines) + AUGMENT_SECTION)
    (project / "augment.py").write_text(AUGMENT_PY)
    return project


def test_run_trains_on_the_copies_and_reports_their_effect(augmented: Path) -> None:
    preview = preview_augmentation(augmented, n=3)
    assert not preview.cached and len(preview.examples) == 3

    result = run_project(augmented)

    assert list(stages(result))[4:] == [
        "augment",
        "train",
        "profile",
        "evaluate",
        "register",
        "train_unaugmented",
        "evaluate_unaugmented",
    ]
    assert stages(result)["augment"] is True  # the preview's run, reused
    section = result.augmentation
    assert section is not None and section["tfs"] == ["typos", "shout", "counted"]
    assert section["rows_out"] == section["rows_in"] + section["rows_added"]
    assert section["policy"] == {"policy": "random", "k": 1, "n_per_original": 1, "keep_original": True}
    # random k=1: each training row gets one copy, made by one of the three TFs
    drawn = sum(section["per_tf"].values()) + sum(section["declined"].values()) + section["unchanged"]
    assert drawn == section["rows_in"]
    assert all(
        count > section["rows_in"] // 5 for name, count in section["per_tf"].items() if name != "counted"
    )
    assert 0 < section["per_tf"]["counted"] < section["declined"]["counted"]  # most rows lack "subscribe"
    assert len(section["examples"]) == 5
    with Store.for_project(augmented) as store:
        train = store.runs.get(next(s.run_id for s in result.stages if s.name == "train"))
        plain = store.runs.get(next(s.run_id for s in result.stages if s.name == "train_unaugmented"))
    assert train.metrics["train_rows"] == section["rows_out"]
    assert plain.metrics["train_rows"] == section["rows_in"]
    assert plain.metrics["params"] == train.metrics["params"]  # the same model, fitted without copies

    comparison = section["comparison"]
    assert comparison["family"] == "logistic"
    assert comparison["test"]["f1"]["with"] == result.test["f1"]  # type: ignore[index]
    f1 = comparison["test"]["f1"]
    assert f1["delta"] == round(f1["with"] - f1["without"], 4)
    assert set(comparison["slices"]) == set(result.slices or {})
    assert comparison["slices"]["video_psy"]["rows"] == result.slices["video_psy"]["n_rows"]  # type: ignore[index]
    assert json.loads(json.dumps(result.to_dict()))["augmentation"]["comparison"]["test"]["f1"] == f1

    report = (augmented / "report.html").read_text()
    for text in ("<h2>Augmentation</h2>", "with augmentation", "Δ f1", "counted", "#aug"):
        assert text in report, text
    _gold_rows_are_never_augmented(augmented, result)


def _gold_rows_are_never_augmented(project: Path, result: PipelineResult) -> None:
    with Store.for_project(project) as store:
        runs = {s.name: store.runs.get(s.run_id) for s in result.stages}
        rows = pq.read_table(store.objects.path(runs["augment"].outputs["augmented_rows"]))
    ingested = runs["ingest"].outputs
    assert not {"gold_dev", "gold_test"} & set(runs["augment"].inputs)
    # The search and both scorings read the gold snapshots exactly as ingested.
    assert runs["train"].inputs["gold_dev"] == ingested["gold_dev"]
    assert runs["train_unaugmented"].inputs["gold_dev"] == ingested["gold_dev"]
    assert runs["evaluate"].inputs["gold_test"] == ingested["gold_test"]
    assert runs["evaluate_unaugmented"].inputs["gold_test"] == ingested["gold_test"]
    assert result.test is not None and result.test["n_rows"] == 400
    gold_ids: set[str] = set()
    for name in ("gold_dev.csv", "gold_test.csv"):
        with (project / "data" / name).open(newline="", encoding="utf-8") as handle:
            gold_ids |= {row["comment_id"] for row in csv.DictReader(handle)}
    sources = {row_id.split("#aug")[0] for row_id in rows.column("comment_id").to_pylist()}
    assert set(rows.column(AUGMENTED_FROM_COLUMN).drop_null().to_pylist()) <= sources
    assert not sources & gold_ids


def test_an_unchanged_rerun_reapplies_nothing_and_an_edited_tf_reaugments(augmented: Path) -> None:
    first = run_project(augmented)
    section = first.augmentation
    assert section is not None
    applied = calls(augmented)
    assert applied == section["per_tf"]["counted"] + section["declined"]["counted"]

    second = run_project(augmented)
    assert all(stages(second).values()), stages(second)
    assert calls(augmented) == applied
    assert second.augmentation == first.augmentation

    module = augmented / "augment.py"
    module.write_text(
        module.read_text().replace('typo_tf("content", rate=0.05)', 'typo_tf("content", rate=0.1)')
    )
    preview = preview_augmentation(augmented, n=1)

    assert not preview.cached
    assert calls(augmented) > applied  # the policy ran again
    with Store.for_project(augmented) as store:
        train = store.runs.get(next(s.run_id for s in second.stages if s.name == "train"))
    # The train stage's cache key includes the augmented rows, so it retrains on the new ones.
    assert train.inputs["augmented_rows"] != preview.object_id


def test_editing_a_decorated_tf_changes_the_augment_cache_key(augmented: Path) -> None:
    assert not preview_augmentation(augmented, n=1).cached
    assert preview_augmentation(augmented, n=1).cached

    module = augmented / "augment.py"
    module.write_text(module.read_text().replace('"sub")', '"sub 2")'))

    assert not preview_augmentation(augmented, n=1).cached


def test_headrace_augment_prints_copies_next_to_their_originals(augmented: Path) -> None:
    runner = CliRunner()

    shown = runner.invoke(main, ["augment", "-p", str(augmented), "--n", "4", "--json"])

    assert shown.exit_code == 0, shown.output
    document = json.loads(shown.output)
    assert len(document["examples"]) == 4 and document["rows_added"] > 0
    assert all("#aug" in e["id"] and e["changes"] for e in document["examples"])
    tables = runner.invoke(main, ["augment", "-p", str(augmented), "--n", "2"])
    assert tables.exit_code == 0, tables.output
    assert "2 augmented copies" in tables.output and "; cached)" in tables.output


def test_a_failing_tf_stops_the_run_naming_the_tf_and_row(augmented: Path) -> None:
    module = augmented / "augment.py"
    module.write_text(module.read_text().replace('text = row.content or ""', "text = row.content.missing"))

    with pytest.raises(
        AugmentationError, match=r"transformation function 'counted' raised on row '.+': AttributeError"
    ):
        run_project(augmented)


def test_a_missing_augment_file_says_what_to_do(augmented: Path) -> None:
    (augmented / "augment.py").unlink()

    with pytest.raises(AugmentationError, match=r"augment.functions: .*augment.py not found; create it"):
        preview_augmentation(augmented)


def test_preview_needs_an_augment_section(augmented: Path) -> None:
    config = augmented / "headrace.yaml"
    config.write_text(config.read_text().replace(AUGMENT_SECTION, ""))

    with pytest.raises(ProjectFileError, match="no augment: section"):
        preview_augmentation(augmented)
