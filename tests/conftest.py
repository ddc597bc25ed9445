"""Shared fixtures: a fresh copy of the bundled example project."""

from __future__ import annotations

from pathlib import Path

import pytest

from headrace.project import init_project
from tests.postgres import postgres_server  # noqa: F401  (the session's PostgreSQL server fixture)

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


#: The example searches 40 trials (about 20 s); tests that are not about the search
#: run a short one so the suite stays fast.
SHORT_SEARCH = "search: {trials: 3, timeout_s: 60}"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A fresh youtube-spam project in a temporary folder, with a 3-trial search."""
    project = init_project(tmp_path / "spam", example="youtube-spam")
    shorten_search(project)
    return project


def shorten_search(project: Path) -> None:
    """Make the project's model search short (3 trials)."""
    config = project / "headrace.yaml"
    text = config.read_text()
    assert "search: {trials: 40, timeout_s: 120}" in text
    config.write_text(text.replace("search: {trials: 40, timeout_s: 120}", SHORT_SEARCH))


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
