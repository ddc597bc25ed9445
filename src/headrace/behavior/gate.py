"""The release gate: a project's behavioral tests run against a registered model, recorded.

``headrace check`` and ``headrace promote … production`` both go through
:func:`check_model`, so every verdict that let a model through (or stopped it) is a run
in the store, linked to the model it judged.
"""

from __future__ import annotations

from dataclasses import dataclass

from headrace.behavior.checks import BehaviorReport, collect_behavior_tests, run_behavior_tests
from headrace.errors import ProjectFileError
from headrace.project import Project, import_project_module
from headrace.registry import ModelVersion, get_version, load_package
from headrace.store import Store
from headrace.store.hashing import canonical_json

__all__ = ["ModelCheck", "check_model", "gates"]


@dataclass(frozen=True)
class ModelCheck:
    """A model's behavioral-test report and the run that recorded it."""

    version: ModelVersion
    report: BehaviorReport
    run_id: str

    def summary(self) -> str:
        """One line per failing test: its failure rate against its threshold."""
        return "; ".join(
            f"{o.name}: {o.failure_rate:.0%} failed (allowed {o.max_failure_rate:.0%})"
            for o in self.report.failed
        )


def gates(project: Project, alias: str) -> bool:
    """Whether promoting to ``alias`` requires the behavioral tests to pass."""
    checks = project.config.checks
    return checks is not None and alias in checks.gate


def check_model(project: Project, store: Store, ref: str) -> ModelCheck:
    """Run the project's behavioral tests (``checks.file``) against model ``ref`` and record the run.

    Raises
    ------
    ProjectFileError
        The project has no ``checks:`` section, or its tests file defines no test.
    """
    checks = project.config.checks
    if checks is None:
        raise ProjectFileError(
            f"{project.file}: no checks: section; add `checks: {{file: tests.py}}` to run behavioral tests"
        )
    tests = collect_behavior_tests(import_project_module(project.path(checks.file)))
    if not tests:
        raise ProjectFileError(f"{project.path(checks.file)} defines no behavioral test")
    version = get_version(store, ref)
    package = load_package(store, version.object_id)
    with store.runs.recording(
        "behavior_check",
        params={"file": checks.file, "seed": checks.seed, "thresholds": dict(checks.thresholds)},
        inputs={"model": version.object_id},
    ) as run:
        report = run_behavior_tests(package, tests, seed=checks.seed, thresholds=checks.thresholds)
        run.outputs["behavior_report"] = store.put(
            "behavior_report", data=canonical_json(report.to_dict()).encode("utf-8")
        )
        run.metrics.update(
            passed=report.passed,
            failed=[o.name for o in report.failed],
            failure_rates={o.name: o.failure_rate for o in report.outcomes},
        )
    return ModelCheck(version, report, run.id)
