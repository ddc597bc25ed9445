"""Active learning on the youtube-spam example: 50 suggested labels vs 50 random ones.

Usage (from the repository root)::

    python benchmarks/active_learning.py            # n=50, 5 random seeds, 3 seeds per strategy
    python benchmarks/active_learning.py --quick    # n=20, 2 seeds, 3-trial search: a smoke test

Method:

* A copy of ``examples/youtube-spam`` (``headrace init``) with the same search for every
  arm, kept small to make the grid feasible: one family (``logistic``, so differences
  come from the labels, not from which family the search happened to pick),
  ``--trials`` trials (default 10), seed 0. ``data.gold.train`` is removed: the
  benchmark reads the pool's withheld truth itself.
* **baseline**: ``headrace run`` on the weak labels alone; its model is the one
  ``disagreement`` compares with.
* **arms**: from a copy of the baseline project (its store included), ``suggest_rows``
  with a strategy and seed, the ``label`` column filled from the pool's withheld truth
  (``data/pool_labels.csv``: the oracle annotator), ``import_annotations``, and
  ``run_project``; scored on gold test (400 rows): F1 of spam and accuracy. Strategies
  ``uncertainty``, ``disagreement``, ``lf-conflict``, ``uncovered`` run with
  ``--strategy-seeds`` seeds (the seed orders equal scores; ``uncovered`` draws among
  uncovered rows), ``random`` with ``--seeds`` seeds; arms that pick the same rows are
  trained once.
* **all labels**: every pool row annotated from the oracle, same search: the ceiling.

For each arm the JSON also says how many of the annotated rows the label model had
guessed wrong (``differ_from_label_model``) and how many no LF covered: what a strategy
finds, separately from what it does to the model.

Output: one JSON object on stdout, the same in ``benchmarks/results/active_learning.json``;
a markdown table on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from headrace.pipeline import import_annotations, run_project, suggest_rows
from headrace.project import init_project

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "active_learning.json"
STRATEGIES = ("uncertainty", "disagreement", "lf-conflict", "uncovered")


def configure(project: Path, trials: int) -> None:
    """One family, a short seeded search, and no gold-label reference (the oracle is read here)."""
    config = project / "headrace.yaml"
    text = config.read_text()
    lines = [line for line in text.splitlines() if not line.strip().startswith("train: data/pool_labels.csv")]
    text = "\n".join(lines) + "\n"
    for old, new in (
        ("models: [logistic, lightgbm, linear_svm]", "models: [logistic]"),
        ("search: {trials: 40, timeout_s: 120}", f"search: {{trials: {trials}, timeout_s: 600}}"),
    ):
        if old not in text:
            raise SystemExit(f"{config}: expected {old!r}; the example changed, update this benchmark")
        text = text.replace(old, new)
    config.write_text(text)


def oracle(project: Path) -> dict[str, str]:
    truth = pd.read_csv(project / "data" / "pool_labels.csv", dtype=str)
    return dict(zip(truth["comment_id"], truth["label"], strict=True))


def fill(path: Path, labels: dict[str, str]) -> Path:
    """What an annotator does: fill the label column of the suggestions file."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["label"] = frame["comment_id"].map(labels)
    filled = path.with_name("filled.csv")
    frame.to_csv(filled, index=False)
    return filled


def scores(result: Any) -> dict[str, Any]:
    return {
        "f1": round(result.test["f1"], 4),
        "accuracy": round(result.test["accuracy"], 4),
        "train_rows": next(s.detail["train_rows"] for s in result.stages if s.name == "train"),
    }


