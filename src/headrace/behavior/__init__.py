"""Behavioral tests: what a model must do beyond its accuracy (minimum functionality,
invariance, direction), written in a project's ``tests.py`` and run as a release gate."""

from headrace.behavior.checks import (
    BehaviorReport,
    Directional,
    Invariance,
    MinimumFunctionality,
    TestOutcome,
    collect_behavior_tests,
    run_behavior_tests,
)
from headrace.behavior.perturb import (
    Perturbation,
    add_typos,
    append,
    change_case,
    expand_template,
    strip_punctuation,
    swap_names,
    swap_numbers,
)

__all__ = [
    "BehaviorReport",
    "Directional",
    "Invariance",
    "MinimumFunctionality",
    "Perturbation",
    "TestOutcome",
    "add_typos",
    "append",
    "change_case",
    "collect_behavior_tests",
    "expand_template",
    "run_behavior_tests",
    "strip_punctuation",
    "swap_names",
    "swap_numbers",
]
