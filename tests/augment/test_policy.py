"""Policies: which TFs make each copy (one, all, random k), seeded."""

from __future__ import annotations

import numpy as np
import pytest

from headrace.augment import ApplyAllPolicy, ApplyOnePolicy, RandomPolicy, make_policy
from headrace.errors import AugmentationError


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_apply_one_gives_every_tf_its_own_copies() -> None:
    assert ApplyOnePolicy().sequences(3, rng()) == [(0,), (1,), (2,)]
    assert ApplyOnePolicy(n_per_original=2).sequences(2, rng()) == [(0,), (0,), (1,), (1,)]


def test_apply_all_composes_every_tf_in_order() -> None:
    assert ApplyAllPolicy().sequences(3, rng()) == [(0, 1, 2)]
    assert ApplyAllPolicy(n_per_original=2).sequences(2, rng()) == [(0, 1), (0, 1)]


def test_random_draws_k_distinct_tfs_per_copy() -> None:
    sequences = RandomPolicy(k=2, n_per_original=50).sequences(4, rng())

    assert len(sequences) == 50
    assert all(len(s) == 2 and len(set(s)) == 2 and set(s) <= {0, 1, 2, 3} for s in sequences)
    assert {t for s in sequences for t in s} == {0, 1, 2, 3}  # every TF gets drawn


def test_random_is_reproducible_by_seed_and_differs_across_seeds() -> None:
    policy = RandomPolicy(k=1, n_per_original=20)

    assert policy.sequences(5, rng(7)) == policy.sequences(5, rng(7))
    assert policy.sequences(5, rng(7)) != policy.sequences(5, rng(8))


def test_random_cannot_draw_more_tfs_than_there_are() -> None:
    with pytest.raises(AugmentationError, match=r"k=3 distinct TFs per copy, but there are only 2; lower k"):
        RandomPolicy(k=3).sequences(2, rng())


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ApplyOnePolicy(n_per_original=0), "ApplyOnePolicy: n_per_original must be a positive"),
        (lambda: ApplyAllPolicy(n_per_original=True), "ApplyAllPolicy: n_per_original must be a positive"),
        (lambda: RandomPolicy(k=0), "RandomPolicy: k must be a positive integer, got 0"),
        (lambda: ApplyAllPolicy().sequences(0, rng()), "there are no transformation functions"),
        (lambda: make_policy("every"), r"unknown augmentation policy 'every'; choose one of \['one'"),  # type: ignore[arg-type]
    ],
)
def test_invalid_settings_say_what_is_wrong(make: object, message: str) -> None:
    with pytest.raises(AugmentationError, match=message):
        make()  # type: ignore[operator]


def test_make_policy_builds_what_the_project_file_names() -> None:
    assert make_policy("one", n_per_original=2) == ApplyOnePolicy(n_per_original=2)
    assert make_policy("all", keep_original=False) == ApplyAllPolicy(keep_original=False)
    assert make_policy("random", k=2).describe() == {
        "policy": "random",
        "k": 2,
        "n_per_original": 1,
        "keep_original": True,
    }
