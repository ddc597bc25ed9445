"""ObjectStore: immutable blobs named by the sha256 of their content."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headrace.errors import NotFoundError
from headrace.store import ObjectStore


@pytest.fixture
def objects(tmp_path: Path) -> ObjectStore:
    return ObjectStore(tmp_path / "objects")


def stored_files(objects: ObjectStore) -> list[Path]:
    """Every committed object file (the temp folder excluded)."""
    return sorted(p for p in objects.root.rglob("*") if p.is_file() and p.parent.name != "tmp")


def temp_files(objects: ObjectStore) -> list[Path]:
    tmp = objects.root / "tmp"
    return sorted(tmp.iterdir()) if tmp.is_dir() else []


def test_put_bytes_names_the_object_by_its_sha256_and_fans_out_by_prefix(objects: ObjectStore) -> None:
    object_id = objects.put_bytes(b"hello")

    assert object_id == hashlib.sha256(b"hello").hexdigest()
    assert objects.path(object_id) == objects.root / object_id[:2] / object_id
    assert objects.read_bytes(object_id) == b"hello"
    assert objects.exists(object_id)


def test_storing_the_same_content_twice_keeps_one_object(objects: ObjectStore) -> None:
    first = objects.put_bytes(b"same")
    second = objects.put_bytes(b"same")

    assert first == second
    assert stored_files(objects) == [objects.path(first)]
    assert temp_files(objects) == []


def test_put_file_and_put_with_give_the_id_put_bytes_gives(objects: ObjectStore, tmp_path: Path) -> None:
    source = tmp_path / "blob.bin"
    source.write_bytes(b"\x00payload\xff")

    from_bytes = objects.put_bytes(b"\x00payload\xff")
    from_file = objects.put_file(source)
    from_writer = objects.put_with(lambda path: path.write_bytes(b"\x00payload\xff"))

    assert from_bytes == from_file == from_writer
    assert len(stored_files(objects)) == 1
    assert temp_files(objects) == []


def test_put_with_a_new_writer_output_commits_it(objects: ObjectStore) -> None:
    object_id = objects.put_with(lambda path: path.write_text("streamed", encoding="utf-8"))

    assert objects.read_bytes(object_id) == b"streamed"
    assert temp_files(objects) == []


def test_a_writer_that_raises_leaves_no_object_and_no_temp_file(objects: ObjectStore) -> None:
    def half_written(path: Path) -> None:
        path.write_bytes(b"partial")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        objects.put_with(half_written)

    assert stored_files(objects) == []
    assert temp_files(objects) == []
    assert not objects.exists(hashlib.sha256(b"partial").hexdigest())


@pytest.mark.parametrize(
    "bad_id",
    [
        "",
        "abc",
        "g" * 64,  # not hex
        "A" * 64,  # upper case is not how ids are written
        "a" * 63,
        "a" * 65,
        "../" + "a" * 61,  # would escape the store folder
    ],
)
def test_invalid_object_ids_are_not_found(objects: ObjectStore, bad_id: str) -> None:
    with pytest.raises(NotFoundError, match="is not an object id \\(expected 64 hex digits\\)"):
        objects.path(bad_id)
    with pytest.raises(NotFoundError, match="is not an object id"):
        objects.read_bytes(bad_id)


def test_a_well_formed_but_absent_id_is_not_found(objects: ObjectStore) -> None:
    missing = "0" * 64

    assert not objects.exists(missing)
    with pytest.raises(NotFoundError, match=f"object {missing} is not in the object store"):
        objects.path(missing)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.binary(max_size=2048))
def test_any_bytes_round_trip_under_their_sha256(objects: ObjectStore, data: bytes) -> None:
    # One store across examples is fine: puts are idempotent and content-addressed.
    object_id = objects.put_bytes(data)

    assert object_id == hashlib.sha256(data).hexdigest()
    assert objects.read_bytes(object_id) == data
