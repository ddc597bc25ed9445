"""The labeling-functions pages: the summary table, one LF's rows, and its versions.

Nothing here applies an LF. The table is computed from what the newest ``label`` run
stored — its label matrices, the gold dev snapshot, the label model fitted on the
matrix (learned accuracies) and the ``lf_apply`` runs (failures, seconds) — so a page
costs a few reads of immutable objects, whatever the LFs cost to run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

from headrace.data import GOLD_COLUMN
from headrace.errors import NotFoundError
from headrace.store import ObjectInfo, RunRecord, Store
from headrace.supervision import ABSTAIN, LabelMatrix, lf_summary
from headrace.ui.cache import ObjectCache
from headrace.ui.queries import (
    consumer_runs,
    lf_apply_metrics,
    lf_apply_runs_per_version,
    lf_versions,
    newest_run,
)

__all__ = [
    "LF_COLUMNS",
    "LabelingContext",
    "LfDetail",
    "LfRow",
    "LfTable",
    "LfVersion",
    "SampleRow",
    "labeling_context",
    "lf_detail",
    "lf_table",
]

#: Sortable columns of the summary table, with their headers.
LF_COLUMNS: dict[str, str] = {
    "name": "LF",
    "coverage": "coverage",
    "overlaps": "overlaps",
    "conflicts": "conflicts",
    "emp_accuracy": "accuracy (gold)",
    "gold_votes": "gold votes",
    "learned_accuracy": "accuracy (learned)",
    "failures": "failures",
    "seconds": "seconds",
}

#: Longest cell text shown for a data value.
MAX_CELL_CHARS = 240


@dataclass(frozen=True)
class LabelingContext:
    """The newest label run and the objects it read and wrote."""

    run: RunRecord
    matrix_id: str
    matrix: LabelMatrix
    snapshot_id: str
    lf_objects: dict[str, str]
    classes: list[str]
    label_model_run: RunRecord | None
    dev_matrix: LabelMatrix | None
    gold: np.ndarray[Any, np.dtype[np.int64]] | None

    def class_name(self, vote: int) -> str:
        if vote == ABSTAIN:
            return "abstain"
        return self.classes[vote] if 0 <= vote < len(self.classes) else str(vote)


@dataclass(frozen=True)
class LfRow:
    """One LF's line of the summary table."""

    name: str
    object_id: str | None
    polarity: list[str]
    values: dict[str, float | int | None]


@dataclass(frozen=True)
class LfTable:
    """The summary table of the newest label run."""

    context: LabelingContext
    rows: list[LfRow]
    sort: str
    descending: bool
    label_model: str | None


@dataclass(frozen=True)
class SampleRow:
    """A data row shown under an LF: its id, its values, and the votes cast on it."""

    row_id: str
    values: dict[str, str]
    votes: dict[str, str]
    disagreeing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LfVersion:
    """One stored version of an LF (its source changed, so its key did)."""

    object_id: str
    created_at: datetime
    key: str
    source_hash: str
    applied_runs: int
    last_applied: datetime | None
    coverage: float | None
    current: bool


@dataclass(frozen=True)
class LfDetail:
    """One LF: its summary line, its source, rows it fires on, rows where LFs disagree, versions."""

    name: str
    summary: LfRow | None
    source: str | None
    columns: list[str]
    fires: list[SampleRow]
    fires_total: int
    disagreements: list[SampleRow]
    disagreements_total: int
    history: list[LfVersion]
    context: LabelingContext | None
    failure_examples: list[dict[str, str]]


