"""A trained example whose model has served the gold test rows (module-scoped: training takes seconds)."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from headrace.pipeline import run_project
from headrace.project import ServeConfig, init_project
from headrace.registry import promote
from headrace.serve.app import PredictionServer
from headrace.serve.auth import ApiKey
from headrace.store import Store
from tests.conftest import shorten_search

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def serve_rows(project: Path, contents: list[str]) -> list[str]:
    """Send each text to the project's production model (in batches of 25); returns the request ids."""
    with Store.for_project(project) as store:
        server = PredictionServer(
            store, ServeConfig.model_validate({"log": {"flush_interval_s": 0.05}}), api_key=ApiKey("k")
        )
        ids: list[str] = []
        with TestClient(server.app) as client:
            for start in range(0, len(contents), 25):
                rows = [{"content": text} for text in contents[start : start + 25]]
                response = client.post("/v1/predict", json={"rows": rows})
                assert response.status_code == 200, response.text
                ids += [p["request_id"] for p in response.json()["predictions"]]
    return ids


@dataclass(frozen=True)
class ServedExample:
    """A trained youtube-spam project whose ``production`` model served the gold test split."""

    project: Path
    request_ids: list[str]
    labels: list[str]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The youtube-spam example, trained (3-trial search), v1 promoted to production."""
    project = init_project(tmp_path_factory.mktemp("monitor") / "spam", example="youtube-spam")
    shorten_search(project)
    run_project(project)
    with Store.for_project(project) as store:
        promote(store, "1", "production")
    return project


@pytest.fixture
def served(trained: Path, tmp_path: Path) -> Iterator[ServedExample]:
    """A copy of the trained project whose model has answered the 400 gold test rows."""
    project = tmp_path / "spam"
    shutil.copytree(trained, project)
    gold = read_rows(EXAMPLES / "youtube-spam/data/gold_test.csv")
    ids = serve_rows(project, [row["content"] for row in gold])
    yield ServedExample(project, ids, [row["label"] for row in gold])
