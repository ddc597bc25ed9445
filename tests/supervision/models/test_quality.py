"""Label-model quality on synthetic votes whose LF accuracies are known.

Across binary and 6-class tasks, balanced and 90/10 (or 50/10/…/10) priors, 5 to 150
LFs, 1–60 % coverage, multipolar and unipolar (keyword-like) LFs, with and without
correlated copies: the default LabelModel recovers each LF's accuracy within 0.05 and
labels at least as well as majority vote. Dawid–Skene recovers them too wherever its
independence assumption holds (no copied LFs).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from headrace.supervision import DawidSkene, LabelModel, MajorityVote
from headrace.supervision.synthetic import SyntheticLabels, make_label_matrix

SETTINGS: dict[str, dict[str, Any]] = {
    "binary-50/50": {"n_lfs": 10, "coverage": (0.05, 0.6)},
    "binary-90/10": {"n_lfs": 10, "class_balance": (0.9, 0.1), "coverage": (0.05, 0.6)},
    "binary-90/10-unipolar": {
        "n_lfs": 20,
        "class_balance": (0.9, 0.1),
        "unipolar": True,
        "coverage": (0.01, 0.3),
    },
    "binary-5-lfs": {"n_lfs": 5, "coverage": (0.2, 0.6)},
    "binary-150-lfs-1-5%": {"n_lfs": 150, "coverage": (0.01, 0.05)},
    "binary-correlated": {"n_lfs": 10, "correlated": 5, "coverage": (0.05, 0.6)},
    "binary-90/10-unipolar-correlated": {
        "n_lfs": 20,
        "correlated": 6,
        "class_balance": (0.9, 0.1),
        "unipolar": True,
        "coverage": (0.01, 0.3),
    },
    "6-class": {"n_lfs": 50, "cardinality": 6, "coverage": (0.01, 0.2)},
    "6-class-unipolar": {"n_lfs": 60, "cardinality": 6, "unipolar": True, "coverage": (0.01, 0.2)},
    "6-class-150-lfs-unipolar": {"n_lfs": 150, "cardinality": 6, "unipolar": True, "coverage": (0.01, 0.05)},
    "6-class-imbalanced-correlated": {
        "n_lfs": 30,
        "cardinality": 6,
        "correlated": 5,
        "class_balance": (0.5, 0.1, 0.1, 0.1, 0.1, 0.1),
        "coverage": (0.01, 0.3),
    },
    "6-class-unipolar-imbalanced-correlated": {
        "n_lfs": 40,
        "cardinality": 6,
        "unipolar": True,
        "correlated": 8,
        "class_balance": (0.5, 0.1, 0.1, 0.1, 0.1, 0.1),
        "coverage": (0.01, 0.2),
    },
}
#: Rows per setting, and the votes an LF needs for its accuracy to be checked.
N_ROWS, MIN_VOTES = 30_000, 1000


@pytest.fixture(scope="module", params=sorted(SETTINGS))
def setting(request: pytest.FixtureRequest) -> tuple[str, SyntheticLabels]:
    name = str(request.param)
    return name, make_label_matrix(N_ROWS, seed=0, **SETTINGS[name])


def accuracy_error(learned: np.ndarray, data: SyntheticLabels) -> float:
    checked = (data.L >= 0).sum(axis=0) >= MIN_VOTES
    return float(np.max(np.abs(learned - data.accuracies)[checked]))


def test_the_label_model_recovers_lf_accuracies(setting: tuple[str, SyntheticLabels]) -> None:
    _, data = setting

    model = LabelModel(len(data.class_balance)).fit(data.L)

    assert accuracy_error(model.accuracies_, data) <= 0.05


def test_dawid_skene_recovers_lf_accuracies_when_lfs_are_independent(
    setting: tuple[str, SyntheticLabels],
) -> None:
    name, data = setting
    if "correlated" in name:
        pytest.skip("Dawid–Skene assumes LFs independent given the class; copies break it")

    model = DawidSkene(len(data.class_balance)).fit(data.L)

    assert accuracy_error(model.accuracies_, data) <= 0.05


def test_the_label_model_labels_at_least_as_well_as_majority_vote(
    setting: tuple[str, SyntheticLabels],
) -> None:
    _, data = setting
    k = len(data.class_balance)

    ours = np.mean(LabelModel(k).fit(data.L).predict(data.L) == data.y)
    majority = np.mean(MajorityVote(k).fit(data.L).predict(data.L) == data.y)

    assert ours >= majority
