"""A youtube-spam project as the dashboard sees it after real use (built once for these tests).

Two registered versions (the second after an edit to one LF, so that LF has two stored
versions and the second label run re-applied only it), v1 promoted
to production and serving the gold test rows and then SMS messages (another domain),
feedback for all of them, and one ``headrace monitor`` run over 400-row windows: every
page has something real to show. Tests that change the store work on a copy.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pytest
from starlette.testclient import TestClient

from headrace.monitor.runner import run_monitor
from headrace.pipeline import run_project
from headrace.project import ServeConfig, init_project, load_project
from headrace.registry import promote
from headrace.serve.app import PredictionServer
from headrace.serve.auth import ApiKey
from headrace.serve.feedback import FEEDBACK_DIRNAME, record_feedback
from headrace.store import Store
from headrace.ui import Dashboard
from tests.conftest import shorten_search

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

#: The key the tests' dashboards are started with.
API_KEY = "ui-test-key"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _serve_and_label(project: Path) -> None:
    """Send YouTube test comments then SMS messages to production, and give their true labels."""
    youtube = _rows(EXAMPLES / "youtube-spam/data/gold_test.csv")
    sms = _rows(EXAMPLES / "sms-spam/data/gold_test.csv")[:400]
    texts = [r["content"] for r in youtube] + [r["text"] for r in sms]
    labels = [r["label"] for r in youtube] + [r["label"] for r in sms]
    with Store.for_project(project) as store:
        server = PredictionServer(
            store, ServeConfig.model_validate({"log": {"flush_interval_s": 0.05}}), api_key=ApiKey("k")
        )
        ids: list[str] = []
        with TestClient(server.app) as client:
            for start in range(0, len(texts), 50):
                rows = [{"content": text} for text in texts[start : start + 50]]
                response = client.post("/v1/predict", json={"rows": rows})
                assert response.status_code == 200, response.text
                ids += [p["request_id"] for p in response.json()["predictions"]]
        record_feedback(
            store.root / FEEDBACK_DIRNAME, pa.table({"request_id": ids, "label": labels}), ["ham", "spam"]
        )


@pytest.fixture(scope="package", autouse=True)
def _store_in_each_project() -> Iterator[None]:
    """Each project copy keeps its own store: these tests copy folders to get private stores."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("HEADRACE_DB", raising=False)
        patch.delenv("HEADRACE_OBJECTS", raising=False)
        yield


@pytest.fixture(scope="package")
def built(_store_in_each_project: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project, built once: two versions, v1 in production, served, labelled and monitored."""

    project = init_project(tmp_path_factory.mktemp("ui") / "spam", example="youtube-spam")
    shorten_search(project)
    config = project / "headrace.yaml"
    text = config.read_text()
    assert "models: [logistic, lightgbm, linear_svm]" in text, (
        "the example changed: update tests/ui/conftest.py"
    )
    # The pages are not about the search: one quick family keeps the session short.
    config.write_text(text.replace("models: [logistic, lightgbm, linear_svm]", "models: [logistic]"))
    run_project(project)
    lfs = project / "lfs.py"
    source = lfs.read_text()
    assert "length >= 150" in source, "the example's long_comment LF changed: update tests/ui/conftest.py"
    lfs.write_text(source.replace("length >= 150", "length >= 120"))
    run_project(project)
    with Store.for_project(project) as store:
        promote(store, "1", "production", reason="first release", actor="tests")
    _serve_and_label(project)
    with Store.for_project(project) as store:
        run_monitor(load_project(project), store, window="400 rows")
    return project


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    """A private copy of the built project (for tests that change the store)."""
    copy = tmp_path / "spam"
    shutil.copytree(built, copy)
    return copy


@contextmanager
def dashboard_client(project: Path, api_key: ApiKey | None) -> Iterator[TestClient]:
    """A test client of the dashboard over ``project`` (read-only when ``api_key`` is unset)."""
    with Store.for_project(project) as store:
        dashboard = Dashboard(load_project(project), store, api_key=api_key or ApiKey(None))
        with TestClient(dashboard.app, base_url="http://127.0.0.1:8080") as client:
            yield client


@pytest.fixture
def client(built: Path) -> Iterator[TestClient]:
    """The dashboard (with a key) over the shared built project: for tests that only read."""
    with dashboard_client(built, ApiKey(API_KEY)) as client:
        yield client


@pytest.fixture
def writable(project: Path) -> Iterator[TestClient]:
    """The dashboard with a key over a private copy (promote and rollback change it)."""
    with dashboard_client(project, ApiKey(API_KEY)) as client:
        yield client


@pytest.fixture
def readonly(project: Path) -> Iterator[TestClient]:
    """The dashboard started without a key, over a private copy."""
    with dashboard_client(project, None) as client:
        yield client
