"""Alembic's entry point: migrate the connection that `migrations.upgrade()` hands over.

There is no alembic.ini and no engine made here: the caller owns the connection and its
transaction (with the SQLite write lock or the PostgreSQL advisory lock already taken).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from webphone.store.models import Base

if context.is_offline_mode():
    # Migration 0001 inspects the database (to adopt a legacy sip_users table), so it
    # cannot be rendered as a SQL script ahead of time.
    raise RuntimeError("webphone's migrations run online only, through Database.open()")

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("give the connection in Config.attributes['connection']")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
