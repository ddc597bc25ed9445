"""Dawid–Skene learns which LFs to trust; majority vote cannot."""

from __future__ import annotations

import numpy as np
import pytest

from headrace.supervision import DawidSkene, MajorityVote

from .synthetic import ACCURACIES, planted_votes


def test_it_beats_majority_vote_when_a_few_accurate_lfs_are_outnumbered_by_noisy_ones() -> None:
    L, y = planted_votes(2000, seed=0)

    ds_accuracy = np.mean(DawidSkene(2).fit(L).predict(L) == y)
    mv_accuracy = np.mean(MajorityVote(2).fit(L).predict(L) == y)

    assert ds_accuracy > mv_accuracy + 0.05
    assert ds_accuracy > 0.9


def test_it_recovers_the_planted_lf_accuracies() -> None:
    L, _ = planted_votes(2000, seed=1)

    learned = DawidSkene(2).fit(L).accuracies_

    assert learned == pytest.approx(ACCURACIES, abs=0.06)
    assert min(learned[:2]) > max(learned[2:])


def test_a_fixed_class_balance_is_kept_when_not_learned() -> None:
    L, _ = planted_votes(300, seed=2)

    model = DawidSkene(2, learn_class_balance=False).fit(L, class_balance=[0.2, 0.8])

    np.testing.assert_allclose(model.class_balance_, [0.2, 0.8])


def test_em_stops_within_max_iter() -> None:
    L, _ = planted_votes(300, seed=3)

    assert 1 <= DawidSkene(2, max_iter=3).fit(L).n_iter_ <= 3
