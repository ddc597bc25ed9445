"""Stage 1b, validate: every snapshot checked against the project's constraints file.

Runs right after ingest, before any LF sees the data. The constraints come from the
file ``validation.constraints`` names (``constraints.yaml``); a project without one
gets it inferred from its first snapshot and written into the project folder, with a
header saying so, for the user to edit. The check is a cached run of kind
``validate`` keyed by the snapshots and the rules' content hash (an edited file is a
new key; a reworded comment is not), whose output is the report as JSON.

The run records what the data is like, so it succeeds even when the data breaks a
hard rule; the *pipeline* then stops with :class:`~headrace.errors.DataValidationError`
before labeling, so nothing is trained or registered from such data. Soft violations
go into ``report.html`` and the command's output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from headrace import __version__
from headrace.data import (
    Constraints,
    ValidationReport,
    Violation,
    check_constraints,
    infer_constraints,
    load_constraints,
    read_sources,
    require_constraints,
    resolve_sources,
    write_constraints,
)
from headrace.errors import DataValidationError, ProjectFileError
from headrace.pipeline.context import PipelineContext
from headrace.pipeline.ingest import IngestOutput
from headrace.project import Project, load_project
from headrace.store import ActiveRun, RunRecord, canonical_json

__all__ = [
    "DataValidation",
    "infer_project_constraints",
    "validate_project",
    "validate_snapshots",
]

#: Hard violations listed in the error that stops a run; the rest are counted.
_MAX_LISTED = 12


@dataclass(frozen=True)
class DataValidation:
    """The check of a project's data: one report per snapshot (or file), and the rules' file."""

    constraints_file: Path
    constraints_key: str
    reports: tuple[ValidationReport, ...]
    #: The constraints file was written (inferred) by this call.
    inferred: bool = False

    @property
    def hard(self) -> list[Violation]:
        return [v for report in self.reports for v in report.hard]

    @property
    def soft(self) -> list[Violation]:
        return [v for report in self.reports for v in report.soft]

    @property
    def ok(self) -> bool:
        """No hard violation anywhere."""
        return not self.hard

    def to_dict(self) -> dict[str, Any]:
        return {
            "constraints": str(self.constraints_file),
            "constraints_key": self.constraints_key,
            "inferred": self.inferred,
            "ok": self.ok,
            "hard": len(self.hard),
            "soft": len(self.soft),
            "reports": [r.to_dict() for r in self.reports],
        }

    def error(self) -> DataValidationError:
        """The error that stops a command on hard violations, listing them with counts and examples."""
        hard = self.hard
        lines = [
            f"data validation: {len(hard)} hard violation(s) of {self.constraints_file.name}; "
            "nothing was labeled, trained or registered"
        ]
        lines += [f"  - {v.describe()}" for v in hard[:_MAX_LISTED]]
        if len(hard) > _MAX_LISTED:
            lines.append(f"  … and {len(hard) - _MAX_LISTED} more (headrace validate --json lists them all)")
        lines.append(
            f"Fix the data, or edit {self.constraints_file} (severity: soft reports a rule without "
            "stopping the run) and run again."
        )
        return DataValidationError("\n".join(lines))


def validate_snapshots(ctx: PipelineContext, data: IngestOutput) -> DataValidation | None:
    """Check the pool and the gold sets against the constraints (inferring them first if needed).

    Returns ``None`` when the project turned validation off (``validation.enabled``).

    Raises
    ------
    DataValidationError
        A snapshot breaks a hard rule; the message lists each with counts and examples.
    ProjectFileError
        The constraints file does not load.
    """
    project = ctx.project
    settings = project.config.validation
    if not settings.enabled:
        return None
    path = project.path(settings.constraints)
    inferred = not path.is_file()
    if inferred:
        constraints = _infer(project, data.unlabeled.table)
        files = ", ".join(project.config.data.unlabeled_patterns)
        source = f"snapshot {data.unlabeled.id[:12]} of {files}"
        write_constraints(path, constraints, header=_header(project, source, data.unlabeled.num_rows))
    else:
        constraints = load_constraints(path)
    targets = {"unlabeled": data.unlabeled, "gold_dev": data.gold_dev, "gold_test": data.gold_test}
    snapshots = {role: s for role, s in targets.items() if s is not None}
    labels = _source_labels(project)
    params = {"constraints": constraints.key, "sources": {role: labels[role] for role in snapshots}}

    def compute(run: ActiveRun) -> None:
        reports = [
            check_constraints(snapshot.table, constraints, source=labels[role])
            for role, snapshot in snapshots.items()
        ]
        document = {role: report.to_dict() for role, report in zip(snapshots, reports, strict=True)}
        run.outputs["validation_report"] = ctx.store.put(
            "validation_report", data=canonical_json(document).encode("utf-8")
        )
        hard = [v for r in reports for v in r.hard]
        soft = [v for r in reports for v in r.soft]
        run.metrics.update(
            passed=not hard,
            hard=len(hard),
            soft=len(soft),
            rows={role: report.rows for role, report in zip(snapshots, reports, strict=True)},
            rules=sum(r.rules for r in reports),
            violations=sorted({f"{v.column}.{v.rule}" for v in [*hard, *soft]}),
        )

    def detail(record: RunRecord, _cached: bool) -> dict[str, Any]:
        return {"hard": record.metrics["hard"], "soft": record.metrics["soft"], "inferred": inferred}

    record = ctx.run_stage(
        "validate",
        inputs={role: s.id for role, s in snapshots.items()},
        params=params,
        compute=compute,
        detail=detail,
    )
    document = json.loads(ctx.store.objects.read_bytes(record.outputs["validation_report"]))
    validation = DataValidation(
        constraints_file=path,
        constraints_key=constraints.key,
        reports=tuple(ValidationReport.from_dict(document[role]) for role in snapshots),
        inferred=inferred,
    )
    if not validation.ok:
        raise validation.error()
    return validation


def validate_project(root: Path | str) -> DataValidation:
    """Check the project's current data files against its constraints, without running anything.

    What ``headrace validate`` shows: the files ``data.unlabeled`` and ``data.gold``
    (dev, test) name, read as ``headrace run`` would read them, each checked.

    Raises
    ------
    ProjectFileError
        No constraints file yet (``headrace validate --infer`` writes one), or it does not load.
    DataError
        A data file cannot be read.
    """
    project = load_project(root)
    constraints = require_constraints(project)
    path = project.path(project.config.validation.constraints)
    labels = _source_labels(project)
    reports = tuple(
        check_constraints(table, constraints, source=labels[role])
        for role, table in _read_data(project).items()
    )
    return DataValidation(path, constraints.key, reports)


def infer_project_constraints(root: Path | str, *, overwrite: bool = False) -> tuple[Path, Constraints]:
    """Infer constraints from the unlabeled data files and write them (``headrace validate --infer``).

    Raises
    ------
    ProjectFileError
        The constraints file exists and ``overwrite`` is false (its edits would be lost).
    """
    project = load_project(root)
    path = project.path(project.config.validation.constraints)
    if path.is_file() and not overwrite:
        raise ProjectFileError(
            f"{path} already exists; pass --overwrite to replace it with freshly inferred rules "
            "(edits made to it are lost)"
        )
    table = _read_data(project, roles=("unlabeled",))["unlabeled"]
    source = ", ".join(project.config.data.unlabeled_patterns)
    constraints = _infer(project, table)
    write_constraints(path, constraints, header=_header(project, source, table.num_rows))
    return path, constraints


def _infer(project: Project, table: pa.Table) -> Constraints:
    config = project.config
    return infer_constraints(table, id_column=config.data.id, features=config.train.features)


def _header(project: Project, source: str, rows: int) -> str:
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    return (
        f"Data constraints of project {project.config.name!r}, inferred by headrace {__version__}\n"
        f"on {today} from {source} ({rows} rows). Edit freely: `headrace run` checks\n"
        "every new snapshot against these rules, `headrace monitor` the served traffic, and\n"
        "`headrace validate` the data files. A broken hard rule stops the run (and is a\n"
        "monitoring breach); a broken soft one is reported.\n"
        "Rules per column: type, required, unique, nulls {max_rate}, range {min, max},\n"
        "categories {values}, length {min, max}; each with severity: hard | soft, and the\n"
        "per-row ones with tolerance: the share of rows that may break them (default 0).\n"
        "`headrace validate --infer --overwrite` infers the file again."
    )


def _source_labels(project: Project) -> dict[str, str]:
    data = project.config.data
    labels = {"unlabeled": f"unlabeled ({', '.join(data.unlabeled_patterns)})"}
    if data.gold is not None:
        for role, pattern in (("gold_dev", data.gold.dev), ("gold_test", data.gold.test)):
            if pattern is not None:
                labels[role] = f"{role} ({pattern})"
    return labels


def _read_data(
    project: Project, roles: tuple[str, ...] = ("unlabeled", "gold_dev", "gold_test")
) -> dict[str, pa.Table]:
    data = project.config.data
    patterns: dict[str, list[str]] = {"unlabeled": data.unlabeled_patterns}
    if data.gold is not None:
        for role, pattern in (("gold_dev", data.gold.dev), ("gold_test", data.gold.test)):
            if pattern is not None:
                patterns[role] = [pattern]
    tables: dict[str, pa.Table] = {}
    for role, found in patterns.items():
        if role not in roles:
            continue
        key = "data.unlabeled" if role == "unlabeled" else f"data.gold.{role[5:]}"
        table = read_sources(resolve_sources(project.root, found, key=key))
        if role != "unlabeled" and data.gold is not None and data.gold.label in table.column_names:
            # As ingest does: the gold label is not data, it becomes the __gold__ column.
            table = table.drop_columns([data.gold.label])
        tables[role] = table
    return tables
