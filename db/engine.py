"""The process's one async engine and its session factory."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sqlalchemy import event, exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_

from api.settings import Settings
from db.url import DatabaseConfig, parse_database_url


def database_config(settings: Settings, *, url: str | None = None) -> DatabaseConfig:
    return parse_database_url(
        url or settings.database_url,
        pooler=settings.db_pooler,
        connect_timeout=settings.connect_timeout,
        command_timeout=settings.statement_timeout_ms / 1000 or None,
    )


# Execution option marking a session's transaction as one that writes (see `Database.session`).
WRITE_TRANSACTION = "usergraph_write_transaction"


def _sqlite_connect(dbapi_connection, _record) -> None:
    # Make the embedded default behave like a database: enforce foreign keys (ON DELETE CASCADE),
    # let readers run beside a writer, and wait for a lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()
    # The sqlite3 module begins transactions only before writes, and a SAVEPOINT outside a transaction
    # commits on release: an operation failing after a savepoint would be half-written. SQLAlchemy
    # emits BEGIN itself instead (`_sqlite_begin`), so a transaction covers the whole operation.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection) -> None:
    # A transaction that will write takes the write lock up front (BEGIN IMMEDIATE, waiting up to the
    # busy timeout): a deferred one that read first cannot upgrade once another writer has committed,
    # and SQLite then fails it with "database is locked" instead of waiting.
    immediate = connection.get_execution_options().get(WRITE_TRANSACTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_CHECKED_IN_AT = "usergraph_checked_in_at"


def _ping_idle_connections(engine: AsyncEngine, idle_seconds: float) -> None:
    """Test a pooled connection before use when it sat idle for over `idle_seconds` (every time with 0).

    SQLAlchemy's own pre-ping costs three round trips (BEGIN, `;`, ROLLBACK) on every checkout, a
    quarter of a small request's CPU. This one is a single simple-protocol `;` (safe behind PgBouncer
    in transaction mode), and skips connections used moments ago: a busy server pays nothing, while a
    connection that sat through a restart or an idle timeout is still replaced before it fails a
    request. A connection that breaks within `idle_seconds` of its last use fails one request; the
    disconnect then invalidates the whole pool, as it would have anyway.
    """

    def checkin(_dbapi_connection, record) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    def checkout(dbapi_connection, record, _proxy) -> None:
        checked_in = record.info.get(_CHECKED_IN_AT)
        if checked_in is None or time.monotonic() - checked_in <= idle_seconds:
            return  # a brand-new connection, or one in use moments ago
        try:
            await_(dbapi_connection.driver_connection.execute(";"))
        except Exception as error:  # any failure means: use another connection
            record.info.pop(_CHECKED_IN_AT, None)
            raise exc.DisconnectionError(f"pre-ping failed: {error!r}") from error

    event.listen(engine.sync_engine, "checkin", checkin)
    event.listen(engine.sync_engine, "checkout", checkout)


def create_engine(settings: Settings, *, url: str | None = None) -> AsyncEngine:
    config = database_config(settings, url=url)
    if config.is_sqlite:
        engine = create_async_engine(config.url, echo=False)
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    engine = create_async_engine(
        config.url,
        connect_args=config.connect_args,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_recycle=settings.pool_recycle,
        pool_timeout=settings.pool_timeout,
    )
    if settings.pool_pre_ping:
        _ping_idle_connections(engine, settings.pool_pre_ping_idle)
    return engine


@dataclass
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    @classmethod
    def from_settings(cls, settings: Settings, *, url: str | None = None) -> Database:
        engine = create_engine(settings, url=url)
        return cls(engine, async_sessionmaker(engine, expire_on_commit=False))

    async def session(self, *, writes: bool) -> AsyncSession:
        """A new session; `writes=True` starts its transaction as a writer, where that matters (SQLite).

        Read-only operations keep their BEGIN/COMMIT on PostgreSQL too: autocommit saved two round
        trips (~0.1 ms CPU) per viewer request but, with connections returned sooner, the default pool
        (5 + 10 overflow) kept closing and reopening overflow connections and (a)'s p99 rose from ~0.1
        to ~1.2 s under 32 concurrent clients (bench/README.md, 2026-11-25).
        """
        session = self.sessionmaker()
        if writes and self.engine.dialect.name == "sqlite":
            await session.connection(execution_options={WRITE_TRANSACTION: True})
        return session

    async def ping(self, timeout: float) -> None:
        """Run `SELECT 1`, giving up after `timeout` seconds even when the host never answers."""
        async with asyncio.timeout(timeout):
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
