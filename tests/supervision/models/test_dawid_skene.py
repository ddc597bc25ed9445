"""Dawid–Skene learns which LFs to trust; majority vote cannot."""

from __future__ import annotations

import numpy as np
import pytest

from headrace.supervision import DawidSkene, MajorityVote
from headrace.supervision.synthetic import make_label_matrix


def test_it_beats_majority_vote_when_lf_accuracies_differ() -> None:
    data = make_label_matrix(5000, 9, accuracy=(0.55, 0.95), coverage=(0.3, 0.8), seed=0)

    ds_accuracy = np.mean(DawidSkene(2).fit(data.L).predict(data.L) == data.y)
    mv_accuracy = np.mean(MajorityVote(2).fit(data.L).predict(data.L) == data.y)

    assert ds_accuracy > mv_accuracy + 0.02


def test_it_recovers_the_planted_lf_accuracies() -> None:
    data = make_label_matrix(20000, 7, coverage=(0.3, 0.7), seed=1)

    learned = DawidSkene(2).fit(data.L).accuracies_

    np.testing.assert_allclose(learned, data.accuracies, atol=0.03)


def test_unipolar_lfs_are_learned_from_when_they_fire() -> None:
    data = make_label_matrix(20000, 10, unipolar=True, class_balance=[0.8, 0.2], coverage=(0.05, 0.3), seed=2)

    model = DawidSkene(2).fit(data.L)

    np.testing.assert_allclose(model.accuracies_, data.accuracies, atol=0.03)
    np.testing.assert_allclose(model.class_balance_, [0.8, 0.2], atol=0.02)


def test_a_fixed_class_balance_is_kept_when_not_learned() -> None:
    data = make_label_matrix(300, 7, seed=2)

    model = DawidSkene(2, learn_class_balance=False).fit(data.L, class_balance=[0.2, 0.8])

    np.testing.assert_allclose(model.class_balance_, [0.2, 0.8])


def test_em_stops_within_max_iter() -> None:
    data = make_label_matrix(300, 7, seed=3)

    assert 1 <= DawidSkene(2, max_iter=3).fit(data.L).n_iter_ <= 3


def test_gold_dev_rows_enter_the_fit_with_their_class() -> None:
    data = make_label_matrix(400, 5, seed=4)
    dev = make_label_matrix(200, 5, seed=4)

    plain = DawidSkene(2).fit(data.L)
    semi = DawidSkene(2).fit(data.L, L_dev=dev.L, y_dev=dev.y)

    assert not np.allclose(plain.log_confusion_, semi.log_confusion_)


@pytest.mark.parametrize("bad", [np.array([0, 1]), np.array([0, 2, 1, 0, 1] * 40)])
def test_bad_gold_dev_labels_are_refused(bad: np.ndarray) -> None:
    from headrace.errors import LabelModelError

    dev = make_label_matrix(200, 5, seed=4)
    with pytest.raises(LabelModelError, match="y_dev must"):
        DawidSkene(2).fit(dev.L, L_dev=dev.L, y_dev=bad)