def labeling_context(store: Store, cache: ObjectCache) -> LabelingContext | None:
    """What the newest succeeded label run used and produced; ``None`` before the first run."""
    newest = newest_run(store, "label")
    if newest is None:
        return None
    run = store.runs.get(newest.id)
    matrix_id = run.outputs["label_matrix"]
    matrix = cache.label_matrix(matrix_id)
    fitted, _ = consumer_runs(store, matrix_id, limit=1, kind="label_model")
    label_model_run = store.runs.get(fitted[0][0].id) if fitted else None
    classes = [str(c) for c in (label_model_run.params.get("classes") or [])] if label_model_run else []
    if len(classes) != matrix.cardinality:
        classes = [str(k) for k in range(matrix.cardinality)]
    dev_matrix = gold = None
    if "label_matrix_dev" in run.outputs and "gold_dev" in run.inputs:
        dev_matrix = cache.label_matrix(run.outputs["label_matrix_dev"])
        gold_table = cache.snapshot(run.inputs["gold_dev"])
        if GOLD_COLUMN in gold_table.column_names:
            gold = np.asarray(gold_table.column(GOLD_COLUMN).to_numpy(), dtype=np.int64)
        else:
            dev_matrix = None
    return LabelingContext(
        run=run,
        matrix_id=matrix_id,
        matrix=matrix,
        snapshot_id=run.inputs["snapshot"],
        lf_objects={
            role.removeprefix("lf:"): oid for role, oid in run.inputs.items() if role.startswith("lf:")
        },
        classes=classes,
        label_model_run=label_model_run,
        dev_matrix=dev_matrix,
        gold=gold,
    )


def _finite(value: Any) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    number = float(value)
    return number if math.isfinite(number) else None


def _rows(context: LabelingContext, store: Store) -> list[LfRow]:
    names = context.matrix.lf_names
    applied = lf_apply_metrics(store, list(context.lf_objects.values()), context.snapshot_id)
    by_name = {name: applied.get(oid, {}) for name, oid in context.lf_objects.items()}
    learned = None
    if context.label_model_run is not None:
        accuracies = context.label_model_run.metrics.get("learned_accuracy")
        if isinstance(accuracies, list) and len(accuracies) == len(names):
            learned = accuracies
    table = lf_summary(
        context.matrix,
        gold_matrix=context.dev_matrix,
        gold=context.gold,
        learned_accuracy=learned,
        failures={n: int(m.get("failures", 0)) for n, m in by_name.items()},
        seconds={n: float(m.get("seconds", 0.0)) for n, m in by_name.items()},
    )
    rows = []
    for name, record in zip(table.index, table.to_dict(orient="records"), strict=True):
        values = {column: _finite(record.get(column)) for column in LF_COLUMNS if column != "name"}
        rows.append(
            LfRow(
                name=str(name),
                object_id=context.lf_objects.get(str(name)),
                polarity=[context.class_name(int(v)) for v in record["polarity"]],
                values=values,
            )
        )
    return rows


def lf_table(
    store: Store, cache: ObjectCache, *, sort: str = "name", descending: bool = False
) -> LfTable | None:
    """The LF summary of the newest label run, sorted by ``sort``; ``None`` before any label run.

    Missing values (no gold, no learned accuracy) sort last either way.
    """
    if sort not in LF_COLUMNS:
        raise ValueError(f"sort must be one of {sorted(LF_COLUMNS)}, got {sort!r}")
    context = labeling_context(store, cache)
    if context is None:
        return None
    rows = _rows(context, store)
    if sort == "name":
        rows.sort(key=lambda r: r.name, reverse=descending)
    else:
        present = [r for r in rows if r.values.get(sort) is not None]
        missing = [r for r in rows if r.values.get(sort) is None]
        present.sort(key=lambda r: (float(r.values[sort] or 0.0), r.name), reverse=descending)
        rows = present + missing
    label_model = (
        None if context.label_model_run is None else context.label_model_run.metrics.get("label_model")
    )
    return LfTable(context, rows, sort, descending, None if label_model is None else str(label_model))


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def _samples(
    context: LabelingContext, table: pa.Table, rows: np.ndarray[Any, np.dtype[np.intp]], j: int | None
) -> list[SampleRow]:
    if not len(rows):
        return []
    id_column = str(context.run.params.get("id") or table.column_names[0])
    picked = table.take(pa.array(rows)).to_pylist()
    L = context.matrix.values
    names = context.matrix.lf_names
    samples = []
    for index, record in zip(rows, picked, strict=True):
        votes = {names[k]: context.class_name(int(v)) for k, v in enumerate(L[index]) if v != ABSTAIN}
        disagreeing = []
        if j is not None:
            mine = L[index, j]
            disagreeing = [names[k] for k, v in enumerate(L[index]) if v != ABSTAIN and v != mine]
        samples.append(
            SampleRow(
                row_id=_cell(record.get(id_column)),
                values={k: _cell(v) for k, v in record.items() if k != id_column},
                votes=votes,
                disagreeing=disagreeing,
            )
        )
    return samples


