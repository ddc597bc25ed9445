"""Majority vote: the share of votes per class; the prior where nobody voted."""

from __future__ import annotations

import numpy as np

from headrace.supervision import MajorityVote


def test_probabilities_are_vote_shares_and_silent_rows_get_the_prior() -> None:
    L = np.array([[0, 0, 1], [1, -1, -1], [-1, -1, -1], [0, 1, -1]])

    model = MajorityVote(2).fit(L, class_balance=[0.3, 0.7])

    np.testing.assert_allclose(model.predict_proba(L), [[2 / 3, 1 / 3], [0, 1], [0.3, 0.7], [0.5, 0.5]])
    assert model.predict(L).tolist() == [0, 1, 1, 0]
