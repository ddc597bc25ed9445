"""The overview page: the project, its latest runs, the production model and open alerts."""

from __future__ import annotations

from dataclasses import dataclass

from headrace.errors import NotFoundError
from headrace.registry import ModelVersion, get_version
from headrace.store import Store
from headrace.ui.cache import ObjectCache
from headrace.ui.models import KEY_METRICS
from headrace.ui.monitoring import OpenAlerts, open_alerts
from headrace.ui.queries import RunFilter, RunSummary, run_counts, run_page

__all__ = ["Overview", "overview"]

#: Top-level runs listed on the overview.
LATEST_RUNS = 10

#: One run per LF and snapshot: dozens at a time, so the overview leaves them to the run list.
PER_LF_KINDS = ("lf_apply", "monitor_lf_apply")


@dataclass(frozen=True)
class Overview:
    """What the first page shows."""

    project: str
    alias: str
    model: ModelVersion | None
    key_metrics: dict[str, float | None]
    latest: list[RunSummary]
    counts: dict[str, int]
    alerts: OpenAlerts | None


def overview(store: Store, cache: ObjectCache, *, project: str, alias: str) -> Overview:
    """The overview of ``project``; ``alias`` is the served model's alias (``serve.model``)."""
    try:
        model: ModelVersion | None = get_version(store, alias)
    except NotFoundError:
        model = None
    metrics = {} if model is None else model.metrics
    key_metrics = {
        name: float(metrics[name]) if isinstance(metrics.get(name), (int, float)) else None
        for name in KEY_METRICS
    }
    latest = run_page(
        store, RunFilter(top_level=True, exclude_kinds=PER_LF_KINDS), offset=0, limit=LATEST_RUNS
    ).runs
    return Overview(project, alias, model, key_metrics, latest, run_counts(store), open_alerts(store, cache))
