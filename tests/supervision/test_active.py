"""Active-learning strategies: which rows each one suggests, on hand-built matrices."""

from __future__ import annotations

import numpy as np
import pytest

from headrace.errors import LabelModelError
from headrace.supervision import (
    STRATEGIES,
    conflict_scores,
    disagreement_scores,
    entropy_scores,
    rank_rows,
    uncovered_rows,
)

# Six rows, three LFs, two classes:
#   0: unanimous ham      1: 2 ham vs 1 spam    2: uncovered
#   3: 1 ham vs 1 spam    4: one spam vote      5: uncovered
L = np.array(
    [
        [0, 0, 0],
        [0, 0, 1],
        [-1, -1, -1],
        [0, 1, -1],
        [-1, 1, -1],
        [-1, -1, -1],
    ],
    dtype=np.int8,
)
LABEL_PROBS = np.array(
    [
        [0.99, 0.01],
        [0.70, 0.30],
        [0.50, 0.50],  # uncovered: the class prior, maximal entropy but no information
        [0.55, 0.45],
        [0.10, 0.90],
        [0.50, 0.50],
    ]
)


def test_scores_are_normalized_and_named_by_what_they_measure() -> None:
    assert entropy_scores(np.array([[1.0, 0.0], [0.5, 0.5], [0.25, 0.75]])).round(3).tolist() == [
        0.0,
        1.0,
        0.811,
    ]
    assert disagreement_scores(np.array([[0.9, 0.1], [0.5, 0.5]]), np.array([[0.2, 0.8], [0.5, 0.5]])).round(
        3
    ).tolist() == [0.7, 0.0]
    assert conflict_scores(L, 2).round(3).tolist() == [0.0, 0.333, 0.0, 0.5, 0.0, 0.0]
    assert uncovered_rows(L).tolist() == [False, False, True, False, False, True]


def test_uncertainty_picks_the_most_uncertain_covered_rows() -> None:
    ranking = rank_rows("uncertainty", n=2, L=L, label_probs=LABEL_PROBS)

    assert ranking.rows.tolist() == [3, 1]
    assert ranking.scores[0] > ranking.scores[1]
    assert ranking.eligible == 4  # the two uncovered rows are not uncertainty's


def test_uncovered_picks_only_rows_no_lf_voted_on() -> None:
    ranking = rank_rows("uncovered", n=10, L=L, label_probs=LABEL_PROBS)

    assert sorted(ranking.rows.tolist()) == [2, 5]
    assert ranking.eligible == 2 and len(ranking) == 2  # fewer than n qualify: fewer come back


def test_lf_conflict_picks_conflicting_rows_most_conflicted_first() -> None:
    ranking = rank_rows("lf-conflict", n=10, L=L, label_probs=LABEL_PROBS)

    assert ranking.rows.tolist() == [3, 1]
    assert ranking.scores.round(3).tolist() == [0.5, 0.333]


def test_disagreement_picks_where_the_end_model_and_label_model_differ() -> None:
    model = LABEL_PROBS.copy()
    model[4] = [0.8, 0.2]  # the model thinks row 4 is ham; the label model says spam
    model[2] = [0.0, 1.0]  # uncovered rows do not count: their label-model output is the prior

    ranking = rank_rows("disagreement", n=1, L=L, label_probs=LABEL_PROBS, model_probs=model)

    assert ranking.rows.tolist() == [4]
    assert ranking.scores[0] == pytest.approx(0.7)


def test_disagreement_without_a_model_says_what_it_needs() -> None:
    with pytest.raises(LabelModelError, match="'disagreement' needs model_probs"):
        rank_rows("disagreement", n=1, L=L, label_probs=LABEL_PROBS)


def test_excluded_rows_are_never_suggested() -> None:
    exclude = np.array([False, False, False, True, False, False])  # e.g. annotated already

    for strategy in ("uncertainty", "lf-conflict", "random"):
        ranking = rank_rows(strategy, n=6, L=L, label_probs=LABEL_PROBS, exclude=exclude)
        assert 3 not in ranking.rows.tolist(), strategy
    assert rank_rows("random", n=6, L=L, label_probs=LABEL_PROBS, exclude=exclude).eligible == 5


def test_ties_are_broken_by_the_seed_not_by_file_order() -> None:
    rows = 200
    flat = np.tile([0.5, 0.5], (rows, 1))  # every row equally uncertain
    votes = np.zeros((rows, 1), dtype=np.int8)

    first = rank_rows("uncertainty", n=20, L=votes, label_probs=flat, seed=1).rows
    again = rank_rows("uncertainty", n=20, L=votes, label_probs=flat, seed=1).rows
    other = rank_rows("uncertainty", n=20, L=votes, label_probs=flat, seed=2).rows

    assert first.tolist() == again.tolist()
    assert first.tolist() != other.tolist()
    assert first.tolist() != list(range(20))


def test_random_is_a_seeded_uniform_draw_over_every_row() -> None:
    rows = 1000
    probs = np.tile([0.9, 0.1], (rows, 1))
    votes = np.zeros((rows, 1), dtype=np.int8)

    draws = [
        set(rank_rows("random", n=100, L=votes, label_probs=probs, seed=s).rows.tolist()) for s in range(20)
    ]

    assert draws[0] == set(rank_rows("random", n=100, L=votes, label_probs=probs, seed=0).rows.tolist())
    hits = np.zeros(rows)
    for draw in draws:
        hits[list(draw)] += 1
    # 2,000 draws over 1,000 rows: each half of the pool gets about half of them.
    assert 900 < hits[:500].sum() < 1100


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strategy": "entropy"}, r"strategy must be one of \['uncertainty'"),
        ({"n": 0}, "n must be a positive integer, got 0"),
        ({"label_probs": LABEL_PROBS[:3]}, "L has 6 rows but label_probs 3"),
        ({"exclude": np.zeros(2, dtype=bool)}, r"exclude must have one flag per row \(6\)"),
        ({"L": np.full((6, 1), 2)}, "expected -1 \\(abstain\\) or 0..1"),
    ],
)
def test_invalid_inputs_name_the_argument(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"strategy": "uncertainty", "n": 1, "L": L, "label_probs": LABEL_PROBS}
    arguments |= kwargs
    with pytest.raises(LabelModelError, match=message):
        rank_rows(**arguments)  # type: ignore[arg-type]


def test_every_strategy_is_known() -> None:
    model = np.tile([0.5, 0.5], (len(L), 1))
    for strategy in STRATEGIES:
        ranking = rank_rows(strategy, n=6, L=L, label_probs=LABEL_PROBS, model_probs=model)
        assert ranking.strategy == strategy
        assert len(set(ranking.rows.tolist())) == len(ranking) == min(6, ranking.eligible)
