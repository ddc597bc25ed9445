"""choose_label_model: ``auto`` is the default LabelModel; a named model is fitted alone."""

from __future__ import annotations

import numpy as np
import pytest

from headrace.supervision import LABEL_MODELS, LabelModel, MajorityVote, choose_label_model
from headrace.supervision.synthetic import make_label_matrix


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    train = make_label_matrix(3000, 8, seed=10)
    dev = make_label_matrix(300, 8, seed=11)
    return train.L, dev.L, dev.y


def test_auto_is_the_default_label_model_and_reports_every_candidate(data: tuple[np.ndarray, ...]) -> None:
    L, L_dev, y_dev = data

    choice = choose_label_model("auto", L, cardinality=2, L_dev=L_dev, y_dev=y_dev)

    assert isinstance(choice.model, LabelModel)
    assert choice.name == choice.model.chosen_
    assert {"label_model", "majority", "dawid_skene"} <= set(choice.dev_accuracy)
    assert all(0.0 <= score <= 1.0 for score in choice.dev_accuracy.values())


@pytest.mark.parametrize("y_dev", [None, np.array([], dtype=int)])
def test_without_gold_dev_auto_reports_no_scores(
    data: tuple[np.ndarray, ...], y_dev: np.ndarray | None
) -> None:
    L, _, _ = data

    choice = choose_label_model("auto", L, cardinality=2, L_dev=L[:0], y_dev=y_dev)

    assert isinstance(choice.model, LabelModel)
    assert choice.dev_accuracy == {}


@pytest.mark.parametrize("name", sorted(LABEL_MODELS))
def test_a_named_label_model_is_used_and_scored_alone(data: tuple[np.ndarray, ...], name: str) -> None:
    L, L_dev, y_dev = data

    choice = choose_label_model(name, L, cardinality=2, L_dev=L_dev, y_dev=y_dev)

    assert choice.name == name
    assert list(choice.dev_accuracy) == [name]


def test_majority_is_scored_by_macro_f1_for_two_classes(data: tuple[np.ndarray, ...]) -> None:
    L, L_dev, _ = data
    y_dev = MajorityVote(2).fit(L).predict(L_dev)

    choice = choose_label_model("majority", L, cardinality=2, L_dev=L_dev, y_dev=y_dev)

    assert choice.dev_accuracy == {"majority": 1.0}
