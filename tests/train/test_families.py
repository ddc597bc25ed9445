"""The model-family contract, checked the same way for every entry of FAMILIES.

Adding a family is adding it to ``FAMILIES``; it is then held to every check here:
``suggest`` samples JSON-ready parameters under names prefixed with the family,
``build`` does no work, ``fit`` returns a model whose ``predict_proba`` is a
distribution over every class, fitting is deterministic for a seed, sample and class
weights change the model, the fitted model pickles, and a monitor (when the family
calls one) sees increasing steps and can stop training.
"""

from __future__ import annotations

import json
import pickle
from typing import Any

import numpy as np
import optuna
import pytest
from sklearn.base import clone

from headrace.errors import TrainingError
from headrace.train import FAMILIES, ModelFamily, build_featurizer, expand_rows
from headrace.train.fit import ExpandedRows
from tests.train.synthetic import TEXT, make_frame, soft_labels

NAMES = sorted(FAMILIES)


@pytest.fixture(params=NAMES)
def family(request: pytest.FixtureRequest) -> ModelFamily:
    return FAMILIES[str(request.param)]


@pytest.fixture(params=[2, 3])
def k(request: pytest.FixtureRequest) -> int:
    return int(request.param)


def featurized(k: int, n: int = 160, seed: int = 0) -> tuple[ExpandedRows, Any]:
    """Expanded soft-labeled training rows and a featurized held-out matrix."""
    frame, y = make_frame(n + 40, k=k, seed=seed)
    featurizer = build_featurizer(TEXT, frame)
    X = featurizer.fit_transform(frame.iloc[:n], y[:n])
    rows = expand_rows(X, soft_labels(y[:n], k, seed=seed), balanced=True)
    return rows, featurizer.transform(frame.iloc[n:])


def sampled_params(family: ModelFamily, seed: int = 0) -> dict[str, Any]:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    return family.suggest(study.ask())


def fitted(
    family: ModelFamily, rows: ExpandedRows, *, params: dict[str, Any] | None = None, seed: int = 0
) -> Any:
    model = family.build(params or sampled_params(family), seed=seed, class_weight=rows.class_weight)
    return family.fit(model, rows.X, rows.y, sample_weight=rows.weight)


def test_the_registry_knows_every_family_by_its_own_name() -> None:
    assert NAMES == ["lightgbm", "linear_svm", "logistic"]
    assert all(name == family.name for name, family in FAMILIES.items())


def test_suggest_samples_json_ready_params_under_prefixed_names(family: ModelFamily) -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()

    params = family.suggest(trial)

    assert json.loads(json.dumps(params)) == params
    assert all(name.startswith(f"{family.name}.") for name in trial.params)
    assert {name.split(".", 1)[1] for name in trial.params} == set(params)


def test_build_does_no_work_and_gives_a_clonable_estimator(family: ModelFamily) -> None:
    model = family.build(sampled_params(family), seed=0, class_weight={0: 1.0, 1: 2.0})

    assert not [attr for attr in vars(model) if attr.endswith("_") and not attr.startswith("_")]
    assert clone(model).get_params(deep=False).keys() == model.get_params(deep=False).keys()


def test_fit_returns_the_model_and_a_distribution_over_every_class(family: ModelFamily, k: int) -> None:
    rows, X_dev = featurized(k)
    model = family.build(sampled_params(family), seed=0, class_weight=rows.class_weight)

    returned = family.fit(model, rows.X, rows.y, sample_weight=rows.weight)
    probs = returned.predict_proba(X_dev)

    assert returned is model
    assert probs.shape == (X_dev.shape[0], k)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert np.all((probs >= 0) & (probs <= 1))
    np.testing.assert_array_equal(model.classes_, np.arange(k))