def _history(store: Store, name: str, current: str | None) -> list[LfVersion]:
    versions: list[ObjectInfo] = lf_versions(store, name)
    ids = [v.id for v in versions]
    applied = lf_apply_runs_per_version(store, ids)
    metrics = lf_apply_metrics(store, ids)
    history = []
    for info in versions:
        count, last = applied.get(info.id, (0, None))
        coverage = metrics.get(info.id, {}).get("coverage")
        history.append(
            LfVersion(
                object_id=info.id,
                created_at=info.created_at,
                key=str(info.meta.get("key", "")),
                source_hash=str(info.meta.get("source_hash", "")),
                applied_runs=count,
                last_applied=last,
                coverage=None if coverage is None else float(coverage),
                current=info.id == current,
            )
        )
    return history


def lf_detail(
    store: Store,
    cache: ObjectCache,
    name: str,
    *,
    limit: int = 20,
    fires_offset: int = 0,
    conflicts_offset: int = 0,
) -> LfDetail:
    """Rows LF ``name`` fires on and rows where it and another LF disagree, with its versions.

    Raises
    ------
    NotFoundError
        No LF of that name was ever stored.
    """
    context = labeling_context(store, cache)
    in_latest = context is not None and name in context.matrix.lf_names
    history = _history(store, name, None if context is None else context.lf_objects.get(name))
    if not in_latest and not history:
        known = [] if context is None else sorted(context.matrix.lf_names)
        raise NotFoundError(
            f"no labeling function named {name!r} in this store; the newest label run has {known}"
        )
    if context is None or not in_latest:
        return LfDetail(
            name=name,
            summary=None,
            source=_source(cache, history[0].object_id if history else None),
            columns=[],
            fires=[],
            fires_total=0,
            disagreements=[],
            disagreements_total=0,
            history=history,
            context=context,
            failure_examples=[],
        )
    j = context.matrix.lf_names.index(name)
    L = context.matrix.values
    table = cache.snapshot(context.snapshot_id)
    fires = np.flatnonzero(L[:, j] != ABSTAIN)
    others = np.delete(L[fires], j, axis=1)
    conflicts = fires[((others != ABSTAIN) & (others != L[fires, j][:, None])).any(axis=1)]
    summary = next((row for row in _rows(context, store) if row.name == name), None)
    object_id = context.lf_objects.get(name)
    applied = lf_apply_metrics(store, [object_id], context.snapshot_id) if object_id else {}
    examples = list((applied.get(object_id or "", {}) or {}).get("failure_examples") or [])
    id_column = str(context.run.params.get("id") or table.column_names[0])
    return LfDetail(
        name=name,
        summary=summary,
        source=_source(cache, object_id),
        columns=[c for c in table.column_names if c != id_column],
        fires=_samples(context, table, fires[fires_offset : fires_offset + limit], j),
        fires_total=len(fires),
        disagreements=_samples(context, table, conflicts[conflicts_offset : conflicts_offset + limit], j),
        disagreements_total=len(conflicts),
        history=history,
        context=context,
        failure_examples=[{"row": str(e.get("row")), "error": str(e.get("error"))} for e in examples],
    )


def _source(cache: ObjectCache, object_id: str | None) -> str | None:
    if object_id is None:
        return None
    spec = cache.json(object_id)
    return str(spec.get("source")) if isinstance(spec, dict) and spec.get("source") else None
