"""Evidently's side of ``drift.py``; runs in Evidently's venv (``peer_env.evidently_python()``).

Usage::

    python _evidently_drift.py REFERENCE.parquet CURRENT.parquet SPEC.json

SPEC names the numeric and categorical columns, the per-type methods and thresholds,
and how many timed runs to make. Reads both files into pandas (not timed), then times
``Report([DataDriftPreset(...)]).run(...)``, dataset wrapping included. Prints one JSON
line: seconds per run, and per column the drift score and verdict.
"""

from __future__ import annotations

import json
import sys
import time
from importlib.metadata import version
from pathlib import Path

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset

# Evidently's rule for its distance methods (wasserstein, jensenshannon, psi) is
# ``score >= threshold``; its p-value methods (ks, chisquare) drift when ``p < threshold``.
P_VALUE_METHODS = {"ks", "chisquare", "z"}


def main() -> None:
    reference_path, current_path, spec_path = sys.argv[1:4]
    spec = json.loads(Path(spec_path).read_text())
    reference = pd.read_parquet(reference_path)
    current = pd.read_parquet(current_path)
    definition = DataDefinition(numerical_columns=spec["numeric"], categorical_columns=spec["categorical"])
    seconds = []
    snapshot = None
    for _ in range(spec["runs"]):
        start = time.perf_counter()
        report = Report(
            [
                DataDriftPreset(
                    num_method=spec["num_method"],
                    cat_method=spec["cat_method"],
                    num_threshold=spec["num_threshold"],
                    cat_threshold=spec["cat_threshold"],
                )
            ]
        )
        snapshot = report.run(
            current_data=Dataset.from_pandas(current, data_definition=definition),
            reference_data=Dataset.from_pandas(reference, data_definition=definition),
        )
        seconds.append(time.perf_counter() - start)
    columns = {}
    drifted_count = None
    for metric in snapshot.dict()["metrics"] if snapshot is not None else []:
        config = metric["config"]
        if config["type"].endswith(":ValueDrift"):
            method, threshold, score = config["method"], config["threshold"], float(metric["value"])
            drifted = score < threshold if method in P_VALUE_METHODS else score >= threshold
            columns[config["column"]] = {
                "method": method,
                "score": score,
                "threshold": threshold,
                "drifted": drifted,
            }
        elif config["type"].endswith(":DriftedColumnsCount"):
            drifted_count = metric["value"]["count"]
    print(
        json.dumps(
            {
                "seconds": seconds,
                "columns": columns,
                "drifted_count_reported": drifted_count,
                "versions": {"evidently": version("evidently"), "pandas": pd.__version__},
            }
        )
    )


if __name__ == "__main__":
    main()
