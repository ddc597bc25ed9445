"""Registry reads and writes inside one database session (the public functions own the transaction)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from headrace.errors import NotFoundError, RegistryError
from headrace.registry.types import AliasMove, ModelVersion
from headrace.store.schema import Alias, AliasMoveRow, ModelVersionRow

__all__ = [
    "check_alias_name",
    "lock_alias",
    "move_alias",
    "resolve",
    "to_move",
    "to_version",
    "utc",
]

VERSION_REF = re.compile(r"^v?(\d+)$")
_ALIAS_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (SQLite hands back naive ones)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def check_alias_name(alias: str) -> None:
    """Refuse names that could not be told from a version reference, or are not plain words."""
    if VERSION_REF.match(alias) or not _ALIAS_NAME.match(alias):
        raise RegistryError(
            f"{alias!r} cannot be an alias: use a letter followed by up to 63 letters, digits, "
            "'_', '.' or '-', and not a version number such as '3' or 'v3' (e.g. 'production')"
        )


def resolve(session: Session, ref: str) -> ModelVersionRow:
    """The version row ``ref`` names: an alias (``staging``), a number (``3``) or ``v3``."""
    match = VERSION_REF.match(ref)
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
    return row


def to_version(row: ModelVersionRow, aliases: tuple[str, ...]) -> ModelVersion:
    """The public record of a version row."""
    return ModelVersion(
        version=row.version,
        object_id=row.object_id,
        train_run_id=row.train_run_id,
        eval_run_id=row.eval_run_id,
        metrics=dict(row.metrics or {}),
        created_at=utc(row.created_at),
        aliases=aliases,
    )


def to_move(row: AliasMoveRow) -> AliasMove:
    """The public record of an alias-history row."""
    return AliasMove(
        id=row.id,
        alias=row.alias,
        version=row.version,
        previous_version=row.previous_version,
        action=row.action,
        moved_at=utc(row.moved_at),
        reason=row.reason,
        actor=row.actor,
    )


def lock_alias(session: Session, alias: str) -> None:
    """Take the write lock before reading the alias, so concurrent moves serialize.

    The first statement of the transaction writes: SQLite then holds its write lock
    (the driver begins transactions lazily, so a read first would let two writers
    both see the same "previous" version); PostgreSQL locks the alias row.
    """
    session.execute(
        update(Alias)
        .where(Alias.name == alias)
        .values(updated_at=Alias.updated_at)
        .execution_options(synchronize_session=False)
    )


def move_alias(
    session: Session,
    alias: str,
    version: int,
    *,
    action: str,
    reason: str | None = None,
    actor: str | None = None,
) -> AliasMove | None:
    """Point ``alias`` at ``version`` and record the move; ``None`` when it already points there.

    Call :func:`lock_alias` first, in the same transaction.
    """
    row = session.get(Alias, alias)
    previous = None if row is None else row.version
    if previous == version:
        return None
    now = datetime.now(UTC)
    if row is None:
        session.add(Alias(name=alias, version=version, updated_at=now))
    else:
        row.version = version
        row.updated_at = now
    entry = AliasMoveRow(
        alias=alias,
        version=version,
        previous_version=previous,
        action=action,
        moved_at=now,
        reason=reason,
        actor=actor,
    )
    session.add(entry)
    session.flush()
    return to_move(entry)
