"""Model versions: a verified model package registered once, found by number or alias."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from headrace.registry._records import check_alias_name, lock_alias, move_alias, resolve, to_version
from headrace.registry.package import ModelPackage
from headrace.registry.storage import load_package, verify_package
from headrace.registry.types import ModelVersion
from headrace.store import Store
from headrace.store.schema import Alias, ModelVersionRow

__all__ = ["get_version", "list_versions", "load_model", "register_model"]


def register_model(
    store: Store,
    *,
    object_id: str,
    train_run_id: str,
    eval_run_id: str | None,
    metrics: dict[str, Any],
    alias: str | None = None,
    reason: str | None = None,
    actor: str | None = None,
) -> tuple[ModelVersion, bool]:
    """Register the model package ``object_id`` (a manifest id), or find its existing version.

    The package is verified first (manifest and every file against their hashes,
    nothing unpickled), so the registry never holds a version that cannot load.
    ``metrics`` are the test scores recorded with the version. With ``alias``, the
    alias is pointed at the version in the same transaction and the move is recorded
    in the alias history (action ``register``).

    Returns the version and whether it was newly created. The same package is never
    registered twice, so rerunning an unchanged pipeline keeps the same version.

    Raises
    ------
    ModelPackageError
        ``object_id`` is not a sound model package.
    """
    if alias is not None:
        check_alias_name(alias)
    verify_package(store, object_id)
    with store.session() as session, session.begin():
        if alias is not None:
            lock_alias(session, alias)
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
            move_alias(session, alias, version, action="register", reason=reason, actor=actor)
    return get_version(store, str(version)), created


def get_version(store: Store, ref: str) -> ModelVersion:
    """Resolve ``ref`` — an alias (``staging``), a version number (``3``) or ``v3``.

    Raises
    ------
    NotFoundError
        No such version or alias; the message lists the aliases there are.
    """
    with store.session() as session:
        row = resolve(session, ref)
        names = session.scalars(select(Alias.name).where(Alias.version == row.version)).all()
        return to_version(row, tuple(sorted(names)))


def list_versions(store: Store) -> list[ModelVersion]:
    """All versions with their aliases, newest first."""
    with store.session() as session:
        aliases: dict[int, list[str]] = defaultdict(list)
        for name, version in session.execute(select(Alias.name, Alias.version)):
            aliases[version].append(name)
        rows = session.scalars(select(ModelVersionRow).order_by(ModelVersionRow.version.desc())).all()
        return [to_version(row, tuple(sorted(aliases[row.version]))) for row in rows]


def load_model(store: Store, ref: str) -> ModelPackage:
    """Load (verified) the model package that ``ref`` names; see :func:`load_package`.

    Examples
    --------
    >>> load_model(store, "production").predict(table)  # doctest: +SKIP
    array([1, 0])
    """
    return load_package(store, get_version(store, ref).object_id)
