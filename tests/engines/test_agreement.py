"""Engines agree: random data and random LF sets give the identical label matrix everywhere."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import cloudpickle
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headrace.engines import DaskEngine, Engine, LocalEngine, ProcessEngine
from headrace.supervision import (
    ABSTAIN,
    LabelingFunction,
    Row,
    apply_lfs,
    keyword_lf,
    labeling_function,
    regex_lf,
)

# Functions defined here run in worker processes: send them by value, like project LFs.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def engines() -> Iterator[dict[str, Engine]]:
    # No Dask here: a LocalCluster's scheduler thread uses the global `random` module
    # while Hypothesis draws examples, which Hypothesis rejects as nondeterministic.
    started: dict[str, Engine] = {"local": LocalEngine(), "processes": ProcessEngine(workers=2)}
    yield started
    for engine in started.values():
        engine.close()


@pytest.fixture(scope="module")
def dask_engines() -> Iterator[dict[str, Engine]]:
    started: dict[str, Engine] = {"local": LocalEngine(), "dask": DaskEngine(workers=2)}
    yield started
    for engine in started.values():
        engine.close()


# --- engines agree: random data, random LF sets ---------------------------------------

WORDS = ["free", "win", "love", "song", "check", "out", "http://x.co", "é", "!", "42", ""]


@labeling_function()
def long_text(row: Row) -> int:
    return 1 if len(row.text or "") > 20 else ABSTAIN


@labeling_function()
def has_number(row: Row) -> int:
    return 0 if row.n is not None and row.n % 3 == 0 else ABSTAIN


@labeling_function(vectorized=True)
def many_words(frame: object) -> object:
    counts = frame["text"].fillna("").str.split().str.len()  # type: ignore[index]
    return np.where(counts >= 4, 1, ABSTAIN)


@labeling_function()
def flaky(row: Row) -> int:
    if row.n is not None and row.n % 5 == 0:
        raise ValueError("divisible by five")
    return ABSTAIN


LF_POOL: list[LabelingFunction] = [
    keyword_lf("kw_free", ["free", "win"], label=1, column="text"),
    keyword_lf("kw_song", ["song", "love"], label=0, column="text"),
    regex_lf("url", r"https?://\S+", label=1, column="text"),
    regex_lf("word_out", r"\bout\b", label=0, column="text"),
    long_text,
    has_number,
    many_words,
    flaky,
]

tables = st.integers(min_value=0, max_value=120).flatmap(
    lambda n: st.tuples(
        st.lists(
            st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join) | st.none(), min_size=n, max_size=n
        ),
        st.lists(st.integers(-50, 50) | st.none(), min_size=n, max_size=n),
    )
)


def _apply_everywhere(
    engines: dict[str, Engine],
    table: pa.Table,
    lfs: list[LabelingFunction],
    batch_size: int,
) -> None:
    results = {
        name: apply_lfs(
            lfs,
            table,
            id_column="id",
            cardinality=2,
            engine=engine,
            batch_size=batch_size,
            on_error="abstain",
        )
        for name, engine in engines.items()
    }
    local = results["local"]
    for name, result in results.items():
        np.testing.assert_array_equal(result.matrix.values, local.matrix.values, err_msg=name)
        assert result.failures == local.failures, name
        assert result.matrix.lf_names == local.matrix.lf_names


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=tables,
    lf_indices=st.lists(st.integers(0, len(LF_POOL) - 1), min_size=1, max_size=6, unique=True),
    batch_size=st.integers(1, 50),
)
def test_local_and_process_engines_give_the_identical_label_matrix(
    engines: dict[str, Engine],
    data: tuple[list[str | None], list[int | None]],
    lf_indices: list[int],
    batch_size: int,
) -> None:
    texts, numbers = data
    table = pa.table({"id": [f"r{i}" for i in range(len(texts))], "text": texts, "n": numbers})

    _apply_everywhere(
        {name: engines[name] for name in ("local", "processes")},
        table,
        [LF_POOL[i] for i in lf_indices],
        batch_size,
    )


@pytest.mark.parametrize("seed", range(15))
def test_dask_gives_the_identical_label_matrix(dask_engines: dict[str, Engine], seed: int) -> None:
    # Hypothesis cannot drive this one (see the `engines` fixture): a seeded generator
    # covers the same ground.
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 200))
    texts = [
        None if rng.random() < 0.1 else " ".join(rng.choice(WORDS, size=int(rng.integers(0, 9))))
        for _ in range(n)
    ]
    numbers = [None if rng.random() < 0.1 else int(v) for v in rng.integers(-50, 50, size=n)]
    table = pa.table({"id": [f"r{i}" for i in range(n)], "text": texts, "n": numbers})
    chosen = rng.choice(len(LF_POOL), size=int(rng.integers(1, 7)), replace=False)

    _apply_everywhere(
        dask_engines,
        table,
        [LF_POOL[i] for i in chosen],
        int(rng.integers(1, 60)),
    )
