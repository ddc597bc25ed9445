"""A real ``headrace serve`` process on 127.0.0.1, and a bounded concurrent client for it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from headrace.store import Store
from tests.registry.builders import register

HEADRACE = [sys.executable, "-m", "headrace.cli"]

PROJECT_FILE = """\
name: served
data:
  unlabeled: data.csv
  id: id
task:
  labels: [ham, spam]
serve:
  model: production
  reload_interval_s: 0.1
  log: {flush_rows: 100000, flush_interval_s: 0.2}
"""


def make_project(root: Path) -> Path:
    """A project folder whose store has v1 behind ``production``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "headrace.yaml").write_text(PROJECT_FILE)
    (root / "data.csv").write_text("id,content,links\n1,hello,0\n")
    with Store.for_project(root) as store:
        register(store, c=4.0, alias="production")
    return root


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    """A ``headrace serve`` subprocess; use as a context manager (SIGTERM on exit)."""

    project: Path
    args: Sequence[str] = ()
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def stderr_path(self) -> Path:
        return self.project / f"serve-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> LiveServer:
        command = [*HEADRACE, "serve", "-p", str(self.project), "--port", str(self.port), *self.args]
        # stderr to a file, not a pipe: a pipe nobody reads would block a chatty server.
        with self.stderr_path.open("ab") as stderr:
            self.process = subprocess.Popen(
                command, env={**os.environ, **self.env}, stdout=subprocess.DEVNULL, stderr=stderr
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {self.process.returncode}: {self.stderr_path.read_text()}"
                )
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server was not ready within {timeout} s")

    def terminate(self, timeout: float = 30.0) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                self.terminate()
            finally:
                self.kill()


@dataclass(frozen=True)
class Outcome:
    """One request sent by :func:`load`: what was sent, the status and the JSON answer."""

    client: int
    body: bytes
    status: int
    answer: Any


def load(
    url: str,
    body_for: Callable[[int, int], bytes],
    *,
    clients: int,
    requests_per_client: int,
    time_cap_s: float = 60.0,
    during: Callable[[], None] | None = None,
) -> list[Outcome]:
    """``clients`` concurrent keep-alive clients each send ``requests_per_client`` POSTs to /v1/predict.

    ``body_for(client, i)`` makes each body. Stops early at ``time_cap_s``. ``during``
    runs in a thread once half the requests are answered (e.g. a promotion).
    """
    total = clients * requests_per_client

    async def run() -> list[Outcome]:
        outcomes: list[Outcome] = []
        triggered = asyncio.Event()
        stop_at = time.monotonic() + time_cap_s

        async def client(index: int) -> None:
            async with httpx.AsyncClient(base_url=url, timeout=30.0) as http:
                for i in range(requests_per_client):
                    if time.monotonic() > stop_at:
                        return
                    body = body_for(index, i)
                    response = await http.post(
                        "/v1/predict", content=body, headers={"content-type": "application/json"}
                    )
                    try:
                        answer = response.json()
                    except ValueError:
                        answer = response.text
                    outcomes.append(Outcome(index, body, response.status_code, answer))
                    if during is not None and len(outcomes) >= total // 2 and not triggered.is_set():
                        triggered.set()
                        await asyncio.to_thread(during)

        await asyncio.gather(*(client(c) for c in range(clients)))
        return outcomes

    return asyncio.run(run())
