"""The contract every model family follows.

A *family* is a kind of classifier plus its hyper-parameter search space::

    family.suggest(trial) -> params                       # an Optuna search space
    family.build(params, *, seed, class_weight) -> model  # an unfitted scikit-learn classifier
    family.fit(model, X, y, *, sample_weight, monitor=None) -> model

``build`` does no work; ``fit`` trains on soft-label-expanded rows (class indices ``y``
with one weight per row) and returns the model, whose ``predict_proba`` gives one
column per class, in class order. Multi-step families (boosting) call ``monitor`` with
their probabilities every few steps so a search can prune hopeless trials; single-step
families ignore it. Optuna parameter names are prefixed with the family name
(``logistic.C``) so families never share a distribution; ``suggest`` returns them
unprefixed, ready for ``build``.

Adding a family is adding a module with a class that has these members and a line in
:data:`headrace.train.families.FAMILIES`; ``tests/train/test_families.py`` then holds it
to the contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from headrace.train.types import Classifier, ClassWeights, FloatArray, IntArray, Matrix, Monitor

if TYPE_CHECKING:
    import optuna

__all__ = ["ModelFamily", "class_weight_dict", "param_name"]


class ModelFamily(Protocol):
    """What the search needs from a model family."""

    @property
    def name(self) -> str:
        """The family's name in ``train.models``."""
        ...

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """Sample hyper-parameters for ``trial``; JSON-ready values, keys as ``build`` takes them."""
        ...

    def build(self, params: Mapping[str, Any], *, seed: int, class_weight: ClassWeights) -> Classifier:
        """An unfitted classifier with ``params``, seeded, weighing classes by ``class_weight``."""
        ...

    def fit(
        self,
        model: Classifier,
        X: Matrix,
        y: IntArray,
        *,
        sample_weight: FloatArray,
        monitor: Monitor | None = None,
    ) -> Classifier:
        """Train ``model`` on weighted rows; call ``monitor`` after reported steps, if any."""
        ...


def param_name(family: str, key: str) -> str:
    """The Optuna name of a family's hyper-parameter (``logistic.C``)."""
    return f"{family}.{key}"


def class_weight_dict(class_weight: ClassWeights) -> dict[int, float] | None:
    """``class_weight`` as the plain dict scikit-learn and LightGBM take."""
    return None if class_weight is None else {int(c): float(w) for c, w in class_weight.items()}
