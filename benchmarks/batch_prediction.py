"""Batch prediction benchmark: rows per second and peak memory of ``predict_files``.

Usage::

    python benchmarks/batch_prediction.py [--rows 10000000] [--quick] [--sweep]

A logistic regression (``StandardScaler`` on 20 float columns, then
``LogisticRegression``: the pipeline shape headrace trains) is packaged, registered
in a temporary store as ``production``, and predicted over Parquet files of 20
``float64`` columns plus an ``id`` at 1M, 3M and ``--rows`` rows (default 10M), with
the local engine and with the processes engine (2 workers). Each run is a fresh
process started by a small launcher, so its peak RSS (``ru_maxrss``) is its own; the
processes engine's workers are measured as that process's children.

The issue's goal: at least 1M rows/s on the local engine, and peak RSS flat as the
input grows. The output is also checked: a whole batch recomputed with
``ServedModel.predict`` must match the file bit for bit, and rows sent as JSON
through the online path (``InputSchema.rows_to_table``) must get the same labels and
the same probabilities up to BLAS rounding (see ``predict_files``).

``--sweep`` also times batch sizes (16Ki to 256Ki rows) on the smallest file: what
``DEFAULT_BATCH_ROWS`` was chosen from.

Data files are generated once (seeded) and cached in
``benchmarks/results/batch-data/`` (ignored by git; about 200 MB per million rows).
Prints one JSON object to stdout (progress goes to stderr) and writes it to
``benchmarks/results/batch_prediction.json`` (``batch_prediction-quick.json`` with
``--quick``).
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
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
DATA_DIR = RESULTS_DIR / "batch-data"

COLUMNS = [f"x{i:02d}" for i in range(20)]
TARGETS = {"local_rows_per_second": 1_000_000.0, "rss_growth_ratio_max": 1.10}
FULL_SIZES = (1_000_000, 3_000_000)
QUICK_ROWS = 300_000
QUICK_SIZES = (100_000,)
SWEEP_BATCHES = (16_384, 32_768, 65_536, 131_072, 262_144)
#: Rows per Parquet row group: about 22 MB of this data, like a typical writer's.
ROW_GROUP = 131_072

# Linux carries ru_maxrss over from the process that spawned a child (the parent's
# memory image before exec counts as the child's), so each run is started by this
# small launcher rather than by the benchmark, whose own peak is hundreds of MB.
LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _max_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)  # Linux: KiB


# --- data and model ----------------------------------------------------------------------

#: The true rule behind the labels: a fixed linear score of the columns.
WEIGHTS = np.linspace(-1.0, 1.0, len(COLUMNS))


def features(rows: int, seed: int) -> npt.NDArray[np.float64]:
    """Rows of the 20 columns: standard normals with per-column scale and offset."""
    rng = np.random.default_rng(seed)
    scale = np.linspace(0.5, 3.0, len(COLUMNS))
    offset = np.linspace(-2.0, 2.0, len(COLUMNS))
    return rng.standard_normal((rows, len(COLUMNS))) * scale + offset


def data_file(rows: int, seed: int) -> Path:
    """The cached input file of ``rows`` rows (written on first use, in row groups)."""
    path = DATA_DIR / f"rows-{rows}-rg-{ROW_GROUP}-seed-{seed}.parquet"
    if path.exists():
        return path
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    log(f"data: writing {rows:,} rows × {len(COLUMNS)} columns to {path.name}")
    schema = pa.schema([("id", pa.int64()), *((name, pa.float64()) for name in COLUMNS)])
    temp = path.with_suffix(".tmp")
    start = time.perf_counter()
    with pq.ParquetWriter(temp, schema) as writer:
        for first in range(0, rows, ROW_GROUP):
            size = min(ROW_GROUP, rows - first)
            block = features(size, seed * 1_000_003 + first)
            arrays = [
                pa.array(np.arange(first, first + size)),
                *(pa.array(block[:, i]) for i in range(len(COLUMNS))),
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema), row_group_size=ROW_GROUP)
    temp.replace(path)
    log(f"data: {path.stat().st_size / 2**20:,.0f} MB in {time.perf_counter() - start:.1f}s")
    return path


def register_model(store_dir: Path, seed: int) -> dict[str, Any]:
    """Fit the logistic regression on 50k fresh rows, package it, register it as ``production``."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from headrace.project import FeaturesConfig
    from headrace.registry import ModelPackage, save_package
    from headrace.registry import register_model as register
    from headrace.store import Store

    block = features(50_000, seed + 7)
    rng = np.random.default_rng(seed + 8)
    score = (block - block.mean(axis=0)) / block.std(axis=0) @ WEIGHTS
    labels = (score + rng.normal(scale=1.0, size=len(score)) > 0).astype(int)
    pipeline = Pipeline(
        [
            ("features", ColumnTransformer([("numeric", StandardScaler(), COLUMNS)])),
            ("model", LogisticRegression(max_iter=1000)),
        ]
    ).fit(pd.DataFrame(block, columns=COLUMNS), labels)
    package = ModelPackage(
        pipeline=pipeline,
        classes=["negative", "positive"],
        features=FeaturesConfig(numeric=COLUMNS),
        input_schema=dict.fromkeys(COLUMNS, "double"),
    )
    with Store(store_dir) as store:
        with store.runs.recording("train") as run:
            run.outputs["model"] = save_package(store, package)
        version, _ = register(
            store,
            object_id=run.outputs["model"],
            train_run_id=run.id,
            eval_run_id=None,
            metrics={},
            alias="production",
        )
    return {
        "version": version.version,
        "model_id": version.object_id,
        "train_accuracy": pipeline.score(pd.DataFrame(block, columns=COLUMNS), labels),
    }


