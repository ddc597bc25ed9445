"""Dashboard page times with 10,000 runs in the store.

Usage::

    python benchmarks/ui_pages.py [--runs 10000] [--repeat 20] [--project PATH]

Builds the youtube-spam example (two versions, v1 in production, 800 served rows with
feedback, one monitor run; skipped with ``--project`` pointing at such a project, which
is copied), then inserts copies of its recorded runs — same kinds, parameters, metrics
and lineage edges to the same objects, started over the previous 90 days, 3% failed —
until the store holds ``--runs`` runs. That is the store of a project run ~150 times:
the unlabeled snapshot is read by thousands of runs, which is the worst case for its
object page and for the walk that finds the models made from it.

``headrace ui`` is then started as its own process on 127.0.0.1 and every page is
fetched over HTTP: the first request (cold caches) and then ``--repeat`` times, one at
a time; the median, 90th percentile and size are reported. Prints one JSON object to
stdout (progress to stderr) and writes it to ``benchmarks/results/ui_pages.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
EXAMPLES = REPO_ROOT / "examples"

#: The issue's bar: pages stay fast at this many runs.
TARGET_RUNS = 10_000
FAILED_SHARE = 0.03


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def build_example(root: Path) -> Path:
    """The example trained twice (an LF edited in between), served, labelled and monitored."""
    import pyarrow as pa
    from starlette.testclient import TestClient

    from headrace.monitor.runner import run_monitor
    from headrace.pipeline import run_project
    from headrace.project import ServeConfig, init_project, load_project
    from headrace.registry import promote
    from headrace.serve.app import PredictionServer
    from headrace.serve.auth import ApiKey
    from headrace.serve.feedback import FEEDBACK_DIRNAME, record_feedback
    from headrace.store import Store

    project = init_project(root / "spam", example="youtube-spam")
    config = project / "headrace.yaml"
    config.write_text(config.read_text().replace("trials: 40, timeout_s: 120", "trials: 3, timeout_s: 60"))
    log("training v1 …")
    run_project(project)
    lfs = project / "lfs.py"
    lfs.write_text(lfs.read_text().replace("length >= 150", "length >= 120"))
    log("training v2 (one LF edited) …")
    run_project(project)
    youtube = _rows(EXAMPLES / "youtube-spam/data/gold_test.csv")
    sms = _rows(EXAMPLES / "sms-spam/data/gold_test.csv")[:400]
    texts = [r["content"] for r in youtube] + [r["text"] for r in sms]
    labels = [r["label"] for r in youtube] + [r["label"] for r in sms]
    with Store.for_project(project) as store:
        promote(store, "1", "production", reason="benchmark", actor="benchmark")
        server = PredictionServer(
            store, ServeConfig.model_validate({"log": {"flush_interval_s": 0.05}}), api_key=ApiKey("k")
        )
        ids: list[str] = []
        with TestClient(server.app) as client:
            for start in range(0, len(texts), 50):
                rows = [{"content": text} for text in texts[start : start + 50]]
                ids += [
                    p["request_id"]
                    for p in client.post("/v1/predict", json={"rows": rows}).json()["predictions"]
                ]
        record_feedback(
            store.root / FEEDBACK_DIRNAME, pa.table({"request_id": ids, "label": labels}), ["ham", "spam"]
        )
        log("monitoring …")
        run_monitor(load_project(project), store, window="400 rows")
    return project


def fill_runs(project: Path, total: int, *, seed: int = 0) -> int:
    """Insert copies of the project's runs (and their edges) until it holds ``total`` runs."""
    from sqlalchemy import func, select

    from headrace.store import Store
    from headrace.store.schema import RunObject, RunRow

    rng = random.Random(seed)
    with Store.for_project(project) as store, store.session() as session:
        originals = session.scalars(select(RunRow).order_by(RunRow.started_at)).all()
        edges: dict[str, list[RunObject]] = {}
        for edge in session.scalars(select(RunObject)):
            edges.setdefault(edge.run_id, []).append(edge)
        have = int(session.scalar(select(func.count()).select_from(RunRow)) or 0)
        batch = 0
        while have < total:
            # One copy of every run, as if the project had been run again days earlier.
            shift = timedelta(days=rng.uniform(1, 90), seconds=rng.uniform(0, 86_400))
            ids = {row.id: uuid.uuid4().hex for row in originals}
            inserted: list[tuple[str, str, bool]] = []
            for row in originals:
                if have >= total:
                    break
                failed = rng.random() < FAILED_SHARE
                session.add(
                    RunRow(
                        id=ids[row.id],
                        parent_id=None if row.parent_id is None else ids.get(row.parent_id),
                        kind=row.kind,
                        status="failed" if failed else row.status,
                        cache_key=row.cache_key,
                        params=dict(row.params or {}),
                        metrics={} if failed else dict(row.metrics or {}),
                        error=f"benchmark: simulated failure of {row.kind}" if failed else row.error,
                        started_at=row.started_at - shift,
                        finished_at=None if row.finished_at is None else row.finished_at - shift,
                        duration_s=row.duration_s,
                        host=row.host,
                        pid=row.pid,
                    )
                )
                inserted.append((row.id, ids[row.id], failed))
                have += 1
            session.flush()
            for original, copy, failed in inserted:
                for edge in edges.get(original, []):
                    if failed and edge.direction == "out":
                        continue  # a failed run wrote nothing
                    session.add(
                        RunObject(
                            run_id=copy, direction=edge.direction, role=edge.role, object_id=edge.object_id
                        )
                    )
            batch += 1
            if batch % 20 == 0:
                session.commit()
                log(f"  {have} runs")
        session.commit()
        return have


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pages(project: Path) -> list[tuple[str, str]]:
    """(name, path) of every page measured, with real ids from the store."""
    from headrace.store import Store

    with Store.for_project(project) as store:
        label = store.runs.recent(kind="label", limit=1)[0]
        snapshot = label.inputs["snapshot"]
        matrix = label.outputs["label_matrix"]
        pipeline = store.runs.recent(kind="pipeline", limit=1)[0]
    return [
        ("overview", "/"),
        ("lf table", "/lfs"),
        ("lf table sorted", "/lfs?sort=coverage&order=desc"),
        ("lf detail", "/lfs/long_comment"),
        ("runs page 1", "/runs"),
        ("runs page 100", "/runs?page=100"),
        ("runs filtered (kind+status)", "/runs?kind=lf_apply&status=failed"),
        ("runs by id prefix", f"/runs?q={label.id[:6]}"),
        ("run detail (pipeline)", f"/runs/{pipeline.id}"),
        ("object: snapshot", f"/objects/{snapshot}"),
        ("object: label matrix", f"/objects/{matrix}"),
        ("models", "/models"),
        ("model v1", "/models/1"),
        ("lineage v1", "/models/1/lineage"),
        ("monitoring", "/monitoring"),
    ]


