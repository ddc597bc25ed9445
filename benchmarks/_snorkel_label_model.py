"""Peer side of ``benchmarks/label_quality.py``: fit Snorkel 0.10's ``LabelModel``.

Runs in the Snorkel venv (``benchmarks/peer_env.py``), never imports headrace. Usage::

    python _snorkel_label_model.py JOB_DIR

``JOB_DIR/jobs.json`` lists jobs ``{"name", "fit", "predict", "cardinality", "seed"}``
where ``fit`` and ``predict`` are ``.npy`` label matrices (``-1`` = abstain) in
``JOB_DIR``. For each job the script fits ``LabelModel(cardinality).fit(L_fit,
n_epochs=500, seed=seed, class_balance=None)`` — Snorkel's defaults otherwise; it
takes no dev set — and writes ``NAME.proba.npy`` (``predict_proba`` on ``predict``)
and ``NAME.weights.npy`` (``get_weights()``: each LF's learned accuracy). A job that
raises is recorded with its error and the others go on. ``JOB_DIR/results.json``
gets the fit seconds, errors and the Snorkel version.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

import numpy as np


def main(job_dir: Path) -> int:
    import snorkel
    from snorkel.labeling.model import LabelModel

    jobs = json.loads((job_dir / "jobs.json").read_text(encoding="utf-8"))
    results: dict[str, dict[str, object]] = {}
    for job in jobs:
        name = job["name"]
        try:
            L_fit = np.load(job_dir / job["fit"]).astype(np.int64)
            L_predict = np.load(job_dir / job["predict"]).astype(np.int64)
            model = LabelModel(cardinality=int(job["cardinality"]), verbose=False)
            start = time.perf_counter()
            model.fit(L_fit, n_epochs=500, seed=int(job["seed"]), class_balance=None, progress_bar=False)
            seconds = time.perf_counter() - start
            proba = model.predict_proba(L_predict)
            np.save(job_dir / f"{name}.proba.npy", np.asarray(proba, dtype=np.float64))
            np.save(job_dir / f"{name}.weights.npy", np.asarray(model.get_weights(), dtype=np.float64))
            results[name] = {"seconds": seconds}
        except Exception as exc:
            results[name] = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    payload = {"snorkel_version": snorkel.__version__, "results": results}
    (job_dir / "results.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