# --- one run, in its own process ---------------------------------------------------------


def child(store_dir: Path, data: Path, output: Path, engine_kind: str, workers: int, batch_rows: int) -> None:
    """Load the model, predict ``data`` into ``output``, print one JSON line."""
    from headrace.engines import make_engine
    from headrace.serve import load_served_model, predict_files
    from headrace.store import Store

    with Store(store_dir) as store:
        model = load_served_model(store, "production")
    rss_loaded = _max_rss_mb()
    engine = make_engine(engine_kind, workers=workers)
    cpu = time.process_time()
    try:
        result = predict_files(model, data, output, engine=engine, batch_rows=batch_rows, overwrite=True)
    finally:
        engine.close()
    line = {
        "rows": result.rows,
        "batches": result.batches,
        "seconds": round(result.seconds, 3),
        "rows_per_second": round(result.rows_per_second),
        "cpu_seconds_main_process": round(time.process_time() - cpu, 2),
        "rss_after_load_mb": rss_loaded,
        "peak_rss_mb": _max_rss_mb(),
        # The largest worker process (processes engine); 0 for the local engine.
        "worker_peak_rss_mb": _max_rss_mb(resource.RUSAGE_CHILDREN),
    }
    sys.stdout.write(json.dumps(line) + "\n")


def run_child(
    store_dir: Path, data: Path, output: Path, engine_kind: str, workers: int, batch_rows: int
) -> dict[str, Any]:
    command = [sys.executable, "-c", LAUNCHER, sys.executable, __file__, "--child", str(store_dir)]
    command += [str(data), str(output), engine_kind, str(workers), str(batch_rows)]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def best_run(
    store_dir: Path, data: Path, tmp: Path, engine_kind: str, workers: int, batch_rows: int, repeats: int
) -> dict[str, Any]:
    """The fastest of ``repeats`` runs, with the largest peak RSS of them (memory is never flattered)."""
    best: dict[str, Any] | None = None
    peak = 0.0
    for _ in range(max(1, repeats)):
        run = run_child(
            store_dir, data, tmp / f"out-{engine_kind}-{data.name}", engine_kind, workers, batch_rows
        )
        log(
            f"{engine_kind} (batch {batch_rows:,}): {run['rows']:,} rows in {run['seconds']:.2f}s = "
            f"{run['rows_per_second']:,} rows/s, peak RSS {run['peak_rss_mb']} MB "
            f"(largest worker {run['worker_peak_rss_mb']} MB)"
        )
        peak = max(peak, run["peak_rss_mb"])
        if best is None or run["seconds"] < best["seconds"]:
            best = run
    assert best is not None
    return {
        "engine": engine_kind,
        "workers": None if engine_kind == "local" else workers,
        **best,
        "peak_rss_mb": peak,
    }


# --- correctness ---------------------------------------------------------------------------


