"""The monitoring page: drift per feature over windows, estimated vs realized accuracy, alerts.

Every ``headrace monitor`` is a run of kind ``monitor`` whose output ``monitor_report``
is the JSON of ``MonitorResult.to_dict()``; the page reads one report (the newest, or
the one asked for) and the metrics of the latest monitor runs for the alert history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from headrace.store import RunStatus, Store
from headrace.store.schema import RunObject
from headrace.ui import charts
from headrace.ui.cache import ObjectCache
from headrace.ui.queries import RunFilter, RunSummary, registered_versions, run_page

__all__ = ["AlertEntry", "MonitoringView", "OpenAlerts", "monitoring_view", "open_alerts"]

#: Monitor runs listed in the alert history.
HISTORY_LIMIT = 100


@dataclass(frozen=True)
class AlertEntry:
    """One monitor check: when, on which model, what it breached."""

    run_id: str
    checked_at: datetime
    model_version: int | None
    breaches: list[str]
    windows: int | None
    rows: int | None
    estimated_accuracy: float | None


@dataclass(frozen=True)
class OpenAlerts:
    """The breaches of the newest monitor run (what is wrong now)."""

    run_id: str
    checked_at: datetime
    model: dict[str, Any]
    breaches: list[dict[str, Any]]


@dataclass(frozen=True)
class MonitoringView:
    """The chosen monitor run's report and figures, and the history of checks."""

    run: RunSummary | None
    report: dict[str, Any] | None
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    drift_rows: list[dict[str, Any]] = field(default_factory=list)
    slice_rows: list[dict[str, Any]] = field(default_factory=list)
    history: list[AlertEntry] = field(default_factory=list)


def _report(store: Store, cache: ObjectCache, run_id: str) -> dict[str, Any] | None:
    run = store.runs.get(run_id)
    object_id = run.outputs.get("monitor_report")
    if object_id is None:
        return None
    report = cache.json(object_id)
    return report if isinstance(report, dict) else None


def _model_versions(store: Store, run_ids: list[str]) -> dict[str, int]:
    if not run_ids:
        return {}
    with store.session() as session:
        edges = session.execute(
            select(RunObject.run_id, RunObject.object_id).where(
                RunObject.run_id.in_(run_ids), RunObject.direction == "in", RunObject.role == "model"
            )
        ).all()
    versions = registered_versions(store, [str(oid) for _, oid in edges])
    return {str(rid): versions[str(oid)] for rid, oid in edges if str(oid) in versions}


def _history(store: Store) -> list[AlertEntry]:
    runs = run_page(
        store, RunFilter(kind="monitor", status=RunStatus.SUCCEEDED), offset=0, limit=HISTORY_LIMIT
    ).runs
    versions = _model_versions(store, [r.id for r in runs])
    entries = []
    for run in runs:
        metrics = run.metrics
        accuracy = metrics.get("estimated_accuracy")
        entries.append(
            AlertEntry(
                run_id=run.id,
                checked_at=run.started_at,
                model_version=versions.get(run.id),
                breaches=[str(b) for b in metrics.get("breaches") or []],
                windows=metrics.get("windows"),
                rows=metrics.get("rows"),
                estimated_accuracy=None if accuracy is None else float(accuracy),
            )
        )
    return entries


def monitoring_view(store: Store, cache: ObjectCache, run_id: str | None = None) -> MonitoringView:
    """The report of monitor run ``run_id`` (default: the newest), its figures, and the check history.

    Raises
    ------
    NotFoundError
        ``run_id`` names no run.
    """
    history = _history(store)
    if run_id is None:
        if not history:
            return MonitoringView(run=None, report=None, history=history)
        run_id = history[0].run_id
    record = store.runs.get(run_id)
    run = run_page(store, RunFilter(id_prefix=record.id), offset=0, limit=1).runs[0]
    report = _report(store, cache, record.id)
    if report is None:
        return MonitoringView(run=run, report=None, history=history)
    windows = list(report.get("windows") or [])
    figures: dict[str, dict[str, Any]] = {}
    if windows:
        figures["accuracy"] = charts.accuracy_figure(windows, report.get("baseline_accuracy"))
        drift = charts.drift_figure(windows)
        if drift is not None:
            figures["drift"] = drift
        estimate = windows[-1].get("estimate") or {}
        coverage = charts.coverage_figure(
            report.get("reference_lf_coverage") or {}, estimate.get("lf_coverage") or {}
        )
        if coverage is not None:
            figures["coverage"] = coverage
    return MonitoringView(
        run=run,
        report=report,
        figures=figures,
        drift_rows=_drift_rows(windows[-1]) if windows else [],
        slice_rows=_slice_rows(windows[-1]) if windows else [],
        history=history,
    )


def _drift_rows(window: dict[str, Any]) -> list[dict[str, Any]]:
    drift = window.get("drift")
    if not drift:
        return []
    rows = [dict(test) for column in drift.get("columns", []) for test in column.get("tests", [])]
    if drift.get("multivariate"):
        rows.append(dict(drift["multivariate"]))
    rows += [dict(test) for test in (drift.get("prediction") or {}).get("tests", [])]
    return rows


def _slice_rows(window: dict[str, Any]) -> list[dict[str, Any]]:
    realized = window.get("realized") or {}
    return [{"slice": name, **figures} for name, figures in (realized.get("slices") or {}).items()]


def open_alerts(store: Store, cache: ObjectCache) -> OpenAlerts | None:
    """The breaches of the newest succeeded monitor run; ``None`` when nothing was ever monitored."""
    runs = run_page(store, RunFilter(kind="monitor", status=RunStatus.SUCCEEDED), offset=0, limit=1).runs
    if not runs:
        return None
    report = _report(store, cache, runs[0].id) or {}
    return OpenAlerts(
        run_id=runs[0].id,
        checked_at=runs[0].started_at,
        model=dict(report.get("model") or {}),
        breaches=[dict(b) for b in report.get("breaches") or []],
    )
