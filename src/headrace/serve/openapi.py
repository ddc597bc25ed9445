"""The server's OpenAPI document, with the served model's own row schema in it.

Written out rather than generated from handler signatures: the row schema is only
known once a model is loaded, and a client generator needs it to be exact.
"""

from __future__ import annotations

from typing import Any

from headrace import __version__
from headrace.serve.predictor import ServedModel

__all__ = ["openapi_document"]


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def openapi_document(model: ServedModel | None) -> dict[str, Any]:
    """OpenAPI 3.1 for the server; ``Row`` is the model's input schema (any object before one loads)."""
    row: dict[str, Any] = {"type": "object"} if model is None else model.schema.json_schema()
    classes = [] if model is None else list(model.package.classes)
    probabilities: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "number"}}
    if classes:
        probabilities = {
            "type": "object",
            "properties": {name: {"type": "number", "minimum": 0, "maximum": 1} for name in classes},
            "required": classes,
        }
    label: dict[str, Any] = {"type": "string"} if not classes else {"type": "string", "enum": classes}
    json_ok = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "headrace prediction server", "version": __version__},
        "paths": {
            "/v1/predict": {
                "post": {
                    "summary": "Predict a label and class probabilities for each row",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/PredictRequest"}}
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "One prediction per row, in order",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/PredictResponse"}
                                }
                            },
                        },
                        "400": _error_response("Malformed JSON"),
                        "401": _error_response("Missing or wrong API key (when predict requires one)"),
                        "413": _error_response("Body or row count over the server's limit"),
                        "422": _error_response("Rows that do not match the model's input schema"),
                        "503": _error_response("Queue full or no model loaded; see Retry-After"),
                    },
                }
            },
            "/v1/model": {"get": {"summary": "The served model", "responses": {"200": json_ok}}},
            "/v1/model/reload": {
                "post": {
                    "summary": "Check the served alias now and swap if it moved (API key)",
                    "security": [{"bearer": []}, {"apiKey": []}],
                    "responses": {"200": json_ok, "401": _error_response("Missing or wrong API key")},
                }
            },
            "/v1/feedback": {
                "post": {
                    "summary": "Ground truth for logged predictions, by request id (API key)",
                    "security": [{"bearer": []}, {"apiKey": []}],
                    "responses": {
                        "200": json_ok,
                        "401": _error_response("Missing or wrong API key"),
                        "422": _error_response("A row without request_id or with an unknown label"),
                    },
                }
            },
            "/healthz": {"get": {"summary": "Liveness", "responses": {"200": json_ok}}},
            "/readyz": {
                "get": {
                    "summary": "Readiness: a model is loaded",
                    "responses": {"200": json_ok, "503": _error_response("Not ready")},
                }
            },
            "/metrics": {
                "get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "OK"}}}
            },
        },
        "components": {
            "schemas": {
                "Row": row,
                "PredictRequest": {
                    "type": "object",
                    "properties": {
                        "rows": {
                            "type": "array",
                            "minItems": 1,
                            "items": {"$ref": "#/components/schemas/Row"},
                        }
                    },
                    "required": ["rows"],
                    "additionalProperties": False,
                },
                "Prediction": {
                    "type": "object",
                    "properties": {
                        "label": label,
                        "probabilities": probabilities,
                        "request_id": {"type": "string"},
                        "model_version": {"type": ["integer", "null"]},
                    },
                    "required": ["label", "probabilities", "request_id", "model_version"],
                },
                "PredictResponse": {
                    "type": "object",
                    "properties": {
                        "model": {
                            "type": "object",
                            "properties": {
                                "id": {"type": "string"},
                                "version": {"type": ["integer", "null"]},
                                "ref": {"type": "string"},
                            },
                        },
                        "predictions": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Prediction"},
                        },
                    },
                },
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}, "detail": {}},
                    "required": ["error"],
                },
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }
