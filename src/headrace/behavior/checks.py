"""Behavioral tests of a model (CheckList's three kinds) and the runner that scores them.

A project's ``tests.py`` defines instances of :class:`MinimumFunctionality`,
:class:`Invariance` and :class:`Directional`; :func:`run_behavior_tests` runs them
against a model package and reports each test's failure rate with failing examples.
Inputs are texts (for a model that reads one text column) or whole rows (dicts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal

import numpy as np

from headrace.behavior.perturb import Perturbation
from headrace.errors import DataError
from headrace.registry import ModelPackage
from headrace.serve.schema import InputSchema

__all__ = [
    "BehaviorReport",
    "Directional",
    "Invariance",
    "MinimumFunctionality",
    "TestOutcome",
    "collect_behavior_tests",
    "run_behavior_tests",
]

Input = str | Mapping[str, Any]
#: Failing examples kept per test.
EXAMPLES = 5


@dataclass(frozen=True)
class MinimumFunctionality:
    """Every input must be predicted ``expected``."""

    name: str
    inputs: Sequence[Input]
    expected: str
    max_failure_rate: float = 0.0


@dataclass(frozen=True)
class Invariance:
    """The prediction must not change under ``perturbation`` (``copies`` perturbed copies per input)."""

    name: str
    inputs: Sequence[Input]
    perturbation: Perturbation
    copies: int = 1
    max_failure_rate: float = 0.05


@dataclass(frozen=True)
class Directional:
    """``P(label)`` must move ``direction`` (``up``/``down``) under ``perturbation``.

    A move the wrong way by more than ``tolerance`` fails.
    """

    name: str
    inputs: Sequence[Input]
    perturbation: Perturbation
    label: str
    direction: Literal["up", "down"]
    tolerance: float = 0.0
    max_failure_rate: float = 0.05


BehaviorTest = MinimumFunctionality | Invariance | Directional


@dataclass(frozen=True)
class TestOutcome:
    """One test's result: how many cases, how many failed, and some failing examples."""

    name: str
    kind: str
    cases: int
    failures: int
    max_failure_rate: float
    examples: list[dict[str, Any]] = field(default_factory=list)

    __test__ = False  # not a pytest test class

    @property
    def failure_rate(self) -> float:
        return self.failures / self.cases if self.cases else 0.0

    @property
    def passed(self) -> bool:
        return self.failure_rate <= self.max_failure_rate

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "cases": self.cases,
            "failures": self.failures,
            "failure_rate": self.failure_rate,
            "max_failure_rate": self.max_failure_rate,
            "passed": self.passed,
            "examples": self.examples,
        }


@dataclass(frozen=True)
class BehaviorReport:
    """Every test's outcome; :attr:`passed` when all pass their thresholds."""

    outcomes: list[TestOutcome]
    seed: int

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outcomes)

    @property
    def failed(self) -> list[TestOutcome]:
        return [o for o in self.outcomes if not o.passed]

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "seed": self.seed, "tests": [o.to_dict() for o in self.outcomes]}


def collect_behavior_tests(module: ModuleType) -> list[BehaviorTest]:
    """The tests a project's ``tests.py`` defines, in definition order; names must be unique."""
    tests: list[BehaviorTest] = []
    names: set[str] = set()
    for value in vars(module).values():
        candidates = value if isinstance(value, (list, tuple)) else [value]
        for item in candidates:
            if isinstance(item, (MinimumFunctionality, Invariance, Directional)):
                if item.name in names:
                    raise DataError(f"two behavioral tests are named {item.name!r}; names must be unique")
                names.add(item.name)
                tests.append(item)
    return tests