def check_output(store_dir: Path, data: Path, output: Path, batch_rows: int, seed: int) -> dict[str, Any]:
    """Compare the written predictions with ``ServedModel.predict`` and the online path."""
    from headrace.serve import load_served_model
    from headrace.store import Store

    with Store(store_dir) as store:
        model = load_served_model(store, "production")
    source, written = pq.ParquetFile(data), pq.ParquetFile(output)
    rows = source.metadata.num_rows
    predicted = ["label", *(f"probability_{c}" for c in model.package.classes)]
    rng = np.random.default_rng(seed)
    # Whole batches as predict_files cut them (batch k = rows k·batch_rows …): bit for bit.
    batches = sorted(
        {0, (rows - 1) // batch_rows, *rng.integers(0, (rows - 1) // batch_rows + 1, size=3).tolist()}
    )
    exact = True
    for index in batches:
        start = index * batch_rows
        inputs = _rows(source, start, batch_rows)
        mine = model.predict(model.schema.conform(inputs)).to_table()
        exact &= _rows(written, start, batch_rows).select(predicted).equals(mine)
    # Online: 200 random rows of a random stretch, sent as JSON objects in one request.
    stretch = min(rows, 100_000)
    first = int(rng.integers(0, rows - stretch + 1))
    picks = pa.array(np.sort(rng.choice(stretch, size=min(200, stretch), replace=False)))
    json_rows = _rows(source, first, stretch).select(COLUMNS).take(picks).to_pylist()
    online = model.predict(model.schema.rows_to_table(json_rows))
    batch = _rows(written, first, stretch).take(picks)
    probabilities = np.column_stack([batch.column(c).to_numpy() for c in predicted[1:]])
    return {
        "batches_checked": len(batches),
        "batches_identical_to_served_model": bool(exact),
        "online_rows_checked": len(picks),
        "online_labels_identical": batch.column("label").to_pylist() == online.labels(),
        "online_max_abs_probability_difference": float(np.max(np.abs(probabilities - online.probabilities))),
    }


def _rows(file: pq.ParquetFile, start: int, count: int) -> pa.Table:
    """Rows ``start`` … ``start + count - 1`` of a Parquet file, reading only the row groups needed."""
    metadata = file.metadata
    groups, first, offset = [], None, 0
    for index in range(metadata.num_row_groups):
        size = metadata.row_group(index).num_rows
        if offset + size > start and offset < start + count:
            groups.append(index)
            first = offset if first is None else first
        offset += size
    table = file.read_row_groups(groups)
    return table.slice(start - (first or 0), count)


# --- main ----------------------------------------------------------------------------------


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
        "platform": platform.platform(),
        "versions": {
            name: version(name) for name in ("headrace", "numpy", "pandas", "pyarrow", "scikit-learn")
        },
        "git": commit,
    }


def main() -> int:
    from headrace.serve.batch import DEFAULT_BATCH_ROWS

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, help="the largest input (default 10000000; quick 300000)")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test, not a result")
    parser.add_argument("--batch-rows", type=int, default=DEFAULT_BATCH_ROWS)
    parser.add_argument("--workers", type=int, default=2, help="processes engine workers")
    parser.add_argument("--engines", default="local,processes", help="comma-separated engines to run")
    parser.add_argument("--sweep", action="store_true", help="also time batch sizes on the smallest file")
    parser.add_argument("--repeats", type=int, default=2, help="runs per size and engine; the best is kept")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        store_dir, data, output, engine_kind, workers, batch_rows = args.child
        child(Path(store_dir), Path(data), Path(output), engine_kind, int(workers), int(batch_rows))
        return 0

    largest = args.rows or (QUICK_ROWS if args.quick else 10_000_000)
    sizes = sorted({*(s for s in (QUICK_SIZES if args.quick else FULL_SIZES) if s < largest), largest})
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    result: dict[str, Any] = {
        "benchmark": "batch_prediction",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "seed": args.seed,
        "columns": len(COLUMNS),
        "row_group_rows": ROW_GROUP,
        "batch_rows": args.batch_rows,
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
    }
    files = {rows: data_file(rows, args.seed) for rows in sizes}
    with tempfile.TemporaryDirectory(prefix="headrace-bench-") as tmpdir:
        tmp = Path(tmpdir)
        store_dir = tmp / ".headrace"
        result["model"] = register_model(store_dir, args.seed)
        result["runs"] = [
            best_run(store_dir, files[rows], tmp, engine_kind, args.workers, args.batch_rows, args.repeats)
            for engine_kind in engines
            for rows in sizes
        ]
        if "local" in engines:
            log("checking the output of the largest local run")
            output = tmp / f"out-local-{files[largest].name}"
            result["correctness"] = check_output(
                store_dir, files[largest], output, args.batch_rows, args.seed
            )
        if args.sweep:
            result["batch_size_sweep"] = [
                {
                    "batch_rows": batch_rows,
                    **best_run(store_dir, files[sizes[0]], tmp, "local", 1, batch_rows, args.repeats),
                }
                for batch_rows in SWEEP_BATCHES
            ]

    local = [r for r in result["runs"] if r["engine"] == "local"]
    verdicts: dict[str, bool] = {}
    if local:
        verdicts["local_rows_per_second"] = all(
            r["rows_per_second"] >= TARGETS["local_rows_per_second"] for r in local
        )
        growth = max(r["peak_rss_mb"] for r in local) / min(r["peak_rss_mb"] for r in local)
        result["local_rss_growth_ratio"] = round(growth, 3)
        verdicts["rss_growth_ratio_max"] = growth <= TARGETS["rss_growth_ratio_max"]
        check = result.get("correctness", {})
        verdicts["correct"] = bool(
            check.get("batches_identical_to_served_model") and check.get("online_labels_identical")
        )
    result["targets"] = TARGETS
    result["meets_targets"] = verdicts
    result["machine"] = machine()

    text = json.dumps(result, indent=2)
    print(text)
    RESULTS_DIR.mkdir(exist_ok=True)
    name = "batch_prediction" + ("-quick" if args.quick else "")
    (RESULTS_DIR / f"{name}.json").write_text(text + "\n")
    log(f"wrote {RESULTS_DIR / f'{name}.json'}")
    return 0 if verdicts.get("correct", True) else 1


if __name__ == "__main__":
    sys.exit(main())
