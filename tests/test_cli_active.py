"""`headrace suggest` and `headrace annotate`, run as real subprocesses the way a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from headrace.cli.active_cmds import STRATEGY_CHOICES
from headrace.store import Store
from headrace.supervision import STRATEGIES

HEADRACE = [sys.executable, "-m", "headrace.cli"]


def headrace(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HEADRACE, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_cli_offers_every_strategy() -> None:
    assert STRATEGY_CHOICES == STRATEGIES


def test_suggest_then_annotate(example: Path) -> None:
    suggested = headrace("suggest", "--n", "12", "--strategy", "lf-conflict", "--json", cwd=example)
    assert suggested.returncode == 0, suggested.stderr
    result = json.loads(suggested.stdout)
    assert result["rows"] == 12 and result["strategy"] == "lf-conflict"
    assert Path(result["path"]) == example / "suggestions.csv"

    again = headrace("suggest", "--n", "12", cwd=example)
    assert again.returncode == 3
    assert "suggestions.csv: exists" in again.stderr and "--overwrite" in again.stderr

    frame = pd.read_csv(example / "suggestions.csv", dtype=str, keep_default_na=False)
    frame.loc[:5, "label"] = "spam"
    frame.loc[6, "label"] = "maybe"  # not a class: the whole file is refused
    frame.to_csv(example / "filled.csv", index=False)
    refused = headrace("annotate", "filled.csv", cwd=example)
    assert refused.returncode == 3
    assert f"row 7 (id '{frame.loc[6, 'comment_id']}'): label 'maybe' is not one of" in refused.stderr
    with Store.for_project(example) as store:
        assert store.runs.recent(kind="annotations") == []

    frame.loc[6, "label"] = ""  # left blank: skipped
    frame.to_csv(example / "filled.csv", index=False)
    imported = headrace("annotate", "filled.csv", cwd=example)
    assert imported.returncode == 0, imported.stderr
    assert "6 labeled rows (6 blank, skipped): 6 new, 0 re-labeled, 0 unchanged" in imported.stdout
    assert "annotations v1: 6 rows" in imported.stdout


def test_model_applies_only_to_disagreement(example: Path) -> None:
    misuse = headrace("suggest", "--strategy", "uncovered", "--model", "staging", cwd=example)

    assert misuse.returncode == 2
    assert "--model applies to --strategy disagreement" in misuse.stderr