class _Model:
    """Predicts inputs (texts or rows) through the package's input schema."""

    def __init__(self, package: ModelPackage) -> None:
        self.package = package
        self.schema = InputSchema(package.input_schema)
        self.classes = list(package.classes)

    def rows(self, inputs: Sequence[Input], test: str) -> list[dict[str, Any]]:
        rows = []
        for item in inputs:
            if isinstance(item, str):
                if len(self.package.features.text) != 1:
                    raise DataError(
                        f"test {test!r} gives texts, but the model reads {self.schema.names}: "
                        "give rows (dicts)"
                    )
                row: dict[str, Any] = dict.fromkeys(self.schema.names)
                row[self.package.features.text[0]] = item
                rows.append(row)
            else:
                rows.append({name: item.get(name) for name in self.schema.names})
        return rows

    def predict(self, rows: list[dict[str, Any]]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        table = self.schema.rows_to_table(rows)
        probs = self.package.predict_proba(table)
        return self.package.decide(probs), probs


def run_behavior_tests(
    package: ModelPackage,
    tests: Sequence[BehaviorTest],
    *,
    seed: int = 0,
    thresholds: Mapping[str, float] | None = None,
) -> BehaviorReport:
    """Run ``tests`` against ``package``; ``thresholds`` (name → max failure rate) override the tests' own.

    Raises
    ------
    DataError
        A test names a class the model does not have, or gives inputs the model
        cannot read.
    """
    model = _Model(package)
    rng = np.random.default_rng(seed)
    outcomes = []
    for test in tests:
        limit = (thresholds or {}).get(test.name, test.max_failure_rate)
        if isinstance(test, MinimumFunctionality):
            outcomes.append(_minimum(model, test, limit))
        elif isinstance(test, Invariance):
            outcomes.append(_invariance(model, test, limit, rng))
        else:
            outcomes.append(_directional(model, test, limit, rng))
    return BehaviorReport(outcomes, seed)


def _class_index(model: _Model, name: str, test: str) -> int:
    if name not in model.classes:
        raise DataError(f"test {test!r} names class {name!r}; the model's classes are {model.classes}")
    return model.classes.index(name)


def _text(row: Mapping[str, Any]) -> Any:
    values = [v for v in row.values() if v is not None]
    return values[0] if len(values) == 1 else dict(row)


def _minimum(model: _Model, test: MinimumFunctionality, limit: float) -> TestOutcome:
    expected = _class_index(model, test.expected, test.name)
    rows = model.rows(test.inputs, test.name)
    labels = model.predict(rows)[0] if rows else np.empty(0, int)
    wrong = np.flatnonzero(labels != expected)
    examples = [
        {"input": _text(rows[i]), "expected": test.expected, "predicted": model.classes[labels[i]]}
        for i in wrong[:EXAMPLES]
    ]
    return TestOutcome(test.name, "minimum_functionality", len(rows), len(wrong), limit, examples)


def _perturbed(
    model: _Model,
    inputs: Sequence[Input],
    perturbation: Perturbation,
    copies: int,
    rng: np.random.Generator,
    test: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    originals = model.rows(inputs, test)
    before: list[dict[str, Any]] = []
    after: list[dict[str, Any]] = []
    for row in originals:
        for _ in range(copies):
            changed = {k: perturbation(v, rng) if isinstance(v, str) else v for k, v in row.items()}
            before.append(row)
            after.append(changed)
    return before, after


def _invariance(model: _Model, test: Invariance, limit: float, rng: np.random.Generator) -> TestOutcome:
    before, after = _perturbed(model, test.inputs, test.perturbation, test.copies, rng, test.name)
    if not before:
        return TestOutcome(test.name, "invariance", 0, 0, limit)
    labels_before, _ = model.predict(before)
    labels_after, _ = model.predict(after)
    changed = np.flatnonzero(labels_before != labels_after)
    examples = [
        {
            "input": _text(before[i]),
            "perturbed": _text(after[i]),
            "before": model.classes[labels_before[i]],
            "after": model.classes[labels_after[i]],
        }
        for i in changed[:EXAMPLES]
    ]
    return TestOutcome(test.name, "invariance", len(before), len(changed), limit, examples)


def _directional(model: _Model, test: Directional, limit: float, rng: np.random.Generator) -> TestOutcome:
    index = _class_index(model, test.label, test.name)
    before, after = _perturbed(model, test.inputs, test.perturbation, 1, rng, test.name)
    if not before:
        return TestOutcome(test.name, "directional", 0, 0, limit)
    _, probs_before = model.predict(before)
    _, probs_after = model.predict(after)
    change = probs_after[:, index] - probs_before[:, index]
    wrong = change < -test.tolerance if test.direction == "up" else change > test.tolerance
    failing = np.flatnonzero(wrong)
    examples = [
        {
            "input": _text(before[i]),
            "perturbed": _text(after[i]),
            f"p_{test.label}_before": float(probs_before[i, index]),
            f"p_{test.label}_after": float(probs_after[i, index]),
        }
        for i in failing[:EXAMPLES]
    ]
    return TestOutcome(test.name, "directional", len(before), len(failing), limit, examples)