def test_fitting_is_deterministic_for_a_seed(family: ModelFamily) -> None:
    rows, X_dev = featurized(2)
    params = sampled_params(family)

    first = fitted(family, rows, params=params).predict_proba(X_dev)
    second = fitted(family, rows, params=params).predict_proba(X_dev)

    np.testing.assert_array_equal(first, second)


def test_sample_weights_steer_the_model(family: ModelFamily) -> None:
    rows, X_dev = featurized(2)
    params = sampled_params(family)
    toward_1 = np.where(rows.y == 1, rows.weight * 4, rows.weight)
    heavy = ExpandedRows(rows.X, rows.y, toward_1, rows.class_weight)

    plain = fitted(family, rows, params=params).predict_proba(X_dev)[:, 1].mean()
    steered = fitted(family, heavy, params=params).predict_proba(X_dev)[:, 1].mean()

    assert steered > plain


def test_class_weights_steer_the_model(family: ModelFamily) -> None:
    rows, X_dev = featurized(2)
    params = sampled_params(family)

    def mean_p1(weights: dict[int, float]) -> float:
        model = family.build(params, seed=0, class_weight=weights)
        family.fit(model, rows.X, rows.y, sample_weight=rows.weight)
        return float(model.predict_proba(X_dev)[:, 1].mean())

    assert mean_p1({0: 1.0, 1: 4.0}) > mean_p1({0: 1.0, 1: 1.0})


def test_a_fitted_model_pickles_and_predicts_the_same(family: ModelFamily) -> None:
    rows, X_dev = featurized(2)
    model = fitted(family, rows)

    restored = pickle.loads(pickle.dumps(model))

    np.testing.assert_array_equal(restored.predict_proba(X_dev), model.predict_proba(X_dev))


def test_it_trains_on_dense_matrices_too(family: ModelFamily) -> None:
    rows, X_dev = featurized(2)
    dense = ExpandedRows(rows.X.toarray(), rows.y, rows.weight, rows.class_weight)

    probs = fitted(family, dense).predict_proba(X_dev.toarray())

    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_a_monitor_sees_increasing_steps_with_valid_probabilities(family: ModelFamily) -> None:
    rows, X_dev = featurized(2)
    steps: list[int] = []

    def monitor(step: int, proba: Any) -> None:
        probs = proba(X_dev)
        assert probs.shape == (X_dev.shape[0], 2)
        np.testing.assert_allclose(probs.sum(axis=1), 1.0)
        steps.append(step)

    model = family.build(sampled_params(family), seed=0, class_weight=None)
    family.fit(model, rows.X, rows.y, sample_weight=rows.weight, monitor=monitor)

    assert steps == sorted(set(steps))
    if family.name == "lightgbm":
        assert steps  # boosting reports every 25 rounds before the last


class Stop(Exception):
    pass


def test_a_monitor_that_raises_stops_training(family: ModelFamily) -> None:
    rows, _ = featurized(2)
    calls = []

    def monitor(step: int, proba: Any) -> None:
        calls.append(step)
        raise Stop

    model = family.build(sampled_params(family), seed=0, class_weight=None)
    try:
        family.fit(model, rows.X, rows.y, sample_weight=rows.weight, monitor=monitor)
    except Stop:
        assert len(calls) == 1  # stopped at the first report
    else:
        assert not calls


def test_every_sampled_point_of_the_space_trains(family: ModelFamily) -> None:
    rows, X_dev = featurized(2, n=80)

    for seed in range(4):
        probs = fitted(family, rows, params=sampled_params(family, seed=seed)).predict_proba(X_dev)
        assert np.isfinite(probs).all()


def test_linear_svm_says_it_needs_two_rows_per_class_for_calibration() -> None:
    family = FAMILIES["linear_svm"]
    model = family.build({"C": 1.0}, seed=0, class_weight=None)
    X = np.eye(5)

    with pytest.raises(TrainingError, match=r"at least 2 training rows of every class .* got 1"):
        family.fit(model, X, np.array([0, 0, 0, 0, 1]), sample_weight=np.ones(5))
