"""ObjectStore at any fsspec URL: a second local root, ``memory://``, and the pipeline on top."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest

from headrace.errors import NotFoundError, ProjectFileError, StoreError
from headrace.pipeline import run_project
from headrace.registry import load_model, model_lineage
from headrace.store import STORE_DIRNAME, ObjectStore, Store
from headrace.store import objects as objects_module

MEMORY = fsspec.filesystem("memory")


@pytest.fixture
def memory_url() -> Iterator[str]:
    """A fresh folder on fsspec's (process-wide) memory filesystem, removed afterwards."""
    url = f"memory://headrace-{uuid.uuid4().hex}/objects"
    yield url
    if MEMORY.exists(url):
        MEMORY.rm(url, recursive=True)


@pytest.fixture(params=["second_local_root", "memory"])
def objects(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    """An empty object store in a second local folder (as a file:// URL) or in memory."""
    if request.param == "memory":
        url = request.getfixturevalue("memory_url")
        yield ObjectStore(url)
    else:
        yield ObjectStore(f"file://{tmp_path / 'second-root' / 'objects'}")


def committed(objects: ObjectStore) -> list[str]:
    """Names of the committed objects (temp files excluded)."""
    return sorted(name for name in everything(objects) if "/tmp/" not in name)


def everything(objects: ObjectStore) -> list[str]:
    """Every file under the store's root, relative to it."""
    if objects.is_local:
        return sorted(p.relative_to(objects.root).as_posix() for p in objects.root.rglob("*") if p.is_file())
    root = MEMORY._strip_protocol(objects.url)
    return sorted(name.removeprefix(root).lstrip("/") for name in MEMORY.find(root))


def test_put_read_exists_size_and_open_round_trip(objects: ObjectStore) -> None:
    object_id = objects.put_bytes(b"hello")

    assert object_id == hashlib.sha256(b"hello").hexdigest()
    assert objects.exists(object_id)
    assert objects.read_bytes(object_id) == b"hello"
    assert objects.size(object_id) == 5
    with objects.open(object_id) as handle:
        assert handle.read() == b"hello"
    assert committed(objects) == [f"{object_id[:2]}/{object_id}"]


def test_put_file_put_with_and_put_bytes_agree_and_leave_no_temp_files(
    objects: ObjectStore, tmp_path: Path
) -> None:
    source = tmp_path / "blob.bin"
    source.write_bytes(b"\x00payload\xff")

    ids = {
        objects.put_bytes(b"\x00payload\xff"),
        objects.put_file(source),
        objects.put_with(lambda path: path.write_bytes(b"\x00payload\xff")),
        objects.put_with(lambda path: path.write_bytes(b"\x00payload\xff")),  # already stored
    }

    assert len(ids) == 1
    assert committed(objects) == everything(objects) == [f"{next(iter(ids))[:2]}/{next(iter(ids))}"]


def test_a_writer_that_raises_leaves_no_object_and_no_temp_file(objects: ObjectStore) -> None:
    def half_written(path: Path) -> None:
        path.write_bytes(b"partial")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        objects.put_with(half_written)

    assert everything(objects) == []
    assert not objects.exists(hashlib.sha256(b"partial").hexdigest())


def test_an_absent_object_is_not_found_with_the_store_url(objects: ObjectStore) -> None:
    missing = "0" * 64

    assert not objects.exists(missing)
    for read in (objects.read_bytes, objects.open, objects.size, objects.verify):
        with pytest.raises(NotFoundError, match=f"object {missing} is not in the object store at"):
            read(missing)
    with pytest.raises(NotFoundError, match="is not an object id"):
        objects.read_bytes("../" + "a" * 61)


def test_verify_accepts_intact_objects_and_names_a_corrupt_one(objects: ObjectStore) -> None:
    object_id = objects.put_bytes(b"original")
    objects.verify(object_id)

    key = f"{object_id[:2]}/{object_id}"
    if objects.is_local:
        (objects.root / key).write_bytes(b"tampered")
    else:
        MEMORY.pipe_file(f"{objects.url}/{key}", b"tampered")

    with pytest.raises(StoreError, match=f"object {object_id} .* is corrupt: its bytes hash to "):
        objects.verify(object_id)


def test_a_failed_upload_leaves_no_partial_object_under_its_final_name(
    memory_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    objects = ObjectStore(memory_url)

    def half_upload(lpath: str, rpath: str, **_kwargs: Any) -> None:
        MEMORY.pipe_file(rpath, b"part")
        raise ConnectionResetError("connection reset by peer")

    monkeypatch.setattr(MEMORY, "put_file", half_upload)
    with pytest.raises(StoreError, match=f"cannot write the object store at {memory_url}: connection reset"):
        objects.put_with(lambda path: path.write_bytes(b"the whole object"))

    assert everything(objects) == []


def test_an_object_store_gets_one_put_straight_under_the_final_name(
    memory_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # S3, GCS and Azure make an object visible only once its put completes: no staging.
    monkeypatch.setattr(objects_module, "_ATOMIC_PUT_PROTOCOLS", frozenset({"memory"}))
    monkeypatch.setattr(MEMORY, "mv", lambda *args, **kwargs: pytest.fail("an object store needs no move"))
    objects = ObjectStore(memory_url)

    first = objects.put_bytes(b"one")
    second = objects.put_with(lambda path: path.write_bytes(b"two"))

    assert everything(objects) == sorted(f"{i[:2]}/{i}" for i in (first, second))


def test_a_remote_store_has_no_local_paths(memory_url: str) -> None:
    objects = ObjectStore(memory_url)
    object_id = objects.put_bytes(b"x")

    assert not objects.is_local
    with pytest.raises(StoreError, match="is not a local folder: read its objects with open"):
        objects.path(object_id)


@pytest.mark.parametrize(
    ("url", "problem"), [("nosuchfs://bucket/objects", "nosuchfs"), ("s3://bucket/objects", "s3fs")]
)
def test_an_unusable_url_is_a_store_error_naming_it(url: str, problem: str) -> None:
    if problem == "s3fs" and sys.modules.get("s3fs") is not None:
        pytest.skip("s3fs is installed")
    with pytest.raises(StoreError, match=f"cannot open the object store at '{url}'.*{problem}"):
        ObjectStore(url)


def test_local_folders_are_read_by_path_without_fsspec(tmp_path: Path) -> None:
    assert ObjectStore(f"file://{tmp_path}/a").root == tmp_path / "a"
    plain = ObjectStore(str(tmp_path / "b"))
    assert plain.is_local and plain.path(plain.put_bytes(b"b")).parent.parent == tmp_path / "b"
    code = (
        "import sys, pathlib, tempfile; from headrace.store import Store; "
        "store = Store(pathlib.Path(tempfile.mkdtemp())); store.put('blob', data=b'x'); "
        "print('fsspec' in sys.modules)"
    )
    env = {"PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)

    assert result.stdout.strip() == "False"


def test_headrace_objects_moves_the_objects_and_store_put_registers_their_size(
    tmp_path: Path, memory_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADRACE_OBJECTS", memory_url)
    with Store(tmp_path / STORE_DIRNAME, db_url=f"sqlite:///{tmp_path / 'h.db'}") as store:
        object_id = store.put("blob", data=b"12345")
        written = store.put("report", write=lambda path: path.write_bytes(b"<html/>"))

        assert store.object_info(object_id).size == 5
        assert store.objects.read_bytes(written) == b"<html/>"
    assert MEMORY.isfile(f"{memory_url}/{object_id[:2]}/{object_id}")
    assert not (tmp_path / STORE_DIRNAME / "objects").exists()


def write_project_file(project: Path, store_section: str) -> None:
    project.mkdir(parents=True, exist_ok=True)
    (project / "headrace.yaml").write_text(
        "name: p\ndata: {unlabeled: data.csv, id: id}\ntask: {labels: [a, b]}\n" + store_section
    )


def test_the_project_file_puts_objects_in_a_folder_relative_to_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HEADRACE_OBJECTS", raising=False)
    monkeypatch.setenv("HEADRACE_DB", f"sqlite:///{tmp_path / 'h.db'}")
    project = tmp_path / "project"
    write_project_file(project, "store: {objects: ../shared/objects}\n")

    with Store.for_project(project) as store:
        object_id = store.put("blob", data=b"shared")

    assert (tmp_path / "shared" / "objects" / object_id[:2] / object_id).is_file()
    assert not (project / STORE_DIRNAME / "objects").exists()


def test_headrace_objects_overrides_the_project_file(
    tmp_path: Path, memory_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADRACE_OBJECTS", memory_url)
    monkeypatch.setenv("HEADRACE_DB", f"sqlite:///{tmp_path / 'h.db'}")
    write_project_file(tmp_path / "project", "store: {objects: ../shared/objects}\n")

    with Store.for_project(tmp_path / "project") as store:
        assert store.objects.url == memory_url


def test_an_invalid_store_section_names_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEADRACE_OBJECTS", raising=False)
    write_project_file(tmp_path, "store: {bucket: s3://x}\n")

    with pytest.raises(ProjectFileError, match=r"store\.bucket: is not a known setting"):
        Store.for_project(tmp_path)


def test_the_pipeline_runs_on_a_memory_store_and_its_model_loads_and_traces(
    example: Path, memory_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HEADRACE_OBJECTS", raising=False)
    config = example / "headrace.yaml"
    text = config.read_text()
    # One model family and no gold-label reference model: this test is about where objects go.
    for long, short in [
        ("models: [logistic, lightgbm, linear_svm]", "models: [logistic]"),
        ("train: data/pool_labels.csv", ""),
    ]:
        assert long in text
        text = text.replace(long, short)
    config.write_text(text + f"store: {{objects: '{memory_url}'}}\n")

    first = run_project(example)
    again = run_project(example)

    assert all(stage.cached for stage in again.stages)
    assert again.model_version == first.model_version == 1
    assert not (example / STORE_DIRNAME / "objects").exists()
    with Store.for_project(example) as store:
        assert store.objects.url == memory_url
        assert load_model(store, "staging").classes == ["ham", "spam"]
        lineage = model_lineage(store, "staging")
    tree = lineage.to_dict()["lineage"]
    labels = next(n for n in tree["inputs"] if n["role"] == "training_labels")
    matrix = next(n for n in labels["inputs"] if n["role"] == "label_matrix")
    snapshot = next(n for n in matrix["inputs"] if n["role"] == "snapshot")
    assert snapshot["run"]["kind"] == "ingest"
    assert {"check_out", "has_url"} <= {n.meta["name"] for n in lineage.lf_versions()}
