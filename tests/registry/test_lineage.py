"""model_lineage: a registered version traced back to its LF versions and data snapshot."""

from __future__ import annotations

from headrace.registry import model_lineage, register_model, save_package
from headrace.store import Store
from tests.registry.builders import make_package


def registered_model(store: Store) -> dict[str, str]:
    snapshot = store.put("snapshot", data=b"rows")
    lf_b = store.put("lf", data=b"def b(row): ...", meta={"name": "b_lf"})
    lf_a = store.put("lf", data=b"def a(row): ...", meta={"name": "a_lf"})
    matrix = store.put("label_matrix", data=b"votes")
    model = save_package(store, make_package())
    with store.runs.recording("ingest") as ingest:
        ingest.outputs["snapshot"] = snapshot
    with store.runs.recording("label", inputs={"snapshot": snapshot, "lf:b": lf_b, "lf:a": lf_a}) as label:
        label.outputs["label_matrix"] = matrix
    with store.runs.recording("train", inputs={"label_matrix": matrix}) as train:
        train.outputs["model"] = model
    register_model(
        store,
        object_id=model,
        train_run_id=train.id,
        eval_run_id=None,
        metrics={"f1": 0.8, "accuracy": 0.9, "roc_auc": 0.95},
        alias="production",
    )
    return {"snapshot": snapshot, "lf_a": lf_a, "lf_b": lf_b, "model": model}


def test_the_lineage_reaches_the_lf_versions_and_the_snapshot(store: Store) -> None:
    ids = registered_model(store)

    lineage = model_lineage(store, "production")

    assert lineage.version.version == 1
    assert (lineage.root.role, lineage.root.object_id) == ("model", ids["model"])
    assert [node.object_id for node in lineage.lf_versions()] == [ids["lf_a"], ids["lf_b"]]
    (matrix,) = lineage.root.inputs
    assert ids["snapshot"] in {node.object_id for node in matrix.inputs}


def test_to_dict_summarizes_the_version_and_nests_the_tree(store: Store) -> None:
    ids = registered_model(store)

    summary = model_lineage(store, "v1").to_dict()

    assert summary["model_version"] == 1
    assert summary["aliases"] == ["production"]
    assert summary["metrics"] == {"accuracy": 0.9, "f1": 0.8}
    assert summary["lineage"]["object_id"] == ids["model"]
    assert summary["lineage"]["run"]["kind"] == "train"
