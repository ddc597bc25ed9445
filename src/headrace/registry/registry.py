"""Model versions and aliases (``staging``, ``production``) in the metadata database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from headrace.errors import NotFoundError
from headrace.registry.package import ModelPackage
from headrace.store import Store
from headrace.store.schema import Alias, ModelVersionRow

__all__ = [
    "ModelVersion",
    "get_version",
    "list_versions",
    "load_model",
    "register_model",
    "set_alias",
]

_VERSION_REF = re.compile(r"^v?(\d+)$")


@dataclass(frozen=True)
class ModelVersion:
    """A registered model version."""

    version: int
    object_id: str
    train_run_id: str
    eval_run_id: str | None
    metrics: dict[str, Any]
    created_at: datetime
    aliases: tuple[str, ...]


def register_model(
    store: Store,
    *,
    object_id: str,
    train_run_id: str,
    eval_run_id: str | None,
    metrics: dict[str, Any],
    alias: str | None = None,
) -> tuple[ModelVersion, bool]:
    """Register a model package, or find its existing version; optionally point ``alias`` at it.

    Returns the version and whether it was newly created. The same package is never
    registered twice, so rerunning an unchanged pipeline keeps the same version.
    """
    with store.session() as session, session.begin():
        row = session.scalars(select(ModelVersionRow).where(ModelVersionRow.object_id == object_id)).first()
        created = row is None
        if row is None:
            latest = session.scalar(select(func.max(ModelVersionRow.version))) or 0
            row = ModelVersionRow(
                version=latest + 1,
                object_id=object_id,
                train_run_id=train_run_id,
                eval_run_id=eval_run_id,
                metrics=metrics,
                created_at=datetime.now(UTC),
            )
            session.add(row)
            session.flush()
        version = row.version
        if alias is not None:
            _point(session, alias, version)
    return get_version(store, str(version)), created


def set_alias(store: Store, alias: str, ref: str) -> ModelVersion:
    """Point ``alias`` at the version ``ref`` names."""
    target = get_version(store, ref)
    with store.session() as session, session.begin():
        _point(session, alias, target.version)
    return get_version(store, str(target.version))


def get_version(store: Store, ref: str) -> ModelVersion:
    """Resolve ``ref`` — an alias (``staging``), a version number (``3``) or ``v3``."""
    with store.session() as session:
        match = _VERSION_REF.match(ref)
        if match:
            row = session.get(ModelVersionRow, int(match.group(1)))
        else:
            alias = session.get(Alias, ref)
            row = None if alias is None else session.get(ModelVersionRow, alias.version)
        if row is None:
            known = session.scalars(select(Alias.name)).all()
            raise NotFoundError(
                f"no model version or alias {ref!r} in this store; aliases: {sorted(known)} "
                "(run `headrace run` to train and register a model)"
            )
        names = session.scalars(select(Alias.name).where(Alias.version == row.version)).all()
        return ModelVersion(
            version=row.version,
            object_id=row.object_id,
            train_run_id=row.train_run_id,
            eval_run_id=row.eval_run_id,
            metrics=dict(row.metrics or {}),
            created_at=row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC),
            aliases=tuple(sorted(names)),
        )


def list_versions(store: Store) -> list[ModelVersion]:
    """All versions, newest first."""
    with store.session() as session:
        numbers = session.scalars(
            select(ModelVersionRow.version).order_by(ModelVersionRow.version.desc())
        ).all()
    return [get_version(store, str(n)) for n in numbers]


def load_model(store: Store, ref: str) -> ModelPackage:
    """Load the model package that ``ref`` names."""
    return ModelPackage.from_bytes(store.objects.read_bytes(get_version(store, ref).object_id))


def _point(session: Any, alias: str, version: int) -> None:
    row = session.get(Alias, alias)
    now = datetime.now(UTC)
    if row is None:
        session.add(Alias(name=alias, version=version, updated_at=now))
    else:
        row.version = version
        row.updated_at = now
