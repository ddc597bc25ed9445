"""Perturbations: seeded, and changing only what they say."""

from __future__ import annotations

import numpy as np
import pytest

from headrace.behavior import (
    add_typos,
    append,
    change_case,
    expand_template,
    strip_punctuation,
    swap_names,
    swap_numbers,
)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_typos_change_letters_only_and_repeat_with_the_seed() -> None:
    text = "Please subscribe to my channel, 100 times!"
    typo = add_typos(0.1)

    changed = typo(text, rng(1))

    assert changed != text
    assert len(changed) == len(text)
    assert [i for i, (a, b) in enumerate(zip(text, changed, strict=True)) if a != b]
    assert all(a == b for a, b in zip(text, changed, strict=True) if not a.isalpha())
    assert typo(text, rng(1)) == changed


def test_case_punctuation_and_suffixes() -> None:
    assert change_case("lower")("Hello World", rng()) == "hello world"
    assert change_case("upper")("Hello", rng()) == "HELLO"
    assert change_case()("Hello", rng()) in ("hello", "HELLO")
    assert strip_punctuation()("Wow!!! so, good.", rng()) == "Wow so good"
    assert append(["visit my page"])("nice", rng()) == "nice visit my page"
    with pytest.raises(ValueError, match="mode"):
        change_case("title")


def test_names_and_numbers_are_swapped_for_others() -> None:
    names = swap_names(["John", "Mary"])
    assert names("John loves this", rng()) == "Mary loves this"
    assert names("Johnny stays", rng()) == "Johnny stays"
    changed = swap_numbers()("since 2014, 3 times", rng(2))
    numbers = [int(n) for n in changed.replace(",", "").split() if n.isdigit()]
    assert len(numbers) == 2 and numbers != [2014, 3]
    assert 1000 <= numbers[0] <= 9999


def test_templates_expand_every_combination_in_order() -> None:
    assert expand_template("{a}-{b}", a=["1", "2"], b=["x"]) == ["1-x", "2-x"]
    with pytest.raises(ValueError, match=r"\['b'\] have no values"):
        expand_template("{a}{b}", a=["1"])
