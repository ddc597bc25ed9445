"""Ready-made transformation functions over one text column, from the behavioral-test
perturbations (:mod:`headrace.behavior.perturb`): typos, case, punctuation, names, numbers.

The same seeded perturbations that check a model is *invariant* to typos or case can
teach it to be: each helper returns a row-wise :class:`TransformationFunction` that
perturbs ``column`` and leaves every other column as it is. A row whose text is null
gets no copy. A helper's key describes its specification (column and settings), so
changing ``rate=0.05`` to ``0.1`` re-augments, but editing an unrelated line does not.

Examples
--------
>>> typos = typo_tf("content", rate=0.1)
>>> typos.name, typos.takes_rng
('typos', True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from headrace.augment.tf import TransformationFunction
from headrace.errors import AugmentationError
from headrace.store.hashing import function_source
from headrace.supervision.batch import Row

__all__ = [
    "case_tf",
    "name_swap_tf",
    "number_swap_tf",
    "perturbation_tf",
    "punctuation_tf",
    "typo_tf",
]

#: ``(text, rng) -> text``, as :data:`headrace.behavior.Perturbation`.
Perturbation = Callable[[str, np.random.Generator], str]


@dataclass(frozen=True)
class _PerturbColumn:
    """Row → row with ``perturbation`` applied to ``column`` (a picklable TF body)."""

    name: str
    perturbation: Perturbation
    column: str

    def __call__(self, row: Row, *, rng: np.random.Generator) -> dict[str, Any] | None:
        if self.column not in row:
            raise KeyError(f"no column {self.column!r}; columns: {sorted(row)}")
        text = row[self.column]
        if text is None:
            return None
        if not isinstance(text, str):
            raise TypeError(f"column {self.column!r} holds {type(text).__name__}, not text")
        return {**row, self.column: self.perturbation(text, rng)}


def _text_tf(name: str, perturbation: Perturbation, column: str, spec: str) -> TransformationFunction:
    if not column:
        raise AugmentationError(f"{name}: name the text column to perturb, e.g. column='content'")
    return TransformationFunction(
        name=name,
        fn=_PerturbColumn(name, perturbation, column),
        source=f"{spec} on column {column!r}",
        takes_rng=True,
    )


def _closure_values(fn: Callable[..., Any]) -> list[str]:
    cells = getattr(fn, "__closure__", None) or ()
    values: list[str] = []
    for cell in cells:
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        values.append(function_source(value) if callable(value) else repr(value))
    return values


def perturbation_tf(perturbation: Perturbation, column: str, *, name: str) -> TransformationFunction:
    """A TF that applies any ``(text, rng) -> text`` perturbation to ``column``.

    The key hashes the perturbation's source and the values it closes over (so
    ``append(["sub 2 me"])`` and ``append(["follow me"])`` are different TFs).

    Examples
    --------
    >>> from headrace.behavior import append
    >>> perturbation_tf(append(["lol"]), "content", name="lol").name
    'lol'
    """
    spec = f"perturbation {function_source(perturbation)} with {_closure_values(perturbation)}"
    return _text_tf(name, perturbation, column, spec)


def typo_tf(column: str, *, rate: float = 0.05, name: str = "typos") -> TransformationFunction:
    """Replace about ``rate`` of the letters of ``column`` with a keyboard neighbour."""
    from headrace.behavior.perturb import add_typos

    if not 0 < rate <= 1:
        raise AugmentationError(f"typo_tf {name!r}: rate must be in (0, 1], got {rate}")
    return _text_tf(name, add_typos(rate), column, f"add_typos(rate={rate!r})")


def case_tf(column: str, *, mode: str = "random", name: str = "change_case") -> TransformationFunction:
    """Lower-case, upper-case, or (``random``) one of the two per row."""
    from headrace.behavior.perturb import change_case

    if mode not in ("lower", "upper", "random"):
        raise AugmentationError(f"case_tf {name!r}: mode must be lower, upper or random, got {mode!r}")
    return _text_tf(name, change_case(mode), column, f"change_case(mode={mode!r})")


def punctuation_tf(column: str, *, name: str = "strip_punctuation") -> TransformationFunction:
    """Remove ASCII punctuation."""
    from headrace.behavior.perturb import strip_punctuation

    return _text_tf(name, strip_punctuation(), column, "strip_punctuation()")


def name_swap_tf(
    column: str, *, names: Sequence[str] | None = None, name: str = "swap_names"
) -> TransformationFunction:
    """Replace each listed first name with another from the list (default: a mixed list)."""
    from headrace.behavior.perturb import NAMES, swap_names

    chosen = tuple(NAMES if names is None else names)
    if len(chosen) < 2:
        raise AugmentationError(f"name_swap_tf {name!r}: give at least two names to swap between")
    return _text_tf(name, swap_names(chosen), column, f"swap_names(names={list(chosen)!r})")


def number_swap_tf(column: str, *, name: str = "swap_numbers") -> TransformationFunction:
    """Replace each number with another of as many digits."""
    from headrace.behavior.perturb import swap_numbers

    return _text_tf(name, swap_numbers(), column, "swap_numbers()")
