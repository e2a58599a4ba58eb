"""One API operation's use of the database: a single transaction that is committed or rolled back as a
whole when the operation ends, plus the two ways out of it that security needs.

- `independent()`: a short transaction of its own, committed at once, for a write that must count
  whatever the operation does (an attempt the rate limiter counts).
- `after_end(write)`: a write run in its own transaction once the operation's transaction has ended,
  committed or rolled back, and before the answer is sent (SQLite has one writer, and PostgreSQL's foreign
  keys would not see rows the operation has not committed yet).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session

log = logging.getLogger(__name__)
_WRITTEN = "usergraph_written"


class TrackedSession(Session):
    """A session that notes whether its current transaction has written anything, so an operation can
    tell whether handing its connection back early would commit another field's work."""


@event.listens_for(TrackedSession, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WRITTEN] = True


@event.listens_for(TrackedSession, "after_flush")
def _note_flush(session: Session, _flush_context) -> None:
    session.info[_WRITTEN] = True


@event.listens_for(TrackedSession, "after_transaction_end")
def _forget_writes(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop(_WRITTEN, None)

DeferredWrite = Callable[[AsyncSession], Awaitable[object]]


class UnitOfWork:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._session: AsyncSession | None = None
        # SQLAlchemy forbids concurrent use of one AsyncSession; sibling resolvers run concurrently.
        self._lock = asyncio.Lock()
        self._finished = False
        self._deferred: list[DeferredWrite] = []

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """The operation's session, opened on first use and held exclusively for the `async with`."""
        async with self._lock:
            if self._finished:
                # A resolver still running after an error ended the operation (graphql-core does not
                # cancel siblings): a session opened now would never be closed.
                raise RuntimeError("the operation has finished; its database session is closed")
            if self._session is None:
                self._session = self._sessionmaker()
            yield self._session

    async def release(self) -> None:
        """Commit what the operation's session did so far and hand its connection back to the pool.

        For a flow about to wait on something slow (a password hash): it must not hold a connection
        meanwhile. Only fields that stand alone in their operation call it (schema/validation.py), so
        nothing but their own reads and a sliding session refresh is committed early.
        """
        async with self._lock:
            if self._session is not None:
                await self._session.commit()

    async def release_if_unwritten(self) -> bool:
        """`release()` when the operation's transaction has written nothing yet (its earlier fields, if
        any, only read); False, holding on, when committing now would split another field's writes
        from the rest of the operation."""
        async with self._lock:
            if self._session is not None:
                if self._session.sync_session.info.get(_WRITTEN):
                    return False
                await self._session.commit()
        return True

    @asynccontextmanager
    async def independent(self) -> AsyncIterator[AsyncSession]:
        """A transaction of its own, committed when the `async with` ends without an exception."""
        async with self._sessionmaker.begin() as db:
            yield db

    def has_written(self) -> bool:
        """Whether the operation's transaction holds writes: another transaction writing now could wait
        on its locks (SQLite's single writer, a row it updated) until it ends."""
        return self._session is not None and bool(self._session.sync_session.info.get(_WRITTEN))

    def after_end(self, write: DeferredWrite) -> None:
        """Run `write` in its own transaction once the operation's transaction has ended, either way."""
        self._deferred.append(write)

    async def finish(self, *, commit: bool) -> None:
        """Commit (or roll back) and close the operation's session, if one was opened, then run the
        deferred writes. Waits for a straggling resolver to release the session first."""
        async with self._lock:
            self._finished = True
            session, self._session = self._session, None
        try:
            if session is not None:
                try:
                    if commit:
                        await session.commit()
                    else:
                        await session.rollback()
                finally:
                    await session.close()
        finally:
            deferred, self._deferred = self._deferred, []
            for write in deferred:
                await self._run_deferred(write)

    async def _run_deferred(self, write: DeferredWrite) -> None:
        try:
            async with self.independent() as db:
                await write(db)
        except Exception:  # noqa: BLE001 - one failed write must not stop the others or the answer
            log.exception("a write deferred to the end of the operation failed")
