"""Online serving benchmark: ``headrace serve`` against ``mlflow models serve``, in one run.

Usage::

    python benchmarks/serving.py [--requests 10000] [--mlflow-requests 2000] [--time-cap 30]
        [--concurrency 1,8,32] [--workers N] [--headrace-only | --mlflow-only]

One fitted scikit-learn pipeline (TF-IDF of the comment text plus two scaled counts,
then logistic regression, trained on the labeled YouTube comments of
``examples/youtube-spam``) is registered as a headrace model package with alias
``production`` in a temporary project, and saved as an MLflow model with
``mlflow.sklearn.save_model``. Each server runs alone on 127.0.0.1 as a subprocess; a
load generator (``loadgen.py``, a process of its own) sends single-row requests at each
concurrency with keep-alive connections: a fixed request count, a time cap, a warm-up
first. Before the load, the 400 gold-test comments go to both servers as single-row
requests (8 at a time) and every answer must match the pipeline's own
``predict_proba`` in this process: same label, probabilities within 1e-9.

Prints one JSON object (progress goes to stderr) and writes it to
``benchmarks/results/serving.json`` (``serving-headrace.json`` / ``serving-mlflow.json``
for a one-sided run). Exits 1 when an answer disagrees or a server fails a request.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from _data import REPO_ROOT, YOUTUBE_DIR
from loadgen import LoadSpec, run_in_subprocess

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
VENV_BIN = Path(sys.executable).parent  # mlflow runs `exec uvicorn …` through a shell: needs PATH

HOST = "127.0.0.1"
CLASSES = ["ham", "spam"]
TEXT, NUMERIC = "content", ["links", "length"]
#: What the issue asks of headrace at concurrency 32, against MLflow measured in the same run.
TARGETS = {"rps_ratio": 10.0, "p99_ratio": 0.2}
TARGET_CONCURRENCY = 32
PROBABILITY_TOLERANCE = 1e-9
# URLs and the bare domains spammers write to dodge link filters.
LINK = re.compile(r"https?://|www\.|\.com\b", re.IGNORECASE)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- data and model -------------------------------------------------------------------


def load_comments() -> dict[str, pd.DataFrame]:
    """The labeled YouTube comments: ``train`` (pool + gold dev) and ``test`` (gold test).

    Columns: ``content``, ``links`` (URL-like substrings), ``length`` (characters) and
    ``label`` (0 ham, 1 spam). The pool's labels are the example's withheld ones.
    """

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(YOUTUBE_DIR / name, dtype=str, keep_default_na=False)

    pool = read("comments.csv").merge(read("pool_labels.csv"), on="comment_id", validate="one_to_one")
    parts = {
        "train": pd.concat([pool, read("gold_dev.csv")], ignore_index=True),
        "test": read("gold_test.csv"),
    }
    return {name: _features(frame) for name, frame in parts.items()}


def _features(frame: pd.DataFrame) -> pd.DataFrame:
    content = frame["content"].astype(str)
    return pd.DataFrame(
        {
            TEXT: content,
            "links": content.map(lambda text: len(LINK.findall(text))).astype(np.int64),
            "length": content.str.len().astype(np.int64),
            "label": frame["label"].map(CLASSES.index).astype(np.int64),
        }
    )


def request_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The feature columns of ``frame`` as JSON-ready rows (pandas boxes numbers as Python's)."""
    return [
        {str(key): value for key, value in row.items()} for row in frame[[TEXT, *NUMERIC]].to_dict("records")
    ]


