"""param_importances: fANOVA importances of the best family's parameters, or None."""

from __future__ import annotations

import optuna

from headrace.train.study import param_importances


def study_with(values: list[float]) -> optuna.Study:
    study = optuna.create_study(direction="maximize")
    distribution = optuna.distributions.FloatDistribution(0.01, 10.0, log=True)
    for i, value in enumerate(values):
        study.add_trial(
            optuna.trial.create_trial(
                params={"logistic.C": 0.1 * (i + 1)},
                distributions={"logistic.C": distribution},
                value=value,
                user_attrs={"family": "logistic"},
            )
        )
    return study


def test_trials_that_all_scored_the_same_have_no_importances() -> None:
    # fANOVA raises on a constant target; a short search on easy data ties often.
    assert param_importances(study_with([0.95, 0.95, 0.95]), "logistic", seed=0) is None


def test_trials_that_differ_get_importances() -> None:
    importances = param_importances(study_with([0.90, 0.95, 0.93]), "logistic", seed=0)

    assert importances is not None and set(importances) == {"logistic.C"}
