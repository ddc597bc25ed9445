"""``label_model: auto``: pick the label model that labels the gold dev set best.

Learned label models do not always beat majority vote (Snorkel users report it in
snorkel-team/snorkel#1073 and #1713), so with a gold dev set the system fits every
candidate and keeps the one with the highest dev accuracy; without one it uses the
default, Dawid–Skene.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from headrace.supervision.models.base import LabelModelProtocol
from headrace.supervision.models.dawid_skene import DawidSkene
from headrace.supervision.models.majority import MajorityVote

__all__ = ["LABEL_MODELS", "LabelModelChoice", "choose_label_model"]

#: Every label model by its project-file name.
LABEL_MODELS: dict[str, Callable[[int], LabelModelProtocol]] = {
    "dawid_skene": lambda k: DawidSkene(cardinality=k),
    "majority": lambda k: MajorityVote(cardinality=k),
}


@dataclass(frozen=True)
class LabelModelChoice:
    """The fitted label model and how each candidate scored on gold dev."""

    name: str
    model: LabelModelProtocol
    dev_accuracy: dict[str, float]


def choose_label_model(
    setting: str,
    L: Any,
    *,
    cardinality: int,
    L_dev: Any = None,
    y_dev: Any = None,
) -> LabelModelChoice:
    """Fit the label model named by ``setting`` (or, for ``"auto"``, the best on dev)."""
    names = list(LABEL_MODELS) if setting == "auto" else [setting]
    fitted = {name: LABEL_MODELS[name](cardinality).fit(L, L_dev=L_dev, y_dev=y_dev) for name in names}
    scores: dict[str, float] = {}
    if L_dev is not None and y_dev is not None and len(y_dev):
        gold = np.asarray(y_dev)
        scores = {name: float(np.mean(m.predict(L_dev) == gold)) for name, m in fitted.items()}
    if len(names) == 1 or not scores:
        best = names[0]
    else:
        # Ties keep the earlier (learned) model: it also weights LFs on unseen data.
        best = max(names, key=lambda name: scores[name])
    return LabelModelChoice(name=best, model=fitted[best], dev_accuracy=scores)
