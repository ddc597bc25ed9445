"""The default LabelModel: robust without gold labels, careful with them."""

from __future__ import annotations

import numpy as np
import pytest

from headrace.supervision import LabelModel, MajorityVote
from headrace.supervision.models.default import dev_score
from headrace.supervision.synthetic import make_label_matrix


def f1(y: np.ndarray, predicted: np.ndarray, positive: int = 1) -> float:
    tp = np.sum((y == positive) & (predicted == positive))
    return float(2 * tp / (np.sum(y == positive) + np.sum(predicted == positive)))


@pytest.mark.parametrize("n_lfs", [1, 2])
def test_with_fewer_than_three_lfs_votes_are_followed_and_silence_gets_the_prior(n_lfs: int) -> None:
    L = np.array([[1, -1], [0, -1], [-1, -1], [1, 1], [-1, 0]])[:, :n_lfs]

    model = LabelModel(2).fit(L)

    assert model.predict(L)[[0, 1, 3]].tolist() == [1, 0, 1]
    np.testing.assert_allclose(model.predict_proba(L)[2], [0.5, 0.5])
    np.testing.assert_allclose(model.accuracies_, 0.7)
    np.testing.assert_allclose(
        LabelModel(2).fit(L, class_balance=[0.3, 0.7]).predict_proba(L[2:3]), [[0.3, 0.7]]
    )


def test_rows_where_every_lf_abstains_get_the_learned_class_prior() -> None:
    # Multipolar LFs fire independently of the class: silence says nothing.
    data = make_label_matrix(20000, 8, class_balance=[0.7, 0.3], coverage=(0.2, 0.5), seed=0)
    model = LabelModel(2).fit(data.L)

    silent = model.predict_proba(np.full((3, 8), -1))

    np.testing.assert_allclose(silent, np.tile(model.class_balance_, (3, 1)), atol=0.03)
    np.testing.assert_allclose(model.class_balance_, [0.7, 0.3], atol=0.02)


def test_a_matrix_where_nobody_votes_gives_the_given_or_uniform_prior() -> None:
    L = np.full((50, 4), -1)

    np.testing.assert_allclose(LabelModel(3).fit(L).predict_proba(L[:2]), 1 / 3, atol=0.02)
    np.testing.assert_allclose(
        LabelModel(2).fit(L, class_balance=[0.8, 0.2]).predict_proba(L[:1]), [[0.8, 0.2]]
    )


def test_an_lf_voting_one_class_on_every_row_is_harmless() -> None:
    data = make_label_matrix(10000, 8, seed=1)
    constant = np.hstack([data.L, np.ones((len(data.L), 1), dtype=np.int8)])

    with_it = LabelModel(2).fit(constant).predict(constant)
    without = LabelModel(2).fit(data.L).predict(data.L)

    assert np.mean(with_it == data.y) >= np.mean(without == data.y) - 0.01


def test_heavy_imbalance_with_keyword_like_lfs_finds_the_rare_class() -> None:
    data = make_label_matrix(
        30000, 12, class_balance=[0.9, 0.1], unipolar=True, coverage=(0.01, 0.15), accuracy=(0.5, 0.9), seed=2
    )
    model = LabelModel(2).fit(data.L)
    ours = model.predict(data.L)

    np.testing.assert_allclose(model.class_balance_, [0.9, 0.1], atol=0.02)
    assert f1(data.y, ours) >= f1(data.y, MajorityVote(2).fit(data.L).predict(data.L))
    assert np.mean(ours == data.y) >= 0.9


def test_a_given_class_balance_is_kept() -> None:
    data = make_label_matrix(2000, 6, seed=3)

    model = LabelModel(2).fit(data.L, class_balance=[0.6, 0.4])

    np.testing.assert_allclose(model.class_balance_, [0.6, 0.4])


def test_copied_lfs_count_about_once() -> None:
    data = make_label_matrix(20000, 10, correlated=5, coverage=(0.05, 0.6), seed=1)

    weights = LabelModel(2).fit(data.L).lf_weights_

    copies = weights[10:]
    assert np.all(copies < 0.7)
    assert np.sum(weights > 0.9) >= 3


def test_gold_dev_rows_rescue_lfs_that_are_worse_than_chance() -> None:
    # Every LF is usually wrong: without labels any model reads them the wrong way round.
    data = make_label_matrix(5000, 8, accuracy=(0.2, 0.35), coverage=(0.3, 0.6), seed=4)
    dev = make_label_matrix(200, 8, accuracy=(0.2, 0.35), coverage=(0.3, 0.6), seed=4)

    blind = LabelModel(2).fit(data.L)
    guided = LabelModel(2).fit(data.L, L_dev=dev.L, y_dev=dev.y)

    assert np.mean(blind.predict(data.L) == data.y) < 0.5
    assert guided.chosen_ == "label_model_dev"
    assert np.mean(guided.predict(data.L) == data.y) > 0.8


@pytest.mark.parametrize("n_dev", [20, 40])
def test_a_tiny_noisy_dev_set_does_not_hurt(n_dev: int) -> None:
    data = make_label_matrix(20000, 10, coverage=(0.05, 0.5), seed=5)
    dev = make_label_matrix(n_dev, 10, coverage=(0.05, 0.5), seed=6)
    rng = np.random.default_rng(0)
    noisy = np.where(rng.random(n_dev) < 0.3, 1 - dev.y, dev.y)

    blind = np.mean(LabelModel(2).fit(data.L).predict(data.L) == data.y)
    with_dev = np.mean(LabelModel(2).fit(data.L, L_dev=dev.L, y_dev=noisy).predict(data.L) == data.y)

    assert with_dev >= blind - 0.01


def test_dev_scores_are_reported_for_every_candidate() -> None:
    data = make_label_matrix(3000, 6, seed=7)
    dev = make_label_matrix(200, 6, seed=8)

    model = LabelModel(2).fit(data.L, L_dev=dev.L, y_dev=dev.y)

    assert set(model.dev_scores_) == {
        "label_model",
        "label_model_dev",
        "majority",
        "weighted_majority",
        "dawid_skene",
        "triplet",
        "matrix_completion",
    }
    assert model.chosen_ in model.dev_scores_


def test_the_dev_score_is_macro_f1_for_two_classes_and_accuracy_beyond() -> None:
    y = np.array([0, 0, 0, 1])
    guess = np.array([0, 0, 0, 0])

    assert dev_score(y, guess, 2) == pytest.approx((6 / 7 + 0.0) / 2)
    assert dev_score(y, guess, 3) == pytest.approx(0.75)
