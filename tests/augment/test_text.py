"""Text TFs built from the behavioral-test perturbations."""

from __future__ import annotations

import numpy as np
import pytest

from headrace.augment import (
    case_tf,
    name_swap_tf,
    number_swap_tf,
    perturbation_tf,
    punctuation_tf,
    typo_tf,
)
from headrace.behavior import append
from headrace.errors import AugmentationError

ROW = {"id": "a", "content": "Mary, check out my 2 videos!", "video": "psy"}


def transform(tf: object, row: dict[str, object] = ROW, seed: int = 0) -> object:
    return tf.transform_rows([row], [row["id"]], np.random.default_rng(seed))[0]  # type: ignore[attr-defined]


def test_each_helper_perturbs_only_its_column() -> None:
    outputs = {
        "typos": transform(typo_tf("content", rate=0.2)),
        "case": transform(case_tf("content", mode="upper")),
        "punctuation": transform(punctuation_tf("content")),
        "names": transform(name_swap_tf("content")),
        "numbers": transform(number_swap_tf("content")),
    }

    assert outputs["case"] == {**ROW, "content": "MARY, CHECK OUT MY 2 VIDEOS!"}
    assert outputs["punctuation"] == {**ROW, "content": "Mary check out my 2 videos"}
    for name, out in outputs.items():
        assert isinstance(out, dict) and out["content"] != ROW["content"], name
        assert {k: v for k, v in out.items() if k != "content"} == {"id": "a", "video": "psy"}, name
    assert "Mary" not in outputs["names"]["content"]  # type: ignore[index]
    assert "2" not in outputs["numbers"]["content"]  # type: ignore[index]


def test_helpers_are_seeded() -> None:
    typos = typo_tf("content", rate=0.3)

    assert transform(typos, seed=1) == transform(typos, seed=1)
    assert transform(typos, seed=1) != transform(typos, seed=2)


def test_null_text_gets_no_copy_and_other_types_are_an_error() -> None:
    typos = typo_tf("content")

    assert transform(typos, {**ROW, "content": None}) is None
    with pytest.raises(
        AugmentationError, match=r"'typos' raised on row 'a': TypeError: column 'content' holds"
    ):
        transform(typos, {**ROW, "content": 3})
    with pytest.raises(AugmentationError, match=r"KeyError: \"no column 'text'"):
        transform(typo_tf("text"))


def test_keys_follow_the_settings() -> None:
    assert typo_tf("content").key == typo_tf("content").key
    assert typo_tf("content", rate=0.1).key != typo_tf("content", rate=0.2).key
    assert typo_tf("content").key != typo_tf("title").key
    assert case_tf("content", mode="lower").key != case_tf("content", mode="upper").key
    assert perturbation_tf(append(["lol"]), "content", name="tail").key != (
        perturbation_tf(append(["sub 2 me"]), "content", name="tail").key
    )


def test_perturbation_tf_wraps_any_perturbation() -> None:
    tail = perturbation_tf(append(["lol"]), "content", name="tail")

    assert transform(tail) == {**ROW, "content": "Mary, check out my 2 videos! lol"}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: typo_tf("content", rate=0), r"typo_tf 'typos': rate must be in \(0, 1\]"),
        (lambda: case_tf("content", mode="title"), "mode must be lower, upper or random, got 'title'"),
        (lambda: name_swap_tf("content", names=["Ann"]), "give at least two names"),
        (lambda: punctuation_tf(""), "name the text column"),
    ],
)
def test_invalid_settings_say_what_to_fix(make: object, message: str) -> None:
    with pytest.raises(AugmentationError, match=message):
        make()  # type: ignore[operator]
