"""Scale-out benchmark: the local engine against a Dask cluster, at 1M, 3M and 10M rows.

Usage::

    python benchmarks/scale.py [--rows 10000000] [--quick] [--workers 2] [--only lf,predict,rowwise]

Two stages run through the engine seam (``Engine.map_partitions``):

lf
    LF application: the labeling benchmark's ten keyword/regex LFs (``_labeling_lfs.py``,
    as headrace's vectorized ``keyword_lf``/``regex_lf``) over short texts resampled from
    the repository's real comments and messages (``_data.make_texts``), with
    ``apply_lfs``. The label model is then fitted on the matrix (in the driver: it is
    not partitioned work) so the stage cost table is complete.
predict
    Batch prediction: ``predict_files`` over Parquet files of 20 float columns with a
    registered logistic regression, the data and model of ``batch_prediction.py``.
rowwise (extra, at ``--rowwise-rows``, default 1M)
    The same ten LFs written as row-wise Python ``@labeling_function``s: work that holds
    the GIL, where worker processes are the only way to use more than one core.

Each is run in three ways, each in a fresh process:

``local``
    the local engine on the whole machine (Arrow's and the applier's threads use every core);
``local-1cpu``
    the local engine pinned to one CPU (``sched_setaffinity``): the one-core baseline;
``dask``
    a ``LocalCluster`` of ``--workers`` worker processes with one thread each, started
    first, driven through ``DaskEngine(address=…)`` exactly as a remote cluster would be.

Reported per run: rows/s (steady state: a small warm-up run first, so worker imports
and cluster start are reported apart), the driver's and each worker's peak RSS
(``VmHWM``: ``ru_maxrss`` would count the parent's memory image for spawned processes),
and CPU seconds of the driver and of the workers. Derived:

* ``speedup_vs_local`` = rows/s (dask) / rows/s (local);
* ``scaling_efficiency`` = rows/s (dask) / (workers × rows/s (local-1cpu)): the share of
  perfect linear scaling from one core to N worker processes (1.0 = perfect);
* per-row CPU costs of the driver and the workers, from which ``projection`` estimates
  1B rows on larger clusters (see ``docs/scaling.md``).

Outputs must be identical: the label matrix (hashed, row order included) and the
prediction file (read back and compared) of every run equal the local engine's.

Prints one JSON object to stdout (progress to stderr) and writes it to
``benchmarks/results/scale.json`` (``scale-quick.json`` with ``--quick``, ``scale-STAGES.json``
with ``--only`` or ``--rows``, so that a partial run never overwrites a full one). Exits 1 when
outputs differ. Text data is cached in ``benchmarks/results/scale-data/``, prediction
data in ``benchmarks/results/batch-data/`` (both ignored by git).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from _data import make_texts
from batch_prediction import data_file, register_model
from labeling import machine, rowwise_lfs, vectorized_lfs

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
TEXT_DIR = RESULTS_DIR / "scale-data"

FULL_SIZES = (1_000_000, 3_000_000, 10_000_000)
QUICK_SIZES = (100_000, 300_000)
MODES = ("local", "local-1cpu", "dask")
WARMUP_ROWS = 20_000
#: Rows per batch prediction call (``DEFAULT_BATCH_ROWS``) and per LF partition
#: (``DEFAULT_BATCH_SIZE``) are the library defaults; the run reports them.

# Linux carries ru_maxrss over from the process that spawned a child, so each run is
# started by this small launcher rather than by the benchmark.
LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    """This process's peak resident memory: ``VmHWM``, which ``exec`` resets (``ru_maxrss`` does not)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker_stats() -> dict[str, float]:
    """Run on each Dask worker: its peak RSS and CPU seconds so far."""
    return {"peak_rss_mb": peak_rss_mb(), "cpu_seconds": cpu_seconds()}


def read_through(path: Path) -> None:
    """Read a file once, so that every run finds it in the page cache, not on disk."""
    with path.open("rb") as handle:
        while handle.read(1 << 24):
            pass


def text_file(rows: int, seed: int) -> Path:
    """The cached Parquet file of ``rows`` texts (``id``, ``text``), written on first use."""
    path = TEXT_DIR / f"texts-{rows}-seed-{seed}.parquet"
    if not path.exists():
        TEXT_DIR.mkdir(parents=True, exist_ok=True)
        log(f"data: drawing {rows:,} texts (seed {seed})")
        frame = make_texts(rows, seed=seed)[["id", "text"]]
        temp = path.with_suffix(".tmp")
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), temp, row_group_size=131_072)
        temp.replace(path)
    return path


