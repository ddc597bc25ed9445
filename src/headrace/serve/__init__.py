"""Serving a registered model: online over HTTP with adaptive batching, and in batch.

Both paths conform their input to the model's :class:`InputSchema` and predict
through :class:`ServedModel`, so a row gets the same answer either way.
"""

from headrace.serve.batch import BatchPredictionResult, BatchProgress, predict_files
from headrace.serve.predictor import Predictions, ServedModel, load_served_model, probability_column
from headrace.serve.schema import FieldSpec, InputSchema, RowProblem, RowValidationError
from headrace.serve.traffic import TrafficSample, TrafficSampler, read_traffic_sample, validate_traffic

__all__ = [
    "BatchPredictionResult",
    "BatchProgress",
    "FieldSpec",
    "InputSchema",
    "Predictions",
    "RowProblem",
    "RowValidationError",
    "ServedModel",
    "TrafficSample",
    "TrafficSampler",
    "load_served_model",
    "predict_files",
    "probability_column",
    "read_traffic_sample",
    "validate_traffic",
]
