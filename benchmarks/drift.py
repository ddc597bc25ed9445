"""Drift benchmark: headrace against Evidently 0.7 on the same data, in one run.

Usage::

    python benchmarks/drift.py [--rows 100000] [--log-rows 10000000] [--quick] [--only compare|log]

Two measurements (see ``benchmarks/README.md`` for what each means):

compare
    ``--rows`` reference and current rows × 20 numeric + 5 categorical columns (seeded;
    9 columns shifted clearly, 16 not) through headrace (profile, summary,
    ``detect_drift``) and Evidently's ``DataDriftPreset`` (in its own venv, reading the
    same Parquet files), both with the same tests: normalized Wasserstein ≥ 0.1 for
    numeric columns, Jensen–Shannon ≥ 0.1 for categorical ones. The per-column verdicts
    must be identical.
log
    A synthetic prediction log of ``--log-rows`` rows (the layout of
    ``headrace.serve.predlog``) summarized with DuckDB and checked for drift in a fresh
    process: seconds and peak resident memory.

Prints one JSON object to stdout (progress goes to stderr) and writes it to
``benchmarks/results/drift.json`` (``drift-quick.json`` with ``--quick``,
``drift-SECTION.json`` with ``--only``). Exits 1 when the verdicts differ.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from _data import REPO_ROOT
from peer_env import evidently_python

from headrace.monitor import DriftOptions, build_profile, detect_drift, summarize_table
from headrace.project import FeaturesConfig

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
PEER_SCRIPT = BENCH_DIR / "_evidently_drift.py"

#: What the issue asks of headrace.
TARGETS = {"speedup_vs_evidently": 10.0}
FULL = {"rows": 100_000, "log_rows": 10_000_000}
QUICK = {"rows": 20_000, "log_rows": 500_000}
#: Rows per Parquet file of the synthetic log (the writer flushes far smaller files;
#: fewer, larger files only make the scan's file overhead smaller for both layouts).
LOG_FILE_ROWS = 500_000
#: The tests both tools run (Evidently's defaults for > 1,000 rows, named explicitly).
SAME_TESTS = {
    "num_method": "wasserstein",
    "cat_method": "jensenshannon",
    "num_threshold": 0.1,
    "cat_threshold": 0.1,
}

T = TypeVar("T")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- data -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One synthetic column: how reference values are drawn, and how current ones differ."""

    name: str
    draw: Callable[[np.random.Generator, int, bool], Any]
    shifted: bool


def _numeric_columns() -> list[Column]:
    # Shifted columns move by ≥ 0.3 reference standard deviations (normalized W1 ≥ 0.3),
    # unshifted ones are fresh draws (≈ 0.01): far from the 0.1 threshold on both sides.
    def normal(mu: float, sigma: float, d_mu: float = 0.0, k_sigma: float = 1.0) -> Callable[..., Any]:
        return lambda rng, n, cur: rng.normal(mu + d_mu * cur, sigma * (k_sigma if cur else 1.0), n)

    def lognormal(k: float = 1.0) -> Callable[..., Any]:
        return lambda rng, n, cur: rng.lognormal(3.0, 0.6 * (k if cur else 1.0), n)

    def exponential(k: float = 1.0) -> Callable[..., Any]:
        return lambda rng, n, cur: rng.exponential(2.0 * (k if cur else 1.0), n)

    def uniform(d: float = 0.0) -> Callable[..., Any]:
        return lambda rng, n, cur: rng.uniform(0.0 + (d if cur else 0.0), 10.0 + (d if cur else 0.0), n)

    def poisson(lam: float, d: float = 0.0) -> Callable[..., Any]:
        return lambda rng, n, cur: rng.poisson(lam + (d if cur else 0.0), n).astype(np.float64)

    def bimodal(p_cur: float = 0.3) -> Callable[..., Any]:
        def draw(rng: np.random.Generator, n: int, cur: bool) -> Any:
            second = rng.random(n) < (p_cur if cur else 0.3)
            return np.where(second, rng.normal(8.0, 1.0, n), rng.normal(0.0, 1.0, n))

        return draw

    specs: list[tuple[Callable[..., Any], bool]] = [
        (normal(0, 1, d_mu=0.5), True),
        (normal(50, 10), False),
        (normal(-3, 0.2), False),
        (lognormal(k=1.6), True),
        (lognormal(), False),
        (exponential(), False),
        (exponential(k=1.5), True),
        (uniform(d=3.0), True),
        (uniform(), False),
        (poisson(20, d=5), True),
        (poisson(3), False),
        (bimodal(p_cur=0.6), True),
        (bimodal(), False),
        (normal(0, 1, k_sigma=1.7), True),
        (normal(100, 25), False),
        (normal(0, 1), False),
        (lognormal(), False),
        (exponential(), False),
        (uniform(), False),
        (poisson(50), False),
    ]
    return [Column(f"n{i:02d}", draw, shifted) for i, (draw, shifted) in enumerate(specs)]


