"""Alembic environment: async engine on the direct (unpooled) URL, one migrator at a time."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import db.models  # noqa: F401 - registers the tables on SQLModel.metadata
from api.settings import get_settings
from db.engine import create_engine

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata
# Any constant works; it only has to be the same in every usergraph process.
MIGRATION_LOCK_ID = 0x75736572  # "user"


def _migration_url() -> str:
    return config.attributes.get("database_url") or get_settings().migration_url


def _run(connection: Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    if not is_sqlite:
        # Several processes may start at once; one migrates, the others wait and find nothing to do.
        connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    try:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=is_sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        # Commit before the lock is released: the transaction the lock query began is the migrations'
        # (Alembic leaves an outside transaction to its owner), and a process waiting for the lock must
        # find them committed, not race their commit with a `CREATE TABLE alembic_version` of its own.
        connection.commit()
    finally:
        if not is_sqlite:
            connection.rollback()  # whatever a failed migration left; nothing after the commit above
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
            connection.commit()


async def run_async_migrations() -> None:
    # Migrations are never sent through a transaction-mode pooler: the advisory lock is per connection.
    engine = create_engine(get_settings(), url=_migration_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def run_offline() -> None:
    context.configure(url=_migration_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_async_migrations())
