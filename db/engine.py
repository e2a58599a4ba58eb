"""The process's one async engine and its session factory."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

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


def create_engine(settings: Settings, *, url: str | None = None) -> AsyncEngine:
    config = database_config(settings, url=url)
    if config.is_sqlite:
        engine = create_async_engine(config.url, echo=False)
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(
        config.url,
        connect_args=config.connect_args,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_recycle=settings.pool_recycle,
        pool_pre_ping=settings.pool_pre_ping,
        pool_timeout=settings.pool_timeout,
    )


# Pings given up on by `Database.ping`, still unwinding: referenced so they are not collected mid-way.
_abandoned_checks: set[asyncio.Task] = set()


def _abandon(check: asyncio.Task) -> None:
    check.cancel()
    _abandoned_checks.add(check)
    check.add_done_callback(_forget_abandoned_check)


def _forget_abandoned_check(check: asyncio.Task) -> None:
    _abandoned_checks.discard(check)
    if not check.cancelled():
        check.exception()  # retrieved, so asyncio does not log "exception was never retrieved"


@dataclass
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    @classmethod
    def from_settings(cls, settings: Settings, *, url: str | None = None) -> Database:
        engine = create_engine(settings, url=url)
        return cls(engine, async_sessionmaker(engine, expire_on_commit=False))

    async def session(self, *, writes: bool) -> AsyncSession:
        """A new session; `writes=True` starts its transaction as a writer, where that matters (SQLite)."""
        session = self.sessionmaker()
        if writes and self.engine.dialect.name == "sqlite":
            await session.connection(execution_options={WRITE_TRANSACTION: True})
        return session

    async def ping(self, timeout: float) -> None:
        """Run `SELECT 1`, giving up after `timeout` seconds even when the host never answers.

        The check runs in its own task and is abandoned, not awaited, on timeout: unwinding a checkout
        from a stalled host (the pool's rollback on return, closing the dead connection) waits on the
        network again, up to the statement timeout, and the caller should not wait for that too.
        """
        check = asyncio.ensure_future(self._select_one())
        try:
            done, _ = await asyncio.wait({check}, timeout=timeout)
        except asyncio.CancelledError:
            _abandon(check)
            raise
        if check in done:
            return check.result()
        _abandon(check)
        raise TimeoutError(f"the database did not answer within {timeout:g}s")

    async def _select_one(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