def _categorical_columns() -> list[Column]:
    def categories(k: int, zipf: float, reverse: bool = False, new_share: float = 0.0) -> Callable[..., Any]:
        names = np.array([f"v{j:03d}" for j in range(k)])
        weights = 1.0 / np.arange(1, k + 1) ** zipf
        weights /= weights.sum()

        def draw(rng: np.random.Generator, n: int, cur: bool) -> Any:
            p = weights[::-1] if cur and reverse else weights
            values = names[rng.choice(k, size=n, p=p)]
            if cur and new_share:
                fresh = rng.random(n) < new_share
                new = np.array([f"new{j}" for j in range(5)])[rng.integers(0, 5, n)]
                values = np.where(fresh, new, values)
            return values

        return draw

    specs: list[tuple[Callable[..., Any], bool]] = [
        (categories(3, 1.0), False),
        (categories(6, 1.2, reverse=True), True),
        (categories(12, 0.8), False),
        (categories(50, 1.1, new_share=0.25), True),
        (categories(300, 1.0), False),
    ]
    return [Column(f"c{i}", draw, shifted) for i, (draw, shifted) in enumerate(specs)]


NUMERIC = _numeric_columns()
CATEGORICAL = _categorical_columns()
#: Columns with missing values (share in reference, share in current).
MISSING = {"n01": (0.02, 0.02), "n02": (0.02, 0.05), "c2": (0.01, 0.01)}


def make_table(rows: int, current: bool, seed: int) -> pa.Table:
    """Reference (``current=False``) or current rows; every column from its own stream."""
    columns: dict[str, pa.Array] = {}
    for index, column in enumerate(NUMERIC + CATEGORICAL):
        rng = np.random.default_rng([seed, index, int(current)])
        values = column.draw(rng, rows, current)
        mask = None
        if column.name in MISSING:
            mask = rng.random(rows) < MISSING[column.name][int(current)]
        columns[column.name] = pa.array(values, mask=mask)
    return pa.table(columns)


def features() -> FeaturesConfig:
    return FeaturesConfig(numeric=[c.name for c in NUMERIC], categorical=[c.name for c in CATEGORICAL])


def best_of(runs: int, function: Callable[[], T]) -> tuple[float, T]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result  # type: ignore[return-value]


# --- compare --------------------------------------------------------------------------


