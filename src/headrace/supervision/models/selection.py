"""The label-model registry, and ``label_model: auto``.

``auto`` is :class:`~headrace.supervision.models.default.LabelModel`: learned label
models do not always beat majority vote (Snorkel users report it in
snorkel-team/snorkel#1073 and #1713), so with a gold dev set it compares itself with
the other label models and switches only when another wins on dev by more than noise
(paired bootstrap); without one it is its robust Dawid–Skene.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from headrace.supervision.models.base import LabelModelProtocol
from headrace.supervision.models.dawid_skene import DawidSkene
from headrace.supervision.models.default import LabelModel, dev_score
from headrace.supervision.models.majority import MajorityVote
from headrace.supervision.models.matrix_completion import MatrixCompletion
from headrace.supervision.models.triplet import Triplet
from headrace.supervision.models.weighted_majority import WeightedMajorityVote

__all__ = ["LABEL_MODELS", "LabelModelChoice", "choose_label_model"]

#: Every label model by its project-file name.
LABEL_MODELS: dict[str, Callable[[int], LabelModelProtocol]] = {
    "dawid_skene": lambda k: DawidSkene(cardinality=k),
    "label_model": lambda k: LabelModel(cardinality=k),
    "majority": lambda k: MajorityVote(cardinality=k),
    "matrix_completion": lambda k: MatrixCompletion(cardinality=k),
    "triplet": lambda k: Triplet(cardinality=k),
    "weighted_majority": lambda k: WeightedMajorityVote(cardinality=k),
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
    """Fit the label model named by ``setting``; ``"auto"`` is :class:`LabelModel`.

    For ``auto`` the choice is named after what :class:`LabelModel` settled on
    (``label_model``, ``label_model_dev`` or the candidate it defers to).

    ``dev_accuracy`` holds each candidate's dev score (accuracy; macro-F1 for two
    classes): for ``auto`` every model it compared, else the named model's alone.
    """
    has_dev = L_dev is not None and y_dev is not None and len(y_dev) > 0
    if setting == "auto":
        model = LabelModel(cardinality=cardinality).fit(L, L_dev=L_dev if has_dev else None, y_dev=y_dev)
        return LabelModelChoice(name=model.chosen_, model=model, dev_accuracy=dict(model.dev_scores_))
    fitted = LABEL_MODELS[setting](cardinality).fit(
        L, L_dev=L_dev if has_dev else None, y_dev=y_dev if has_dev else None
    )
    scores: dict[str, float] = {}
    if has_dev:
        gold = np.asarray(y_dev)
        scores = {setting: dev_score(gold, fitted.predict(L_dev), cardinality)}
    return LabelModelChoice(name=setting, model=fitted, dev_accuracy=scores)
