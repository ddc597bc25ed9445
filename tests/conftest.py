"""Shared fixtures: a fresh copy of the bundled example project."""

from __future__ import annotations

from pathlib import Path

import pytest

from headrace.project import init_project

#: An LF appended to the example's lfs.py in tests: it records every call in calls.txt
#: next to the module, so tests can count how often LFs actually ran.
COUNTING_LF = '''

@labeling_function()
def counted(row) -> int:
    """Abstains, but leaves one line per call in calls.txt (tests count LF invocations)."""
    with open(__file__.replace("lfs.py", "calls.txt"), "a") as log:
        log.write("x\\n")
    return ABSTAIN
'''


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A fresh youtube-spam project in a temporary folder."""
    return init_project(tmp_path / "spam", example="youtube-spam")


@pytest.fixture
def counted_example(example: Path) -> Path:
    """The example with an extra LF that counts its invocations in ``calls.txt``."""
    lfs = example / "lfs.py"
    lfs.write_text(lfs.read_text() + COUNTING_LF)
    return example


def count_calls(project: Path) -> int:
    """How many rows the counting LF has labeled so far."""
    log = project / "calls.txt"
    return len(log.read_text().splitlines()) if log.exists() else 0
