"""Behavioral tests run against a small TF-IDF model: failure rates, thresholds, examples."""

from __future__ import annotations

import types

import numpy as np
import pytest

from headrace.behavior import (
    Directional,
    Invariance,
    MinimumFunctionality,
    append,
    change_case,
    collect_behavior_tests,
    run_behavior_tests,
)
from headrace.errors import DataError
from tests.registry.builders import make_package

PACKAGE = make_package()
SPAM = ["check out my channel", "subscribe to my channel now"]
HAM = ["love this song", "this song is great"]


def test_minimum_functionality_counts_wrong_predictions_with_examples() -> None:
    test = MinimumFunctionality("spam is spam", SPAM + HAM, expected="spam", max_failure_rate=0.1)

    [outcome] = run_behavior_tests(PACKAGE, [test]).outcomes

    assert (outcome.cases, outcome.failures) == (4, 2)
    assert not outcome.passed
    assert {e["input"] for e in outcome.examples} == set(HAM)
    assert all(e["predicted"] == "ham" for e in outcome.examples)


def test_invariance_compares_each_input_with_its_perturbed_copies() -> None:
    unchanged = Invariance("case", SPAM + HAM, change_case("lower"), copies=2)
    flipping = Invariance("spam suffix", HAM, append(["check out subscribe my channel channel"]))

    case, suffix = run_behavior_tests(PACKAGE, [unchanged, flipping]).outcomes

    assert (case.cases, case.failures, case.passed) == (8, 0, True)
    assert suffix.failures > 0
    assert suffix.examples[0]["before"] == "ham" and suffix.examples[0]["after"] == "spam"


def test_directional_fails_moves_the_wrong_way() -> None:
    up = Directional(
        "plea raises spam", HAM, append(["subscribe to my channel"]), label="spam", direction="up"
    )
    down = Directional(
        "plea lowers spam", HAM, append(["subscribe to my channel"]), label="spam", direction="down"
    )

    raised, lowered = run_behavior_tests(PACKAGE, [up, down]).outcomes

    assert raised.failures == 0 and raised.passed
    assert lowered.failures == 2 and not lowered.passed
    assert lowered.examples[0]["p_spam_after"] > lowered.examples[0]["p_spam_before"]


def test_thresholds_from_the_project_override_the_tests_own() -> None:
    test = MinimumFunctionality("spam is spam", SPAM + HAM, expected="spam", max_failure_rate=0.0)

    report = run_behavior_tests(PACKAGE, [test], thresholds={"spam is spam": 0.5})

    assert report.passed
    assert report.to_dict()["tests"][0]["failure_rate"] == 0.5


def test_runs_repeat_with_the_seed() -> None:
    from headrace.behavior import add_typos

    test = Invariance("typos", SPAM + HAM, add_typos(0.3), copies=5)

    first = run_behavior_tests(PACKAGE, [test], seed=7).to_dict()
    again = run_behavior_tests(PACKAGE, [test], seed=7).to_dict()

    assert first == again


def test_rows_as_dicts_and_clear_errors() -> None:
    rows = [{"content": "check out my channel", "links": 3}]
    assert run_behavior_tests(PACKAGE, [MinimumFunctionality("rows", rows, expected="spam")]).passed
    with pytest.raises(DataError, match="classes are \\['ham', 'spam'\\]"):
        run_behavior_tests(PACKAGE, [MinimumFunctionality("bad", SPAM, expected="eggs")])
    with pytest.raises(DataError, match="expected integer"):
        run_behavior_tests(
            PACKAGE, [MinimumFunctionality("bad row", [{"content": "x", "links": "a"}], expected="ham")]
        )


def test_collect_finds_tests_and_lists_and_refuses_duplicate_names() -> None:
    module = types.ModuleType("tests_py")
    module.one = MinimumFunctionality("one", SPAM, expected="spam")  # type: ignore[attr-defined]
    module.many = [Invariance("two", HAM, change_case()), Invariance("three", HAM, change_case())]  # type: ignore[attr-defined]
    module.other = np.arange(3)  # type: ignore[attr-defined]

    assert [t.name for t in collect_behavior_tests(module)] == ["one", "two", "three"]
    module.again = MinimumFunctionality("one", HAM, expected="ham")  # type: ignore[attr-defined]
    with pytest.raises(DataError, match="named 'one'"):
        collect_behavior_tests(module)