def run_arm(
    base: Path,
    work: Path,
    strategy: str,
    seed: int,
    n: int,
    truth: dict[str, str],
    done: dict[frozenset[str], Any],
) -> dict[str, Any]:
    project = work / f"{strategy}-{seed}"
    shutil.copytree(base, project)
    start = time.perf_counter()
    suggested = suggest_rows(project, n=n, strategy=strategy, seed=seed)
    suggest_seconds = time.perf_counter() - start
    filled = fill(suggested.path, truth)
    ids = frozenset(pd.read_csv(filled, dtype=str)["comment_id"])
    row: dict[str, Any] = {"strategy": strategy, "seed": seed, "labels": suggested.rows}
    row["suggest_seconds"] = round(suggest_seconds, 2)
    if ids in done:
        row |= {k: v for k, v in done[ids].items() if k != "arm"} | {"same_rows_as": done[ids]["arm"]}
        shutil.rmtree(project)
        return row
    imported = import_annotations(project, filled)
    start = time.perf_counter()
    result = run_project(project)
    row |= scores(result) | {
        "differ_from_label_model": result.annotations["differ_from_label_model"],
        "uncovered": result.annotations["uncovered"],
        "run_seconds": round(time.perf_counter() - start, 1),
        "annotations_version": imported.version,
    }
    done[ids] = {k: v for k, v in row.items() if k not in ("strategy", "seed", "suggest_seconds")} | {
        "arm": f"{strategy}-{seed}"
    }
    shutil.rmtree(project)
    return row


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def stats(key: str) -> dict[str, float]:
        values = [r[key] for r in rows]
        return {
            "mean": round(statistics.fmean(values), 4),
            "std": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0,
            "min": min(values),
            "max": max(values),
        }

    return {
        "runs": rows,
        "labels": stats("labels"),
        "f1": stats("f1"),
        "accuracy": stats("accuracy"),
        "differ_from_label_model": stats("differ_from_label_model"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50, help="labels per arm")
    parser.add_argument("--seeds", type=int, default=5, help="seeds of the random arm")
    parser.add_argument("--strategy-seeds", type=int, default=3, help="seeds of each strategy")
    parser.add_argument("--trials", type=int, default=10, help="search trials of every run")
    parser.add_argument("--quick", action="store_true", help="n=20, 2 seeds each, 3 trials")
    args = parser.parse_args()
    if args.quick:
        args.n, args.seeds, args.strategy_seeds, args.trials = 20, 2, 2, 3
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="headrace-al-") as tmp:
        work = Path(tmp)
        base = init_project(work / "base", example="youtube-spam")
        configure(base, args.trials)
        truth = oracle(base)
        start = time.perf_counter()
        baseline = run_project(base)
        baseline_row = scores(baseline) | {"run_seconds": round(time.perf_counter() - start, 1)}
        print(f"baseline: {baseline_row}", file=sys.stderr)
        done: dict[frozenset[str], Any] = {}
        arms: dict[str, Any] = {}
        plan = [(s, range(args.strategy_seeds)) for s in STRATEGIES] + [("random", range(args.seeds))]
        for strategy, seeds in plan:
            rows = []
            for seed in seeds:
                row = run_arm(base, work, strategy, seed, args.n, truth, done)
                print(f"{strategy} seed {seed}: {row}", file=sys.stderr)
                rows.append(row)
            arms[strategy] = summarize(rows)
        # The ceiling: every pool row hand-labeled, same search.
        everything = work / "all-labels"
        shutil.copytree(base, everything)
        all_file = everything / "all.csv"
        pd.DataFrame({"comment_id": list(truth), "label": list(truth.values())}).to_csv(all_file, index=False)
        import_annotations(everything, all_file)
        start = time.perf_counter()
        ceiling = scores(run_project(everything)) | {"labels": len(truth)}
        ceiling["run_seconds"] = round(time.perf_counter() - start, 1)
    payload = {
        "benchmark": "active_learning",
        "project": "examples/youtube-spam",
        "setup": {
            "labels_per_arm": args.n,
            "random_seeds": args.seeds,
            "strategy_seeds": args.strategy_seeds,
            "search": {"models": ["logistic"], "trials": args.trials, "seed": 0},
            "gold_test_rows": baseline.test["n_rows"],
            "pool_rows": len(truth),
            "label_model": baseline.label_model,
        },
        "baseline": baseline_row,
        "arms": arms,
        "all_labels": ceiling,
        "gain_over_random_f1": {
            s: round(arms[s]["f1"]["mean"] - arms["random"]["f1"]["mean"], 4) for s in STRATEGIES
        },
        "seconds": round(time.perf_counter() - began, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(payload, indent=2))
    print(table(payload), file=sys.stderr)


def table(payload: dict[str, Any]) -> str:
    base = payload["baseline"]
    lines = [
        "| arm | labels | test F1 (spam) | test accuracy | label-model errors found |",
        "| --- | --- | --- | --- | --- |",
        f"| baseline (weak labels only) | 0 | {base['f1']:.4f} | {base['accuracy']:.4f} | - |",
    ]
    for name, arm in payload["arms"].items():
        f1, acc, found = arm["f1"], arm["accuracy"], arm["differ_from_label_model"]
        lines.append(
            f"| {name} ({len(arm['runs'])} seeds) | {arm['labels']['mean']:g} "
            f"| {f1['mean']:.4f} ± {f1['std']:.4f} | {acc['mean']:.4f} ± {acc['std']:.4f} "
            f"| {found['mean']:g} |"
        )
    top = payload["all_labels"]
    lines.append(f"| all pool labels | {top['labels']} | {top['f1']:.4f} | {top['accuracy']:.4f} | - |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
