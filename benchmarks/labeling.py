"""Labeling benchmark: headrace against Snorkel 0.10 on the same data, in one run.

Usage::

    python benchmarks/labeling.py [--rows 100000] [--quick] [--only apply|fit|memory]

Three measurements (see ``benchmarks/README.md`` for what each means):

apply
    The same ten keyword/regex LFs (``_labeling_lfs.py``) applied to ``--rows`` short
    texts three ways: headrace vectorized (``keyword_lf``/``regex_lf``), headrace
    row-wise (``@labeling_function`` calling ``re.search``) and Snorkel's
    ``PandasLFApplier`` (in Snorkel's venv, reading the same Parquet file). The three
    label matrices must be identical; plain pandas ``str.contains`` is timed for
    reference.
fit
    headrace's default ``LabelModel`` against Snorkel's ``LabelModel`` (100 epochs) on a
    1M × 20 synthetic binary label matrix with known truth: fit seconds and accuracy,
    with majority vote's accuracy for reference.
memory
    A fresh process builds a 10M × 50 synthetic matrix at 10% coverage and fits
    headrace's ``LabelModel``; its peak resident memory is reported.

Prints one JSON object to stdout (progress goes to stderr) and writes it to
``benchmarks/results/labeling.json`` (``labeling-quick.json`` with ``--quick``,
``labeling-SECTION.json`` with ``--only``, so a partial run never overwrites a full
one). Exits 1 when implementations disagree, after writing the results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow.parquet as pq
from _data import REPO_ROOT, make_labels, make_texts
from _labeling_lfs import ABSTAIN, FLAGS, LF_SPECS, compiled_lfs
from peer_env import peer_python

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
PEER_SCRIPT = BENCH_DIR / "_snorkel_labeling.py"

#: What the issue asks of headrace.
TARGETS = {
    "ratio_vectorized_vs_snorkel": 50.0,
    "ratio_rowwise_vs_snorkel": 1.0,
    "fit_speedup_vs_snorkel": 20.0,
    "memory_peak_rss_mb": 2048.0,
}
FULL = {"rows": 100_000, "fit_rows": 1_000_000, "memory_rows": 10_000_000}
QUICK = {"rows": 10_000, "fit_rows": 100_000, "memory_rows": 1_000_000}
FIT_LFS, MEMORY_LFS, MEMORY_COVERAGE = 20, 50, 0.10
SNORKEL_EPOCHS = 100

T = TypeVar("T")
Matrix = npt.NDArray[np.int8]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def best_of(fn: Callable[[], T], *, repeats: int, budget_s: float) -> tuple[float, list[float], T]:
    """Run ``fn`` up to ``repeats`` times (fewer once ``budget_s`` is spent); best time."""
    runs: list[float] = []
    result: T
    while True:
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
        if len(runs) >= repeats or sum(runs) >= budget_s:
            return min(runs), runs, result


def run_peer(*args: str) -> dict[str, Any]:
    """Run the Snorkel-side script in Snorkel's venv; return the JSON it prints."""
    python = peer_python("snorkel")
    done = subprocess.run(
        [str(python), str(PEER_SCRIPT), *args], check=True, stdout=subprocess.PIPE, text=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# --- apply ----------------------------------------------------------------------------


def vectorized_lfs() -> list[Any]:
    """The benchmark LFs as headrace's vectorized ``keyword_lf`` / ``regex_lf``."""
    from headrace.supervision import keyword_lf, regex_lf

    # keyword_lf/regex_lf are case-insensitive by default, as the specs' FLAGS say.
    assert FLAGS == re.IGNORECASE
    return [
        keyword_lf(s.name, list(s.match), label=s.label, column="text")
        if s.kind == "keyword"
        else regex_lf(s.name, str(s.match), label=s.label, column="text")
        for s in LF_SPECS
    ]


def _rowwise_lf(name: str, regex: Any, label: int) -> Any:
    from headrace.supervision import labeling_function

    @labeling_function(name=name)
    def lf(row: Any) -> int:
        return label if regex.search(row.text) else ABSTAIN

    return lf


def rowwise_lfs() -> list[Any]:
    """The benchmark LFs as headrace row-wise ``@labeling_function``s (Python ``re``)."""
    return [_rowwise_lf(name, regex, label) for name, regex, label in compiled_lfs()]


def pandas_matrix(frame: pd.DataFrame) -> Matrix:
    """What a pandas user writes: ``str.contains(pattern, case=False)`` per LF."""
    text = frame["text"]
    columns = [
        np.where(text.str.contains(s.pattern, case=False, regex=True).to_numpy(dtype=bool), s.label, ABSTAIN)
        for s in LF_SPECS
    ]
    return np.column_stack(columns).astype(np.int8)


def disagreements(frame: pd.DataFrame, matrices: dict[str, Matrix], reference: str) -> list[dict[str, Any]]:
    """Per implementation and LF: how many rows differ from ``reference``, and examples."""
    ref = matrices[reference]
    found = []
    for impl, matrix in matrices.items():
        if impl == reference:
            continue
        if matrix.shape != ref.shape:
            found.append({"implementation": impl, "shape": list(matrix.shape), "expected": list(ref.shape)})
            continue
        for j, spec in enumerate(LF_SPECS):
            rows = np.flatnonzero(matrix[:, j] != ref[:, j])
            if len(rows):
                examples = [
                    {
                        "id": int(frame["id"].iat[i]),
                        "text": str(frame["text"].iat[i])[:200],
                        impl: int(matrix[i, j]),
                        reference: int(ref[i, j]),
                    }
                    for i in rows[:3]
                ]
                found.append(
                    {"implementation": impl, "lf": spec.name, "rows": len(rows), "examples": examples}
                )
    return found


def bench_apply(rows: int, seed: int, tmp: Path) -> dict[str, Any]:
    from headrace.supervision import apply_lfs

    log(f"apply: building {rows:,} texts (seed {seed})")
    frame = make_texts(rows, seed=seed)
    data_path = tmp / "texts.parquet"
    frame.to_parquet(data_path, index=False)
    table = pq.read_table(data_path)
    frame = pd.read_parquet(data_path)

    def apply(lfs: list[Any]) -> Callable[[], Matrix]:
        return lambda: apply_lfs(lfs, table, id_column="id", cardinality=2).matrix.values

    seconds: dict[str, float] = {}
    runs: dict[str, list[float]] = {}
    matrices: dict[str, Matrix] = {}
    for impl, fn in (
        ("headrace_vectorized", apply(vectorized_lfs())),
        ("headrace_rowwise", apply(rowwise_lfs())),
        ("pandas", lambda: pandas_matrix(frame)),
    ):
        log(f"apply: {impl} (best of 3)")
        seconds[impl], runs[impl], matrices[impl] = best_of(fn, repeats=3, budget_s=120)
        log(f"apply: {impl} {seconds[impl]:.3f}s")

    log("apply: snorkel PandasLFApplier (best of 2 if the first takes under a minute)")
    snorkel_out = tmp / "snorkel_apply.npy"
    peer = run_peer("apply", str(data_path), str(snorkel_out), "--repeats", "2", "--max-seconds", "60")
    seconds["snorkel"], runs["snorkel"] = min(peer["seconds"]), peer["seconds"]
    matrices["snorkel"] = np.load(snorkel_out)
    log(f"apply: snorkel {seconds['snorkel']:.3f}s")

    ours = {k: v for k, v in matrices.items() if k != "pandas"}
    found = disagreements(frame, ours, reference="snorkel")
    pandas_found = disagreements(
        frame, {"snorkel": matrices["snorkel"], "pandas": matrices["pandas"]}, "snorkel"
    )
    rate = {impl: rows / s for impl, s in seconds.items()}
    ref = matrices["snorkel"]
    return {
        "rows": rows,
        "lfs": len(LF_SPECS),
        "lf_names": [s.name for s in LF_SPECS],
        "rows_per_s": {k: round(v, 1) for k, v in rate.items()},
        "seconds": {k: round(v, 4) for k, v in seconds.items()},
        "runs_seconds": {k: [round(x, 4) for x in v] for k, v in runs.items()},
        "ratio_vectorized_vs_snorkel": round(rate["headrace_vectorized"] / rate["snorkel"], 2),
        "ratio_rowwise_vs_snorkel": round(rate["headrace_rowwise"] / rate["snorkel"], 2),
        "ratio_pandas_vs_snorkel": round(rate["pandas"] / rate["snorkel"], 2),
        "matrices_identical": not found,
        "disagreements": found,
        "pandas_identical": not pandas_found,
        "pandas_disagreements": pandas_found,
        "votes_per_lf": {s.name: int((ref[:, j] != ABSTAIN).sum()) for j, s in enumerate(LF_SPECS)},
        "rows_with_a_vote": int((ref != ABSTAIN).any(axis=1).sum()),
        "non_ascii_rows": int((~frame["text"].map(str.isascii)).sum()),
        "peer_versions": peer["versions"],
    }


# --- fit ------------------------------------------------------------------------------


def _accuracy(proba: npt.NDArray[np.float64], y: npt.NDArray[np.int64], rows: Any = slice(None)) -> float:
    """Accuracy of the arg-max (ties to the lowest class, as headrace's ``predict``)."""
    return round(float(np.mean(np.argmax(proba[rows], axis=1) == y[rows])), 5)


def bench_fit(rows: int, seed: int, tmp: Path) -> dict[str, Any]:
    from headrace.supervision import LabelModel, MajorityVote

    log(f"fit: building a {rows:,} × {FIT_LFS} synthetic label matrix (seed {seed})")
    data = make_labels(rows, FIT_LFS, seed=seed)
    L, y = data.L, data.y
    L_path, y_path = tmp / "fit_L.npy", tmp / "fit_y.npy"
    np.save(L_path, L)
    np.save(y_path, y)
    covered = (L != ABSTAIN).any(axis=1)

    model_name = f"{LabelModel.__module__}.{LabelModel.__qualname__}"
    log(f"fit: headrace {model_name}")
    fit_s, fit_runs, model = best_of(lambda: LabelModel(cardinality=2).fit(L), repeats=3, budget_s=60)
    start = time.perf_counter()
    proba = model.predict_proba(L)
    predict_s = time.perf_counter() - start
    log(f"fit: headrace {fit_s:.3f}s (runs {[round(r, 2) for r in fit_runs]})")
    mv_proba = MajorityVote(cardinality=2).fit(L).predict_proba(L)

    log(f"fit: snorkel LabelModel, {SNORKEL_EPOCHS} epochs (best of 3 within a minute)")
    snorkel_out = tmp / "snorkel_proba.npy"
    options = ["--epochs", str(SNORKEL_EPOCHS), "--seed", str(seed), "--repeats", "3", "--max-seconds", "60"]
    peer = run_peer("fit", str(L_path), str(snorkel_out), *options)
    snorkel_proba = np.load(snorkel_out)
    snorkel_s = min(peer["fit_seconds"])
    log(f"fit: snorkel {snorkel_s:.3f}s (runs {[round(r, 2) for r in peer['fit_seconds']]})")
    # The matrix Snorkel fitted is the one on disk: check it is the one we fitted.
    assert np.array_equal(np.load(L_path), L) and np.array_equal(np.load(y_path), y)

    truth = data.accuracies
    lf_error: dict[str, float | None] = {
        "headrace": _mae(getattr(model, "accuracies_", None), truth),
        "snorkel": _mae(peer["lf_accuracies"], truth),
    }
    return {
        "rows": rows,
        "lfs": FIT_LFS,
        "generator": data.generator,
        "headrace_model": model_name,
        "headrace_iterations": getattr(model, "n_iter_", None),
        "snorkel_epochs": SNORKEL_EPOCHS,
        "seconds": {"headrace": round(fit_s, 4), "snorkel": round(snorkel_s, 4)},
        "runs_seconds": {
            "headrace": [round(r, 4) for r in fit_runs],
            "snorkel": [round(r, 4) for r in peer["fit_seconds"]],
        },
        "predict_proba_seconds": {
            "headrace": round(predict_s, 4),
            "snorkel": round(peer["predict_proba_seconds"], 4),
        },
        # Best against best (what the target is judged on), and first against first:
        # Snorkel's first fit in a process is several times slower than its later ones.
        "speedup_vs_snorkel": round(snorkel_s / fit_s, 2),
        "speedup_vs_snorkel_first_run": round(peer["fit_seconds"][0] / fit_runs[0], 2),
        "accuracy": {
            "headrace": _accuracy(proba, y),
            "snorkel": _accuracy(snorkel_proba, y),
            "majority_vote": _accuracy(mv_proba, y),
        },
        "accuracy_on_rows_with_a_vote": {
            "headrace": _accuracy(proba, y, covered),
            "snorkel": _accuracy(snorkel_proba, y, covered),
            "majority_vote": _accuracy(mv_proba, y, covered),
        },
        "rows_with_a_vote": int(covered.sum()),
        "distinct_vote_patterns": distinct_rows(L, cardinality=2),
        "prediction_agreement_headrace_snorkel": round(
            float(np.mean(np.argmax(proba, axis=1) == np.argmax(snorkel_proba, axis=1))), 5
        ),
        "lf_accuracy_mean_abs_error": lf_error,
        "peer_versions": peer["versions"],
    }


def distinct_rows(L: Matrix, *, cardinality: int) -> int | None:
    """How many distinct vote patterns ``L`` holds (``None`` when rows don't fit an int64)."""
    base = cardinality + 1
    if L.shape[1] * np.log2(base) >= 63:
        return None
    codes = np.zeros(len(L), dtype=np.int64)
    for j in range(L.shape[1]):
        codes = codes * base + (L[:, j].astype(np.int64) + 1)
    return len(np.unique(codes))


def _mae(estimate: Any, truth: npt.NDArray[np.float64]) -> float | None:
    if estimate is None:
        return None
    return round(float(np.mean(np.abs(np.asarray(estimate, dtype=np.float64) - truth))), 4)


# --- memory ---------------------------------------------------------------------------


def _max_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


# Linux carries ru_maxrss over from the process that spawned a child (the parent's
# memory image before exec counts as the child's), so the child is started by this
# small launcher rather than by the benchmark, whose own peak is hundreds of MB.
LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def memory_child(rows: int, lfs: int, coverage: float, seed: int) -> None:
    """In a fresh process: build the matrix, fit, print a JSON line after each step
    (and every few seconds meanwhile, so a run killed at the timeout still tells)."""
    lock = threading.Lock()

    def report(**fields: Any) -> None:
        with lock:
            sys.stdout.write(json.dumps({**fields, "peak_rss_mb": _max_rss_mb()}) + "\n")
            sys.stdout.flush()

    def watch() -> None:
        while True:
            time.sleep(2.0)
            report(step="running")

    threading.Thread(target=watch, daemon=True).start()
    from headrace.supervision import LabelModel

    report(step="imported")
    start = time.perf_counter()
    L = make_labels(rows, lfs, coverage=(coverage, coverage), seed=seed).L  # truth is dropped
    report(step="built", seconds=time.perf_counter() - start, matrix_mb=L.nbytes / 2**20)
    start = time.perf_counter()
    model = LabelModel(cardinality=2).fit(L)
    name = f"{type(model).__module__}.{type(model).__qualname__}"
    iterations = getattr(model, "n_iter_", None)
    report(step="fitted", seconds=time.perf_counter() - start, iterations=iterations, model=name)


def bench_memory(rows: int, seed: int, timeout_s: float, tmp: Path) -> dict[str, Any]:
    log(f"memory: fresh process, {rows:,} × {MEMORY_LFS} at {MEMORY_COVERAGE:.0%} coverage, then fit")
    out_path = tmp / "memory.jsonl"
    command = [sys.executable, "-c", LAUNCHER, sys.executable, __file__, "--memory-child"]
    command += [str(rows), str(MEMORY_LFS), str(MEMORY_COVERAGE), "--seed", str(seed)]
    timed_out = False
    with out_path.open("w") as out:
        child = subprocess.Popen(command, stdout=out, start_new_session=True)
        try:
            code = child.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(child.pid, signal.SIGKILL)
            code = child.wait()
    lines = [json.loads(line) for line in out_path.read_text().splitlines() if line.strip()]
    steps = {line["step"]: line for line in lines}
    peak = max((line["peak_rss_mb"] for line in lines), default=None)
    log(f"memory: peak RSS {peak} MB, exit {code}{' (timed out)' if timed_out else ''}")
    return {
        "rows": rows,
        "lfs": MEMORY_LFS,
        "coverage": MEMORY_COVERAGE,
        "matrix_mb": round(rows * MEMORY_LFS / 2**20, 1),
        "peak_rss_mb": peak,
        "peak_rss_mb_after_imports": steps.get("imported", {}).get("peak_rss_mb"),
        "peak_rss_mb_after_build": steps.get("built", {}).get("peak_rss_mb"),
        "build_seconds": _round(steps.get("built", {}).get("seconds")),
        "fit_seconds": _round(steps.get("fitted", {}).get("seconds")),
        "fit_iterations": steps.get("fitted", {}).get("iterations"),
        "headrace_model": steps.get("fitted", {}).get("model"),
        "completed": "fitted" in steps and code == 0,
        "exit_code": code,
        "timed_out_after_s": timeout_s if timed_out else None,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


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
        "platform": platform.platform(),
        "versions": {name: version(name) for name in ("headrace", "numpy", "pandas", "pyarrow")},
        "git": commit,
    }


def verdicts(result: dict[str, Any]) -> dict[str, bool]:
    met = {}
    if "apply" in result:
        for key in ("ratio_vectorized_vs_snorkel", "ratio_rowwise_vs_snorkel"):
            met[key] = result["apply"][key] >= TARGETS[key]
    if "fit" in result:
        met["fit_speedup_vs_snorkel"] = (
            result["fit"]["speedup_vs_snorkel"] >= TARGETS["fit_speedup_vs_snorkel"]
        )
    if "memory" in result:
        memory = result["memory"]
        met["memory_peak_rss_mb"] = bool(
            memory["completed"] and memory["peak_rss_mb"] < TARGETS["memory_peak_rss_mb"]
        )
    return met


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rows", type=int, help="texts for the apply benchmark (default 100000; quick 10000)"
    )
    parser.add_argument("--fit-rows", type=int, help="rows of the fit matrix (default 1000000; quick 100000)")
    parser.add_argument("--memory-rows", type=int, help="rows of the memory matrix (default 10M; quick 1M)")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test, not a result")
    parser.add_argument("--only", choices=["apply", "fit", "memory"], help="run one benchmark")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--memory-timeout", type=float, default=1800.0, help="seconds before the fit is killed"
    )
    parser.add_argument(
        "--memory-child", nargs=3, metavar=("ROWS", "LFS", "COVERAGE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.memory_child:
        rows, lfs, coverage = args.memory_child
        memory_child(int(rows), int(lfs), float(coverage), args.seed)
        return 0

    sizes = dict(QUICK if args.quick else FULL)
    for key in sizes:
        if getattr(args, key) is not None:
            sizes[key] = getattr(args, key)
    sections = [args.only] if args.only else ["apply", "fit", "memory"]
    result: dict[str, Any] = {
        "benchmark": "labeling",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "seed": args.seed,
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
    }
    if "apply" in sections or "fit" in sections:
        log("preparing Snorkel's venv (created on first use: a few minutes)")
        peer_python("snorkel")
    with tempfile.TemporaryDirectory(prefix="headrace-bench-") as tmpdir:
        tmp = Path(tmpdir)
        if "apply" in sections:
            result["apply"] = bench_apply(sizes["rows"], args.seed, tmp)
        if "fit" in sections:
            result["fit"] = bench_fit(sizes["fit_rows"], args.seed, tmp)
        if "memory" in sections:
            result["memory"] = bench_memory(sizes["memory_rows"], args.seed, args.memory_timeout, tmp)
    result["targets"] = {k: v for k, v in TARGETS.items() if k in verdicts(result)}
    result["meets_targets"] = verdicts(result)
    result["machine"] = machine()

    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    name = "labeling" + ("-quick" if args.quick else "") + (f"-{args.only}" if args.only else "")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{name}.json").write_text(text + "\n")
    log(f"wrote {RESULTS_DIR / f'{name}.json'}")
    agree = result.get("apply", {}).get("matrices_identical", True)
    if not agree:
        log("FAILED: the label matrices differ (see apply.disagreements)")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
