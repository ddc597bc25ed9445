"""trace: from an object back through the runs that produced it and their inputs."""

from __future__ import annotations

import pytest

from headrace.errors import NotFoundError
from headrace.store import Store, trace


def build_chain(store: Store) -> dict[str, str]:
    """ingest → snapshot; label(snapshot) → matrix; train(matrix, snapshot) → model."""
    snapshot = store.put("snapshot", data=b"rows", meta={"role": "unlabeled"})
    matrix = store.put("label_matrix", data=b"votes")
    model = store.put("model", data=b"weights")
    with store.runs.recording("ingest") as ingest:
        ingest.outputs["snapshot"] = snapshot
    with store.runs.recording("label", inputs={"snapshot": snapshot}) as label:
        label.outputs["label_matrix"] = matrix
    with store.runs.recording("train", inputs={"label_matrix": matrix, "snapshot": snapshot}) as train:
        train.outputs["model"] = model
    return {
        "snapshot": snapshot,
        "matrix": matrix,
        "model": model,
        "ingest": ingest.id,
        "label": label.id,
        "train": train.id,
    }


def test_trace_walks_producer_runs_back_to_the_source(store: Store) -> None:
    ids = build_chain(store)

    root = trace(store, ids["model"], role="model")

    assert (root.role, root.object_id, root.kind, root.run_id, root.run_kind) == (
        "model",
        ids["model"],
        "model",
        ids["train"],
        "train",
    )
    # Inputs are ordered by role name.
    matrix, snapshot = root.inputs
    assert (matrix.role, matrix.object_id, matrix.run_id) == ("label_matrix", ids["matrix"], ids["label"])
    assert (snapshot.role, snapshot.run_id) == ("snapshot", ids["ingest"])
    (origin,) = matrix.inputs
    assert (origin.object_id, origin.run_kind, origin.meta) == (
        ids["snapshot"],
        "ingest",
        {"role": "unlabeled"},
    )
    assert origin.inputs == []


def test_the_producer_is_the_earliest_succeeded_run_that_wrote_the_object(store: Store) -> None:
    ids = build_chain(store)
    with pytest.raises(RuntimeError), store.runs.recording("ingest") as failed:
        failed.outputs["snapshot"] = ids["snapshot"]
        raise RuntimeError("crash")
    with store.runs.recording("ingest") as rerun:
        rerun.outputs["snapshot"] = ids["snapshot"]

    assert trace(store, ids["snapshot"]).run_id == ids["ingest"]


def test_an_object_no_run_wrote_has_no_run(store: Store) -> None:
    object_id = store.put("blob", data=b"loose")

    node = trace(store, object_id)

    assert (node.role, node.run_id, node.inputs) == ("object", None, [])
    assert node.to_dict()["run"] is None


def test_to_dict_is_nested_and_json_ready(store: Store) -> None:
    ids = build_chain(store)

    tree = trace(store, ids["model"], role="model").to_dict()

    assert tree["run"]["id"] == ids["train"]
    assert tree["run"]["kind"] == "train"
    assert isinstance(tree["run"]["finished_at"], str)
    assert [child["role"] for child in tree["inputs"]] == ["label_matrix", "snapshot"]
    assert tree["inputs"][0]["inputs"][0]["object_id"] == ids["snapshot"]


def test_tracing_an_unregistered_object_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="is not registered"):
        trace(store, "f" * 64)