# --- one run, in its own process ---------------------------------------------------------


class Cluster:
    """A LocalCluster started before any data is loaded, and a client to ask its workers."""

    def __init__(self, workers: int) -> None:
        from distributed import Client, LocalCluster

        start = time.perf_counter()
        self.cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            scheduler_kwargs={"dashboard": False},
        )
        self.client = Client(self.cluster)
        self.client.wait_for_workers(workers)
        self.start_seconds = time.perf_counter() - start

    @property
    def address(self) -> str:
        return str(self.cluster.scheduler_address)

    def stats(self) -> dict[str, dict[str, float]]:
        result: dict[str, dict[str, float]] = self.client.run(worker_stats)
        return result

    def close(self) -> None:
        self.client.close()
        self.cluster.close()


def child(stage: str, mode: str, rows: int, workers: int, seed: int, store_dir: Path, out_dir: Path) -> None:
    """Run one stage one way; print one JSON line."""
    if mode == "local-1cpu":
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from headrace.engines import DaskEngine, Engine, LocalEngine

    cluster = Cluster(workers) if mode == "dask" else None
    engine: Engine = LocalEngine() if cluster is None else DaskEngine(address=cluster.address)
    line: dict[str, Any] = {"stage": stage, "mode": mode, "rows": rows}
    try:
        if stage == "predict":
            line.update(run_predict(mode, engine, rows, seed, store_dir, out_dir, cluster))
        else:
            line.update(run_lf(stage, mode, engine, rows, seed, cluster))
    finally:
        engine.close()
        if cluster is not None:
            line["workers"] = workers
            line["cluster_start_seconds"] = round(cluster.start_seconds, 3)
            cluster.close()
    line["driver_peak_rss_mb"] = peak_rss_mb()
    # Other work on the machine skews timings: the 1-minute load when the run ended.
    line["load_average_1m"] = round(os.getloadavg()[0], 2)
    sys.stdout.write(json.dumps(line) + "\n")


def _timed(cluster: Cluster | None, work: Any) -> tuple[Any, dict[str, Any]]:
    """Run ``work()``: its value, and its wall time, the driver's CPU and the workers' CPU and RSS."""
    before = cluster.stats() if cluster is not None else {}
    cpu = cpu_seconds()
    start = time.perf_counter()
    value = work()
    seconds = time.perf_counter() - start
    timing: dict[str, Any] = {"seconds": seconds, "driver_cpu_seconds": cpu_seconds() - cpu}
    if cluster is not None:
        after = cluster.stats()
        timing["worker_cpu_seconds"] = sum(after[w]["cpu_seconds"] - before[w]["cpu_seconds"] for w in after)
        timing["worker_peak_rss_mb"] = sorted(after[w]["peak_rss_mb"] for w in after)
    return value, timing


def _summary(rows: int, timing: dict[str, Any], warmup_seconds: float) -> dict[str, Any]:
    summary = {
        "seconds": round(timing["seconds"], 3),
        "rows_per_second": round(rows / timing["seconds"]),
        "warmup_seconds": round(warmup_seconds, 3),
        "driver_cpu_seconds": round(timing["driver_cpu_seconds"], 2),
        "driver_cpu_us_per_row": round(1e6 * timing["driver_cpu_seconds"] / rows, 3),
        "driver_cores_used": round(timing["driver_cpu_seconds"] / timing["seconds"], 2),
    }
    if "worker_cpu_seconds" in timing:
        summary["worker_cpu_seconds"] = round(timing["worker_cpu_seconds"], 2)
        summary["worker_cpu_us_per_row"] = round(1e6 * timing["worker_cpu_seconds"] / rows, 3)
        summary["worker_peak_rss_mb"] = timing["worker_peak_rss_mb"]
        # Below the worker count: the workers waited (for data, or for a CPU the
        # machine's other work had).
        summary["worker_cores_used"] = round(timing["worker_cpu_seconds"] / timing["seconds"], 2)
    return summary