def fit_pipeline(train: pd.DataFrame, seed: int) -> Any:
    """The model both servers serve: the shape headrace trains (featurizer + classifier)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    featurizer = ColumnTransformer(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True), TEXT),
            ("numeric", StandardScaler(), NUMERIC),
        ]
    )
    model = LogisticRegression(C=4.0, max_iter=2000, random_state=seed)
    return Pipeline([("features", featurizer), ("model", model)]).fit(train[[TEXT, *NUMERIC]], train["label"])


def make_headrace_project(root: Path, pipeline: Any, train: pd.DataFrame) -> None:
    """A minimal project in ``root`` whose store holds ``pipeline`` as version 1, alias ``production``."""
    from headrace.project import FeaturesConfig
    from headrace.registry import ModelPackage, register_model, save_package
    from headrace.store import Store

    (root / "data").mkdir(parents=True)
    # The project file must name data; the server never reads it.
    train.assign(comment_id=[f"c-{i}" for i in range(len(train))]).to_csv(
        root / "data/comments.csv", index=False
    )
    (root / "headrace.yaml").write_text(
        "name: serving-benchmark\n"
        "data: {unlabeled: data/comments.csv, id: comment_id}\n"
        f"task: {{type: classification, labels: [{', '.join(CLASSES)}]}}\n"
        f"train: {{features: {{text: [{TEXT}], numeric: [{', '.join(NUMERIC)}]}}}}\n"
    )
    package = ModelPackage(
        pipeline=pipeline,
        classes=CLASSES,
        features=FeaturesConfig(text=[TEXT], numeric=NUMERIC),
        input_schema={TEXT: "string", **dict.fromkeys(NUMERIC, "int64")},
    )
    with Store.for_project(root) as store:
        with store.runs.recording("train") as run:
            run.outputs["model"] = save_package(store, package)
        register_model(
            store,
            object_id=run.outputs["model"],
            train_run_id=run.id,
            eval_run_id=None,
            metrics={},
            alias="production",
        )


def make_mlflow_model(path: Path, pipeline: Any, sample: pd.DataFrame) -> None:
    """Save ``pipeline`` as an MLflow model whose pyfunc answers ``predict_proba``.

    ``predict_proba`` rather than MLflow's default ``predict``: headrace answers
    probabilities too, so both servers do the same work and the check can compare them.
    Pickled with cloudpickle: MLflow 3's default, skops, is another package.
    """
    import mlflow.sklearn
    from mlflow.models import infer_signature

    frame = sample[[TEXT, *NUMERIC]]
    with warnings.catch_warnings():
        # MLflow hints that integer columns cannot hold missing values: no request row has one.
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        signature = infer_signature(frame, pipeline.predict_proba(frame))
    mlflow.sklearn.save_model(
        pipeline,
        str(path),
        signature=signature,
        serialization_format="cloudpickle",
        pyfunc_predict_fn="predict_proba",
    )


# --- the two systems ------------------------------------------------------------------


@dataclass(frozen=True)
class System:
    """How to start one server, check it is ready, and talk to it."""

    name: str
    command: Callable[[int], list[str]]
    ready_path: str
    predict_path: str
    body: Callable[[list[dict[str, Any]]], dict[str, Any]]
    probabilities: Callable[[dict[str, Any]], list[list[float]]]


def headrace_system(project: Path, workers: int | None) -> System:
    def command(port: int) -> list[str]:
        argv = [str(VENV_BIN / "headrace"), "serve", "-p", str(project), "--model", "production"]
        argv += ["--host", HOST, "--port", str(port)]
        return argv + (["--workers", str(workers)] if workers else [])

    def probabilities(answer: dict[str, Any]) -> list[list[float]]:
        return [[row["probabilities"][name] for name in CLASSES] for row in answer["predictions"]]

    return System("headrace", command, "/readyz", "/v1/predict", lambda rows: {"rows": rows}, probabilities)


def mlflow_system(model_dir: Path, workers: int) -> System:
    def command(port: int) -> list[str]:
        argv = [str(VENV_BIN / "mlflow"), "models", "serve", "-m", str(model_dir), "--env-manager", "local"]
        return [*argv, "-h", HOST, "-p", str(port), "-w", str(workers)]

    return System(
        "mlflow",
        command,
        "/ping",
        "/invocations",
        lambda rows: {"dataframe_records": rows},
        lambda answer: [list(map(float, row)) for row in answer["predictions"]],
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Running:
    """A started server: its port, process (session leader) and log file."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    startup_s: float


