"""Read-only queries the dashboard needs beyond :class:`~headrace.store.RunLog`.

``RunLog`` answers one run at a time and returns every match; pages need a window
(offset, limit) and a count, filters, and set-based walks of the lineage graph that
stay cheap with tens of thousands of runs. Everything here reads the store's tables
directly and returns plain records.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import aliased

from headrace.store import ObjectInfo, RunStatus, Store
from headrace.store.schema import ModelVersionRow, ObjectRow, RunObject, RunRow

__all__ = [
    "RunFilter",
    "RunPage",
    "RunSummary",
    "child_runs",
    "consumer_runs",
    "downstream_models",
    "lf_apply_metrics",
    "lf_apply_runs_per_version",
    "lf_versions",
    "newest_run",
    "object_infos",
    "registered_versions",
    "run_counts",
    "run_kinds",
    "run_page",
]

#: How far forward a walk from an object looks for models (snapshot → labels → model is 4 hops).
MAX_WALK_DEPTH = 8


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (SQLite hands back naive ones)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RunSummary:
    """A run as a list shows it (no lineage edges: a page of runs costs one query)."""

    id: str
    kind: str
    status: str
    started_at: datetime
    duration_s: float | None
    error: str | None
    parent_id: str | None
    metrics: dict[str, Any]
    params: dict[str, Any]


@dataclass(frozen=True)
class RunFilter:
    """Which runs a list shows: by kind, status, id prefix, top-level only, kinds left out."""

    kind: str | None = None
    status: str | None = None
    id_prefix: str | None = None
    top_level: bool = False
    exclude_kinds: tuple[str, ...] = ()

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.kind:
            query = query.where(RunRow.kind == self.kind)
        if self.status:
            query = query.where(RunRow.status == self.status)
        if self.id_prefix:
            query = query.where(RunRow.id.startswith(self.id_prefix, autoescape=True))
        if self.top_level:
            query = query.where(RunRow.parent_id.is_(None))
        if self.exclude_kinds:
            query = query.where(RunRow.kind.not_in(self.exclude_kinds))
        return query


@dataclass(frozen=True)
class RunPage:
    """One page of a run list: the runs, how many match in all, and where the page starts."""

    runs: list[RunSummary]
    total: int
    offset: int
    limit: int


def _summary(row: RunRow) -> RunSummary:
    return RunSummary(
        id=row.id,
        kind=row.kind,
        status=row.status,
        started_at=utc(row.started_at),
        duration_s=row.duration_s,
        error=row.error,
        parent_id=row.parent_id,
        metrics=dict(row.metrics or {}),
        params=dict(row.params or {}),
    )


def run_page(store: Store, where: RunFilter, *, offset: int, limit: int) -> RunPage:
    """Runs matching ``where``, newest first, ``limit`` of them from ``offset``."""
    with store.session() as session:
        total = session.scalar(where.apply(select(func.count()).select_from(RunRow))) or 0
        rows = session.scalars(
            where.apply(select(RunRow)).order_by(RunRow.started_at.desc()).offset(offset).limit(limit)
        ).all()
        return RunPage([_summary(row) for row in rows], int(total), offset, limit)


def run_kinds(store: Store) -> list[str]:
    """Every run kind in the store, sorted."""
    with store.session() as session:
        return sorted(session.scalars(select(RunRow.kind).distinct()).all())


def run_counts(store: Store) -> dict[str, int]:
    """How many runs there are per status."""
    with store.session() as session:
        rows = session.execute(select(RunRow.status, func.count()).group_by(RunRow.status)).all()
    return {str(status): int(count) for status, count in rows}


def newest_run(store: Store, kind: str, *, status: str | None = RunStatus.SUCCEEDED) -> RunSummary | None:
    """The newest run of ``kind`` (succeeded, unless ``status`` says otherwise)."""
    query = select(RunRow).where(RunRow.kind == kind).order_by(RunRow.started_at.desc()).limit(1)
    if status is not None:
        query = query.where(RunRow.status == status)
    with store.session() as session:
        row = session.scalars(query).first()
        return None if row is None else _summary(row)


def child_runs(store: Store, parent_id: str, *, limit: int) -> tuple[list[RunSummary], int]:
    """Runs started inside ``parent_id`` (oldest first, at most ``limit``) and how many there are."""
    with store.session() as session:
        total = session.scalar(select(func.count()).select_from(RunRow).where(RunRow.parent_id == parent_id))
        rows = session.scalars(
            select(RunRow).where(RunRow.parent_id == parent_id).order_by(RunRow.started_at).limit(limit)
        ).all()
        return [_summary(row) for row in rows], int(total or 0)


def consumer_runs(
    store: Store, object_id: str, *, limit: int, offset: int = 0, kind: str | None = None
) -> tuple[list[tuple[RunSummary, str]], int]:
    """Runs that read ``object_id`` (newest first, with the role they read it as) and how many.

    With ``kind``, only succeeded runs of that kind.
    """
    condition = and_(RunObject.object_id == object_id, RunObject.direction == "in")
    if kind is not None:
        condition = and_(condition, RunRow.kind == kind, RunRow.status == RunStatus.SUCCEEDED)
    with store.session() as session:
        total = session.scalar(
            select(func.count())
            .select_from(RunObject)
            .join(RunRow, RunRow.id == RunObject.run_id)
            .where(condition)
        )
        rows = session.execute(
            select(RunRow, RunObject.role)
            .join(RunObject, RunObject.run_id == RunRow.id)
            .where(condition)
            .order_by(RunRow.started_at.desc())
            .offset(offset)
            .limit(limit)
        ).all()
        return [(_summary(row), str(role)) for row, role in rows], int(total or 0)


def object_infos(store: Store, object_ids: Iterable[str]) -> dict[str, ObjectInfo]:
    """What the store knows about each of ``object_ids`` (unknown ids are left out)."""
    ids = sorted(set(object_ids))
    if not ids:
        return {}
    with store.session() as session:
        rows = session.scalars(select(ObjectRow).where(ObjectRow.id.in_(ids))).all()
        return {
            row.id: ObjectInfo(row.id, row.kind, row.size, utc(row.created_at), dict(row.meta or {}))
            for row in rows
        }


def registered_versions(store: Store, object_ids: Iterable[str]) -> dict[str, int]:
    """Registered version number of each model object id that has one."""
    ids = sorted(set(object_ids))
    if not ids:
        return {}
    with store.session() as session:
        rows = session.execute(
            select(ModelVersionRow.object_id, ModelVersionRow.version).where(
                ModelVersionRow.object_id.in_(ids)
            )
        ).all()
    return {str(object_id): int(version) for object_id, version in rows}


def downstream_models(store: Store, object_id: str, *, max_depth: int = MAX_WALK_DEPTH) -> list[ObjectInfo]:
    """Every model object made, directly or through intermediate objects, from ``object_id``.

    Walks forward level by level (objects → succeeded runs that read them → what those
    runs wrote) with one query per level, so a snapshot read by thousands of runs costs
    a handful of queries, not one per run.
    """
    seen = {object_id}
    frontier = {object_id}
    with store.session() as session:
        for _ in range(max_depth):
            if not frontier:
                break
            reader = aliased(RunObject)
            writer = aliased(RunObject)
            produced = set(
                session.scalars(
                    select(writer.object_id)
                    .distinct()
                    .join(reader, reader.run_id == writer.run_id)
                    .join(RunRow, RunRow.id == writer.run_id)
                    .where(
                        reader.direction == "in",
                        reader.object_id.in_(sorted(frontier)),
                        writer.direction == "out",
                        RunRow.status == RunStatus.SUCCEEDED,
                    )
                ).all()
            )
            frontier = produced - seen
            seen |= frontier
    seen.discard(object_id)
    models = [info for info in object_infos(store, seen).values() if info.kind == "model"]
    return sorted(models, key=lambda info: info.created_at, reverse=True)


def lf_versions(store: Store, name: str) -> list[ObjectInfo]:
    """Every stored version (object of kind ``lf``) of the labeling function ``name``, newest first."""
    with store.session() as session:
        rows = session.scalars(
            select(ObjectRow)
            .where(ObjectRow.kind == "lf", ObjectRow.meta["name"].as_string() == name)
            .order_by(ObjectRow.created_at.desc())
        ).all()
        return [ObjectInfo(r.id, r.kind, r.size, utc(r.created_at), dict(r.meta or {})) for r in rows]


def lf_apply_metrics(
    store: Store, lf_object_ids: Sequence[str], snapshot_id: str | None = None
) -> dict[str, dict[str, Any]]:
    """Metrics of the newest succeeded ``lf_apply`` run per LF version (on ``snapshot_id`` if given).

    The metrics are what the pipeline recorded when it applied the LF: coverage,
    failures (with examples) and seconds.
    """
    if not lf_object_ids:
        return {}
    lf_edge = aliased(RunObject)
    # Newest run per LF version, ranked in the database: with thousands of recorded
    # applications only one row per LF comes back (and one metrics document is decoded).
    rank = func.row_number().over(partition_by=lf_edge.object_id, order_by=RunRow.started_at.desc())
    query = (
        select(lf_edge.object_id.label("lf"), RunRow.metrics.label("metrics"), rank.label("rank"))
        .join(lf_edge, lf_edge.run_id == RunRow.id)
        .where(
            RunRow.kind == "lf_apply",
            RunRow.status == RunStatus.SUCCEEDED,
            lf_edge.direction == "in",
            lf_edge.role == "lf",
            lf_edge.object_id.in_(sorted(set(lf_object_ids))),
        )
    )
    if snapshot_id is not None:
        snapshot_edge = aliased(RunObject)
        query = query.join(snapshot_edge, snapshot_edge.run_id == RunRow.id).where(
            snapshot_edge.direction == "in",
            snapshot_edge.role == "snapshot",
            snapshot_edge.object_id == snapshot_id,
        )
    ranked = query.subquery()
    with store.session() as session:
        rows = session.execute(select(ranked.c.lf, ranked.c.metrics).where(ranked.c.rank == 1)).all()
    return {str(object_id): dict(metrics or {}) for object_id, metrics in rows}


def lf_apply_runs_per_version(store: Store, lf_object_ids: Sequence[str]) -> dict[str, tuple[int, datetime]]:
    """Per LF version: how many succeeded ``lf_apply`` runs applied it and when it was last applied."""
    if not lf_object_ids:
        return {}
    with store.session() as session:
        rows = session.execute(
            select(RunObject.object_id, func.count(), func.max(RunRow.started_at))
            .join(RunRow, RunRow.id == RunObject.run_id)
            .where(
                RunRow.kind == "lf_apply",
                RunRow.status == RunStatus.SUCCEEDED,
                RunObject.direction == "in",
                RunObject.role == "lf",
                RunObject.object_id.in_(sorted(set(lf_object_ids))),
            )
            .group_by(RunObject.object_id)
        ).all()
    return {str(oid): (int(count), utc(last)) for oid, count, last in rows}
