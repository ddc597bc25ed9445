"""Virtual environments for the peers we benchmark against (Snorkel 0.10, …).

A peer's pins clash with ours (Snorkel 0.10 wants an older stack and torch), so each
peer gets its own venv under ``benchmarks/.venvs/NAME``, created on first use. Torch is
installed first and pinned to the machine's local CPU build (``torch==2.13.0``): any
other torch requirement would pull gigabytes of CUDA packages.

Peer code runs in a subprocess of that venv; data goes in and results come out as
files, so the two tools always see the same inputs.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

__all__ = ["PEERS", "peer_python", "run_in_peer"]

ROOT = Path(__file__).resolve().parent / ".venvs"

#: Each peer's pip requirements, installed in order (torch first).
PEERS: dict[str, list[list[str]]] = {
    "snorkel": [["torch==2.13.0"], ["snorkel==0.10.0", "torch==2.13.0"]],
}


def peer_python(name: str) -> Path:
    """Return the Python of peer ``name``'s venv, creating and filling it if needed."""
    env = ROOT / name
    python = env / "bin" / "python"
    marker = env / ".installed"
    if marker.exists():
        return python
    if not python.exists():
        venv.create(env, with_pip=True)
    for requirements in PEERS[name]:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *requirements],
            check=True,
            stdout=sys.stderr,
        )
    marker.touch()
    return python


def run_in_peer(name: str, script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with peer ``name``'s Python; raise if it fails."""
    return subprocess.run(
        [str(peer_python(name)), str(script), *args], check=True, capture_output=True, text=True
    )