def run_lf(
    stage: str, mode: str, engine: Any, rows: int, seed: int, cluster: Cluster | None
) -> dict[str, Any]:
    from headrace.supervision import LabelModel, apply_lfs
    from headrace.supervision.applier import DEFAULT_BATCH_SIZE

    table = pq.read_table(text_file(rows, seed))
    lfs = vectorized_lfs() if stage == "lf" else rowwise_lfs()

    def apply(data: pa.Table) -> Any:
        return apply_lfs(lfs, data, id_column="id", cardinality=2, engine=engine).matrix.values

    # Small partitions, so that every worker imports and unpickles before the timed run.
    start = time.perf_counter()
    apply_lfs(lfs, table.slice(0, WARMUP_ROWS), id_column="id", cardinality=2, engine=engine, batch_size=1000)
    warmup = time.perf_counter() - start
    matrix, timing = _timed(cluster, lambda: apply(table))
    result = _summary(rows, timing, warmup)
    result.update(
        partitions=-(-rows // DEFAULT_BATCH_SIZE),
        partition_rows=DEFAULT_BATCH_SIZE,
        input_bytes_per_row=round(table.nbytes / rows, 1),
        output_bytes_per_row=matrix.shape[1],
        output_sha256=hashlib.sha256(matrix.tobytes()).hexdigest(),
        output_shape=list(matrix.shape),
    )
    if stage == "lf" and mode == "local":
        # The next pipeline stage, for the cost table: it runs in the driver, on the matrix.
        start = time.perf_counter()
        model = LabelModel(cardinality=2).fit(matrix)
        fitted = time.perf_counter()
        model.predict_proba(matrix)
        result["label_model"] = {
            "model": type(model).__name__,
            "fit_seconds": round(fitted - start, 3),
            "predict_proba_seconds": round(time.perf_counter() - fitted, 3),
        }
    return result


def run_predict(
    mode: str, engine: Any, rows: int, seed: int, store_dir: Path, out_dir: Path, cluster: Cluster | None
) -> dict[str, Any]:
    from headrace.serve import load_served_model, predict_files
    from headrace.serve.batch import DEFAULT_BATCH_ROWS
    from headrace.store import Store

    with Store(store_dir) as store:
        model = load_served_model(store, "production")
    data = data_file(rows, seed)
    warm = out_dir / f"warmup-{mode}.parquet"
    pq.write_table(pq.ParquetFile(data).read_row_group(0).slice(0, WARMUP_ROWS), warm)
    start = time.perf_counter()
    # Small batches, so that every worker imports and unpickles before the timed run.
    warm_out = out_dir / f"warmup-out-{mode}.parquet"
    predict_files(model, warm, warm_out, engine=engine, batch_rows=1000, overwrite=True)
    warmup = time.perf_counter() - start
    output = out_dir / f"predict-{rows}-{mode}.parquet"
    written, timing = _timed(
        cluster, lambda: predict_files(model, data, output, engine=engine, overwrite=True)
    )
    result = _summary(rows, timing, warmup)
    probabilities = [name for name in pq.read_schema(output).names if name.startswith("probability_")]
    result.update(
        partitions=written.batches,
        partition_rows=DEFAULT_BATCH_ROWS,
        input_bytes_per_row=8 * len(model.schema.arrow_schema),
        # label (a short string: 4-byte offset and about 8 characters) and the probabilities.
        output_bytes_per_row=12 + 8 * len(probabilities),
        output=str(output),
    )
    return result


def best_run(
    stage: str, mode: str, rows: int, args: argparse.Namespace, store: Path, out: Path
) -> dict[str, Any]:
    """The fastest of ``--repeats`` runs, with the largest peak RSS of them (memory is never flattered)."""
    runs = [run_child(stage, mode, rows, args, store, out) for _ in range(max(1, args.repeats))]
    best = min(runs, key=lambda run: run["seconds"])
    best["driver_peak_rss_mb"] = max(run["driver_peak_rss_mb"] for run in runs)
    if "worker_peak_rss_mb" in best:
        best["worker_peak_rss_mb"] = max((run["worker_peak_rss_mb"] for run in runs), key=max)
    best["runs_seconds"] = [run["seconds"] for run in runs]
    return best


def run_child(
    stage: str, mode: str, rows: int, args: argparse.Namespace, store: Path, out: Path
) -> dict[str, Any]:
    command = [sys.executable, "-c", LAUNCHER, sys.executable, __file__, "--child", stage, mode, str(rows)]
    command += [str(args.workers), str(args.seed), str(store), str(out)]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True, timeout=args.timeout)
    run = dict(json.loads(done.stdout.strip().splitlines()[-1]))
    workers = f", workers {run['worker_peak_rss_mb']} MB" if "worker_peak_rss_mb" in run else ""
    log(
        f"{stage} {mode} {rows:,}: {run['seconds']:.2f}s = {run['rows_per_second']:,} rows/s "
        f"(warm-up {run['warmup_seconds']:.1f}s), driver peak {run['driver_peak_rss_mb']} MB{workers}"
    )
    return run


