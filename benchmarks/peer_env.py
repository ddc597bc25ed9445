"""Virtual environments for the peers we benchmark against (Snorkel 0.10, …).

A peer's pins clash with ours (Snorkel 0.10 wants an older stack and torch), so each
peer gets its own venv under ``benchmarks/.venvs/NAME``, created on first use. Torch is
installed first and pinned to the machine's local CPU build (``torch==2.13.0``): any
other torch requirement would pull gigabytes of CUDA packages.

Peer code runs in a subprocess of that venv; data goes in and results come out as
files (Parquet, ``.npy``), so the two tools always see the same inputs: hence pyarrow
in every peer venv. A venv records the requirements it was filled from and is topped
up when ``PEERS`` changes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

__all__ = ["EVIDENTLY", "PEERS", "evidently_python", "peer_python", "run_in_peer"]

ROOT = Path(__file__).resolve().parent / ".venvs"

#: Each peer's pip requirements, installed in order (torch first). Snorkel 0.10 imports
#: and runs with the numpy 2 / pandas 3 that pip picks for it, so nothing else is pinned.
PEERS: dict[str, list[list[str]]] = {
    "snorkel": [["torch==2.13.0"], ["snorkel==0.10.0", "torch==2.13.0", "pyarrow"]],
}


def peer_python(name: str) -> Path:
    """Return the Python of peer ``name``'s venv, creating and filling it if needed."""
    env = ROOT / name
    python = env / "bin" / "python"
    marker = env / ".installed"
    wanted = json.dumps(PEERS[name])
    if marker.exists() and marker.read_text() == wanted:
        return python
    if not python.exists():
        venv.create(env, with_pip=True)
    for requirements in PEERS[name]:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *requirements],
            check=True,
            stdout=sys.stderr,
        )
    marker.write_text(wanted)
    return python


def run_in_peer(name: str, script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with peer ``name``'s Python; raise if it fails."""
    return subprocess.run(
        [str(peer_python(name)), str(script), *args], check=True, capture_output=True, text=True
    )


#: Evidently 0.7 (the drift benchmark's peer) needs pandas < 3; it gets its own venv
#: with no torch. Registered in ``PEERS`` so ``run_in_peer("evidently", …)`` works too.
EVIDENTLY: list[list[str]] = [["evidently==0.7.23", "pandas<3", "pyarrow"]]
PEERS["evidently"] = EVIDENTLY


def evidently_python() -> Path:
    """Return the Python of the Evidently 0.7 venv, creating and filling it if needed."""
    return peer_python("evidently")
