"""``headrace models / promote / rollback / history / export`` on a project with registered models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from headrace.cli import main
from headrace.registry import alias_history, get_version
from headrace.store import Store
from tests.registry.builders import register

PROJECT_FILE = """\
name: registry-cli
data: {unlabeled: data.csv, id: id}
task: {labels: [ham, spam]}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose store holds v1 (production), v2 and v3 (staging)."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "headrace.yaml").write_text(PROJECT_FILE)
    with Store.for_project(root) as store:
        register(store, 1.0, alias="production")
        register(store, 2.0)
        register(store, 3.0, alias="staging")
    return root


def headrace(project: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "-p", str(project)], catch_exceptions=False)


def test_models_lists_versions_with_their_aliases(project: Path) -> None:
    listed = json.loads(headrace(project, "models", "--json").stdout)

    assert [(m["version"], m["aliases"]) for m in listed] == [(3, ["staging"]), (2, []), (1, ["production"])]
    assert listed[0]["f1"] == 0.5 and len(listed[0]["object_id"]) == 64
    assert "production" in headrace(project, "models").stdout


def test_promote_points_an_alias_at_a_version_and_says_what_moved(project: Path) -> None:
    result = headrace(project, "promote", "staging", "production", "--reason", "passed review")

    assert result.exit_code == 0, result.stderr
    assert "production: v1 → v3 (promote)" in result.stdout
    with Store.for_project(project) as store:
        assert get_version(store, "production").version == 3
        latest = alias_history(store, "production")[0]
        assert latest.reason == "passed review" and latest.actor  # the OS user by default


def test_promote_json_and_a_repeated_promotion(project: Path) -> None:
    first = json.loads(headrace(project, "promote", "v2", "production", "--json", "--actor", "ana").stdout)
    again = headrace(project, "promote", "2", "production")

    assert (
        first["version"] == 2 and first["move"]["previous_version"] == 1 and first["move"]["actor"] == "ana"
    )
    assert "production already points at model v2; nothing changed" in again.stdout


def test_rollback_returns_to_the_previous_version(project: Path) -> None:
    headrace(project, "promote", "3", "production")

    result = headrace(project, "rollback", "production", "--json")

    move = json.loads(result.stdout)
    assert (move["version"], move["previous_version"], move["action"]) == (1, 3, "rollback")
    assert "v3" in headrace(project, "history", "production").stdout


def test_history_lists_every_move_newest_first(project: Path) -> None:
    headrace(project, "promote", "2", "production", "--reason", "hotfix")

    moves = json.loads(headrace(project, "history", "--json").stdout)

    assert [(m["alias"], m["version"], m["action"]) for m in moves] == [
        ("production", 2, "promote"),
        ("staging", 3, "register"),
        ("production", 1, "register"),
    ]
    assert json.loads(headrace(project, "history", "staging", "--json").stdout)[0]["version"] == 3


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("promote", "9", "production"), 9, "no model version or alias '9' in this store"),
        (("promote", "1", "v2"), 11, "'v2' cannot be an alias"),
        (("rollback", "production"), 9, "alias 'production' has no earlier version to roll back to"),
        (("rollback", "canary"), 9, "no alias 'canary' in this store to roll back"),
        (("export", "production"), 2, "Missing option '--mlflow'"),
    ],
)
def test_errors_exit_non_zero_with_a_message(
    project: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    result = headrace(project, *args)

    assert result.exit_code == code
    assert message in " ".join(result.stderr.split())


def test_export_writes_an_mlflow_model(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    monkeypatch.chdir(tmp_path)

    result = headrace(project, "export", "production", "--mlflow", str(tmp_path / "out"), "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["version"] == 1
    assert (tmp_path / "out" / "MLmodel").is_file()


def test_promote_and_rollback_as_a_real_subprocess(project: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "headrace.cli", *args, "-p", str(project)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    promoted = run("promote", "3", "production", "--reason", "canary was clean")
    rolled = run("rollback", "production")
    listed = run("models", "--json")

    assert promoted.returncode == 0, promoted.stderr
    assert "production: v1 → v3 (promote)" in promoted.stdout
    assert "production: v3 → v1 (rollback)" in rolled.stdout
    assert [m["aliases"] for m in json.loads(listed.stdout)] == [["staging"], [], ["production"]]