def measure(url: str, paths: list[tuple[str, str]], repeat: int) -> list[dict[str, Any]]:
    results = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for name, path in paths:
            start = time.perf_counter()
            first = client.get(path)
            first_ms = (time.perf_counter() - start) * 1000
            first.raise_for_status()
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - start) * 1000)
                response.raise_for_status()
            times.sort()
            results.append(
                {
                    "page": name,
                    "path": path,
                    "first_ms": round(first_ms, 1),
                    "median_ms": round(statistics.median(times), 1),
                    "p90_ms": round(times[int(0.9 * (len(times) - 1))], 1),
                    "kb": round(len(response.content) / 1024, 1),
                }
            )
            log(f"  {name:30s} median {results[-1]['median_ms']:7.1f} ms  first {first_ms:7.1f} ms")
    return results


def serve(project: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from headrace.cli.ui_cmds import ui; ui()",
            "-p",
            str(project),
            "--port",
            str(port),
        ],
        env={**os.environ, "HEADRACE_API_KEY": "benchmark"},
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("headrace ui did not start within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=TARGET_RUNS, help="runs in the store")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    parser.add_argument("--project", type=Path, default=None, help="a built project to copy (skips building)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="headrace-ui-bench-") as tmp:
        root = Path(tmp)
        if args.project is not None:
            project = root / "spam"
            shutil.copytree(args.project, project)
        else:
            project = build_example(root)
        log(f"filling the store to {args.runs} runs …")
        start = time.perf_counter()
        runs = fill_runs(project, args.runs)
        fill_seconds = time.perf_counter() - start
        process, url = serve(project)
        try:
            log(f"timing {url} ({args.repeat} requests per page) …")
            results = measure(url, pages(project), args.repeat)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)
    payload = {
        "benchmark": "ui_pages",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "runs_in_store": runs,
        "fill_seconds": round(fill_seconds, 1),
        "repeat": args.repeat,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "versions": {
            name: version(name) for name in ("headrace", "starlette", "uvicorn", "jinja2", "sqlalchemy")
        },
        "pages": results,
        "slowest_median_ms": max(r["median_ms"] for r in results),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "ui_pages.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
