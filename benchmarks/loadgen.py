"""A bounded, low-overhead HTTP/1.1 load generator for the serving benchmark.

Closed loop: ``concurrency`` clients, each on its own keep-alive connection, send the
next request as soon as the previous answer is read, until ``requests`` have been sent
or ``time_cap_s`` has passed. Request bytes are built once up front (``POST`` with
``Content-Length`` and a JSON body, bodies cycled in order) and answers are parsed just
enough to find their end (status line, ``Content-Length`` or chunked framing), so the
client costs a few tens of microseconds of CPU per request: on a 2-core machine it
shares the cores with the server it measures.

Imports only the standard library (and uvloop when installed), so it starts fast in a
process of its own. Run it as a script (one JSON line on stdout) or through
:func:`run_in_subprocess`; :func:`run_load` runs it in the calling process.

Usage::

    python benchmarks/loadgen.py --port 8000 --path /v1/predict --bodies bodies.jsonl \\
        --concurrency 32 --requests 2000 --time-cap 30 --warmup 200

``bodies.jsonl`` holds one request body a line (JSON text never contains a raw newline).

What is reported (:class:`LoadResult`): requests sent and answered, status-code counts,
errors by kind, wall time, requests/s and latency percentiles. Throughput and latency
count only 2xx answers, so a server that sheds load with fast 503s does not look faster.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = ["LoadResult", "LoadSpec", "percentile", "run_in_subprocess", "run_load"]

HEADER_END = b"\r\n\r\n"
CONTENT_LENGTH = b"\r\ncontent-length:"


@dataclass(frozen=True)
class LoadSpec:
    """One bounded run: where to send, what, how many clients, and when to stop.

    Parameters
    ----------
    host, port, path
        The endpoint (``path`` starts with ``/``).
    bodies
        Request bodies (JSON bytes), sent in order and cycled.
    concurrency
        Clients, each with one keep-alive connection and one request in flight.
    requests
        Requests to send in the measured phase.
    time_cap_s
        No request is sent after this many seconds of the measured phase; answers in
        flight then get ``grace_s`` more seconds, after which they count as unfinished.
    warmup_requests
        Requests sent first on the same connections and not measured (capped at
        ``time_cap_s`` too).
    headers
        Extra request headers, as ``(name, value)`` pairs.
    """

    host: str
    port: int
    path: str
    bodies: tuple[bytes, ...]
    concurrency: int
    requests: int
    time_cap_s: float
    warmup_requests: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    grace_s: float = 10.0

    def __post_init__(self) -> None:
        problems = []
        if not self.path.startswith("/"):
            problems.append(f"path must start with '/', got {self.path!r}")
        if not self.bodies:
            problems.append("bodies must hold at least one request body, got none")
        for name in ("concurrency", "requests"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be a positive integer, got {getattr(self, name)}")
        if self.warmup_requests < 0:
            problems.append(f"warmup_requests must be 0 or more, got {self.warmup_requests}")
        if not self.time_cap_s > 0:
            problems.append(f"time_cap_s must be positive, got {self.time_cap_s}")
        if problems:
            raise ValueError("; ".join(problems))

    def request_bytes(self) -> list[bytes]:
        """Every request, complete on the wire, built once so that sending is one write."""
        extra = "".join(f"{name}: {value}\r\n" for name, value in self.headers)
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nAccept: application/json\r\n{extra}"
        )
        return [f"{head}Content-Length: {len(body)}\r\n\r\n".encode("latin-1") + body for body in self.bodies]


@dataclass(frozen=True)
class LoadResult:
    """What one measured phase did (the warm-up is not counted).

    ``rps`` is 2xx answers per second of wall time; ``latency_ms`` (p50, p90, p99, max,
    mean) is over 2xx answers, from the request's write to the last byte of its answer.
    ``errors`` counts connection failures and malformed answers by kind; ``unfinished``
    requests were sent but unanswered when the run stopped. ``client_cpu_s`` is the
    load generator's own CPU time over the phase.
    """

    concurrency: int
    requests: int
    sent: int
    completed: int
    ok: int
    status_counts: dict[str, int]
    errors: dict[str, int]
    unfinished: int
    wall_s: float
    rps: float
    latency_ms: dict[str, float | None]
    hit_time_cap: bool
    client_cpu_s: float
    event_loop: str
    warmup: dict[str, Any] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        """Everything that is not a 2xx answer: errors, non-2xx statuses, unfinished requests."""
        return sum(self.errors.values()) + (self.completed - self.ok) + self.unfinished

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "error_count": self.error_count}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoadResult:
        names = cls.__dataclass_fields__
        return cls(**{key: value for key, value in data.items() if key in names})


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) of ascending ``sorted_values``, interpolated linearly
    between closest ranks (numpy's default method)."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    position = (len(sorted_values) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


class _Connection:
    """One client's keep-alive connection, (re)opened when needed."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self.reader, self.writer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 answer; return its status and whether the connection stays open."""
    head = await reader.readuntil(HEADER_END)
    if not head.startswith(b"HTTP/1."):
        raise ValueError(f"not an HTTP/1.x status line: {head[:40]!r}")
    status = int(head[9:12])
    lower = head.lower()
    keep_alive = b"\r\nconnection: close" not in lower and not head.startswith(b"HTTP/1.0")
    at = lower.find(CONTENT_LENGTH)
    if at >= 0:
        start = at + len(CONTENT_LENGTH)
        length = int(lower[start : lower.index(b"\r\n", start)])
        if length:
            await reader.readexactly(length)
    elif b"\r\ntransfer-encoding: chunked" in lower:
        await _skip_chunked(reader)
    elif status >= 200 and status not in (204, 304):
        # No framing: the body runs to the end of the connection.
        await reader.read()
        keep_alive = False
    return status, keep_alive


