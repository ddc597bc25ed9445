"""Seeded text perturbations for invariance and directional tests, and a template helper.

A perturbation is a callable ``(text, rng) -> text``; it draws any randomness from the
``numpy.random.Generator`` it is given, so a test run is reproducible from its seed.
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "Perturbation",
    "add_typos",
    "append",
    "change_case",
    "expand_template",
    "strip_punctuation",
    "swap_names",
    "swap_numbers",
]

Perturbation = Callable[[str, np.random.Generator], str]

_KEYBOARD_NEIGHBOURS = {
    "a": "qwsz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc", "g": "ftyhbv",
    "h": "gyujnb", "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop", "m": "njk", "n": "bhjm",
    "o": "iklp", "p": "ol", "q": "wa", "r": "edft", "s": "awedxz", "t": "rfgy", "u": "yhji",
    "v": "cfgb", "w": "qase", "x": "zsdc", "y": "tghu", "z": "asx",
}  # fmt: skip

#: First names swapped by :func:`swap_names` (a small, mixed list; extend per project).
NAMES = (
    "John", "Mary", "Ahmed", "Mei", "Carlos", "Aisha", "Ivan", "Priya", "Kwame", "Sofia",
    "David", "Fatima", "Hiroshi", "Olga", "Luis", "Amara",
)  # fmt: skip


def add_typos(rate: float = 0.05) -> Perturbation:
    """Replace about ``rate`` of the letters with a keyboard neighbour (at least one)."""

    def perturb(text: str, rng: np.random.Generator) -> str:
        letters = [i for i, ch in enumerate(text) if ch.lower() in _KEYBOARD_NEIGHBOURS]
        if not letters:
            return text
        count = max(1, round(rate * len(letters)))
        chosen = rng.choice(letters, size=min(count, len(letters)), replace=False)
        chars = list(text)
        for i in chosen:
            neighbours = _KEYBOARD_NEIGHBOURS[chars[i].lower()]
            swapped = neighbours[int(rng.integers(len(neighbours)))]
            chars[i] = swapped.upper() if chars[i].isupper() else swapped
        return "".join(chars)

    return perturb


def change_case(mode: str = "random") -> Perturbation:
    """``lower``, ``upper`` or ``random`` (one of the two per input)."""
    if mode not in ("lower", "upper", "random"):
        raise ValueError(f"mode must be lower, upper or random, got {mode!r}")

    def perturb(text: str, rng: np.random.Generator) -> str:
        chosen = mode if mode != "random" else ("lower", "upper")[int(rng.integers(2))]
        return text.lower() if chosen == "lower" else text.upper()

    return perturb


def strip_punctuation() -> Perturbation:
    """Remove ASCII punctuation."""
    table = str.maketrans("", "", string.punctuation)

    def perturb(text: str, rng: np.random.Generator) -> str:
        return text.translate(table)

    return perturb


def swap_names(names: Sequence[str] = NAMES) -> Perturbation:
    """Replace each listed first name in the text with another from the list."""
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")

    def perturb(text: str, rng: np.random.Generator) -> str:
        def replace(match: re.Match[str]) -> str:
            others = [n for n in names if n != match.group(0)]
            return others[int(rng.integers(len(others)))]

        return pattern.sub(replace, text)

    return perturb


def swap_numbers() -> Perturbation:
    """Replace each number with another of the same number of digits."""

    def perturb(text: str, rng: np.random.Generator) -> str:
        def replace(match: re.Match[str]) -> str:
            digits = len(match.group(0))
            low = 0 if digits == 1 else 10 ** (digits - 1)
            value = int(rng.integers(low, 10**digits))
            if str(value) == match.group(0):
                value = (value + 1) % (10**digits) or low
            return str(value)

        return re.sub(r"\d+", replace, text)

    return perturb


def append(suffixes: Sequence[str]) -> Perturbation:
    """Append one of ``suffixes`` (for directional tests: "… subscribe to my channel")."""
    if not suffixes:
        raise ValueError("append needs at least one suffix")

    def perturb(text: str, rng: np.random.Generator) -> str:
        return f"{text} {suffixes[int(rng.integers(len(suffixes)))]}"

    return perturb


def expand_template(template: str, **slots: Sequence[str]) -> list[str]:
    """Every filling of ``template``'s ``{slot}`` placeholders, in a stable order.

    Examples
    --------
    >>> expand_template("{greeting}, I love this {thing}", greeting=["hi", "wow"], thing=["song"])
    ['hi, I love this song', 'wow, I love this song']
    """
    names = list(slots)
    missing = [n for n in re.findall(r"{(\w+)}", template) if n not in slots]
    if missing:
        raise ValueError(f"template slots {missing} have no values")
    return [
        template.format(**dict(zip(names, values, strict=True)))
        for values in itertools.product(*(slots[n] for n in names))
    ]
