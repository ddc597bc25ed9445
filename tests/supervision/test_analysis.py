"""lf_summary on a small hand-made matrix whose statistics can be checked by eye."""

from __future__ import annotations

import numpy as np
import pytest

from headrace.supervision import LabelMatrix, lf_summary

#        a   b   c
VOTES = [
    [0, 0, -1],  # a and b agree
    [0, -1, 1],  # a and c conflict
    [-1, 1, 1],  # b and c agree
    [-1, -1, -1],  # nobody votes
]
#        a   b   c
GOLD_VOTES = [
    [0, 1, -1],  # gold 0: a right, b wrong
    [1, -1, -1],  # gold 1: a right; c never votes on gold
]
GOLD = [0, 1]


def make(values: list[list[int]]) -> LabelMatrix:
    return LabelMatrix(
        values=np.array(values, dtype=np.int8).reshape(len(values), 3),
        lf_names=("a", "b", "c"),
        lf_keys=("ka", "kb", "kc"),
        cardinality=2,
    )


def test_coverage_overlaps_conflicts_and_polarity() -> None:
    summary = lf_summary(make(VOTES))

    assert list(summary.index) == ["a", "b", "c"]
    assert summary.index.name == "lf"
    assert summary["polarity"].tolist() == [[0], [0, 1], [1]]
    assert summary["coverage"].tolist() == [0.5, 0.5, 0.5]
    assert summary["overlaps"].tolist() == [0.5, 0.5, 0.5]
    assert summary["conflicts"].tolist() == [0.25, 0.0, 0.25]
    assert summary["failures"].tolist() == [0, 0, 0]
    assert summary["seconds"].tolist() == [0.0, 0.0, 0.0]
    assert "emp_accuracy" not in summary
    assert "learned_accuracy" not in summary


def test_empirical_accuracy_on_gold_rows_and_nan_where_an_lf_never_votes_on_gold() -> None:
    summary = lf_summary(make(VOTES), gold_matrix=make(GOLD_VOTES), gold=GOLD)

    assert summary.loc["a", "emp_accuracy"] == 1.0
    assert summary.loc["b", "emp_accuracy"] == 0.0
    assert np.isnan(summary.loc["c", "emp_accuracy"])
    assert summary["gold_votes"].tolist() == [2, 1, 0]


def test_learned_accuracy_failures_and_seconds_are_added_by_lf_name() -> None:
    summary = lf_summary(
        make(VOTES),
        learned_accuracy=[0.9, 0.6, 0.75],
        failures={"b": 3},
        seconds={"a": 0.5, "c": 1.25},
    )

    assert summary["learned_accuracy"].tolist() == pytest.approx([0.9, 0.6, 0.75])
    assert summary["failures"].tolist() == [0, 3, 0]
    assert summary["seconds"].tolist() == [0.5, 0.0, 1.25]


def test_an_empty_matrix_summarizes_to_zeros_without_warnings() -> None:
    summary = lf_summary(make([]))

    assert summary["coverage"].tolist() == [0.0, 0.0, 0.0]
    assert summary["conflicts"].tolist() == [0.0, 0.0, 0.0]
    assert summary["polarity"].tolist() == [[], [], []]
