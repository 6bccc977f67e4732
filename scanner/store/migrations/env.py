"""Alembic environment: the store passes its own connection (already holding the lock)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import partner_nhi.store.tables  # noqa: F401 - registers the tables on SQLModel.metadata

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` run by hand: use the URL it was given
    from sqlalchemy import create_engine

    connection = create_engine(context.config.get_main_option("sqlalchemy.url") or "sqlite:///partner-nhi.db").connect()

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
