"""Label-free estimates: expected accuracy and F1 from LF votes and a label model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from headrace.monitor.estimate import apply_lfs_to_log, estimate_performance, lf_coverage
from headrace.store import Store
from headrace.supervision import DawidSkene, keyword_lf, labeling_function, make_label_matrix
from headrace.supervision.models import MajorityVote


def test_the_estimate_is_the_mean_probability_of_the_predicted_class() -> None:
    votes = np.array([[1, 1], [0, 0], [1, 0], [-1, -1]], dtype=np.int8)
    model = MajorityVote(cardinality=2).fit(votes, class_balance=[0.5, 0.5])
    predicted = np.array([1, 1, 1, 0])

    estimate = estimate_performance(votes, predicted, model, lf_names=["a", "b"])

    # P(predicted class): 1.0, 0.0, 0.5, 0.5
    assert estimate.accuracy == pytest.approx(0.5)
    # expected TP = 1 + 0 + .5, FP = 0 + 1 + .5, FN = .5 (row 4 predicted 0 with P(1) = .5)
    assert estimate.f1 == pytest.approx(2 * 1.5 / (2 * 1.5 + 1.5 + 0.5))
    assert estimate.covered == pytest.approx(0.75)
    assert estimate.lf_coverage == {"a": 0.75, "b": 0.75}


def test_the_estimate_tracks_true_accuracy_on_synthetic_votes() -> None:
    truths = []
    estimates = []
    for error_rate in (0.05, 0.2, 0.35):
        data = make_label_matrix(20_000, 8, cardinality=2, coverage=(0.5, 0.9), accuracy=(0.8, 0.95), seed=3)
        model = DawidSkene(cardinality=2).fit(data.L)
        rng = np.random.default_rng(0)
        flip = rng.random(len(data.y)) < error_rate
        predicted = np.where(flip, 1 - data.y, data.y)
        estimate = estimate_performance(data.L, predicted, model, lf_names=[str(j) for j in range(8)])
        truths.append(float(np.mean(predicted == data.y)))
        estimates.append(estimate.accuracy)
        low, high = estimate.accuracy_ci
        assert low <= estimate.accuracy <= high

    assert estimates == sorted(estimates, reverse=True)
    assert np.max(np.abs(np.array(estimates) - np.array(truths))) < 0.08


def test_the_interval_narrows_as_rows_grow() -> None:
    widths = []
    for n in (200, 20_000):
        data = make_label_matrix(n, 6, cardinality=2, seed=1)
        model = MajorityVote(cardinality=2).fit(data.L)
        estimate = estimate_performance(data.L, data.y, model, lf_names=list("abcdef"))
        widths.append(estimate.accuracy_ci[1] - estimate.accuracy_ci[0])

    assert widths[1] < widths[0] / 3


def test_no_rows_give_an_empty_estimate() -> None:
    estimate = estimate_performance(
        np.empty((0, 2), np.int8), np.empty(0, np.int64), MajorityVote(), lf_names=["a", "b"]
    )

    assert estimate.rows == 0
    assert np.isnan(estimate.accuracy)


def test_lf_votes_on_logged_rows_are_cached_per_lf_and_unavailable_lfs_abstain(tmp_path: Path) -> None:
    calls = []

    @labeling_function()
    def reads_video(row: object) -> int:
        calls.append(1)
        return 1 if row.video == "psy" else -1  # type: ignore[attr-defined]

    spammy = keyword_lf("spammy", ["subscribe"], label=1, column="content")
    table = pa.table({"request_id": ["a", "b", "c"], "content": ["subscribe now", "nice", "SUBSCRIBE"]})

    with Store(tmp_path / ".headrace") as store:
        votes, unavailable = apply_lfs_to_log(store, [spammy, reads_video], table, cardinality=2)
        first_calls = len(calls)
        again, _ = apply_lfs_to_log(store, [spammy, reads_video], table, cardinality=2)

    assert votes.tolist() == [[1, -1], [-1, -1], [1, -1]]
    assert unavailable == ["reads_video"]
    assert again.tolist() == votes.tolist()
    assert len(calls) == first_calls  # the second call read the cache
    assert lf_coverage(votes, ["spammy", "reads_video"]) == {
        "spammy": pytest.approx(2 / 3),
        "reads_video": 0.0,
    }
