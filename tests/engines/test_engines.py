"""The engine seam: every engine returns ``[fn(p) for p in partitions]``, in partition order."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headrace.engines import Engine, LocalEngine
from headrace.supervision import apply_lfs, keyword_lf

#: Every engine; a new one is added here and must pass the whole suite.
ENGINES: list[Engine] = [LocalEngine()]


@pytest.fixture(params=ENGINES, ids=lambda engine: engine.name)
def engine(request: pytest.FixtureRequest) -> Engine:
    return request.param  # type: ignore[no-any-return]


def test_every_engine_has_a_short_name(engine: Engine) -> None:
    assert engine.name.isidentifier()


def test_the_local_engine_is_called_local() -> None:
    assert LocalEngine().name == "local"


def test_no_partitions_give_no_results(engine: Engine) -> None:
    assert engine.map_partitions(len, []) == []


@pytest.mark.parametrize("engine_index", range(len(ENGINES)))
@settings(max_examples=50, deadline=None)
@given(partitions=st.lists(st.lists(st.integers(), max_size=5), max_size=20))
def test_results_come_back_in_partition_order(engine_index: int, partitions: list[list[int]]) -> None:
    results = ENGINES[engine_index].map_partitions(lambda part: (len(part), sum(part)), partitions)

    assert results == [(len(part), sum(part)) for part in partitions]


def test_an_error_in_a_partition_propagates(engine: Engine) -> None:
    def fail_on_three(part: int) -> int:
        if part == 3:
            raise ValueError("partition 3 is bad")
        return part

    with pytest.raises(ValueError, match="partition 3 is bad"):
        engine.map_partitions(fail_on_three, [1, 2, 3, 4])


def test_applying_lfs_through_an_engine_gives_the_in_process_result(engine: Engine) -> None:
    table = pa.table({"id": list(range(10)), "content": ["free stuff", "hello"] * 5})
    lf = keyword_lf("free", ["free"], label=1, column="content")

    through = apply_lfs([lf], table, id_column="id", cardinality=2, engine=engine, batch_size=3)
    local = apply_lfs([lf], table, id_column="id", cardinality=2)

    np.testing.assert_array_equal(through.matrix.values, local.matrix.values)
