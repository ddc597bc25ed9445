"""``--engine``, ``--workers`` and ``--dask-address``: the same flags on run, predict and monitor.

The project file's ``engine:`` section is the default; each flag given overrides its key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from headrace.cli.common import open_engine
from headrace.cli.monitor_cmds import monitor
from headrace.cli.predict_cmds import predict
from headrace.cli.project_cmds import run
from headrace.engines import DaskEngine, Engine
from headrace.monitor.runner import MonitorResult
from headrace.project import load_project
from tests.serve.batch_fixtures import PROJECT_FILE, make_project, text_rows


def project_with(tmp_path: Path, engine: str | None) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "headrace.yaml").write_text(PROJECT_FILE + ("" if engine is None else f"engine: {engine}\n"))
    return root


def described(engine: Engine) -> tuple[str, Any, Any]:
    """Name, configured workers and address of an engine, without starting it.

    (``DaskEngine.workers`` counts the cluster's threads, which would start one.)
    """
    if isinstance(engine, DaskEngine):
        return engine.name, engine._workers, engine.address
    return engine.name, getattr(engine, "workers", None), None


@pytest.mark.parametrize(
    ("section", "flags", "expected"),
    [
        (None, {}, ("local", None, None)),
        ("{kind: processes, workers: 3}", {}, ("processes", 3, None)),
        ("{kind: processes, workers: 3}", {"workers": 2}, ("processes", 2, None)),
        ("{kind: processes, workers: 3}", {"kind": "local"}, ("local", None, None)),
        ("{kind: processes, workers: 3}", {"kind": "dask"}, ("dask", 3, None)),
        (None, {"address": "tcp://10.0.0.5:8786"}, ("dask", None, "tcp://10.0.0.5:8786")),
        ("{kind: dask, address: 'tcp://a:8786'}", {}, ("dask", None, "tcp://a:8786")),
        (
            "{kind: dask, address: 'tcp://a:8786'}",
            {"address": "tcp://b:8786"},
            ("dask", None, "tcp://b:8786"),
        ),
        ("{kind: dask, address: 'tcp://a:8786'}", {"kind": "processes"}, ("processes", None, None)),
        (None, {"kind": "dask", "workers": 2}, ("dask", 2, None)),
    ],
)
def test_the_project_file_is_the_default_and_each_flag_overrides_its_key(
    tmp_path: Path, section: str | None, flags: dict[str, Any], expected: tuple[str, Any, Any]
) -> None:
    project = load_project(project_with(tmp_path, section))

    engine = open_engine(project, flags.get("kind"), flags.get("workers"), flags.get("address"))

    assert described(engine) == expected
    engine.close()


@pytest.mark.parametrize(
    ("section", "flags", "message"),
    [
        (
            None,
            {"kind": "local", "address": "tcp://a:1"},
            r"--dask-address needs the dask engine, not --engine local",
        ),
        (None, {"kind": "local", "workers": 2}, r"--workers applies to the processes and dask engines"),
        (
            None,
            {"address": "tcp://a:1", "workers": 2},
            r"--workers sizes a local Dask cluster; the cluster at tcp://a:1",
        ),
        ("{kind: dask, address: 'tcp://a:1'}", {"workers": 2}, r"the cluster at tcp://a:1 runs the workers"),
    ],
)
def test_contradicting_flags_are_a_usage_error_that_names_them(
    tmp_path: Path, section: str | None, flags: dict[str, Any], message: str
) -> None:
    project = load_project(project_with(tmp_path, section))

    with pytest.raises(click.UsageError, match=message):
        open_engine(project, flags.get("kind"), flags.get("workers"), flags.get("address"))


# --- the commands take the flags ---------------------------------------------------------


class Captured:
    engine: Engine | None = None


def test_run_passes_the_engine_the_flags_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project_with(tmp_path, "{kind: processes, workers: 3}")
    captured = Captured()

    class Result:
        def to_dict(self) -> dict[str, Any]:
            return {}

    def fake_run_project(project_dir: Path, *, progress: Any, engine: Engine) -> Result:
        captured.engine = engine
        return Result()

    monkeypatch.setattr("headrace.pipeline.run_project", fake_run_project)
    result = CliRunner().invoke(run, ["-p", str(root), "--json", "--dask-address", "tcp://10.0.0.5:8786"])

    assert result.exit_code == 0, result.output
    assert captured.engine is not None
    assert described(captured.engine) == ("dask", 3, "tcp://10.0.0.5:8786")


def test_monitor_runs_the_lfs_on_the_engine_the_flags_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project_with(tmp_path, None)
    captured = Captured()

    def fake_run_monitor(project: Any, store: Any, *, engine: Engine, **_: Any) -> MonitorResult:
        captured.engine = engine
        return MonitorResult("run", {"version": 1}, "1d", [], None, [], None, {})

    monkeypatch.setattr("headrace.monitor.runner.run_monitor", fake_run_monitor)
    result = CliRunner().invoke(
        monitor, ["-p", str(root), "--json", "--engine", "processes", "--workers", "2"]
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["run_id"] == "run"
    assert captured.engine is not None
    assert described(captured.engine) == ("processes", 2, None)


def test_monitor_refuses_contradicting_flags_before_reading_anything(tmp_path: Path) -> None:
    root = project_with(tmp_path, None)

    result = CliRunner().invoke(
        monitor, ["-p", str(root), "--engine", "local", "--dask-address", "tcp://a:1"]
    )

    assert result.exit_code == 2
    assert "--dask-address needs the dask engine, not --engine local" in result.output


def test_predict_runs_on_the_processes_engine_and_writes_the_same_file(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    pa_csv.write_csv(text_rows(500), root / "new.csv")

    def headrace_predict(output: str, *flags: str) -> dict[str, Any]:
        result = CliRunner().invoke(
            predict,
            [
                str(root / "new.csv"),
                str(root / output),
                "--batch-rows",
                "100",
                "--json",
                "-p",
                str(root),
                *flags,
            ],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
        summary: dict[str, Any] = json.loads(result.stdout)
        return summary

    pooled = headrace_predict("pooled.parquet", "--engine", "processes", "--workers", "2")
    local = headrace_predict("local.parquet")

    assert (pooled["engine"], local["engine"]) == ("processes", "local")
    assert pq.read_table(root / "pooled.parquet").equals(pq.read_table(root / "local.parquet"))