# --- derived figures -----------------------------------------------------------------------


def compare(stage: str, runs: dict[str, dict[str, Any]]) -> dict[str, bool]:
    """Per mode: is its output the local engine's (row order included)?"""
    local = runs["local"]
    same = {}
    for mode, run in runs.items():
        if stage == "predict":
            same[mode] = pq.read_table(run["output"]).equals(pq.read_table(local["output"]))
        else:
            same[mode] = (run["output_sha256"], run["output_shape"]) == (
                local["output_sha256"],
                local["output_shape"],
            )
    if stage == "predict":
        for run in runs.values():
            Path(run.pop("output")).unlink(missing_ok=True)
    return same


def scaling(runs: dict[str, dict[str, Any]], workers: int) -> dict[str, Any]:
    local, one = runs["local"]["rows_per_second"], runs["local-1cpu"]["rows_per_second"]
    dask = runs["dask"]
    # CPU time per row does not depend on what else the machine runs; wall time does.
    one_cpu_us = runs["local-1cpu"]["driver_cpu_us_per_row"]
    dask_cpu_us = dask["driver_cpu_us_per_row"] + dask["worker_cpu_us_per_row"]
    return {
        "rows_per_second": {mode: run["rows_per_second"] for mode, run in runs.items()},
        "speedup_vs_local": round(dask["rows_per_second"] / local, 3),
        "speedup_vs_one_cpu": round(dask["rows_per_second"] / one, 3),
        "scaling_efficiency": round(dask["rows_per_second"] / (workers * one), 3),
        "local_vs_one_cpu": round(local / one, 3),
        "cpu_us_per_row": {"one_cpu": one_cpu_us, "dask_total": round(dask_cpu_us, 3)},
        "dask_cpu_overhead": round(dask_cpu_us / one_cpu_us - 1, 3),
    }


def projection(
    stage: str, largest: dict[str, dict[str, Any]], network_gbit: float, rss_slope: float
) -> dict[str, Any]:
    """1B rows on clusters of more worker cores, from the per-row costs measured at the largest size.

    A worker core does ``1e6 / worker_cpu_us_per_row`` rows/s; the driver (which reads,
    sends, gathers and, for prediction, writes every row) at most ``1e6 /
    driver_cpu_us_per_row``; its network link ``bandwidth / bytes_per_row``. The slowest
    of the three bounds the cluster.
    """
    dask = largest["dask"]
    per_worker = 1e6 / dask["worker_cpu_us_per_row"]
    driver = 1e6 / dask["driver_cpu_us_per_row"]
    wire = network_gbit * 1e9 / 8 / (dask["input_bytes_per_row"] + dask["output_bytes_per_row"])
    clusters = []
    for cores in (2, 8, 32, 128):
        bounds = {"workers": cores * per_worker, "driver_cpu": driver, "driver_network": wire}
        bottleneck = min(bounds, key=lambda k: bounds[k])
        rate = bounds[bottleneck]
        clusters.append(
            {
                "worker_cores": cores,
                "rows_per_second": round(rate),
                "hours_for_1b_rows": round(1e9 / rate / 3600, 3),
                "bottleneck": bottleneck,
            }
        )
    local = largest["local"]
    return {
        "measured_at_rows": local["rows"],
        "one_machine_local_hours_for_1b_rows": round(1e9 / local["rows_per_second"] / 3600, 3),
        "one_core_rows_per_second": largest["local-1cpu"]["rows_per_second"],
        "worker_core_rows_per_second": round(per_worker),
        "driver_rows_per_second_bound": round(driver),
        "driver_network_rows_per_second_bound": round(wire),
        "network_gbit": network_gbit,
        "driver_rss_mb_per_million_rows": round(rss_slope, 1),
        "driver_rss_gb_at_1b_rows": round(
            rss_slope * 1000 / 1024 + largest["local"]["driver_peak_rss_mb"] / 1024, 1
        )
        if stage != "predict"
        else None,
        "clusters": clusters,
    }


def rss_slope(by_size: dict[int, dict[str, dict[str, Any]]]) -> float:
    """Driver peak RSS growth (MB per million rows) of the local engine between the two largest sizes."""
    sizes = sorted(by_size)
    if len(sizes) < 2:
        return 0.0
    small, large = by_size[sizes[-2]]["local"], by_size[sizes[-1]]["local"]
    return max(
        0.0, (large["driver_peak_rss_mb"] - small["driver_peak_rss_mb"]) / ((sizes[-1] - sizes[-2]) / 1e6)
    )


