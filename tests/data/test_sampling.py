"""Samplers, each checked for the statistical property it promises."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

from headrace.data.sampling import ReservoirSampler, stratified_sample, stratified_split, weighted_sample
from headrace.errors import DataError


def stream(n: int, batch: int) -> list[pa.Table]:
    return [pa.table({"i": np.arange(s, min(s + batch, n))}) for s in range(0, n, batch)]


@pytest.mark.parametrize("batch", [1, 7, 100, 1000])
def test_the_reservoir_keeps_size_rows_in_arrival_order_whatever_the_batches(batch: int) -> None:
    sampler = ReservoirSampler(50, seed=1)
    for table in stream(1000, batch):
        sampler.update(table)

    kept = sampler.sample().column("i").to_pylist()
    assert len(kept) == 50
    assert kept == sorted(set(kept))
    assert sampler.seen == 1000


def test_a_short_stream_is_kept_whole() -> None:
    sampler = ReservoirSampler(100, seed=0)
    for table in stream(30, 8):
        sampler.update(table)

    assert sampler.sample().column("i").to_pylist() == list(range(30))


def test_every_row_is_kept_with_probability_k_over_n() -> None:
    n, k, runs = 200, 20, 2000
    counts = np.zeros(n)
    for seed in range(runs):
        sampler = ReservoirSampler(k, seed=seed)
        for table in stream(n, 13):
            sampler.update(table)
        counts[sampler.sample().column("i").to_numpy()] += 1

    expected = runs * k / n
    # Each row's count is Binomial(runs, k/n): all within 5 standard deviations, and
    # the counts as a whole pass a chi-squared test of uniformity.
    sd = np.sqrt(runs * (k / n) * (1 - k / n))
    assert np.all(np.abs(counts - expected) < 5 * sd)
    assert stats.chisquare(counts).pvalue > 0.001


def test_the_reservoir_is_reproducible_and_refuses_a_changed_schema() -> None:
    def run(seed: int) -> list[int]:
        sampler = ReservoirSampler(10, seed=seed)
        for table in stream(500, 31):
            sampler.update(table)
        return list(sampler.sample().column("i").to_pylist())

    assert run(3) == run(3)
    assert run(3) != run(4)
    sampler = ReservoirSampler(10)
    sampler.update(pa.table({"i": [1]}))
    with pytest.raises(DataError, match="schema changed"):
        sampler.update(pa.table({"j": [1]}))


def test_stratified_split_keeps_every_stratum_share_and_every_row_once() -> None:
    labels = ["ham"] * 900 + ["spam"] * 90 + ["rare"] * 10
    table = pa.table({"id": np.arange(1000), "label": labels})

    parts = stratified_split(table, "label", {"dev": 0.2, "test": 0.8}, seed=0)

    ids = sorted(parts["dev"].column("id").to_pylist() + parts["test"].column("id").to_pylist())
    assert ids == list(range(1000))
    dev = parts["dev"].column("label").to_pylist()
    assert (dev.count("ham"), dev.count("spam"), dev.count("rare")) == (180, 18, 2)


def test_stratified_sample_never_drops_a_rare_class() -> None:
    table = pa.table({"label": ["a"] * 1000 + ["b"] * 3})

    sample = stratified_sample(table, "label", 0.01, seed=0).column("label").to_pylist()

    assert sample.count("a") == 10
    assert sample.count("b") == 1


def test_stratifying_needs_the_column_and_no_nulls() -> None:
    with pytest.raises(DataError, match="no column 'label'"):
        stratified_sample(pa.table({"x": [1]}), "label", 0.5)
    with pytest.raises(DataError, match="empty at row 1"):
        stratified_split(pa.table({"label": ["a", None]}), "label", {"a": 1.0})


def test_weighted_draws_follow_the_weights() -> None:
    table = pa.table({"i": np.arange(4), "w": [1.0, 2.0, 3.0, 0.0]})
    firsts = np.zeros(4)
    for seed in range(3000):
        [i] = weighted_sample(table, "w", 1, seed=seed).column("i").to_pylist()
        firsts[i] += 1

    assert firsts[3] == 0  # weight 0: never drawn
    assert stats.chisquare(firsts[:3], f_exp=np.array([1, 2, 3]) / 6 * 3000).pvalue > 0.001
    both = weighted_sample(table, [1.0, 1.0, 1.0, 1.0], 4, seed=0).column("i").to_pylist()
    assert both == [0, 1, 2, 3]


def test_weighted_sample_refuses_impossible_requests() -> None:
    table = pa.table({"i": [0, 1, 2]})
    with pytest.raises(DataError, match="only 2 have a positive weight"):
        weighted_sample(table, [1.0, 0.0, 1.0], 3)
    with pytest.raises(DataError, match="one weight per row"):
        weighted_sample(table, [1.0], 1)
    with pytest.raises(DataError, match="non-negative"):
        weighted_sample(table, [1.0, -1.0, 1.0], 1)
