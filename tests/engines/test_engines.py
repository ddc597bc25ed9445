"""The engine seam: every engine returns ``[fn(p) for p in partitions]``, in partition order.

One suite runs against every engine — in-process, a process pool, and a real
``dask.distributed`` LocalCluster of worker processes — and checks they give the
identical label matrix for random data and random LF sets.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import cloudpickle
import pyarrow as pa
import pytest

from headrace.engines import DaskEngine, Engine, LocalEngine, ProcessEngine, make_engine
from headrace.errors import EngineError, LabelingFunctionError
from headrace.supervision import (
    ABSTAIN,
    Row,
    apply_lfs,
    labeling_function,
)

# Functions defined here run in worker processes: send them by value, like project LFs.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

ENGINE_NAMES = ["local", "processes", "dask"]


@pytest.fixture(scope="module")
def engines() -> Iterator[dict[str, Engine]]:
    started: dict[str, Engine] = {
        "local": LocalEngine(),
        "processes": ProcessEngine(workers=2),
        "dask": DaskEngine(workers=2),
    }
    yield started
    for engine in started.values():
        engine.close()  # type: ignore[attr-defined]


@pytest.fixture(params=ENGINE_NAMES)
def engine(request: pytest.FixtureRequest, engines: dict[str, Engine]) -> Engine:
    return engines[request.param]


def test_every_engine_has_its_short_name(engine: Engine) -> None:
    assert engine.name in ENGINE_NAMES


def test_no_partitions_give_no_results(engine: Engine) -> None:
    assert engine.map_partitions(len, []) == []


def test_results_come_back_in_partition_order(engine: Engine) -> None:
    partitions = [list(range(n)) for n in (5, 0, 3, 9, 1, 7, 2, 8)]

    results = engine.map_partitions(lambda part: (len(part), sum(part)), partitions)

    assert results == [(len(part), sum(part)) for part in partitions]


def test_an_error_in_a_partition_propagates(engine: Engine) -> None:
    def fail_on_three(part: int) -> int:
        if part == 3:
            raise ValueError("partition 3 is bad")
        return part

    with pytest.raises(ValueError, match="partition 3 is bad"):
        engine.map_partitions(fail_on_three, [1, 2, 3, 4])


def test_an_lf_error_in_a_worker_names_the_lf_and_row(engine: Engine) -> None:
    @labeling_function()
    def fragile(row: Row) -> int:
        if row.id == 7:
            raise KeyError("boom")
        return ABSTAIN

    table = pa.table({"id": list(range(10)), "content": ["x"] * 10})
    with pytest.raises(LabelingFunctionError, match=r"'fragile' raised on row 7: KeyError"):
        apply_lfs([fragile], table, id_column="id", cardinality=2, engine=engine, batch_size=3)


def test_unknown_engine_is_refused_with_the_choices() -> None:
    with pytest.raises(EngineError, match=r"engine 'spark' is not known; choose one of \['local'"):
        make_engine("spark")


def _exit_process(part: int) -> int:
    os._exit(1)


def test_a_lost_dask_worker_is_an_engine_error_and_the_engine_recovers() -> None:
    engine = DaskEngine(workers=1)
    try:
        assert engine.map_partitions(len, [[1]]) == [1]

        with pytest.raises(EngineError, match=r"the Dask cluster \(a local cluster\) failed: "):
            engine.map_partitions(_exit_process, [1, 2])

        # The nanny restarts the worker; the function is sent again.
        assert engine.map_partitions(len, [[1, 2], [3]]) == [2, 1]
    finally:
        engine.close()


def test_a_worker_count_below_one_is_refused() -> None:
    with pytest.raises(EngineError, match=r"the dask engine's workers must be a positive integer, got 0"):
        DaskEngine(workers=0)
