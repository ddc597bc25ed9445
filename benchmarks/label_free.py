"""Does the label-free accuracy estimate track the truth when traffic shifts?

Usage (from the repository root)::

    python benchmarks/label_free.py              # train the youtube-spam example, then the stream
    python benchmarks/label_free.py --trials 5   # a shorter model search

The bundled ``examples/youtube-spam`` project is trained (programmatic labels only) in
a temporary folder. Then a simulated stream of windows of ``--window`` rows is scored:
each window draws rows from the YouTube gold test split and replaces a growing share
``shift`` of them with rows from a shifted distribution, for which true labels are
known too:

* ``sms``: SMS messages (``examples/sms-spam`` gold test, ``text`` as ``content``) —
  another domain, where the YouTube model and the YouTube LFs are both weaker;
* ``obfuscated``: YouTube spam with its tell-tale words disguised (``subscribe`` →
  ``s.u.b.s.c.r.i.b.e``, links spelled out) — the adversarial case where LFs go quiet
  exactly where the model fails, which no LF-based estimate can see.

For every window the served model's true accuracy (and spam F1) is compared with
:func:`headrace.monitor.estimate.estimate_performance` on the LF votes. Output: one
JSON object (also ``benchmarks/results/label_free.json``) with every window and, per
shift kind, the mean absolute error of the estimate, whether it falls as the truth
falls (Spearman correlation), and how often the 95% interval holds the truth.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SHIFTS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


_DISGUISES = [
    (re.compile(r"subscrib", re.I), "s.u.b.s.c.r.i.b"),
    (re.compile(r"check (it )?out", re.I), "ch3ck 0ut"),
    (re.compile(r"channel", re.I), "chann3l"),
    (re.compile(r"https?://\S+|www\.\S+", re.I), "my page (link in bio)"),
    (re.compile(r"\.com\b", re.I), " dot c0m"),
    (re.compile(r"free", re.I), "fr33"),
    (re.compile(r"money", re.I), "m0ney"),
    (re.compile(r"follow", re.I), "f0llow"),
]


def disguise(text: str) -> str:
    for pattern, replacement in _DISGUISES:
        text = pattern.sub(replacement, text)
    return text


def shifted_rows(kind: str, youtube: list[dict[str, str]]) -> list[tuple[str, str]]:
    """(content, true label) rows of the shifted distribution."""
    if kind == "sms":
        return [(r["text"], r["label"]) for r in _read(ROOT / "examples/sms-spam/data/gold_test.csv")]
    return [(disguise(r["content"]), r["label"]) for r in youtube if r["label"] == "spam"] + [
        (r["content"], r["label"]) for r in youtube if r["label"] == "ham"
    ]


def train_example(folder: Path, trials: int) -> Path:
    from headrace.pipeline import run_project
    from headrace.project import init_project

    project = init_project(folder / "youtube-spam", example="youtube-spam")
    config = project / "headrace.yaml"
    config.write_text(
        config.read_text().replace("search: {trials: 40, timeout_s: 120}", f"search: {{trials: {trials}}}")
    )
    print(f"training the example ({trials} trials)…", file=sys.stderr)
    run_project(project)
    return project


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--window", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3, help="windows per shift level")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from headrace.monitor.context import load_monitored_model
    from headrace.monitor.estimate import apply_lfs_to_log, estimate_performance
    from headrace.project import load_project
    from headrace.serve import ServedModel
    from headrace.store import Store

    youtube = _read(ROOT / "examples/youtube-spam/data/gold_test.csv")
    with tempfile.TemporaryDirectory() as tmp:
        project_dir = train_example(Path(tmp), args.trials)
        project = load_project(project_dir)
        with Store.for_project(project.root) as store:
            monitored = load_monitored_model(project, store, "staging")
            served = ServedModel(monitored.package, monitored.version, "staging")
            available = [lf for lf in monitored.lfs if lf is not None]
            assert monitored.label_model is not None
            rng = np.random.default_rng(args.seed)
            windows: list[dict[str, Any]] = []
            for kind in ("sms", "obfuscated"):
                pool = shifted_rows(kind, youtube)
                for shift in SHIFTS:
                    for repeat in range(args.repeats):
                        n_shifted = round(shift * args.window)
                        base = rng.choice(len(youtube), args.window - n_shifted, replace=False)
                        moved = rng.choice(len(pool), n_shifted, replace=n_shifted > len(pool))
                        rows = [(youtube[i]["content"], youtube[i]["label"]) for i in base]
                        rows += [pool[i] for i in moved]
                        ids = [f"{kind}-{shift}-{repeat}-{i}" for i in range(len(rows))]
                        table = pa.table({"request_id": ids, "content": [r[0] for r in rows]})
                        truth = np.array([monitored.classes.index(r[1]) for r in rows])
                        predictions = served.predict(served.schema.conform(table))
                        votes_available, unavailable = apply_lfs_to_log(
                            store, available, table, cardinality=len(monitored.classes)
                        )
                        votes = np.full((len(rows), len(monitored.lfs)), -1, dtype=np.int8)
                        columns = [j for j, lf in enumerate(monitored.lfs) if lf is not None]
                        votes[:, columns] = votes_available
                        estimate = estimate_performance(
                            votes,
                            predictions.label_ids,
                            monitored.label_model,
                            lf_names=monitored.lf_names,
                            model_probabilities=predictions.probabilities,
                            unavailable=unavailable,
                        )
                        predicted = predictions.label_ids
                        tp = int(np.sum((predicted == 1) & (truth == 1)))
                        fp = int(np.sum((predicted == 1) & (truth == 0)))
                        fn = int(np.sum((predicted == 0) & (truth == 1)))
                        windows.append(
                            {
                                "kind": kind,
                                "shift": shift,
                                "repeat": repeat,
                                "true_accuracy": float(np.mean(predicted == truth)),
                                "estimated_accuracy": estimate.accuracy,
                                "accuracy_ci": list(estimate.accuracy_ci),
                                "true_f1": 2 * tp / max(2 * tp + fp + fn, 1),
                                "estimated_f1": estimate.f1,
                                "covered": estimate.covered,
                                "unavailable_lfs": unavailable,
                            }
                        )
    summary: dict[str, Any] = {}
    for kind in ("sms", "obfuscated"):
        rows = [w for w in windows if w["kind"] == kind]
        truth = np.array([w["true_accuracy"] for w in rows])
        estimated = np.array([w["estimated_accuracy"] for w in rows])
        inside = [w["accuracy_ci"][0] <= w["true_accuracy"] <= w["accuracy_ci"][1] for w in rows]
        f1_error = [abs(w["estimated_f1"] - w["true_f1"]) for w in rows if w["estimated_f1"] is not None]
        summary[kind] = {
            "accuracy_mae": float(np.mean(np.abs(estimated - truth))),
            "accuracy_max_error": float(np.max(np.abs(estimated - truth))),
            "f1_mae": float(np.mean(f1_error)) if f1_error else None,
            "spearman_estimate_vs_truth": float(spearmanr(estimated, truth).statistic),
            "ci_coverage": float(np.mean(inside)),
            "true_accuracy_range": [float(truth.min()), float(truth.max())],
            "estimated_accuracy_range": [float(estimated.min()), float(estimated.max())],
        }
        for shift in SHIFTS:
            level = [w for w in rows if w["shift"] == shift]
            print(
                f"{kind:>10} shift {shift:.1f}: true acc {np.mean([w['true_accuracy'] for w in level]):.3f}"
                f"  estimated {np.mean([w['estimated_accuracy'] for w in level]):.3f}"
                f"  covered {np.mean([w['covered'] for w in level]):.2f}",
                file=sys.stderr,
            )
    result = {"benchmark": "label_free", "window_rows": args.window, "summary": summary, "windows": windows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "label_free.json").write_text(json.dumps(result, indent=2))
    print(json.dumps({"benchmark": "label_free", "window_rows": args.window, "summary": summary}, indent=2))


if __name__ == "__main__":
    main()
