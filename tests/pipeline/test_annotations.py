"""Hand annotations: checking a file, versions in the store, and training on them.

The loop under test is the user's: ``suggest_rows`` → a person fills the label column
(here the pool's withheld truth, ``pool_labels.csv``, plays that person) →
``import_annotations`` → ``run_project``.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from headrace.errors import DataError, NotFoundError
from headrace.pipeline import (
    Annotations,
    current_annotations,
    import_annotations,
    run_project,
    suggest_rows,
)
from headrace.pipeline.annotations import (
    ANNOTATIONS_RUN,
    annotate_training_labels,
    merge_annotations,
    read_annotation_file,
)
from headrace.store import Store

CLASSES = ["ham", "spam"]
#: Pool rows some LF votes on, in the example.
COVERED_ROWS = 1322


def write_csv(path: Path, rows: list[tuple[str, str]], header: str = "comment_id,label") -> Path:
    path.write_text(header + "\n" + "".join(f"{i},{label}\n" for i, label in rows))
    return path


def read(path: Path, **overrides: object) -> object:
    arguments: dict[str, object] = {
        "id_column": "comment_id",
        "label_column": "label",
        "classes": CLASSES,
        "pool": {"a", "b", "c", "007"},
        "gold": {"g": "data.gold.test"},
    }
    return read_annotation_file(path, **(arguments | overrides))  # type: ignore[arg-type]


def oracle(project: Path) -> dict[str, str]:
    """The pool's true labels: the annotator of these tests."""
    truth = pd.read_csv(project / "data" / "pool_labels.csv", dtype=str)
    return dict(zip(truth["comment_id"], truth["label"], strict=True))


def fill(suggestions: Path, labels: dict[str, str], rows: int | None = None) -> Path:
    """Fill the label column of a suggestions file the way an annotator would."""
    frame = pd.read_csv(suggestions, dtype=str, keep_default_na=False)
    if rows is not None:
        frame = frame.iloc[:rows]
    frame["label"] = frame["comment_id"].map(labels)
    filled = suggestions.with_name(f"filled-{suggestions.name}")
    frame.to_csv(filled, index=False)
    return filled


# -- the file ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("a", "ham"), ("zzz", "spam")], r"row 2 \(id 'zzz'\): no such id in the unlabeled pool"),
        ([("a", "spma")], r"row 1 \(id 'a'\): label 'spma' is not one of \['ham', 'spam'\] \(task.labels\)"),
        (
            [("a", "ham"), ("b", "ham"), ("a", "spam")],
            r"row 3 \(id 'a'\): labels the id 'spam', but row 1 labels it 'ham'; keep one",
        ),
        ([("g", "ham")], r"row 1 \(id 'g'\): is a gold row \(data.gold.test\)"),
        ([("", "ham")], r"row 1: has a label but no 'comment_id'"),
    ],
)
def test_a_bad_row_is_named_with_its_fix(tmp_path: Path, rows: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(DataError, match=message):
        read(write_csv(tmp_path / "labels.csv", rows))


def test_every_bad_row_is_listed_at_once(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "labels.csv", [("x1", "ham"), ("a", "ham"), ("x2", "nope")])

    with pytest.raises(DataError, match=r"2 row\(s\) cannot be imported; nothing was") as error:
        read(path)

    assert "row 1 (id 'x1')" in str(error.value) and "row 3 (id 'x2')" in str(error.value)


def test_a_file_without_the_label_column_says_which_columns_it_needs(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "labels.csv", [("a", "ham")], header="comment_id,class")

    with pytest.raises(DataError, match=r"has no column 'label'.*columns present: \['comment_id', 'class'\]"):
        read(path)


def test_blank_labels_are_skipped_and_ids_are_read_as_text(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "labels.csv", [("007", " spam "), ("a", ""), ("b", "ham"), ("b", "ham")])

    parsed = read(path)

    assert parsed.labels == {"007": "spam", "b": "ham"}  # type: ignore[attr-defined]
    assert parsed.rows == 4 and parsed.skipped == 1  # type: ignore[attr-defined]


def test_a_relabel_takes_the_new_label_and_is_reported() -> None:
    merge = merge_annotations({"a": "ham", "b": "spam"}, {"b": "ham", "c": "spam", "a": "ham"})

    assert merge.labels == {"a": "ham", "b": "ham", "c": "spam"}
    assert merge.added == ["c"] and merge.relabeled == [("b", "spam", "ham")] and merge.unchanged == 1
    assert not merge_annotations({"a": "ham"}, {"a": "ham"}).changed


def test_annotated_rows_train_on_their_hand_label() -> None:
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5], [0.6, 0.4]])
    covered = np.array([True, True, False, True])
    annotations = Annotations("oid", 3, "run", {"r1": "ham", "r2": "spam", "gone": "ham"})

    result = annotate_training_labels(["r0", "r1", "r2", "r3"], probs, covered, annotations, CLASSES)

    assert result.probs.tolist() == [[0.9, 0.1], [1.0, 0.0], [0.0, 1.0], [0.6, 0.4]]
    assert result.annotated.tolist() == [False, True, True, False]
    assert result.to_dict() == {
        "version": 3,
        "used": 2,
        "differ_from_label_model": 1,  # r1: the label model said spam
        "uncovered": 1,  # r2
        "missing": 1,  # "gone" is no longer in the pool
    }
    assert probs[1].tolist() == [0.2, 0.8]  # the weak labels are not modified in place


