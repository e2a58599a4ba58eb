"""Login sessions: creating them, authenticating a token, sliding expiry and revocation."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.util import greenlet_spawn

from db.services.tokens import hash_token, is_plausible_token, new_token
from db.models import Role, Session, SessionStatus, User
from db.records import SessionRecord, UserRecord, make_session_record, make_user_record, record_columns
from db.services import events
from db.services.errors import ErrorCode, Problem, Rejected
from db.services.events import EventType
from db.services.origin import Actor, Client
from db.types import utcnow

_USER_AGENT_MAX = 512
# Built once: every authenticated request runs it, and building a select costs about as much as
# SQLAlchemy's compiled-cache lookup that follows.
_SESSION_AND_USER_BY_TOKEN_HASH = (
    select(Session, User).join(User, User.id == Session.user_id).where(Session.token_hash == bindparam("token_hash"))
)
# The same lookup for read-only operations, in Core: plain table columns, so SQLAlchemy's ORM execution
# and loading (two instrumented instances) are skipped on the statement most requests run.
_SESSION_TABLE, _USER_TABLE = Session.__table__, User.__table__
_SESSION_COLUMNS = record_columns(SessionRecord, _SESSION_TABLE)
_SESSION_AND_USER_RECORDS_BY_TOKEN_HASH = (
    select(*_SESSION_COLUMNS, *record_columns(UserRecord, _USER_TABLE))
    .select_from(_SESSION_TABLE.join(_USER_TABLE, _USER_TABLE.c.id == _SESSION_TABLE.c.user_id))
    .where(_SESSION_TABLE.c.token_hash == bindparam("token_hash"))
)
_REFRESH_EXPIRY = (
    update(_SESSION_TABLE)
    .where(_SESSION_TABLE.c.id == bindparam("session_id"))
    .values(expires_at=bindparam("new_expires_at"), updated_at=bindparam("new_updated_at"))
)


@dataclass(frozen=True)
class SessionPolicy:
    ttl: timedelta
    refresh_after: timedelta

    def refresh_due(self, expires_at: datetime, now: datetime) -> bool:
        """Sliding expiry is written at most once per `refresh_after`, so most requests write nothing."""
        return expires_at - self.ttl + self.refresh_after <= now


def _usable(login: Session | SessionRecord, user: User | UserRecord, now: datetime) -> bool:
    """Revoked, expired, inactive and banned all mean anonymous; callers never learn which. So does an
    impersonation session of a user who has become an admin meanwhile: impersonation never acts as one."""
    return (
        login.revoked_at is None
        and login.expires_at > now
        and user.is_active
        and not user.is_banned_at(now)
        and not (login.impersonated_by_id is not None and user.role == Role.ADMIN)
    )


def _slides(policy: SessionPolicy, login: Session | SessionRecord, now: datetime) -> bool:
    """Sliding expiry, except for impersonation sessions: their end is fixed when they open."""
    return login.impersonated_by_id is None and policy.refresh_due(login.expires_at, now)


async def create_session(
    db: AsyncSession,
    *,
    user: User,
    policy: SessionPolicy,
    ip_address: str | None,
    user_agent: str | None,
    now: datetime | None = None,
) -> tuple[Session, str]:
    """A new session for `user`; returns it with the token, which exists nowhere else after this."""
    now = now or utcnow()
    token = new_token()
    login = Session(
        user_id=user.id,
        token_hash=hash_token(token),
        expires_at=now + policy.ttl,
        ip_address=ip_address,
        user_agent=(user_agent or None) and user_agent[:_USER_AGENT_MAX],
        created_at=now,
        updated_at=now,
    )
    user.last_sign_in_at = now
    db.add(login)
    await db.flush()
    return login, token


async def authenticate(
    db: AsyncSession, token: str, *, policy: SessionPolicy, now: datetime | None = None
) -> tuple[User, Session] | None:
    """The active user and session a token belongs to, or None; one indexed lookup by hash.

    Revoked, expired and malformed tokens, and inactive users, are all just None: callers treat the
    request as anonymous and never learn why.
    """
    if not is_plausible_token(token):
        return None
    now = now or utcnow()
    row = (await db.execute(_SESSION_AND_USER_BY_TOKEN_HASH, {"token_hash": hash_token(token)})).first()
    if row is None:
        return None
    login, user = row
    if not _usable(login, user, now):
        return None
    if _slides(policy, login, now):
        login.expires_at = now + policy.ttl
        await db.flush()
    return user, login


async def authenticate_records(
    open_db: Callable[[], AbstractAsyncContextManager[AsyncSession]],
    token: str,
    *,
    policy: SessionPolicy,
    now: datetime | None = None,
    direct: AsyncEngine | None = None,
) -> tuple[UserRecord, SessionRecord] | None:
    """`authenticate` for read-only operations: the same rules and sliding expiry, but read-only records
    of the user and the session instead of ORM rows (which writes need: `authenticate`).

    `open_db` opens the operation's session (`Context.db`): for the lookup, and for the sliding-expiry
    write. With `direct` (PostgreSQL through asyncpg, no transaction-mode pooler: `Database.direct_reads`)
    the lookup goes straight to the driver on a connection of its own instead, so an operation that
    needs nothing else from the database opens no session at all: see `_login_row_directly`.
    """
    if not is_plausible_token(token):
        return None
    now = now or utcnow()
    token_hash = hash_token(token)
    if direct is not None:
        row = await _login_row_directly(direct, token_hash)
    else:
        async with open_db() as db:
            row = (await db.execute(_SESSION_AND_USER_RECORDS_BY_TOKEN_HASH, {"token_hash": token_hash})).first()
    if row is None:
        return None
    split = len(_SESSION_COLUMNS)
    login, user = make_session_record(row[:split]), make_user_record(row[split:])
    if direct is not None:
        user.role = Role(user.role)  # the column's type conversion (asyncpg's datetimes are already UTC)
    if not _usable(login, user, now):
        return None
    if _slides(policy, login, now):
        login.expires_at, login.updated_at = now + policy.ttl, utcnow()  # as the ORM flush's `onupdate`
        async with open_db() as db:
            await db.execute(_REFRESH_EXPIRY, {
                "session_id": login.id, "new_expires_at": login.expires_at, "new_updated_at": login.updated_at,
            })
    return user, login


async def _login_row_directly(engine: AsyncEngine, token_hash: str):
    """The lookup's row from asyncpg itself, on a pooled connection of its own, outside any transaction.

    The one statement of most authenticated reads, so the cheapest path: SQLAlchemy's execution, its ORM
    session (nothing else may need one), the BEGIN and COMMIT round trips and the `Connection` around the
    pooled connection are all skipped, each a measurable part of a small query's CPU time
    (docs/performance.md). Under READ COMMITTED a lone SELECT sees the same
    outside a transaction as inside one; the connection goes back to the pool at once (asyncpg's adapter
    began no transaction, so returning it sends nothing). The SQL is SQLAlchemy's own compilation of the
    Core select, so PostgreSQL sees the same statement either way.

    When the driver fails for any other reason than a timeout, that connection is invalidated and the
    select runs again through SQLAlchemy on another: a lone read may safely run twice, so a connection
    that broke since its last use costs no failed request, while a database that is gone still gives
    SQLAlchemy's usual error (and invalidates the pool).
    """
    pooled = await engine.raw_connection()  # the pool's checkout, idle pre-ping included
    failure: Exception | None = None
    try:
        return await pooled.driver_connection.fetchrow(_login_sql(type(engine.dialect)), token_hash)
    except TimeoutError:
        raise
    except Exception as error:  # noqa: BLE001 - re-raised by SQLAlchemy below, as if it had run the statement
        failure = error
    finally:
        # Back into the pool (check-in may need the driver: hence the greenlet); a connection that
        # failed is closed and replaced instead, as SQLAlchemy does with one it finds broken.
        await greenlet_spawn(pooled.close if failure is None else lambda: pooled.invalidate(failure))
    async with engine.connect() as connection:
        statement, parameters = _SESSION_AND_USER_RECORDS_BY_TOKEN_HASH, {"token_hash": token_hash}
        return (await connection.execute(statement, parameters)).first()


@functools.cache
def _login_sql(dialect_type: type) -> str:
    return str(_SESSION_AND_USER_RECORDS_BY_TOKEN_HASH.compile(dialect=dialect_type()))


async def revoke_sessions(
    db: AsyncSession,
    *,
    user_id: uuid.UUID,
    except_session_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> int:
    """Revoke every active session of a user (but one, if given); returns how many."""
    now = now or utcnow()
    statement = (
        update(Session)
        .where(Session.user_id == user_id, Session.revoked_at.is_(None), Session.expires_at > now)
        .values(revoked_at=now, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if except_session_id is not None:
        statement = statement.where(Session.id != except_session_id)
    result = await db.execute(statement)
    return result.rowcount or 0


async def revoke_session(
    db: AsyncSession,
    *,
    session_id: uuid.UUID | None,
    actor: User,
    field: tuple[str, ...] | None = ("id",),
    now: datetime | None = None,
    acting: Actor | None = None,
    client: Client | None = None,
    event: EventType = EventType.SESSION_REVOKED,
) -> Session:
    """Revoke one session of `actor` (any session, for an admin); an already ended one stays as it is.

    Another user's session is NOT_FOUND for a non-admin, exactly like one that does not exist. With
    `acting` (who acts, for the event log) the revocation is recorded as `event`.
    """
    login = await db.get(Session, session_id) if session_id else None
    if login is None or (login.user_id != actor.id and actor.role is not Role.ADMIN):
        raise Rejected(Problem(ErrorCode.NOT_FOUND, "No such session", field))
    now = now or utcnow()
    if login.status_at(now) is SessionStatus.ACTIVE:
        login.revoked_at = now
        await db.flush()
        if acting is not None:
            await events.record(
                db, event, user_id=login.user_id, email=await _email_of(db, login.user_id),
                actor=events.towards(acting, login.user_id), client=client or Client(),
                details={"sessionId": str(login.id)}, now=now,
            )
    return login


async def _email_of(db: AsyncSession, user_id: uuid.UUID) -> str | None:
    return await db.scalar(select(User.email).where(User.id == user_id))


async def revoke_other_sessions(
    db: AsyncSession, *, user: User, current_session_id: uuid.UUID, acting: Actor, client: Client
) -> int:
    """The viewer signs out everywhere else; recorded as one SESSION_REVOKED event."""
    count = await revoke_sessions(db, user_id=user.id, except_session_id=current_session_id)
    await events.record(
        db, EventType.SESSION_REVOKED, user_id=user.id, email=user.email, actor=acting, client=client,
        details={"count": count, "otherSessions": True},
    )
    return count


async def revoke_impersonations_by(db: AsyncSession, admin_id: uuid.UUID, *, now: datetime | None = None) -> int:
    """End the impersonation sessions an admin opened (when the admin is demoted, banned or deactivated)."""
    now = now or utcnow()
    result = await db.execute(
        update(Session)
        .where(Session.impersonated_by_id == admin_id, Session.revoked_at.is_(None), Session.expires_at > now)
        .values(revoked_at=now, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


async def purge_ended_sessions(db: AsyncSession, *, ended_before: datetime) -> int:
    """Delete sessions revoked or expired before `ended_before`; returns how many."""
    result = await db.execute(
        delete(Session).where(or_(Session.revoked_at < ended_before, Session.expires_at < ended_before))
    )
    return result.rowcount or 0
