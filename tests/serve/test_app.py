"""The prediction server's routes, through Starlette's test client (no socket)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from headrace.project import ServeConfig
from headrace.registry import promote
from headrace.serve.app import PredictionServer
from headrace.serve.auth import ApiKey
from headrace.serve.predlog import read_prediction_log
from headrace.store import Store
from tests.registry.builders import register

ROW = {"content": "subscribe to my channel", "links": 2}
KEY = "s3cret"


def make_server(store: Store, **config: Any) -> PredictionServer:
    settings = {"log": {"flush_interval_s": 0.05}, **config}
    return PredictionServer(store, ServeConfig.model_validate(settings), api_key=ApiKey(KEY))


@pytest.fixture
def server(store: Store) -> PredictionServer:
    return make_server(store)


@pytest.fixture
def client(server: PredictionServer) -> Iterator[TestClient]:
    with TestClient(server.app) as opened:
        yield opened


def test_predict_answers_each_row_with_label_probabilities_version_and_request_id(client: TestClient) -> None:
    response = client.post("/v1/predict", json={"rows": [ROW, {"content": "nice song", "links": None}]})

    assert response.status_code == 200
    body = response.json()
    assert body["model"]["version"] == 1
    assert body["model"]["ref"] == "production"
    first, second = body["predictions"]
    assert first["label"] == "spam"
    assert set(first["probabilities"]) == {"ham", "spam"}
    assert sum(first["probabilities"].values()) == pytest.approx(1.0)
    assert first["model_version"] == 1
    assert first["request_id"] != second["request_id"]


def test_every_prediction_is_logged_once_with_its_request_id(server: PredictionServer, store: Store) -> None:
    with TestClient(server.app) as client:
        ids = [
            p["request_id"]
            for _ in range(5)
            for p in client.post("/v1/predict", json={"rows": [ROW, ROW]}).json()["predictions"]
        ]
    # Leaving the client ran the shutdown, which writes what was still waiting.
    logged = read_prediction_log(store.root / "predictions")
    assert sorted(logged.column("request_id").to_pylist()) == sorted(ids)


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "malformed JSON"),
        (b"", 400, "empty body"),
        (b'{"rows": [{"content": "a", "links": NaN}]}', 400, "NaN is not valid JSON"),
        (b"[1, 2]", 422, '{"rows": [...]}'),
        (b'{"rows": []}', 422, "at least one row"),
        (b'{"rows": [{"content": "a", "links": 1}], "extra": 1}', 422, '{"rows": [...]}'),
        (b'{"rows": [{"content": "a"}]}', 422, "row 0, field 'links': missing"),
        (b'{"rows": [{"content": "a", "links": "two"}]}', 422, "expected integer or null, got string 'two'"),
        (b'{"rows": [{"content": "a", "links": 1, "lnks": 1}]}', 422, "field 'lnks': unknown field"),
    ],
)
def test_bad_requests_get_a_4xx_that_says_what_to_fix(
    client: TestClient, body: bytes, status: int, message: str
) -> None:
    response = client.post("/v1/predict", content=body, headers={"content-type": "application/json"})

    assert response.status_code == status
    assert message in response.json()["error"]


def test_a_422_lists_each_problem_by_row_and_field(client: TestClient) -> None:
    rows = [ROW, {"content": 3, "links": 1}, ROW, {"content": "a", "links": 1.5}]

    detail = client.post("/v1/predict", json={"rows": rows}).json()["detail"]

    assert [(p["row"], p["field"]) for p in detail["problems"]] == [(1, "content"), (3, "links")]
    assert detail["expected"] == {"content": "string", "links": "integer"}


def test_bodies_and_row_counts_over_the_limits_get_413(store: Store) -> None:
    with TestClient(make_server(store, max_body_bytes=200, max_rows=3).app) as client:
        too_long = client.post("/v1/predict", json={"rows": [{"content": "x" * 300, "links": 1}]})
        too_many = client.post("/v1/predict", json={"rows": [{"content": "", "links": 1}] * 4})

    assert too_long.status_code == 413
    assert "serve.max_body_bytes" in too_long.json()["error"]
    assert too_many.status_code == 413
    assert "serve.max_rows" in too_many.json()["error"]


def test_health_readiness_and_model_description(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["model_version"] == 1
    model = client.get("/v1/model").json()
    assert model["version"] == 1
    assert model["aliases"] == ["production"]
    assert model["classes"] == ["ham", "spam"]
    assert model["input_schema"] == {"content": "string", "links": "integer"}
    assert model["metrics"] == {"f1": 0.5}
    assert set(model["lineage"]) == {"snapshot", "training_labels"}


def test_metrics_count_requests_by_status_and_record_batch_sizes(client: TestClient) -> None:
    client.post("/v1/predict", json={"rows": [ROW, ROW, ROW]})
    client.post("/v1/predict", content=b"{")

    text = client.get("/metrics").text

    assert 'headrace_http_requests_total{route="/v1/predict",status="200"} 1.0' in text
    assert 'headrace_http_requests_total{route="/v1/predict",status="400"} 1.0' in text
    assert "headrace_batch_rows_sum 3.0" in text
    assert "headrace_http_request_duration_seconds_bucket" in text
    assert "headrace_queue_rows 0.0" in text


def test_openapi_describes_the_served_model_rows(client: TestClient) -> None:
    document = client.get("/openapi.json").json()

    assert document["openapi"].startswith("3.")
    assert "/v1/predict" in document["paths"]
    row = document["components"]["schemas"]["Row"]
    assert row["required"] == ["content", "links"]
    label = document["components"]["schemas"]["Prediction"]["properties"]["label"]
    assert label["enum"] == ["ham", "spam"]


def test_unknown_routes_and_methods_answer_json_errors(client: TestClient) -> None:
    assert client.get("/v2/predict").status_code == 404
    wrong_method = client.get("/v1/predict")
    assert wrong_method.status_code == 405
    assert "error" in wrong_method.json()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 401),
        ({"Authorization": f"Bearer {KEY}"}, 200),
        ({"X-API-Key": KEY}, 200),
    ],
)
def test_reload_needs_the_api_key(client: TestClient, headers: dict[str, str], status: int) -> None:
    response = client.post("/v1/model/reload", headers=headers)

    assert response.status_code == status
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_server_without_a_key_refuses_state_changing_calls(store: Store) -> None:
    server = PredictionServer(store, ServeConfig(), api_key=ApiKey(None))
    with TestClient(server.app) as client:
        response = client.post("/v1/model/reload", headers={"Authorization": "Bearer anything"})

    assert response.status_code == 401
    assert "HEADRACE_API_KEY" in response.json()["error"]


def test_predict_can_require_the_key_too(store: Store) -> None:
    with TestClient(make_server(store, require_key_for_predict=True).app) as client:
        assert client.post("/v1/predict", json={"rows": [ROW]}).status_code == 401
        assert client.post("/v1/predict", json={"rows": [ROW]}, headers={"X-API-Key": KEY}).status_code == 200


def test_reload_swaps_to_the_newly_promoted_version(client: TestClient, store: Store) -> None:
    register(store, c=0.01)
    promote(store, "2", "production")

    swapped = client.post("/v1/model/reload", headers={"X-API-Key": KEY}).json()
    after = client.post("/v1/predict", json={"rows": [ROW]}).json()

    assert swapped["swapped"] is True
    assert swapped["model"]["version"] == 2
    assert after["predictions"][0]["model_version"] == 2


def test_the_served_alias_is_followed_without_a_call(store: Store) -> None:
    server = make_server(store, reload_interval_s=0.05)
    with TestClient(server.app) as client:
        register(store, c=0.01)
        promote(store, "2", "production")
        deadline = time.monotonic() + 10
        while client.get("/v1/model").json()["version"] != 2 and time.monotonic() < deadline:
            time.sleep(0.05)

        assert client.get("/v1/model").json()["version"] == 2
        assert "headrace_model_swaps_total 1.0" in client.get("/metrics").text


def test_a_fixed_version_is_never_swapped(store: Store) -> None:
    with TestClient(make_server(store, model="1", reload_interval_s=0.05).app) as client:
        register(store, c=0.01)
        promote(store, "2", "production")
        time.sleep(0.3)

        assert client.get("/v1/model").json()["version"] == 1


def test_feedback_is_recorded_with_the_key_and_checked_against_the_classes(
    client: TestClient, store: Store
) -> None:
    request_id = client.post("/v1/predict", json={"rows": [ROW]}).json()["predictions"][0]["request_id"]
    body = {"labels": [{"request_id": request_id, "label": "spam"}]}

    assert client.post("/v1/feedback", json=body).status_code == 401
    recorded = client.post("/v1/feedback", json=body, headers={"X-API-Key": KEY})
    unknown = client.post(
        "/v1/feedback", json={"labels": [{"request_id": "x", "label": "eggs"}]}, headers={"X-API-Key": KEY}
    )
    shapeless = client.post("/v1/feedback", json={"labels": [{"label": "ham"}]}, headers={"X-API-Key": KEY})

    assert recorded.json() == {"recorded": 1}
    assert unknown.status_code == 422
    assert "'eggs', which is not a class" in unknown.json()["error"]
    assert shapeless.status_code == 422
    assert "labels[0].request_id must be a string" in shapeless.json()["error"]
    files = list((store.root / "feedback").glob("*.parquet"))
    assert len(files) == 1