def test_a_stored_label_that_is_no_longer_a_class_is_an_error() -> None:
    annotations = Annotations("oid", 2, "run", {"r0": "maybe"})

    with pytest.raises(
        DataError, match=r"annotations v2 use label\(s\) \['maybe'\], which are not in task.labels"
    ):
        annotate_training_labels(["r0"], np.array([[0.5, 0.5]]), np.array([True]), annotations, CLASSES)


# -- versions in the store -------------------------------------------------------------------------


def annotation_runs(project: Path) -> int:
    with Store.for_project(project) as store:
        return len(store.runs.recent(kind=ANNOTATIONS_RUN))


def test_a_bad_file_stores_nothing(example: Path, tmp_path: Path) -> None:
    pool = list(oracle(example).items())
    path = write_csv(tmp_path / "labels.csv", [pool[0], ("not-a-comment", "ham"), pool[1]])

    with pytest.raises(DataError, match=r"row 2 \(id 'not-a-comment'\): no such id in the unlabeled pool"):
        import_annotations(example, path)

    assert annotation_runs(example) == 0
    with Store.for_project(example) as store:
        assert current_annotations(store, "youtube-spam") is None


def test_each_import_is_a_new_version_that_includes_the_previous(example: Path, tmp_path: Path) -> None:
    pool = list(oracle(example).items())
    first = import_annotations(example, write_csv(tmp_path / "one.csv", pool[:10]))
    flipped = (pool[0][0], "spam" if pool[0][1] == "ham" else "ham")
    second_file = write_csv(tmp_path / "two.csv", [flipped, *pool[10:15]])

    second = import_annotations(example, second_file)
    again = import_annotations(example, second_file)

    assert (first.version, first.total, first.added) == (1, 10, 10)
    assert (second.version, second.total, second.added, second.previous_version) == (2, 15, 5, 1)
    assert second.relabeled == [(pool[0][0], pool[0][1], flipped[1])]
    assert not again.changed and again.version == 2 and annotation_runs(example) == 2
    with Store.for_project(example) as store:
        current = current_annotations(store, "youtube-spam")
        assert current is not None and current.version == 2
        assert current.labels == dict([*pool[1:15], flipped])
        v2 = store.runs.get(current.run_id)
        assert v2.inputs["previous"] == store.runs.get(first.run_id or "").outputs[ANNOTATIONS_RUN]


def test_two_imports_at_once_keep_both_files_labels(example: Path, tmp_path: Path) -> None:
    # Each import reads the current version and records the next; run side by side
    # without the lock, both would build on "no version" and one file would be lost.
    pool = list(oracle(example).items())
    files = [write_csv(tmp_path / "one.csv", pool[:10]), write_csv(tmp_path / "two.csv", pool[10:20])]
    start = threading.Barrier(2)

    def run(path: Path) -> int | None:
        start.wait()
        return import_annotations(example, path).version

    with ThreadPoolExecutor(2) as pool_of_two:
        versions = sorted(v or 0 for v in pool_of_two.map(run, files))

    assert versions == [1, 2]
    with Store.for_project(example) as store:
        current = current_annotations(store, "youtube-spam")
        assert current is not None and current.version == 2
        assert current.labels == dict(pool[:20])


# -- suggestions ---------------------------------------------------------------------------------


