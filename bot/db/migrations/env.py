"""Alembic environment: runs migrations with the URL the bot configured."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from bot.db.database import make_engine
from bot.db.models import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    """Apply migrations online against the configured database."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set"
    connectable = context.config.attributes.get("connection")
    if connectable is None:
        engine = make_engine(url)
        engine.pool = pool.NullPool(engine.pool._creator)  # one-shot connection
        with engine.connect() as connection:
            context.configure(
                connection=connection, target_metadata=target_metadata, render_as_batch=True
            )
            with context.begin_transaction():
                context.run_migrations()
        engine.dispose()
    else:
        context.configure(connection=connectable, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
