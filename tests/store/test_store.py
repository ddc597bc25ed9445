"""Store.put: a blob goes to the object store and is registered in the metadata database."""

from __future__ import annotations

from pathlib import Path

import pytest

from headrace.errors import NotFoundError
from headrace.store import STORE_DIRNAME, Store, hash_bytes
from headrace.store.schema import ObjectRow


def test_put_registers_the_object_with_its_kind_size_and_meta(store: Store) -> None:
    object_id = store.put("snapshot", data=b"12345", meta={"role": "unlabeled", "rows": 3})

    assert object_id == hash_bytes(b"12345")
    info = store.object_info(object_id)
    assert (info.id, info.kind, info.size, info.meta) == (
        object_id,
        "snapshot",
        5,
        {"role": "unlabeled", "rows": 3},
    )
    assert info.created_at.tzinfo is not None
    with store.session() as session:
        assert session.get(ObjectRow, object_id) is not None


def test_put_with_a_writer_stores_what_it_writes(store: Store) -> None:
    object_id = store.put("report", write=lambda path: path.write_bytes(b"<html/>"))

    assert store.objects.read_bytes(object_id) == b"<html/>"
    assert store.object_info(object_id).kind == "report"


def test_putting_identical_content_again_returns_the_same_id_and_keeps_the_first_row(store: Store) -> None:
    first = store.put("snapshot", data=b"x", meta={"role": "gold_dev"})
    second = store.put("snapshot", data=b"x", meta={"role": "gold_test"})

    assert first == second
    assert store.object_info(first).meta == {"role": "gold_dev"}
    with store.session() as session:
        assert session.query(ObjectRow).count() == 1


@pytest.mark.parametrize("kwargs", [{}, {"data": b"x", "write": lambda path: None}])
def test_put_needs_exactly_one_of_data_or_write(store: Store, kwargs: dict[str, object]) -> None:
    with pytest.raises(TypeError, match="exactly one of data= or write="):
        store.put("blob", **kwargs)  # type: ignore[arg-type]


def test_object_info_of_an_unregistered_object_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match=f"object {'0' * 64} is not registered"):
        store.object_info("0" * 64)


def test_for_project_keeps_the_store_in_the_project_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HEADRACE_DB", raising=False)
    with Store.for_project(tmp_path) as project_store:
        object_id = project_store.put("blob", data=b"x")

    assert (tmp_path / STORE_DIRNAME / "headrace.db").is_file()
    assert (tmp_path / STORE_DIRNAME / "objects" / object_id[:2] / object_id).is_file()


def test_headrace_db_points_the_metadata_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "shared.db"
    monkeypatch.setenv("HEADRACE_DB", f"sqlite:///{elsewhere}")
    with Store.for_project(tmp_path / "project"):
        pass

    assert elsewhere.is_file()
    assert not (tmp_path / "project" / STORE_DIRNAME / "headrace.db").exists()
