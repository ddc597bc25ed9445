"""Alias history: every move of an alias, so a promotion can be rolled back.

Aliases that already exist are recorded as they stand (action ``migrated``, no
previous version): the history starts from what the store holds at the upgrade.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    history = op.create_table(
        "alias_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alias", sa.String(64), nullable=False, index=True),
        sa.Column("version", sa.Integer, sa.ForeignKey("model_versions.version"), nullable=False),
        sa.Column("previous_version", sa.Integer, sa.ForeignKey("model_versions.version")),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("moved_at", _TS, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("actor", sa.String(200)),
    )
    aliases = sa.table(
        "aliases",
        sa.column("name", sa.String),
        sa.column("version", sa.Integer),
        sa.column("updated_at", _TS),
    )
    current = op.get_bind().execute(
        sa.select(aliases.c.name, aliases.c.version, aliases.c.updated_at).order_by(
            aliases.c.updated_at, aliases.c.name
        )
    )
    rows = [
        {
            "alias": name,
            "version": version,
            "previous_version": None,
            "action": "migrated",
            "moved_at": updated_at,
            "reason": "the alias as it stood when its history began (schema revision 0002)",
            "actor": None,
        }
        for name, version, updated_at in current
    ]
    if rows:
        op.bulk_insert(history, rows)


def downgrade() -> None:
    op.drop_table("alias_history")
