"""The model search: choosing a family and its parameters on dev, resuming, and what it returns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import optuna
import pytest

from headrace.errors import DataError, TrainingError
from headrace.project import FeaturesConfig, ImbalanceConfig, SearchConfig, TrainConfig
from headrace.store import Store
from headrace.train import DevSet, SearchResult, TrainingSet, search_model
from headrace.train.families.boosting import REPORT_EVERY
from tests.train.synthetic import MIXED, TEXT, make_frame, soft_labels

CLASSES = ["ham", "spam"]
ALL = ["logistic", "lightgbm", "linear_svm"]


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'headrace.db'}"


def data(
    k: int = 2, *, n: int = 200, n_dev: int = 60, seed: int = 0, **kwargs: Any
) -> tuple[TrainingSet, DevSet]:
    frame, y = make_frame(n + n_dev, k=k, seed=seed, **kwargs)
    training = TrainingSet(frame.iloc[:n].reset_index(drop=True), soft_labels(y[:n], k, seed=seed))
    return training, DevSet(frame.iloc[n:].reset_index(drop=True), y[n:])


def config(trials: int = 6, *, models: list[str] | None = None, **kwargs: Any) -> TrainConfig:
    search = SearchConfig(
        trials=trials, timeout_s=kwargs.pop("timeout_s", None), pruning=kwargs.pop("pruning", True)
    )
    return TrainConfig.model_validate({"models": models or ALL, "search": search, **kwargs})


def search(
    url: str,
    training: TrainingSet,
    dev: DevSet | None,
    train: TrainConfig,
    *,
    name: str | None = "study",
    features: FeaturesConfig = TEXT,
    classes: list[str] = CLASSES,
) -> SearchResult:
    return search_model(
        training, classes=classes, features=features, train=train, storage=url, study_name=name, dev=dev
    )


def test_a_search_returns_the_fitted_pipeline_and_its_whole_record(url: str) -> None:
    training, dev = data()

    result = search(url, training, dev, config(8))

    assert result.family in ALL and result.params
    assert [t.number for t in result.trials] == list(range(8))
    assert {t.state for t in result.trials} <= {"COMPLETE", "PRUNED"}
    assert result.n_trials == sum(t.state == "COMPLETE" for t in result.trials)
    assert all(t.family in ALL and t.seconds is not None and t.seconds >= 0 for t in result.trials)
    best = max((t for t in result.trials if t.state == "COMPLETE"), key=lambda t: t.value or 0.0)
    assert (result.dev_score, result.params) == (best.value, best.params)
    assert result.dev_source == "gold" and result.dev_evaluation.n_rows == 60
    assert result.threshold is not None and 0.0 < result.threshold < 1.0
    assert result.wall_seconds > 0 and result.study_name == "study"
    probs = result.pipeline.predict_proba(dev.frame)
    assert probs.shape == (60, 2)
    assert (probs.argmax(axis=1) == dev.labels).mean() > 0.75
    assert json.loads(json.dumps(result.to_dict()))["n_train_rows"] == 200


def test_the_pipeline_is_the_model_the_search_scored(url: str) -> None:
    training, dev = data()

    result = search(url, training, dev, config(4, models=["logistic"]))

    probs = result.pipeline.predict_proba(dev.frame)
    decided = probs.argmax(axis=1)
    f1 = 2 * ((decided == 1) & (dev.labels == 1)).sum() / ((decided == 1).sum() + (dev.labels == 1).sum())
    assert result.dev_score == pytest.approx(f1)


def test_an_interrupted_search_resumes_without_redoing_finished_trials(url: str) -> None:
    training, dev = data()

    first = search(url, training, dev, config(3))
    resumed = search(url, training, dev, config(5))
    again = search(url, training, dev, config(5))

    assert len(first.trials) == 3
    assert len(resumed.trials) == 5
    assert resumed.trials[:3] == first.trials
    assert again.trials == resumed.trials  # the budget is spent: nothing more runs


def test_by_default_the_study_is_named_after_the_inputs(url: str) -> None:
    training, dev = data()
    relabeled = TrainingSet(training.frame, training.probs[:, ::-1].copy())

    first = search(url, training, dev, config(2, models=["logistic"]), name=None)
    resumed = search(url, training, dev, config(3, models=["logistic"]), name=None)
    other = search(url, relabeled, dev, config(1, models=["logistic"]), name=None)

    assert first.study_name.startswith("train-") and len(first.study_name) == 6 + 16
    assert resumed.study_name == first.study_name and len(resumed.trials) == 3
    assert other.study_name != first.study_name and len(other.trials) == 1


def test_a_trial_left_running_by_a_killed_process_is_marked_failed_and_not_counted(url: str) -> None:
    training, dev = data()
    search(url, training, dev, config(2, models=["logistic"]))
    study = optuna.load_study(study_name="study", storage=url)
    study.ask()  # a trial that never finishes, as if its process died

    resumed = search(url, training, dev, config(3, models=["logistic"]))

    assert [t.state for t in resumed.trials] == ["COMPLETE", "COMPLETE", "FAIL", "COMPLETE"]


def test_a_study_made_for_other_inputs_is_refused(url: str) -> None:
    training, dev = data()
    search(url, training, dev, config(1, models=["logistic"]))
    relabeled = TrainingSet(training.frame, training.probs[:, ::-1].copy())

    with pytest.raises(TrainingError, match="study 'study' was made for other training rows"):
        search(url, relabeled, dev, config(2, models=["logistic"]))


def test_the_same_inputs_and_seed_choose_the_same_model(url: str) -> None:
    training, dev = data()

    first = search(url, training, dev, config(6), name="one")
    second = search(url, training, dev, config(6), name="two")

    assert [(t.params, t.value) for t in first.trials] == [(t.params, t.value) for t in second.trials]
    assert (first.family, first.params, first.threshold) == (second.family, second.params, second.threshold)


def test_the_study_lives_beside_headrace_tables_in_the_store_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'headrace.db'}"
    training, dev = data()
    with Store(tmp_path / ".headrace", db_url=url):
        result = search(url, training, dev, config(2, models=["logistic"]))

    with Store(tmp_path / ".headrace", db_url=url):  # reopening the store still works
        assert optuna.load_study(study_name="study", storage=url).trials[0].number == 0
    assert result.n_trials == 2


def test_lightgbm_reports_dev_scores_every_25_rounds_and_the_others_none(url: str) -> None:
    training, dev = data()

    search(url, training, dev, config(10))

    for trial in optuna.load_study(study_name="study", storage=url).trials:
        steps = sorted(trial.intermediate_values)
        if trial.user_attrs["family"] == "lightgbm":
            assert steps and all(step % REPORT_EVERY == 0 for step in steps)
        else:
            assert steps == []


def test_pruning_can_stop_hopeless_boosting_trials(url: str) -> None:
    training, dev = data()

    result = search(url, training, dev, config(10, models=["lightgbm"]))
    unpruned = search(url, training, dev, config(6, models=["lightgbm"], pruning=False), name="no_pruning")

    assert result.n_pruned > 0
    assert unpruned.n_pruned == 0 and unpruned.n_trials == 6


def test_the_timeout_stops_starting_trials(url: str) -> None:
    training, dev = data()

    result = search(url, training, dev, config(200, models=["logistic"], timeout_s=0.5))

    assert 1 <= len(result.trials) < 200


def test_without_gold_dev_rows_a_seeded_holdout_of_training_rows_scores(url: str) -> None:
    training, _ = data()

    result = search(url, training, None, config(3, models=["logistic"]))

    assert result.dev_source == "holdout"
    assert result.dev_evaluation.n_rows == 40
    assert result.pipeline.predict_proba(training.frame).shape == (200, 2)


def test_gold_labels_train_through_the_same_search(url: str) -> None:
    frame, y = make_frame(260, seed=3)
    gold = TrainingSet.from_labels(frame.iloc[:200].reset_index(drop=True), y[:200], cardinality=2)
    dev = DevSet(frame.iloc[200:].reset_index(drop=True), y[200:])

    result = search(url, gold, dev, config(4))

    assert result.dev_evaluation.accuracy > 0.85


def test_three_classes_get_no_threshold_and_macro_scores(url: str) -> None:
    training, dev = data(3)

    result = search(url, training, dev, config(4, metric="f1_macro"), classes=["a", "b", "c"], features=MIXED)

    assert result.threshold is None
    assert result.metric == "f1_macro"
    assert result.pipeline.predict_proba(dev.frame).shape == (60, 3)


def test_an_untuned_threshold_is_one_half(url: str) -> None:
    training, dev = data()

    result = search(url, training, dev, config(2, models=["logistic"], imbalance={"tune_threshold": False}))

    assert result.threshold == 0.5


def test_smote_adds_synthetic_rows_for_the_minority_and_mixed_columns_train(url: str) -> None:
    training, dev = data(minority=0.15)
    imbalance = ImbalanceConfig(smote=True, class_weight="none")

    result = search(url, training, dev, config(3, imbalance=imbalance), features=MIXED)

    assert result.n_synthetic_rows > 0
    assert result.pipeline.predict_proba(dev.frame).shape == (60, 2)


def test_when_every_trial_fails_the_error_says_none_completed(url: str) -> None:
    frame, y = make_frame(40, seed=0)
    y[:] = 0
    y[0] = 1  # one row of class 1: too few for the SVM's calibration folds
    training = TrainingSet.from_labels(frame, y, cardinality=2)

    with pytest.raises(TrainingError, match=r"no trial of the search 'study' completed \(2 trials"):
        search(url, training, None, config(2, models=["linear_svm"]))


def test_bad_dev_labels_and_names_are_refused(url: str) -> None:
    training, dev = data()

    with pytest.raises(TrainingError, match=r"dev labels must be class indices 0\.\.1"):
        search(url, training, DevSet(dev.frame, dev.labels + 5), config(1))
    with pytest.raises(TrainingError, match="study_name must be a non-empty string"):
        search(url, training, dev, config(1), name=" ")
    with pytest.raises(DataError, match=r"feature column\(s\) \['content'\] are not in the dev rows"):
        search(url, training, DevSet(dev.frame.drop(columns="content"), dev.labels), config(1))
