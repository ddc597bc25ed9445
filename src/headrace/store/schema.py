"""The metadata database schema (SQLAlchemy ORM).

Changes to these tables are made only through a new Alembic revision in
``store/migrations/versions``; the store refuses to open a database whose revision it
does not know.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Alias",
    "AliasMoveRow",
    "Base",
    "ModelVersionRow",
    "ObjectRow",
    "RunObject",
    "RunRow",
]


class Base(DeclarativeBase):
    """Declarative base of every headrace table."""


class ObjectRow(Base):
    """An immutable blob in the object store, with what it is."""

    __tablename__ = "objects"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    # 64-bit: blobs may exceed 2 GiB (SQLite's INTEGER is 64-bit already; revision 0003).
    size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RunRow(Base):
    """One execution of a stage: its parameters, inputs, outputs, outcome and timings."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    cache_key: Mapped[str | None] = mapped_column(String(64), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_s: Mapped[float | None] = mapped_column(Float)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)


class RunObject(Base):
    """An edge of the lineage graph: a run read (``in``) or wrote (``out``) an object."""

    __tablename__ = "run_objects"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    direction: Mapped[str] = mapped_column(String(3), primary_key=True)
    role: Mapped[str] = mapped_column(String(200), primary_key=True)
    object_id: Mapped[str] = mapped_column(ForeignKey("objects.id"), index=True)


class ModelVersionRow(Base):
    """A registered model: a model package object and the runs that made and scored it."""

    __tablename__ = "model_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    object_id: Mapped[str] = mapped_column(ForeignKey("objects.id"), unique=True)
    train_run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"))
    eval_run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id"))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Alias(Base):
    """A movable name (``staging``, ``production``) pointing at a model version."""

    __tablename__ = "aliases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(ForeignKey("model_versions.version"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AliasMoveRow(Base):
    """One move of an alias, kept forever: the alias history that ``rollback`` walks back.

    ``action`` is how it moved: ``register`` (a new model got the alias), ``promote``,
    ``rollback``, or ``migrated`` (the alias as it stood when the history began, recorded
    by migration 0002).
    """

    __tablename__ = "alias_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alias: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(ForeignKey("model_versions.version"))
    previous_version: Mapped[int | None] = mapped_column(ForeignKey("model_versions.version"))
    action: Mapped[str] = mapped_column(String(16))
    moved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(200))
