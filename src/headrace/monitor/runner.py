"""``headrace monitor``: every window of a served model's traffic, checked.

For each window of the prediction log (the most recent ``last`` of them):

* **drift** — every feature, the model's outputs and all features together, against
  the reference profile built at training time (DuckDB over the log's Parquet files);
* **label-free performance** — the project's LFs (cached per LF) and the model's own
  label model estimate accuracy and F1, with per-LF coverage against training;
* **realized performance** — where ground truth arrived (``headrace feedback``),
  accuracy and F1, overall and per slice;
* **data validation** — the window's inputs against the project's constraints file
  (a hard violation in the checked window is a breach, soft ones are notes).

The latest window with at least ``monitor.min_rows`` rows is checked against the
thresholds of the project file; the whole result is one recorded run (kind
``monitor``) whose report object is JSON.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from headrace.data import Constraints, ValidationReport, check_constraints, project_constraints
from headrace.engines import Engine, make_engine
from headrace.errors import NotFoundError
from headrace.monitor.alerts import Breach, WindowFigures, check_window
from headrace.monitor.context import MonitoredModel, find_reference_profile, load_monitored_model
from headrace.monitor.current import CurrentSummary, summarize_log
from headrace.monitor.drift import DriftReport, detect_drift
from headrace.monitor.estimate import PerformanceEstimate, apply_lfs_to_log, estimate_performance
from headrace.monitor.logdata import LogWindow, connect, list_windows, log_source, parse_window, read_log_rows
from headrace.monitor.profile import ReferenceProfile
from headrace.monitor.realized import RealizedMetrics, realized_metrics
from headrace.project import Project
from headrace.serve.feedback import FEEDBACK_DIRNAME, feedback_source
from headrace.serve.predlog import PREDICTIONS_DIRNAME
from headrace.store import Store
from headrace.store.hashing import canonical_json
from headrace.supervision import apply_slices

__all__ = ["MonitorResult", "WindowResult", "run_monitor"]

#: Rows of a window read into Python (LFs, slices); larger windows are sampled.
MAX_WINDOW_ROWS = 100_000


@dataclass(frozen=True)
class WindowResult:
    """What one window showed."""

    window: LogWindow
    drift: DriftReport | None
    estimate: PerformanceEstimate | None
    realized: RealizedMetrics | None
    lf_coverage_change: dict[str, float]
    sampled_rows: int
    #: The window's summary against the reference profile (for the report's plots).
    summary: CurrentSummary | None = field(default=None, repr=False, compare=False)
    #: The window's inputs checked against the project's constraints (``None``: none to check).
    validation: ValidationReport | None = None

    def figures(self) -> WindowFigures:
        drift = self.drift
        return WindowFigures(
            drift_share=None if drift is None else drift.share_drifted,
            drifted_columns=() if drift is None else tuple(drift.drifted_columns),
            multivariate_drift=None
            if drift is None or drift.multivariate is None
            else drift.multivariate.drifted,
            prediction_drift=None if drift is None else drift.prediction_drifted,
            estimated_accuracy=None if self.estimate is None else self.estimate.accuracy,
            realized_accuracy=None if self.realized is None else self.realized.accuracy,
            realized_rows=0 if self.realized is None else self.realized.labelled,
            lf_coverage_change=self.lf_coverage_change,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window.to_dict(),
            "sampled_rows": self.sampled_rows,
            "drift": None if self.drift is None else self.drift.to_dict(),
            "estimate": None if self.estimate is None else self.estimate.to_dict(),
            "realized": None if self.realized is None else self.realized.to_dict(),
            "lf_coverage_change": self.lf_coverage_change,
            "validation": None if self.validation is None else self.validation.to_dict(),
        }


@dataclass(frozen=True)
class MonitorResult:
    """Every window, the breaches of the checked one, and where the report object is."""

    run_id: str
    model: dict[str, Any]
    window_spec: str
    windows: list[WindowResult]
    checked: int | None
    breaches: list[Breach]
    baseline_accuracy: float | None
    reference_coverage: dict[str, float]
    notes: list[str] = field(default_factory=list)
    profile: ReferenceProfile | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.breaches

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "model": self.model,
            "window": self.window_spec,
            "checked_window": self.checked,
            "ok": self.ok,
            "breaches": [b.to_dict() for b in self.breaches],
            "baseline_accuracy": self.baseline_accuracy,
            "reference_lf_coverage": self.reference_coverage,
            "notes": self.notes,
            "windows": [w.to_dict() for w in self.windows],
        }


def run_monitor(
    project: Project,
    store: Store,
    *,
    ref: str | None = None,
    window: str | None = None,
    last: int = 12,
    engine: Engine | None = None,
    progress: Callable[[str], None] | None = None,
) -> MonitorResult:
    """Monitor the model ``ref`` (default: ``serve.model``) over its logged traffic.

    ``engine`` runs the project's LFs on logged rows; by default the one the project
    file's ``engine`` section names, started for this call and stopped after it.

    Raises
    ------
    NotFoundError
        No such model, or nothing logged for it yet.
    DataError
        A bad window spec, or a log that cannot be read.
    """
    config = project.config
    if engine is None:
        settings = config.engine
        with closing(make_engine(settings.kind, workers=settings.workers, address=settings.address)) as owned:
            return run_monitor(
                project, store, ref=ref, window=window, last=last, engine=owned, progress=progress
            )
    spec = window or config.monitor.window
    length = parse_window(spec)
    monitored = load_monitored_model(project, store, ref or config.serve.model)
    model_id = monitored.version.object_id
    source = log_source(store.root / PREDICTIONS_DIRNAME, model_id)
    if source is None:
        raise NotFoundError(
            f"nothing is logged for model v{monitored.version.version} yet: serve it (headrace serve) "
            "or predict with it, then monitor"
        )
    notes: list[str] = []
    profile_id = find_reference_profile(store, model_id)
    profile = None
    if profile_id is None:
        notes.append("no reference profile for this model (trained before profiles existed): drift skipped")
    else:
        profile = ReferenceProfile.from_bytes(store.objects.read_bytes(profile_id))
    if monitored.label_model is None:
        notes.append("the model's label model is not in the store: label-free estimates skipped")
    if monitored.missing_lfs:
        notes.append(
            f"LFs the label model was fitted with are gone from the project: {monitored.missing_lfs}"
        )
    constraints = project_constraints(project)
    if constraints is None and config.validation.enabled:
        notes.append("no constraints file yet: traffic not validated (headrace validate --infer writes one)")
    connection = connect()
    windows = list_windows(connection, source, length)[-last:]
    feedback = feedback_source(store.root / FEEDBACK_DIRNAME)
    inputs = (
        {"model": model_id} if profile_id is None else {"model": model_id, "reference_profile": profile_id}
    )
    with store.runs.recording("monitor", params={"window": spec, "last": last}, inputs=inputs) as run:
        results = []
        for log_window in windows:
            if progress is not None:
                progress(f"window {log_window.index + 1}/{len(windows)} ({log_window.rows} rows)")
            results.append(
                _window(
                    store,
                    connection,
                    source,
                    feedback,
                    monitored,
                    profile,
                    log_window,
                    engine=engine,
                    constraints=constraints,
                )
            )
        checked = next((w for w in reversed(results) if w.window.rows >= config.monitor.min_rows), None)
        breaches = []
        if checked is not None:
            breaches = check_window(
                checked.figures(), config.monitor.thresholds, baseline_accuracy=monitored.baseline_accuracy
            )
            breaches += _validation_breaches(checked.validation, notes)
        else:
            notes.append(
                f"no window holds monitor.min_rows = {config.monitor.min_rows} rows: nothing checked"
            )
        result = MonitorResult(
            run_id=run.id,
            model={
                "version": monitored.version.version,
                "model_id": model_id,
                "aliases": list(monitored.version.aliases),
                "classes": monitored.classes,
            },
            window_spec=spec,
            windows=results,
            checked=None if checked is None else checked.window.index,
            breaches=breaches,
            baseline_accuracy=monitored.baseline_accuracy,
            reference_coverage=monitored.reference_coverage,
            notes=notes,
            profile=profile,
        )
        run.outputs["monitor_report"] = store.put(
            "monitor_report", data=canonical_json(_jsonable(result.to_dict())).encode("utf-8")
        )
        latest = results[-1] if results else None
        run.metrics.update(
            windows=len(results),
            breaches=[b.check for b in breaches],
            rows=sum(w.window.rows for w in results),
            estimated_accuracy=None
            if latest is None or latest.estimate is None
            else latest.estimate.accuracy,
            drift_share=None if latest is None or latest.drift is None else latest.drift.share_drifted,
            checked_at=datetime.now(UTC).isoformat(),
        )
    return result


def _window(
    store: Store,
    connection: Any,
    source: str,
    feedback: str | None,
    monitored: MonitoredModel,
    profile: ReferenceProfile | None,
    window: LogWindow,
    *,
    engine: Engine | None,
    constraints: Constraints | None = None,
) -> WindowResult:
    classes = monitored.classes
    columns = monitored.package.columns
    rows = read_log_rows(
        connection,
        source,
        columns,
        where=window.where(),
        classes=classes,
        feedback=feedback,
        max_rows=MAX_WINDOW_ROWS if window.rows > MAX_WINDOW_ROWS else None,
    )
    drift = summary = None
    if profile is not None and window.rows:
        summary = _summarize(profile, store, monitored, window)
        drift = detect_drift(profile, summary)
    predicted_names = rows.column("label").to_pylist()
    predicted = np.array([classes.index(name) for name in predicted_names], dtype=np.int64)
    probabilities = np.stack([rows.column(f"probability_{c}").to_numpy() for c in classes], axis=1)
    estimate = None
    change: dict[str, float] = {}
    correct_probability = None
    if monitored.label_model is not None and rows.num_rows:
        votes, unavailable = _votes(store, monitored, rows, engine)
        estimate = estimate_performance(
            votes,
            predicted,
            monitored.label_model,
            lf_names=monitored.lf_names,
            positive=monitored.positive,
            model_probabilities=probabilities,
            unavailable=unavailable,
        )
        skip = set(unavailable) | set(monitored.missing_lfs)
        change = {
            name: estimate.lf_coverage[name] - monitored.reference_coverage[name]
            for name in monitored.lf_names
            if name not in skip and name in monitored.reference_coverage
        }
        posterior = np.asarray(monitored.label_model.predict_proba(votes), dtype=np.float64)
        covered = np.asarray((votes >= 0).any(axis=1), dtype=bool)
        posterior = np.where(covered[:, None], posterior, probabilities)
        correct_probability = posterior[np.arange(len(predicted)), predicted]
    realized = None
    if "true_label" in rows.column_names:
        masks = _slice_masks(monitored, rows)
        realized = realized_metrics(
            predicted_names,
            rows.column("true_label").to_pylist(),
            positive=None if monitored.positive is None else classes[monitored.positive],
            slices=masks,
            correct_probability=correct_probability,
        )
    validation = None
    if constraints is not None and rows.num_rows:
        validation = check_constraints(
            rows.select(["request_id", *columns]),
            constraints,
            source=f"window {window.index + 1} ({window.start:%Y-%m-%d %H:%M})",
            partial=True,
            id_column="request_id",
        )
    return WindowResult(window, drift, estimate, realized, change, rows.num_rows, summary, validation)


def _validation_breaches(report: ValidationReport | None, notes: list[str]) -> list[Breach]:
    """A breach per hard violation of the checked window; a note per soft one."""
    if report is None:
        return []
    notes += [f"data validation (soft): {v.describe()}" for v in report.soft]
    return [Breach("data_validation", float(v.count), 0.0, v.describe()) for v in report.hard]


def _summarize(
    profile: ReferenceProfile, store: Store, monitored: MonitoredModel, window: LogWindow
) -> CurrentSummary:
    folder = store.root / PREDICTIONS_DIRNAME / f"model={monitored.version.object_id}"
    # Count windows are cut by row number, which the file scan does not have: their
    # time span (ends included) selects the same rows bar ties at the boundaries.
    end = "<=" if window.first_row is not None else "<"
    condition = f"logged_at >= ? AND logged_at {end} ?"
    return summarize_log(profile, folder, where=condition, parameters=[window.start, window.end])


def _votes(
    store: Store, monitored: MonitoredModel, rows: pa.Table, engine: Engine | None
) -> tuple[np.ndarray[Any, np.dtype[np.int8]], list[str]]:
    available = [(j, lf) for j, lf in enumerate(monitored.lfs) if lf is not None]
    votes = np.full((rows.num_rows, len(monitored.lfs)), -1, dtype=np.int8)
    if not available:
        return votes, []
    table = rows.select(["request_id", *monitored.package.columns])
    found, unavailable = apply_lfs_to_log(
        store, [lf for _, lf in available], table, cardinality=len(monitored.classes), engine=engine
    )
    votes[:, [j for j, _ in available]] = found
    return votes, unavailable


def _slice_masks(monitored: MonitoredModel, rows: pa.Table) -> dict[str, np.ndarray[Any, np.dtype[np.bool_]]]:
    masks: dict[str, np.ndarray[Any, np.dtype[np.bool_]]] = {}
    table = rows.select(monitored.package.columns)
    for sf in monitored.slices:
        try:
            masks.update(apply_slices([sf], table))
        except Exception:
            # A slice reading a column the log does not hold cannot be evaluated on
            # traffic; it is left out rather than failing the whole check.
            continue
    return masks


def _jsonable(value: Any) -> Any:
    """NaN and infinities as ``None`` (JSON has neither), datetimes as ISO text."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return _jsonable(value.item())
    if isinstance(value, datetime):
        return value.isoformat()
    return value