def test_suggest_writes_a_ranked_csv_to_fill_and_never_overwrites(example: Path) -> None:
    result = suggest_rows(example, n=20, strategy="uncertainty")

    frame = pd.read_csv(result.path, dtype=str, keep_default_na=False)
    assert result.path == example / "suggestions.csv" and result.rows == len(frame) == 20
    assert list(frame.columns[:6]) == [
        "comment_id",
        "label",
        "suggest_rank",
        "suggest_score",
        "suggest_guess",
        "suggest_confidence",
    ]
    assert {"content", "author", "video"} <= set(frame.columns)
    assert (frame["label"] == "").all() and frame["suggest_rank"].tolist() == [str(i) for i in range(1, 21)]
    scores = frame["suggest_score"].astype(float)
    assert scores.is_monotonic_decreasing and set(frame["suggest_guess"]) <= set(CLASSES)
    with pytest.raises(DataError, match=r"suggestions\.csv: exists .*pass --overwrite"):
        suggest_rows(example, n=20)
    with Store.for_project(example) as store:
        run = store.runs.get(result.run_id)
        assert run.kind == "suggestions" and run.params["strategy"] == "uncertainty"
        assert set(run.inputs) == {"snapshot", "label_matrix", "training_labels"}
        assert store.objects.read_bytes(run.outputs["suggestions"]) == result.path.read_bytes()


def test_suggest_leaves_out_annotated_rows(example: Path) -> None:
    first = suggest_rows(example, n=15, strategy="lf-conflict")
    import_annotations(example, fill(first.path, oracle(example), rows=5))
    annotated = set(pd.read_csv(first.path, dtype=str)["comment_id"][:5])

    second = suggest_rows(example, n=15, strategy="lf-conflict", overwrite=True)

    ids = set(pd.read_csv(second.path, dtype=str)["comment_id"])
    assert not ids & annotated and second.excluded == 5
    with Store.for_project(example) as store:
        assert "annotations" in store.runs.get(second.run_id).inputs


def test_suggest_into_a_missing_folder_says_so(example: Path) -> None:
    with pytest.raises(DataError, match=r"x\.csv: folder .*nope does not exist"):
        suggest_rows(example, output=example / "nope" / "x.csv")


def test_disagreement_needs_a_trained_model(example: Path) -> None:
    with pytest.raises(NotFoundError, match="run `headrace run` to train and register a model"):
        suggest_rows(example, strategy="disagreement")


# -- the loop, end to end --------------------------------------------------------------------------


@pytest.fixture
def quick_example(example: Path) -> Path:
    """The example without the gold-label reference model and with a logistic-only search."""
    config = example / "headrace.yaml"
    text = config.read_text()
    quick = re.sub(r"\n\s*train: data/pool_labels.csv[^\n]*", "", text)
    quick = quick.replace("models: [logistic, lightgbm, linear_svm]", "models: [logistic]")
    assert quick.count("\n") == text.count("\n") - 1 and "models: [logistic]" in quick
    config.write_text(quick)
    return example


def test_annotations_retrain_the_model_and_nothing_upstream(quick_example: Path) -> None:
    baseline = run_project(quick_example)
    suggestions = suggest_rows(quick_example, n=30, strategy="uncovered")
    import_annotations(quick_example, fill(suggestions.path, oracle(quick_example)))

    annotated = run_project(quick_example)
    rerun = run_project(quick_example)

    cached = {s.name: s.cached for s in annotated.stages}
    assert cached["ingest"] and cached["label"] and cached["label_model"]
    assert not cached["train"] and annotated.model_version == baseline.model_version + 1
    train = {s.name: s for s in annotated.stages}["train"]
    # Uncovered rows are left out of training (train.drop_uncovered) unless annotated.
    assert {s.name: s for s in baseline.stages}["train"].detail["train_rows"] == COVERED_ROWS
    assert train.detail["train_rows"] == COVERED_ROWS + 30
    assert annotated.annotations == {
        "version": 1,
        "used": 30,
        "differ_from_label_model": 0,  # uncovered rows: the label model has no guess to differ from
        "uncovered": 30,
        "missing": 0,
    }
    assert "30</b> hand-annotated rows used in training" in (quick_example / "report.html").read_text()
    assert all(s.cached for s in rerun.stages) and rerun.model_version == annotated.model_version
    with Store.for_project(quick_example) as store:
        train_run = store.runs.get(train.run_id)
        assert train_run.inputs["annotations"] == current_annotations(store, "youtube-spam").object_id  # type: ignore[union-attr]
    # The registered model is what disagreement compares with.
    disagreement = suggest_rows(quick_example, n=5, strategy="disagreement", output=quick_example / "d.csv")
    assert disagreement.model_version == annotated.model_version and disagreement.excluded == 30