async def _skip_chunked(reader: asyncio.StreamReader) -> None:
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers are expected: just the final CRLF
            return
        await reader.readexactly(size + 2)


class _Phase:
    """Counters of one phase; a single event loop runs all clients, so no locks."""

    def __init__(self, requests: int, time_cap_s: float) -> None:
        self.limit = requests
        self.taken = 0
        self.deadline = time.perf_counter() + time_cap_s
        self.hit_time_cap = False
        self.sent = 0
        self.in_flight = 0
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()

    def take(self) -> bool:
        """Claim the next request; ``False`` once the count is sent or the time is up."""
        if self.taken >= self.limit:
            return False
        if time.perf_counter() >= self.deadline:
            self.hit_time_cap = True
            return False
        self.taken += 1
        return True


async def _client(phase: _Phase, connection: _Connection, payloads: list[bytes], offset: int) -> None:
    """Send requests one after the other until the phase says stop."""
    index = offset
    count = len(payloads)
    perf_counter = time.perf_counter
    while phase.take():
        try:
            reader, writer = await connection.open()
        except OSError as exc:
            phase.errors[f"connect: {type(exc).__name__}"] += 1
            await asyncio.sleep(0.01)  # a refused connection fails at once: don't spin
            continue
        payload = payloads[index % count]
        index += 1
        start = perf_counter()
        writer.write(payload)
        phase.sent += 1
        phase.in_flight += 1
        try:
            status, keep_alive = await _read_answer(reader)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            phase.in_flight -= 1
            phase.errors[f"read: {type(exc).__name__}"] += 1
            connection.close()
            continue
        elapsed = perf_counter() - start
        phase.in_flight -= 1
        phase.statuses[status] += 1
        if 200 <= status < 300:
            phase.latencies.append(elapsed)
        if not keep_alive:
            connection.close()


async def _run_phase(
    spec: LoadSpec, connections: list[_Connection], payloads: list[bytes], requests: int
) -> tuple[_Phase, float, float]:
    """Run ``requests`` over ``connections``; return the counters, wall and CPU seconds."""
    phase = _Phase(requests, spec.time_cap_s)
    cpu = time.process_time()
    start = time.perf_counter()
    # Client i starts at body i, so concurrent clients don't all send the same body.
    tasks = [
        asyncio.ensure_future(_client(phase, connection, payloads, offset))
        for offset, connection in enumerate(connections)
    ]
    _, pending = await asyncio.wait(tasks, timeout=spec.time_cap_s + spec.grace_s)
    for task in pending:
        task.cancel()
    if pending:
        phase.hit_time_cap = True
        await asyncio.wait(pending)
        for connection in connections:
            connection.close()  # a cancelled read leaves its connection mid-answer
    wall = time.perf_counter() - start
    return phase, wall, time.process_time() - cpu


def _summary(spec: LoadSpec, phase: _Phase, wall: float, cpu: float, loop_name: str) -> LoadResult:
    latencies = sorted(phase.latencies)
    ok = len(latencies)
    latency: dict[str, float | None] = dict.fromkeys(("p50", "p90", "p99", "max", "mean"))
    if latencies:
        latency = {
            "p50": percentile(latencies, 50) * 1e3,
            "p90": percentile(latencies, 90) * 1e3,
            "p99": percentile(latencies, 99) * 1e3,
            "max": latencies[-1] * 1e3,
            "mean": sum(latencies) / ok * 1e3,
        }
    return LoadResult(
        concurrency=spec.concurrency,
        requests=spec.requests,
        sent=phase.sent,
        completed=sum(phase.statuses.values()),
        ok=ok,
        status_counts={str(code): n for code, n in sorted(phase.statuses.items())},
        errors=dict(phase.errors),
        unfinished=phase.in_flight,
        wall_s=round(wall, 4),
        rps=round(ok / wall, 2) if wall > 0 else 0.0,
        latency_ms={key: None if value is None else round(value, 3) for key, value in latency.items()},
        hit_time_cap=phase.hit_time_cap,
        client_cpu_s=round(cpu, 4),
        event_loop=loop_name,
    )