def bench_compare(rows: int, seed: int, tmp: Path) -> dict[str, Any]:
    reference, current = make_table(rows, False, seed), make_table(rows, True, seed)
    config = features()
    shape = f"{len(NUMERIC)} numeric + {len(CATEGORICAL)} categorical"
    log(f"compare: {rows:,} reference and current rows × {shape}")
    same = DriftOptions(multivariate=False)
    profile_s, profile = best_of(3, lambda: build_profile(reference, config))
    summary_s, summary = best_of(3, lambda: summarize_table(profile, current))
    drift_s, report = best_of(3, lambda: detect_drift(profile, summary, same))
    multivariate_s, full_report = best_of(1, lambda: detect_drift(profile, summary))
    total = profile_s + summary_s + drift_s
    log(f"headrace: profile {profile_s:.3f} s, summary {summary_s:.3f} s, drift {drift_s:.3f} s")

    pq.write_table(reference, tmp / "reference.parquet")
    pq.write_table(current, tmp / "current.parquet")
    names = {"numeric": [c.name for c in NUMERIC], "categorical": [c.name for c in CATEGORICAL]}
    spec = {**names, "runs": 2, **SAME_TESTS}
    (tmp / "spec.json").write_text(json.dumps(spec))
    log("evidently: DataDriftPreset on the same files (2 runs)")
    files = [str(tmp / name) for name in ("reference.parquet", "current.parquet", "spec.json")]
    command = [str(evidently_python()), str(PEER_SCRIPT), *files]
    completed = subprocess.run(command, check=True, capture_output=True, text=True)
    peer = json.loads(completed.stdout.strip().splitlines()[-1])
    evidently_s = min(peer["seconds"])
    log(f"evidently: best {evidently_s:.2f} s")

    columns, disagreements = {}, []
    for column in NUMERIC + CATEGORICAL:
        ours = report.column(column.name)
        main = ours.tests[0]
        theirs = peer["columns"][column.name]
        row = {
            "designed_shift": column.shifted,
            "headrace": {"test": main.test, "statistic": round(main.statistic, 6), "drifted": ours.drifted},
            "evidently": {
                "test": theirs["method"],
                "statistic": round(theirs["score"], 6),
                "drifted": theirs["drifted"],
            },
        }
        columns[column.name] = row
        if ours.drifted != theirs["drifted"]:
            disagreements.append(column.name)
    statistic_gaps = [abs(r["headrace"]["statistic"] - r["evidently"]["statistic"]) for r in columns.values()]
    return {
        "rows": rows,
        "columns": {"numeric": len(NUMERIC), "categorical": len(CATEGORICAL)},
        "tests": SAME_TESTS,
        "headrace_seconds": {
            "profile": round(profile_s, 4),
            "summary": round(summary_s, 4),
            "drift": round(drift_s, 4),
            "total": round(total, 4),
            "drift_with_multivariate_and_psi": round(multivariate_s, 4),
        },
        "evidently_seconds": round(evidently_s, 3),
        "evidently_runs_seconds": [round(s, 3) for s in peer["seconds"]],
        "speedup_vs_evidently": round(evidently_s / total, 1),
        "speedup_vs_evidently_drift_only": round(evidently_s / (summary_s + drift_s), 1),
        "verdicts_identical": not disagreements,
        "disagreements": disagreements,
        "drifted_columns": report.drifted_columns,
        "evidently_drifted_count": peer["drifted_count_reported"],
        "verdicts_match_design": all(
            r["headrace"]["drifted"] == r["designed_shift"] for r in columns.values()
        ),
        "max_statistic_gap": round(max(statistic_gaps), 6),
        "multivariate": None if full_report.multivariate is None else full_report.multivariate.to_dict(),
        "per_column": columns,
        "peer_versions": peer["versions"],
    }


# --- log ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    """What ``predlog.log_table`` reads of a served model."""

    model_id: str = "bench-model"
    version_number: int = 1


def predictions_for(table: pa.Table) -> Any:
    """A fixed logistic 'model' on three columns: labels and probabilities as served."""
    from headrace.serve.predictor import Predictions

    def z(name: str, mean: float, std: float) -> Any:
        values = table.column(name).to_numpy(zero_copy_only=False)
        return np.nan_to_num((values - mean) / std)

    score = 1.2 * z("n00", 0.0, 1.0) - 0.8 * z("n05", 2.0, 2.0) + 0.5 * z("n09", 20.0, 4.5)
    positive = 1.0 / (1.0 + np.exp(-score))
    probabilities = np.column_stack([1.0 - positive, positive])
    return Predictions((positive >= 0.5).astype(np.int64), probabilities, ["ham", "spam"])


def write_log(folder: Path, rows: int, seed: int) -> dict[str, Any]:
    from headrace.serve.predlog import log_table

    start = time.perf_counter()
    day0 = datetime(2026, 11, 1, tzinfo=UTC)
    written = 0
    for part in range((rows + LOG_FILE_ROWS - 1) // LOG_FILE_ROWS):
        n = min(LOG_FILE_ROWS, rows - written)
        inputs = make_table(n, True, seed + 1 + part)
        when = day0 + timedelta(hours=6 * part)
        ids = [f"{part}-{i}" for i in range(n)]
        table = log_table(_Model(), inputs, predictions_for(inputs), ids, when)  # type: ignore[arg-type]
        target = folder / f"model={_Model.model_id}" / f"date={when:%Y-%m-%d}"
        target.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, target / f"part-{part:05d}.parquet", compression="zstd")
        written += n
    size = sum(f.stat().st_size for f in folder.rglob("*.parquet"))
    return {
        "rows": written,
        "files": len(list(folder.rglob("*.parquet"))),
        "mb": round(size / 2**20, 1),
        "write_seconds": round(time.perf_counter() - start, 1),
    }