# --- main ----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, help="the largest size (default 10000000; quick 300000)")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test, not a result")
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes (1 thread each)")
    parser.add_argument("--only", default="lf,predict,rowwise", help="stages to run: lf, predict, rowwise")
    parser.add_argument(
        "--rowwise-rows", type=int, help="rows for the row-wise LFs (default 1000000; quick 20000)"
    )
    parser.add_argument(
        "--network-gbit", type=float, default=10.0, help="driver link speed for the projection"
    )
    parser.add_argument("--repeats", type=int, default=1, help="runs of each; the fastest is kept")
    parser.add_argument("--timeout", type=float, default=900, help="seconds one run may take")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", nargs=7, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        stage, mode, rows, workers, seed, store, out = args.child
        child(stage, mode, int(rows), int(workers), int(seed), Path(store), Path(out))
        return 0

    largest = args.rows or (QUICK_SIZES[-1] if args.quick else FULL_SIZES[-1])
    sizes = sorted({*(s for s in (QUICK_SIZES if args.quick else FULL_SIZES) if s < largest), largest})
    rowwise_rows = args.rowwise_rows or (20_000 if args.quick else min(1_000_000, largest))
    stages = [s.strip() for s in args.only.split(",") if s.strip()]
    plan = [(stage, rows) for stage in ("lf", "predict") if stage in stages for rows in sizes]
    if "rowwise" in stages:
        plan.append(("rowwise", rowwise_rows))
    started = time.perf_counter()
    result: dict[str, Any] = {
        "benchmark": "scale",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "seed": args.seed,
        "workers": args.workers,
        "threads_per_worker": 1,
        "modes": list(MODES),
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        "definitions": {
            "speedup_vs_local": "rows/s (dask) / rows/s (local engine, whole machine)",
            "scaling_efficiency": "rows/s (dask) / (workers × rows/s (local engine pinned to one CPU))",
            "worker_cpu_us_per_row": "CPU time of all workers during the run / rows",
            "driver_cpu_us_per_row": "CPU time of the driver (with the LocalCluster's scheduler) / rows",
            "peak_rss_mb": "VmHWM of the process (driver, or each worker)",
            "worker_cores_used": "worker CPU seconds / wall seconds (below the worker count: workers waited)",
            "dask_cpu_overhead": "(driver + worker CPU per row, dask) / (CPU per row, local-1cpu) - 1",
        },
    }
    for stage, rows in plan:  # data first, so that no run pays for it
        read_through(data_file(rows, args.seed) if stage == "predict" else text_file(rows, args.seed))
    with tempfile.TemporaryDirectory(prefix="headrace-scale-") as tmpdir:
        tmp = Path(tmpdir)
        store = tmp / ".headrace"
        if "predict" in stages:
            result["model"] = register_model(store, args.seed)
        stage_results: dict[str, dict[int, dict[str, dict[str, Any]]]] = {}
        for stage, rows in plan:
            runs = {mode: best_run(stage, mode, rows, args, store, tmp) for mode in MODES}
            same = compare(stage, runs)
            stage_results.setdefault(stage, {})[rows] = runs
            result.setdefault("runs", []).append(
                {
                    "stage": stage,
                    "rows": rows,
                    "identical_to_local": same,
                    **scaling(runs, args.workers),
                    "runs": runs,
                }
            )
    for stage, by_size in stage_results.items():
        if stage == "rowwise":
            continue
        largest_runs = by_size[max(by_size)]
        result.setdefault("projection", {})[stage] = projection(
            stage, largest_runs, args.network_gbit, rss_slope(by_size)
        )
    result["identical"] = all(all(r["identical_to_local"].values()) for r in result.get("runs", []))
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    result["machine"] = machine()
    result["machine"]["versions"].update(
        {name: version(name) for name in ("dask", "distributed", "scikit-learn")}
    )

    text = json.dumps(result, indent=2)
    print(text)
    RESULTS_DIR.mkdir(exist_ok=True)
    # A partial run (--only, --rows) never overwrites a full one.
    full = set(stages) == {"lf", "predict", "rowwise"} and args.rows is None
    partial = "" if full else "-" + "-".join([*stages, *([str(largest)] if args.rows else [])])
    name = "scale" + ("-quick" if args.quick else partial)
    (RESULTS_DIR / f"{name}.json").write_text(text + "\n")
    log(f"wrote {RESULTS_DIR / f'{name}.json'} in {result['total_seconds']:.0f}s")
    return 0 if result["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