async def _run(spec: LoadSpec, loop_name: str) -> LoadResult:
    payloads = spec.request_bytes()
    connections = [_Connection(spec.host, spec.port) for _ in range(spec.concurrency)]
    warmup: dict[str, Any] = {}
    # Connect before the clock starts: connection setup is not what is measured.
    await asyncio.gather(*(c.open() for c in connections), return_exceptions=True)
    if spec.warmup_requests:
        phase, wall, _ = await _run_phase(spec, connections, payloads, spec.warmup_requests)
        statuses = {str(code): n for code, n in sorted(phase.statuses.items())}
        warmup = {"sent": phase.sent, "wall_s": round(wall, 4), "status_counts": statuses}
        warmup["errors"] = dict(phase.errors)
    # The collector pausing this process mid-run would show up as server latency.
    gc.collect()
    gc.disable()
    try:
        phase, wall, cpu = await _run_phase(spec, connections, payloads, spec.requests)
    finally:
        gc.enable()
        for connection in connections:
            connection.close()
    return replace(_summary(spec, phase, wall, cpu, loop_name), warmup=warmup)


def _loop_factory(use_uvloop: bool) -> tuple[Callable[[], asyncio.AbstractEventLoop] | None, str]:
    """uvloop's event loop when wanted and installed (it is not a dependency), else asyncio's."""
    if use_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop, "uvloop"
    return None, "asyncio"


def run_load(spec: LoadSpec, *, use_uvloop: bool = True) -> LoadResult:
    """Run the warm-up and the measured phase of ``spec`` in this process.

    Examples
    --------
    >>> spec = LoadSpec("127.0.0.1", 8000, "/v1/predict", (b'{"rows": []}',), 8, 1000, 30.0)
    >>> run_load(spec).rps  # doctest: +SKIP
    1234.5
    """
    factory, name = _loop_factory(use_uvloop)
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(_run(spec, name))


def run_in_subprocess(spec: LoadSpec, *, python: str = sys.executable, use_uvloop: bool = True) -> LoadResult:
    """Run :func:`run_load` in a fresh process of its own and return its result.

    The caller (the benchmark driver) then spends no CPU on the load while it runs,
    and the generator's event loop is not shared with anything else.
    """
    with tempfile.TemporaryDirectory(prefix="loadgen-") as tmp:
        bodies = Path(tmp) / "bodies.jsonl"
        bodies.write_bytes(b"\n".join(spec.bodies) + b"\n")
        command = [python, str(Path(__file__).resolve()), *_arguments(spec), "--bodies", str(bodies)]
        if not use_uvloop:
            command.append("--no-uvloop")
        done = subprocess.run(
            command,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
            timeout=spec.time_cap_s * 2 + spec.grace_s + 60,
        )
    return LoadResult.from_dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _arguments(spec: LoadSpec) -> list[str]:
    arguments = ["--host", spec.host, "--port", str(spec.port), "--path", spec.path]
    arguments += ["--concurrency", str(spec.concurrency), "--requests", str(spec.requests)]
    arguments += ["--time-cap", str(spec.time_cap_s), "--warmup", str(spec.warmup_requests)]
    arguments += ["--grace", str(spec.grace_s)]
    for name, value in spec.headers:
        arguments += ["--header", f"{name}: {value}"]
    return arguments


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"a header is 'Name: value', got {text!r}")
    return name.strip(), value.strip()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True, help="e.g. /v1/predict")
    parser.add_argument("--bodies", type=Path, required=True, help="file with one JSON request body a line")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--requests", type=int, default=1000, help="requests in the measured phase")
    parser.add_argument("--time-cap", type=float, default=30.0, help="seconds; no request is sent after")
    parser.add_argument("--warmup", type=int, default=0, help="unmeasured requests sent first")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds answers in flight may take")
    parser.add_argument("--header", type=_header, action="append", default=[], help="'Name: value'")
    parser.add_argument("--no-uvloop", action="store_true", help="use asyncio's event loop")
    args = parser.parse_args(argv)
    bodies = tuple(line for line in args.bodies.read_bytes().splitlines() if line.strip())
    try:
        spec = LoadSpec(
            host=args.host,
            port=args.port,
            path=args.path,
            bodies=bodies,
            concurrency=args.concurrency,
            requests=args.requests,
            time_cap_s=args.time_cap,
            warmup_requests=args.warmup,
            headers=tuple(args.header),
            grace_s=args.grace,
        )
    except ValueError as exc:
        parser.error(str(exc))
    result = run_load(spec, use_uvloop=not args.no_uvloop)
    print(json.dumps(result.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