# Linux carries ru_maxrss over from the process that spawned a child, so the measured
# child is started through this tiny launcher (see labeling.py).
LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def log_child(profile_path: str, folder: str) -> None:
    """In a fresh process: load the profile, summarize the log with DuckDB, detect drift."""
    from headrace.monitor import ReferenceProfile, summarize_log

    def peak() -> float:
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    after_imports = peak()
    profile = ReferenceProfile.from_bytes(Path(profile_path).read_bytes())
    start = time.perf_counter()
    summary = summarize_log(profile, folder)
    summary_s = time.perf_counter() - start
    after_summary = peak()
    start = time.perf_counter()
    report = detect_drift(profile, summary)
    drift_s = time.perf_counter() - start
    print(
        json.dumps(
            {
                "summary_seconds": round(summary_s, 2),
                "drift_seconds": round(drift_s, 2),
                "rows": summary.rows,
                "peak_rss_mb": peak(),
                "peak_rss_mb_after_imports": after_imports,
                "peak_rss_mb_after_summary": after_summary,
                "drifted_columns": report.drifted_columns,
                "prediction_drifted": report.prediction_drifted,
                "multivariate_drifted": None if report.multivariate is None else report.multivariate.drifted,
            }
        )
    )


def bench_log(rows: int, reference_rows: int, seed: int, tmp: Path) -> dict[str, Any]:
    folder = tmp / "predictions"
    log(f"log: writing a {rows:,}-row prediction log")
    written = write_log(folder, rows, seed)
    log(f"log: {written['files']} files, {written['mb']} MB in {written['write_seconds']} s")
    reference = make_table(reference_rows, False, seed)
    profile = build_profile(reference, features(), predictions_for(reference))
    profile_path = tmp / "profile.parquet"
    profile_path.write_bytes(profile.to_bytes())
    log("log: summarize_log + detect_drift in a fresh process")
    child_args = ["--log-child", str(profile_path), str(folder)]
    command = [sys.executable, "-c", LAUNCHER, sys.executable, __file__, *child_args]
    completed = subprocess.run(command, check=True, capture_output=True, text=True)
    child = json.loads(completed.stdout.strip().splitlines()[-1])
    child["total_seconds"] = round(child["summary_seconds"] + child["drift_seconds"], 2)
    seconds = f"summary {child['summary_seconds']} s, drift {child['drift_seconds']} s"
    log(f"log: {seconds}, peak {child['peak_rss_mb']} MB")
    return {
        "log": written,
        "profile_bytes": profile_path.stat().st_size,
        "duckdb_memory_limit": "1GB",
        **child,
    }


# --- main -----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        # Other work on this machine skews timings: the 1-minute load at the end of the run.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "versions": {name: version(name) for name in ("headrace", "numpy", "pyarrow", "duckdb", "scipy")},
        "git": commit,
    }


def main() -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--rows", type=int, help="reference and current rows (default 100000; quick 20000)")
    parser.add_argument("--log-rows", type=int, help="prediction log rows (default 10M; quick 500k; 0 skips)")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test, not a result")
    parser.add_argument("--only", choices=["compare", "log"], help="run one part")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log-child", nargs=2, metavar=("PROFILE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.log_child:
        log_child(*args.log_child)
        return 0

    sizes = dict(QUICK if args.quick else FULL)
    sizes["rows"] = args.rows or sizes["rows"]
    sizes["log_rows"] = sizes["log_rows"] if args.log_rows is None else args.log_rows
    sections = [args.only] if args.only else ["compare", "log"]
    result: dict[str, Any] = {
        "benchmark": "drift",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "seed": args.seed,
    }
    with tempfile.TemporaryDirectory(prefix="headrace-drift-") as tmpdir:
        tmp = Path(tmpdir)
        if "compare" in sections:
            result["compare"] = bench_compare(sizes["rows"], args.seed, tmp)
            speedup = result["compare"]["speedup_vs_evidently"]
            result["meets_targets"] = {
                "speedup_vs_evidently": speedup >= TARGETS["speedup_vs_evidently"],
                "verdicts_identical": result["compare"]["verdicts_identical"],
            }
            result["targets"] = TARGETS
        if "log" in sections and sizes["log_rows"] > 0:
            result["log"] = bench_log(sizes["log_rows"], sizes["rows"], args.seed, tmp)
    result["machine"] = machine()

    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    name = "drift" + ("-quick" if args.quick else "") + (f"-{args.only}" if args.only else "")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{name}.json").write_text(text + "\n")
    log(f"wrote {RESULTS_DIR / f'{name}.json'}")
    agree = result.get("compare", {}).get("verdicts_identical", True)
    if not agree:
        log(f"FAILED: per-column verdicts differ: {result['compare']['disagreements']}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
