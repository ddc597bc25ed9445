"""choose_label_model: with gold dev rows, ``auto`` keeps the label model that labels them best."""

from __future__ import annotations

import numpy as np
import pytest

from headrace.supervision import DawidSkene, MajorityVote, choose_label_model

from .synthetic import planted_votes


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    L, _ = planted_votes(1000, seed=10)
    L_dev, y_dev = planted_votes(300, seed=11)
    return L, L_dev, y_dev


def test_auto_picks_dawid_skene_when_it_is_more_accurate_on_dev(data: tuple[np.ndarray, ...]) -> None:
    L, L_dev, y_dev = data

    choice = choose_label_model("auto", L, cardinality=2, L_dev=L_dev, y_dev=y_dev)

    assert set(choice.dev_accuracy) == {"dawid_skene", "majority"}
    assert choice.dev_accuracy["dawid_skene"] > choice.dev_accuracy["majority"]
    assert choice.name == "dawid_skene"
    assert isinstance(choice.model, DawidSkene)


def test_auto_picks_majority_vote_when_it_is_more_accurate_on_dev(data: tuple[np.ndarray, ...]) -> None:
    L, L_dev, _ = data
    # Gold that agrees with majority vote everywhere: majority scores 1.0 on dev.
    y_dev = MajorityVote(2).fit(L).predict(L_dev)

    choice = choose_label_model("auto", L, cardinality=2, L_dev=L_dev, y_dev=y_dev)

    assert choice.dev_accuracy["majority"] == 1.0
    assert choice.dev_accuracy["dawid_skene"] < 1.0
    assert choice.name == "majority"
    assert isinstance(choice.model, MajorityVote)
    np.testing.assert_array_equal(choice.model.predict(L_dev), y_dev)


def test_a_tie_on_dev_keeps_the_learned_model(data: tuple[np.ndarray, ...]) -> None:
    L, _, _ = data
    # Rows where only the first (accurate) LF votes: both models follow it.
    L_dev = np.full((4, L.shape[1]), -1)
    L_dev[:, 0] = [0, 1, 1, 0]

    choice = choose_label_model("auto", L, cardinality=2, L_dev=L_dev, y_dev=np.array([0, 1, 1, 0]))

    assert choice.dev_accuracy == {"dawid_skene": 1.0, "majority": 1.0}
    assert choice.name == "dawid_skene"


@pytest.mark.parametrize("y_dev", [None, np.array([], dtype=int)])
def test_without_gold_dev_auto_uses_dawid_skene(
    data: tuple[np.ndarray, ...], y_dev: np.ndarray | None
) -> None:
    L, _, _ = data

    choice = choose_label_model("auto", L, cardinality=2, L_dev=L[:0], y_dev=y_dev)

    assert choice.name == "dawid_skene"
    assert choice.dev_accuracy == {}


def test_a_named_label_model_is_used_and_scored_alone(data: tuple[np.ndarray, ...]) -> None:
    L, L_dev, y_dev = data

    choice = choose_label_model("majority", L, cardinality=2, L_dev=L_dev, y_dev=y_dev)

    assert choice.name == "majority"
    assert list(choice.dev_accuracy) == ["majority"]
