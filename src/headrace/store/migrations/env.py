"""Alembic environment: migrations always run on the connection the store hands over."""

from __future__ import annotations

from alembic import context

from headrace.store.db import VERSION_TABLE
from headrace.store.schema import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite can only ALTER through table copies
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()
