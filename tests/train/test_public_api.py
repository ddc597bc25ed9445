"""The public surface of headrace.train, locked: a change here is a change to the API."""

from __future__ import annotations

import subprocess
import sys

import headrace.train

PUBLIC = {
    "EMBEDDINGS_EXTRA",
    "FAMILIES",
    "IMBALANCE_EXTRA",
    "MAX_ONE_HOT",
    "N_BINS",
    "ClassScores",
    "DevSet",
    "Evaluation",
    "ExpandedRows",
    "Interval",
    "ModelFamily",
    "ReliabilityBin",
    "SearchResult",
    "SentenceEmbeddings",
    "TrainingSet",
    "TrialRecord",
    "bootstrap_intervals",
    "build_featurizer",
    "decide",
    "embeddings_available",
    "evaluate_predictions",
    "evaluate_slices",
    "expand_rows",
    "expected_calibration_error",
    "reliability_curve",
    "score",
    "search_model",
    "smote_oversample",
    "soft_class_weights",
    "tune_threshold",
}


def test_the_package_exports_exactly_its_public_names() -> None:
    assert set(headrace.train.__all__) == PUBLIC
    assert all(hasattr(headrace.train, name) for name in PUBLIC)


def test_importing_it_loads_neither_optuna_nor_torch() -> None:
    # Unpickling a model (serving) imports headrace.train; the search and embedding
    # dependencies load only when used.
    code = "import sys, headrace.train; print(sorted({'optuna', 'torch', 'imblearn'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"
