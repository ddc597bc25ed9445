"""Run records: one row per stage execution, with its lineage edges.

A run is written ``running`` when a stage starts, and ``succeeded`` (with its output
objects and metrics) or ``failed`` (with the error) when it ends, each in its own
transaction. A process killed mid-stage leaves a ``running`` row behind; the next
process on the same host marks it failed (:meth:`RunLog.reap_stale`) so it is never
mistaken for finished work. Only succeeded runs whose outputs all exist are ever
reused from the cache.

Two processes on one store never compute the same work at once: a run with a cache key
does not start while another live process runs the same kind and key (it waits, then
starts), and :meth:`RunLog.find_cached` waits for such a run to end and returns it, so
the second ``headrace run`` of two started together reuses the first one's stages
instead of repeating them.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from headrace.errors import NotFoundError
from headrace.store.objects import ObjectStore
from headrace.store.schema import RunObject, RunRow

__all__ = ["IN_FLIGHT_WAIT_S", "ActiveRun", "RunLog", "RunRecord", "RunStatus"]

logger = logging.getLogger(__name__)

#: The longest a run waits for another process computing the same work (same kind and
#: cache key) before computing it anyway. A dead process on this host is noticed at
#: once; one on another host (a shared PostgreSQL store) only by this bound.
IN_FLIGHT_WAIT_S = 3600.0

#: How often a waiting run looks again.
_POLL_S = 0.2


class RunStatus:
    """The states of a run."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class RunRecord:
    """A run as stored: what ran, on what, producing what, and how it went."""

    id: str
    kind: str
    status: str
    cache_key: str | None
    params: dict[str, Any]
    metrics: dict[str, Any]
    error: str | None
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    parent_id: str | None
    inputs: dict[str, str]
    outputs: dict[str, str]


@dataclass
class ActiveRun:
    """A run in progress: the stage fills in ``outputs`` and ``metrics`` as it goes."""

    id: str
    kind: str
    outputs: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime) -> datetime:
    # SQLite drops the zone on the way back; every stored time is UTC.
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