@contextlib.contextmanager
def running(system: System, log_path: Path, timeout_s: float = 120.0) -> Iterator[Running]:
    """Start ``system`` on a free port, wait until it is ready, stop it (SIGTERM, then SIGKILL) after."""
    port = free_port()
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    start = time.perf_counter()
    with log_path.open("wb") as out:
        # A session of its own, so that stopping it reaches its workers (MLflow's uvicorn
        # is a grandchild; headrace's --workers are children) and nothing else.
        process = subprocess.Popen(
            system.command(port), stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        _wait_ready(system, port, process, log_path, timeout_s)
        yield Running(port, process, log_path, time.perf_counter() - start)
    finally:
        _stop(process)


def _wait_ready(
    system: System, port: int, process: subprocess.Popen[bytes], log_path: Path, timeout_s: float
) -> None:
    url = f"http://{HOST}:{port}{system.ready_path}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{system.name} server exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not listening yet, or 503 while the model loads
        time.sleep(0.2)
    raise RuntimeError(f"{system.name} server not ready after {timeout_s:.0f}s: {url}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        pass
    # Whatever is left of the session: workers the leader did not take down, or all of it.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def session_cpu_s(session_id: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of a session (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        # proc(5) numbers the fields from 1; this list starts at field 3 (state), so
        # session (field 6) is at 3, utime (14) at 11 and stime (15) at 12.
        if int(fields[3]) == session_id:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


# --- agreement and load ---------------------------------------------------------------


def post_json(port: int, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://{HOST}:{port}{path}",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return dict(json.loads(answer.read()))


def ask_one_by_one(system: System, port: int, rows: list[dict[str, Any]]) -> npt.NDArray[np.float64]:
    """Each row as its own request, 8 in flight (as under load): the probabilities, in row order."""

    def ask(row: dict[str, Any]) -> list[float]:
        return system.probabilities(post_json(port, system.predict_path, system.body([row])))[0]

    with ThreadPoolExecutor(8) as pool:
        return np.array(list(pool.map(ask, rows)), dtype=np.float64)


def agreement(reference: npt.NDArray[np.float64], answers: npt.NDArray[np.float64]) -> dict[str, Any]:
    """How ``answers`` compare with the pipeline's own ``predict_proba`` of the same rows."""
    labels_equal = bool(np.array_equal(reference.argmax(axis=1), answers.argmax(axis=1)))
    max_diff = float(np.max(np.abs(reference - answers)))
    return {
        "rows": len(reference),
        "labels_equal": labels_equal,
        "max_abs_probability_diff": max_diff,
        "agree": labels_equal and max_diff <= PROBABILITY_TOLERANCE,
    }


def measure(
    system: System, server: Running, rows: list[dict[str, Any]], args: argparse.Namespace
) -> dict[str, Any]:
    """The load at each concurrency: the load generator's result plus the server's CPU use."""
    requests = args.requests if system.name == "headrace" else args.mlflow_requests
    bodies = tuple(json.dumps(system.body([row])).encode() for row in rows)
    levels: dict[str, Any] = {}
    for concurrency in args.concurrency:
        spec = LoadSpec(
            HOST, server.port, system.predict_path, bodies, concurrency, requests, args.time_cap, args.warmup
        )
        log(f"{system.name}: concurrency {concurrency}, {requests} requests (cap {args.time_cap:.0f}s)")
        cpu = session_cpu_s(server.process.pid)
        result = run_in_subprocess(spec).to_dict()
        # The CPU delta spans the warm-up too, so it is divided by every request sent.
        handled = result["sent"] + result["warmup"].get("sent", 0)
        server_cpu = session_cpu_s(server.process.pid) - cpu
        result["server_cpu_s"] = round(server_cpu, 3)
        result["server_cpu_ms_per_request"] = round(server_cpu / max(handled, 1) * 1e3, 3)
        result["client_cpu_ms_per_request"] = round(result["client_cpu_s"] / max(result["sent"], 1) * 1e3, 3)
        latency = result["latency_ms"]
        log(
            f"{system.name}: c={concurrency} {result['rps']:.1f} req/s, p50 {latency['p50']} ms, "
            f"p99 {latency['p99']} ms, errors {result['error_count']}"
        )
        levels[str(concurrency)] = result
    return levels


def run_system(
    system: System,
    rows: list[dict[str, Any]],
    reference: npt.NDArray[np.float64],
    args: argparse.Namespace,
    tmp: Path,
) -> dict[str, Any]:
    log(f"{system.name}: starting the server")
    with running(system, tmp / f"{system.name}.log") as server:
        log(f"{system.name}: ready after {server.startup_s:.1f}s on port {server.port}")
        answers = ask_one_by_one(system, server.port, rows)
        checked = agreement(reference, answers)
        log(f"{system.name}: agreement with the pipeline on {len(rows)} rows: {checked}")
        levels = measure(system, server, rows, args)
    return {
        "command": " ".join(system.command(server.port)),
        "startup_s": round(server.startup_s, 2),
        "agreement": checked,
        "levels": levels,
        "answers": answers,
    }


# --- report ---------------------------------------------------------------------------


def compare(results: dict[str, Any], levels: list[int]) -> dict[str, Any]:
    """Per concurrency: both systems' figures side by side, and headrace's ratios to MLflow."""
    table: dict[str, Any] = {}
    for level in map(str, levels):
        row: dict[str, Any] = {}
        for name, result in results.items():
            figures = result["levels"][level]
            row[f"{name}_rps"] = figures["rps"]
            row[f"{name}_p50_ms"] = figures["latency_ms"]["p50"]
            row[f"{name}_p99_ms"] = figures["latency_ms"]["p99"]
            row[f"{name}_errors"] = figures["error_count"]
        if len(results) == 2:
            row["rps_ratio"] = _ratio(row["headrace_rps"], row["mlflow_rps"])
            row["p99_ratio"] = _ratio(row["headrace_p99_ms"], row["mlflow_p99_ms"])
        table[level] = row
    return table


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    return None if not ours or not theirs else round(ours / theirs, 3)


def verdicts(comparison: dict[str, Any]) -> dict[str, bool]:
    row = comparison.get(str(TARGET_CONCURRENCY), {})
    if row.get("rps_ratio") is None or row.get("p99_ratio") is None:
        return {}
    return {
        "rps_ratio": row["rps_ratio"] >= TARGETS["rps_ratio"],
        "p99_ratio": row["p99_ratio"] <= TARGETS["p99_ratio"],
    }


def prediction_log(project: Path) -> dict[str, int]:
    """What the headrace server logged: Parquet files and rows under the store's predictions."""
    import pyarrow.parquet as pq

    files = sorted((project / ".headrace" / "predictions").rglob("*.parquet"))
    return {"files": len(files), "rows": sum(pq.ParquetFile(f).metadata.num_rows for f in files)}


def machine() -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    names = (
        "headrace",
        "scikit-learn",
        "mlflow-skinny",
        "uvicorn",
        "starlette",
        "fastapi",
        "uvloop",
        "httptools",
    )
    return {
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {name: _version(name) for name in names},
        "git": commit,
    }


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


# --- main -----------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=10_000, help="headrace requests per concurrency")
    parser.add_argument("--mlflow-requests", type=int, default=2000, help="MLflow requests per concurrency")
    parser.add_argument("--time-cap", type=float, default=30.0, help="seconds per concurrency at most")
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured requests before each level")
    parser.add_argument(
        "--concurrency",
        type=_levels,
        default=[1, 8, 32],
        help="comma-separated client counts (default 1,8,32)",
    )
    parser.add_argument("--workers", type=int, help="headrace serve --workers (default: the command's, 1)")
    parser.add_argument("--mlflow-workers", type=int, default=1, help="mlflow models serve -w (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    side = parser.add_mutually_exclusive_group()
    side.add_argument("--headrace-only", action="store_true")
    side.add_argument("--mlflow-only", action="store_true")
    args = parser.parse_args()
    for name in ("requests", "mlflow_requests", "warmup", "workers", "mlflow_workers"):
        value = getattr(args, name)
        if value is not None and value < (0 if name == "warmup" else 1):
            parser.error(f"--{name.replace('_', '-')} must be a positive integer, got {value}")
    return args


def _levels(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",")]
    except ValueError:
        levels = []
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, got {text!r}")
    return levels


def main() -> int:
    args = parse_args()
    result: dict[str, Any] = {
        "benchmark": "serving",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        "settings": {key: value for key, value in vars(args).items() if not key.endswith("_only")},
        # `mlflow models serve` runs the uvicorn CLI, which reads UVICORN_* settings
        # (UVICORN_LOOP=asyncio, UVICORN_HTTP=h11, …); headrace passes its own to uvicorn.run.
        "mlflow_uvicorn_environment": {k: v for k, v in os.environ.items() if k.startswith("UVICORN_")},
    }
    data = load_comments()
    log(f"fitting the pipeline on {len(data['train'])} labeled comments")
    pipeline = fit_pipeline(data["train"], args.seed)
    test = data["test"]
    rows = request_rows(test)
    reference = np.asarray(pipeline.predict_proba(test[[TEXT, *NUMERIC]]), dtype=np.float64)
    result["model"] = {
        "pipeline": "TF-IDF(content, 1-2 grams) + StandardScaler(links, length) -> LogisticRegression",
        "train_rows": len(data["train"]),
        "request_rows": len(rows),
        "test_accuracy": round(float(np.mean(reference.argmax(axis=1) == test["label"].to_numpy())), 4),
    }
    systems: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="headrace-serving-") as tmpdir:
        tmp = Path(tmpdir)
        if not args.mlflow_only:
            make_headrace_project(tmp / "project", pipeline, data["train"])
            systems["headrace"] = run_system(
                headrace_system(tmp / "project", args.workers), rows, reference, args, tmp
            )
            systems["headrace"]["prediction_log"] = prediction_log(tmp / "project")
        if not args.headrace_only:
            make_mlflow_model(tmp / "mlflow-model", pipeline, data["train"])
            systems["mlflow"] = run_system(
                mlflow_system(tmp / "mlflow-model", args.mlflow_workers), rows, reference, args, tmp
            )
    answers = {name: system.pop("answers") for name, system in systems.items()}
    if len(answers) == 2:
        result["agreement_headrace_mlflow"] = agreement(answers["mlflow"], answers["headrace"])
    result.update(systems)
    result["comparison"] = compare(systems, args.concurrency)
    result["targets"] = {f"{key}_c{TARGET_CONCURRENCY}": value for key, value in TARGETS.items()}
    result["meets_targets"] = {
        f"{key}_c{TARGET_CONCURRENCY}": ok for key, ok in verdicts(result["comparison"]).items()
    }
    result["machine"] = machine()
    return report(result, args)


def report(result: dict[str, Any], args: argparse.Namespace) -> int:
    """Print and save ``result``; 0 when every answer agreed and every request succeeded."""
    text = json.dumps(result, indent=2)
    print(text)
    name = "serving" + ("-headrace" if args.headrace_only else "-mlflow" if args.mlflow_only else "")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{name}.json").write_text(text + "\n")
    log(f"wrote {RESULTS_DIR / f'{name}.json'}")
    systems = [result[key] for key in ("headrace", "mlflow") if key in result]
    agree = all(system["agreement"]["agree"] for system in systems)
    clean = all(level["error_count"] == 0 for system in systems for level in system["levels"].values())
    if not agree:
        log("FAILED: a server's answers differ from the pipeline's (see agreement)")
    if not clean:
        log("FAILED: some requests failed (see error_count per level)")
    return 0 if agree and clean else 1


if __name__ == "__main__":
    sys.exit(main())
