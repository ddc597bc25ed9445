"""Model families behind one contract (see :mod:`headrace.train.families.base`)."""

from headrace.train.families.base import ModelFamily, param_name
from headrace.train.families.boosting import BoostedTrees, LightGBM
from headrace.train.families.linear_svm import LinearSVM
from headrace.train.families.logistic import Logistic

__all__ = ["FAMILIES", "BoostedTrees", "LightGBM", "LinearSVM", "Logistic", "ModelFamily", "param_name"]

#: Every model family by its name in ``train.models``.
FAMILIES: dict[str, ModelFamily] = {family.name: family for family in (Logistic(), LightGBM(), LinearSVM())}
