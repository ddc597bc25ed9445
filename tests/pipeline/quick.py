"""A fast copy of the bundled example: one logistic trial, no gold-label reference model.

The data-validation tests run the whole pipeline; the example's own search (and its
reference model) would make each run take a minute on a busy machine.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from headrace.project import init_project


def quick_project(target: Path, *, constraints: bool = True) -> Path:
    """The youtube-spam example in ``target``, quick to train; without its constraints.yaml if asked."""
    project = init_project(target, example="youtube-spam")
    config = project / "headrace.yaml"
    text = config.read_text()
    for old, new in (
        ("search: {trials: 40, timeout_s: 120}", "search: {trials: 1, timeout_s: 60}"),
        ("models: [logistic, lightgbm, linear_svm]", "models: [logistic]"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    lines = [line for line in text.splitlines(keepends=True) if "train: data/pool_labels.csv" not in line]
    config.write_text("".join(lines))
    if not constraints:
        (project / "constraints.yaml").unlink()
    return project


def edit_rows(path: Path, change: Callable[[list[dict[str, str]]], None]) -> None:
    """Rewrite a CSV file after ``change`` edits its rows in place."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    change(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
