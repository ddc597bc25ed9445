"""The search on the bundled youtube-spam example: 40 trials within a minute on 2 cores.

Weak labels come from the example's own LFs and the default label model, exactly as
``headrace run`` makes them; the dev rows are the 120 gold dev rows.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from headrace.data import prepare_frame, read_table
from headrace.project import FeaturesConfig, SearchConfig, TrainConfig, import_project_module
from headrace.supervision import apply_lfs, choose_label_model, collect_lfs
from headrace.train import DevSet, TrainingSet, evaluate_predictions, search_model

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "youtube-spam"
FEATURES = FeaturesConfig(text=["content"])
CLASSES = ["ham", "spam"]


def gold(name: str) -> tuple[object, np.ndarray]:
    table = read_table(EXAMPLE / "data" / name)
    labels = np.array([CLASSES.index(v) for v in table.column("label").to_pylist()], dtype=np.int64)
    return table, labels


@pytest.mark.slow
def test_forty_trials_over_three_families_finish_within_a_minute(tmp_path: Path) -> None:
    pool = read_table(EXAMPLE / "data" / "comments.csv")
    dev_table, y_dev = gold("gold_dev.csv")
    test_table, y_test = gold("gold_test.csv")
    lfs = collect_lfs(import_project_module(EXAMPLE / "lfs.py"))
    L = apply_lfs(lfs, pool, id_column="comment_id", cardinality=2).matrix.values
    L_dev = apply_lfs(lfs, dev_table, id_column="comment_id", cardinality=2).matrix.values
    probs = choose_label_model("auto", L, cardinality=2, L_dev=L_dev, y_dev=y_dev).model.predict_proba(L)
    covered = (L >= 0).any(axis=1)
    training = TrainingSet(prepare_frame(pool.filter(covered), FEATURES), probs[covered])
    train = TrainConfig(search=SearchConfig(trials=40, timeout_s=None))

    started = time.perf_counter()
    result = search_model(
        training,
        classes=CLASSES,
        features=FEATURES,
        train=train,
        storage=f"sqlite:///{tmp_path / 'headrace.db'}",
        study_name="youtube-spam",
        dev=DevSet(prepare_frame(dev_table, FEATURES), y_dev),
    )
    seconds = time.perf_counter() - started

    assert len(result.trials) == 40
    assert seconds < 60, f"40 trials took {seconds:.1f} s"
    probs_test = result.pipeline.predict_proba(prepare_frame(test_table, FEATURES))
    test = evaluate_predictions(y_test, probs_test, CLASSES, threshold=result.threshold)
    assert result.dev_score > 0.9 and test.f1 > 0.9
