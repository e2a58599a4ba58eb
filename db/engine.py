"""The process's one async engine and its session factory."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Literal, Protocol

from sqlalchemy import event, exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_

from db.unit_of_work import TrackedSession
from db.url import DatabaseConfig, parse_database_url


class EngineSettings(Protocol):
    """The settings the engine is built from; the app hands its own settings object down."""

    database_url: str
    db_pooler: Literal["transaction", "none"] | None
    connect_timeout: float
    statement_timeout_ms: int
    pool_size: int
    max_overflow: int
    pool_recycle: int
    pool_timeout: float
    pool_pre_ping: bool
    pool_pre_ping_idle: float


def database_config(settings: EngineSettings, *, url: str | None = None) -> DatabaseConfig:
    return parse_database_url(
        url or settings.database_url,
        pooler=settings.db_pooler,
        connect_timeout=settings.connect_timeout,
        command_timeout=settings.statement_timeout_ms / 1000 or None,
    )


def _sqlite_connect(dbapi_connection, _record) -> None:
    # Make the embedded default behave like a database: enforce foreign keys (ON DELETE CASCADE),
    # let readers run beside a writer, and wait for a lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _sqlite_savepoint(connection, _name) -> None:
    # The sqlite3 module opens a transaction only before INSERT/UPDATE/DELETE; a SAVEPOINT outside one
    # starts a transaction of its own that RELEASE commits, so an operation failing after it would be
    # half-written. Begin first, so the savepoint nests inside the operation's transaction.
    if not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


_CHECKED_IN_AT = "usergraph_checked_in_at"


def _ping_idle_connections(engine: AsyncEngine, idle_seconds: float) -> None:
    """Test a pooled connection before use when it sat idle for over `idle_seconds` (every time with 0).

    SQLAlchemy's own pre-ping costs three round trips (BEGIN, `;`, ROLLBACK) on every checkout, a large
    part of a one-statement request's work. This one is a single simple-protocol `;` (safe behind PgBouncer
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


def create_engine(settings: EngineSettings, *, url: str | None = None) -> AsyncEngine:
    config = database_config(settings, url=url)
    if config.is_sqlite:
        engine = create_async_engine(config.url, echo=False)
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "savepoint", _sqlite_savepoint)
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
    # PostgreSQL reached directly through asyncpg: a lone read may go to the driver outside a
    # transaction (db/services/sessions.py). Not behind a transaction-mode pooler, where a statement
    # outside a transaction may be prepared on one server and executed on another.
    direct_reads: bool = False

    @classmethod
    def from_settings(cls, settings: EngineSettings, *, url: str | None = None) -> Database:
        config = database_config(settings, url=url)
        engine = create_engine(settings, url=url)
        direct_reads = engine.dialect.driver == "asyncpg" and config.pooler == "none"
        return cls(engine, async_sessionmaker(engine, expire_on_commit=False, sync_session_class=TrackedSession), direct_reads)

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


# Refusals a retry cannot change: the server answered, and said no.
_PERMANENT_SQLSTATES = {
    "28000",  # invalid authorization (no such role, pg_hba rejects)
    "28P01",  # wrong password
    "3D000",  # no such database
}
_PERMANENT_PHRASES = ("rejected ssl upgrade", "certificate verify failed", "unable to open database file")


def cannot_heal(error: BaseException) -> bool:
    """Whether connecting failed for a reason that waiting will not change (refused credentials, an
    unknown database, TLS refused or not trusted, an SQLite file that cannot be opened), as opposed to a
    server not up yet or not reachable."""
    seen: BaseException | None = error
    while seen is not None:
        if getattr(seen, "sqlstate", None) in _PERMANENT_SQLSTATES:
            return True
        if any(phrase in str(seen).lower() for phrase in _PERMANENT_PHRASES):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return False