class RunLog:
    """Reads and writes run records in the metadata database."""

    def __init__(self, engine: Engine, objects: ObjectStore, *, wait_s: float = IN_FLIGHT_WAIT_S) -> None:
        self._engine = engine
        self._objects = objects
        self._host = socket.gethostname()
        self._wait_s = wait_s

    def start(
        self,
        kind: str,
        *,
        params: Mapping[str, Any] | None = None,
        cache_key: str | None = None,
        inputs: Mapping[str, str] | None = None,
        parent_id: str | None = None,
    ) -> str:
        """Record the start of a run and return its id.

        With a ``cache_key``, waits while another live process runs the same ``kind``
        and key (checked and recorded under the store's write lock, so of two
        processes starting the same work at once, one waits for the other).
        """
        run_id = uuid.uuid4().hex
        deadline = time.monotonic() + self._wait_s
        while True:
            with Session(self._engine) as session, session.begin():
                running = None if cache_key is None else self._in_flight(session, kind, cache_key)
                if running is None or time.monotonic() >= deadline:
                    self._insert(session, run_id, kind, params, cache_key, inputs, parent_id)
                    return run_id
            self._log_wait(running)
            time.sleep(_POLL_S)

    def _insert(
        self,
        session: Session,
        run_id: str,
        kind: str,
        params: Mapping[str, Any] | None,
        cache_key: str | None,
        inputs: Mapping[str, str] | None,
        parent_id: str | None,
    ) -> None:
        session.add(
            RunRow(
                id=run_id,
                parent_id=parent_id,
                kind=kind,
                status=RunStatus.RUNNING,
                cache_key=cache_key,
                params=dict(params or {}),
                metrics={},
                started_at=_now(),
                host=self._host,
                pid=os.getpid(),
            )
        )
        session.flush()
        for role, object_id in (inputs or {}).items():
            session.add(RunObject(run_id=run_id, direction="in", role=role, object_id=object_id))

    def finish(
        self,
        run_id: str,
        *,
        outputs: Mapping[str, str] | None = None,
        metrics: Mapping[str, Any] | None = None,
    ) -> None:
        """Mark a run succeeded, with its outputs and metrics, in one transaction."""
        with Session(self._engine) as session, session.begin():
            row = self._row(session, run_id)
            for role, object_id in (outputs or {}).items():
                session.add(RunObject(run_id=run_id, direction="out", role=role, object_id=object_id))
            self._close(row, RunStatus.SUCCEEDED)
            row.metrics = dict(metrics or {})

    def fail(self, run_id: str, error: str) -> None:
        """Mark a run failed with the error a user should read."""
        with Session(self._engine) as session, session.begin():
            row = self._row(session, run_id)
            self._close(row, RunStatus.FAILED)
            row.error = error

    @contextmanager
    def recording(
        self,
        kind: str,
        *,
        params: Mapping[str, Any] | None = None,
        cache_key: str | None = None,
        inputs: Mapping[str, str] | None = None,
        parent_id: str | None = None,
    ) -> Iterator[ActiveRun]:
        """Record a run around a block: succeeded if it returns, failed if it raises."""
        run = ActiveRun(
            id=self.start(kind, params=params, cache_key=cache_key, inputs=inputs, parent_id=parent_id),
            kind=kind,
        )
        try:
            yield run
        except BaseException as exc:
            self.fail(run.id, str(exc) or type(exc).__name__)
            raise
        self.finish(run.id, outputs=run.outputs, metrics=run.metrics)

    def get(self, run_id: str) -> RunRecord:
        """Return the run ``run_id`` (a unique prefix of at least 6 characters works too)."""
        with Session(self._engine) as session:
            row = session.get(RunRow, run_id)
            if row is None and len(run_id) >= 6:
                rows = session.scalars(
                    select(RunRow).where(RunRow.id.startswith(run_id, autoescape=True)).limit(2)
                ).all()
                row = rows[0] if len(rows) == 1 else None
            if row is None:
                raise NotFoundError(f"no run with id {run_id!r} in this store")
            return self._record(session, row)

    def find_cached(self, kind: str, cache_key: str) -> RunRecord | None:
        """Return the newest succeeded ``kind`` run with ``cache_key`` whose outputs exist.

        While another live process runs the same work, waits for it to end first.
        """
        self._wait_for_in_flight(kind, cache_key)
        with Session(self._engine) as session:
            rows = session.scalars(
                select(RunRow)
                .where(
                    RunRow.kind == kind,
                    RunRow.cache_key == cache_key,
                    RunRow.status == RunStatus.SUCCEEDED,
                )
                .order_by(RunRow.started_at.desc())
            ).all()
            for row in rows:
                record = self._record(session, row)
                if all(self._objects.exists(oid) for oid in record.outputs.values()):
                    return record
        return None

    def producer_of(self, object_id: str) -> RunRecord | None:
        """Return the earliest succeeded run that wrote ``object_id`` (its origin)."""
        with Session(self._engine) as session:
            row = session.scalars(
                select(RunRow)
                .join(RunObject, RunObject.run_id == RunRow.id)
                .where(
                    RunObject.object_id == object_id,
                    RunObject.direction == "out",
                    RunRow.status == RunStatus.SUCCEEDED,
                )
                .order_by(RunRow.started_at)
                .limit(1)
            ).first()
            return None if row is None else self._record(session, row)

    def consumers_of(self, object_id: str, *, kind: str | None = None) -> list[RunRecord]:
        """Return the succeeded runs that read ``object_id`` (optionally of one kind), newest first."""
        with Session(self._engine) as session:
            query = (
                select(RunRow)
                .join(RunObject, RunObject.run_id == RunRow.id)
                .where(
                    RunObject.object_id == object_id,
                    RunObject.direction == "in",
                    RunRow.status == RunStatus.SUCCEEDED,
                )
                .order_by(RunRow.started_at.desc())
            )
            if kind is not None:
                query = query.where(RunRow.kind == kind)
            return [self._record(session, row) for row in session.scalars(query)]

    def recent(
        self, *, kind: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[RunRecord]:
        """Return the newest runs first, optionally of one kind or status."""
        with Session(self._engine) as session:
            query = select(RunRow).order_by(RunRow.started_at.desc()).limit(limit)
            if kind is not None:
                query = query.where(RunRow.kind == kind)
            if status is not None:
                query = query.where(RunRow.status == status)
            return [self._record(session, row) for row in session.scalars(query)]

    def reap_stale(self) -> list[str]:
        """Mark failed the ``running`` runs of this host whose process is gone.

        Returns the ids of the runs it marked. A run of a live process (another
        ``headrace run`` on the same project) is left alone.
        """
        reaped: list[str] = []
        with Session(self._engine) as session, session.begin():
            rows = session.scalars(
                select(RunRow).where(RunRow.status == RunStatus.RUNNING, RunRow.host == self._host)
            ).all()
            for row in rows:
                if row.pid != os.getpid() and not _process_alive(row.pid):
                    self._close(row, RunStatus.FAILED)
                    row.error = f"interrupted: process {row.pid} ended before the run finished"
                    reaped.append(row.id)
        return reaped

    def _in_flight(self, session: Session, kind: str, cache_key: str) -> str | None:
        """Describe a ``running`` run of ``kind`` with ``cache_key`` in another process that may be alive."""
        rows = session.execute(
            select(RunRow.id, RunRow.host, RunRow.pid).where(
                RunRow.kind == kind, RunRow.cache_key == cache_key, RunRow.status == RunStatus.RUNNING
            )
        ).all()
        for run_id, host, pid in rows:
            if host != self._host or (pid != os.getpid() and _process_alive(pid)):
                return f"run {run_id} ({kind}, host {host}, pid {pid})"
        return None

    def _wait_for_in_flight(self, kind: str, cache_key: str) -> None:
        deadline = time.monotonic() + self._wait_s
        while time.monotonic() < deadline:
            with Session(self._engine) as session:
                running = self._in_flight(session, kind, cache_key)
            if running is None:
                return
            self._log_wait(running)
            time.sleep(_POLL_S)

    @staticmethod
    def _log_wait(running: str) -> None:
        logger.info("waiting for %s, which computes the same work", running)

    def _row(self, session: Session, run_id: str) -> RunRow:
        row = session.get(RunRow, run_id)
        if row is None:
            raise NotFoundError(f"no run with id {run_id!r} in this store")
        return row

    @staticmethod
    def _close(row: RunRow, status: str) -> None:
        finished = _now()
        row.status = status
        row.finished_at = finished
        row.duration_s = (finished - _utc(row.started_at)).total_seconds()

    @staticmethod
    def _record(session: Session, row: RunRow) -> RunRecord:
        edges = session.scalars(select(RunObject).where(RunObject.run_id == row.id)).all()
        return RunRecord(
            id=row.id,
            kind=row.kind,
            status=row.status,
            cache_key=row.cache_key,
            params=dict(row.params or {}),
            metrics=dict(row.metrics or {}),
            error=row.error,
            started_at=_utc(row.started_at),
            finished_at=None if row.finished_at is None else _utc(row.finished_at),
            duration_s=row.duration_s,
            parent_id=row.parent_id,
            inputs={e.role: e.object_id for e in edges if e.direction == "in"},
            outputs={e.role: e.object_id for e in edges if e.direction == "out"},
        )


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
