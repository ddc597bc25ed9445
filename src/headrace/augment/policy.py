"""Augmentation policies: which transformation functions make each augmented copy of a row.

A policy answers one question per original row: the list of TF sequences to apply,
one sequence per augmented copy (a sequence applies its TFs in order, each to the
previous one's output). Every policy also says how many copies each original gets
(``n_per_original``) and whether the original stays in the training set
(``keep_original``). Randomness comes only from the generator the applier passes.

* :class:`ApplyOnePolicy`: ``n_per_original`` copies per TF, each made by that TF alone;
* :class:`ApplyAllPolicy`: ``n_per_original`` copies, each made by every TF in turn;
* :class:`RandomPolicy`: ``n_per_original`` copies, each made by ``k`` distinct TFs drawn
  at random.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from headrace.errors import AugmentationError

__all__ = [
    "POLICIES",
    "ApplyAllPolicy",
    "ApplyOnePolicy",
    "Policy",
    "PolicyName",
    "RandomPolicy",
    "make_policy",
]

#: The names ``augment.policy`` accepts.
PolicyName = Literal["one", "all", "random"]
POLICIES: tuple[PolicyName, ...] = ("one", "all", "random")


class Policy(Protocol):
    """What the applier asks of a policy."""

    @property
    def n_per_original(self) -> int: ...

    @property
    def keep_original(self) -> bool: ...

    def sequences(self, n_tfs: int, rng: np.random.Generator) -> list[tuple[int, ...]]:
        """TF index sequences for one original row, one per augmented copy."""
        ...

    def describe(self) -> dict[str, Any]:
        """The policy's settings, JSON-ready (part of the augmentation's cache key)."""
        ...


def _check_common(policy: str, n_per_original: int) -> None:
    if isinstance(n_per_original, bool) or not isinstance(n_per_original, int) or n_per_original < 1:
        raise AugmentationError(
            f"{policy}: n_per_original must be a positive integer, got {n_per_original!r}"
        )


def _check_tfs(policy: str, n_tfs: int) -> None:
    if n_tfs < 1:
        raise AugmentationError(f"{policy}: there are no transformation functions to apply")


@dataclass(frozen=True)
class ApplyOnePolicy:
    """Each copy applies one TF; every TF makes ``n_per_original`` copies of each row.

    With one TF this is "apply it"; with several it gives each TF its own copies, so
    their effects can be told apart.

    Examples
    --------
    >>> ApplyOnePolicy(n_per_original=2).sequences(2, np.random.default_rng(0))
    [(0,), (0,), (1,), (1,)]
    """

    n_per_original: int = 1
    keep_original: bool = True

    def __post_init__(self) -> None:
        _check_common("ApplyOnePolicy", self.n_per_original)

    def sequences(self, n_tfs: int, rng: np.random.Generator) -> list[tuple[int, ...]]:
        """``(t,)`` for every TF ``t``, ``n_per_original`` times each."""
        _check_tfs("ApplyOnePolicy", n_tfs)
        return [(t,) for t in range(n_tfs) for _ in range(self.n_per_original)]

    def describe(self) -> dict[str, Any]:
        """``{"policy": "one", ...}``."""
        return {"policy": "one", "n_per_original": self.n_per_original, "keep_original": self.keep_original}


@dataclass(frozen=True)
class ApplyAllPolicy:
    """Each copy applies every TF in definition order (their composition).

    Examples
    --------
    >>> ApplyAllPolicy().sequences(3, np.random.default_rng(0))
    [(0, 1, 2)]
    """

    n_per_original: int = 1
    keep_original: bool = True

    def __post_init__(self) -> None:
        _check_common("ApplyAllPolicy", self.n_per_original)

    def sequences(self, n_tfs: int, rng: np.random.Generator) -> list[tuple[int, ...]]:
        """``(0, 1, …, n_tfs - 1)``, ``n_per_original`` times."""
        _check_tfs("ApplyAllPolicy", n_tfs)
        return [tuple(range(n_tfs))] * self.n_per_original

    def describe(self) -> dict[str, Any]:
        """``{"policy": "all", ...}``."""
        return {"policy": "all", "n_per_original": self.n_per_original, "keep_original": self.keep_original}


@dataclass(frozen=True)
class RandomPolicy:
    """Each copy applies ``k`` distinct TFs drawn uniformly at random, in random order.

    Examples
    --------
    >>> RandomPolicy(k=2, n_per_original=2).sequences(3, np.random.default_rng(0))
    [(1, 2), (2, 0)]
    """

    k: int = 1
    n_per_original: int = 1
    keep_original: bool = True

    def __post_init__(self) -> None:
        _check_common("RandomPolicy", self.n_per_original)
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise AugmentationError(f"RandomPolicy: k must be a positive integer, got {self.k!r}")

    def sequences(self, n_tfs: int, rng: np.random.Generator) -> list[tuple[int, ...]]:
        """``n_per_original`` draws of ``k`` distinct TF indices (without replacement)."""
        _check_tfs("RandomPolicy", n_tfs)
        if self.k > n_tfs:
            raise AugmentationError(
                f"RandomPolicy draws k={self.k} distinct TFs per copy, but there are only {n_tfs}; "
                f"lower k (augment.k) to at most {n_tfs} or add transformation functions"
            )
        return [
            tuple(int(t) for t in rng.choice(n_tfs, size=self.k, replace=False))
            for _ in range(self.n_per_original)
        ]

    def describe(self) -> dict[str, Any]:
        """``{"policy": "random", "k": ..., ...}``."""
        return {
            "policy": "random",
            "k": self.k,
            "n_per_original": self.n_per_original,
            "keep_original": self.keep_original,
        }


def make_policy(
    name: PolicyName, *, k: int = 1, n_per_original: int = 1, keep_original: bool = True
) -> Policy:
    """The policy ``augment.policy`` names, with the project file's settings.

    Raises
    ------
    AugmentationError
        An unknown name, or invalid settings.
    """
    if name == "one":
        return ApplyOnePolicy(n_per_original=n_per_original, keep_original=keep_original)
    if name == "all":
        return ApplyAllPolicy(n_per_original=n_per_original, keep_original=keep_original)
    if name == "random":
        return RandomPolicy(k=k, n_per_original=n_per_original, keep_original=keep_original)
    raise AugmentationError(f"unknown augmentation policy {name!r}; choose one of {list(POLICIES)}")
