"""Object sizes as 64-bit integers, so a blob over 2 GiB can be registered on PostgreSQL.

``objects.size`` was created as ``INTEGER``: 64-bit on SQLite (nothing to do there), but
32-bit on PostgreSQL, where registering a snapshot or model package of 2 GiB or more
failed with "integer out of range".

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "objects", "size", type_=sa.BigInteger, existing_type=sa.Integer, existing_nullable=False
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "objects", "size", type_=sa.Integer, existing_type=sa.BigInteger, existing_nullable=False
        )
