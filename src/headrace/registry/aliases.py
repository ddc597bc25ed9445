"""Aliases (``staging``, ``production``): promotion, rollback, and the history of every move.

Each move is one transaction: the alias row and its history entry change together,
and the target version is resolved inside that transaction, so an alias never points
at a version that does not exist (the database's foreign key enforces it as well).

Rollback walks the history back like an undo stack: promotions push, rollbacks pop.
After ``v1 → v2 → v3``, ``rollback`` goes to v2, a second ``rollback`` to v1, and a
third fails; it never bounces back to the version just rolled away from.
"""

from __future__ import annotations

from sqlalchemy import select

from headrace.errors import NotFoundError, StoreError
from headrace.registry._records import check_alias_name, lock_alias, move_alias, resolve, to_move
from headrace.registry.types import AliasMove
from headrace.store import Store
from headrace.store.schema import Alias, AliasMoveRow

__all__ = ["alias_history", "promote", "rollback"]


def promote(
    store: Store, ref: str, alias: str, *, reason: str | None = None, actor: str | None = None
) -> AliasMove | None:
    """Point ``alias`` at the version ``ref`` names (a number, ``v3``, or another alias).

    Returns the recorded move, or ``None`` when the alias already pointed there
    (nothing is recorded then).

    Raises
    ------
    NotFoundError
        ``ref`` names no version; the alias is left as it was.
    HeadraceError
        ``alias`` is not a valid alias name.

    Examples
    --------
    >>> promote(store, "staging", "production", reason="passed review")  # doctest: +SKIP
    AliasMove(alias='production', version=4, previous_version=3, action='promote', ...)
    """
    check_alias_name(alias)
    with store.session() as session, session.begin():
        lock_alias(session, alias)
        target = resolve(session, ref)
        return move_alias(session, alias, target.version, action="promote", reason=reason, actor=actor)


def rollback(store: Store, alias: str, *, reason: str | None = None, actor: str | None = None) -> AliasMove:
    """Point ``alias`` back at the version it pointed at before its latest promotion.

    Raises
    ------
    NotFoundError
        There is no such alias, or its history holds no earlier version.
    """
    with store.session() as session, session.begin():
        lock_alias(session, alias)
        current = session.get(Alias, alias)
        if current is None:
            known = sorted(session.scalars(select(Alias.name)).all())
            raise NotFoundError(f"no alias {alias!r} in this store to roll back; aliases: {known}")
        entries = session.scalars(
            select(AliasMoveRow).where(AliasMoveRow.alias == alias).order_by(AliasMoveRow.id)
        ).all()
        stack: list[int] = []
        for entry in entries:
            if entry.action == "rollback":
                if stack:
                    stack.pop()
            else:
                stack.append(entry.version)
        if not stack or stack[-1] != current.version:
            stack.append(current.version)
        if len(stack) < 2:
            raise NotFoundError(
                f"alias {alias!r} has no earlier version to roll back to: its history starts at "
                f"v{current.version}, where it points now (see `headrace history {alias}`)"
            )
        move = move_alias(session, alias, stack[-2], action="rollback", reason=reason, actor=actor)
        if move is None:  # unreachable: neighbours on the stack differ, as no-op moves are not recorded
            raise StoreError(f"the alias history of {alias!r} is inconsistent: {stack}")
        return move


def alias_history(store: Store, alias: str | None = None, *, limit: int | None = None) -> list[AliasMove]:
    """Moves of ``alias`` (or of every alias), newest first."""
    query = select(AliasMoveRow).order_by(AliasMoveRow.id.desc())
    if alias is not None:
        query = query.where(AliasMoveRow.alias == alias)
    if limit is not None:
        query = query.limit(limit)
    with store.session() as session:
        return [to_move(row) for row in session.scalars(query)]
