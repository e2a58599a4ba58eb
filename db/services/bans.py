"""Banning and unbanning users (admins only): a ban has a reason and, optionally, an end.

A banned user cannot sign in (ACCOUNT_BANNED, db/services/auth.py) and their sessions are revoked when
the ban starts. A ban past its `ban_expires_at` is over by itself: nothing needs to run at that moment.
A banned admin does not count as an active one, so banning follows the last-admin rule of admin.py.
"""

from __future__ import annotations

import unicodedata
import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from db.services import events
from db.services.admin import lock_active_admins, unless_last_active_admin
from db.services.errors import ErrorCode, Problem, Rejected
from db.services.events import EventType
from db.services.origin import Actor, Client
from db.services.sessions import revoke_impersonations_by, revoke_sessions
from db.types import utcnow

REASON_MAX = 500
NO_SELF_BAN = "Admins cannot ban themselves"
LAST_ADMIN_BAN = "The last active admin cannot be banned"
PAST_END = "The end of a ban must be in the future"
USER_NOT_FOUND = "No such user"
BAD_CHARACTERS = "The reason must be one line without control or format characters"
# As in names (db/services/validation.py): control (PostgreSQL refuses NUL), format (bidirectional
# overrides), lone surrogates and line separators. The reason is shown to the user and in admin pages.
_REFUSED_IN_REASONS = {"Cc", "Cf", "Cs", "Zl", "Zp"}


async def _target(db: AsyncSession, user_id: uuid.UUID | None) -> User:
    user = await db.get(User, user_id) if user_id is not None else None
    if user is None:
        raise Rejected(Problem(ErrorCode.NOT_FOUND, USER_NOT_FOUND, ("id",)))
    return user


def _check_ban(
    admin_id: uuid.UUID | None, user_id: uuid.UUID, reason: str | None, expires_at: datetime | None, now: datetime
) -> str | None:
    """The trimmed reason (None when empty); raises `Rejected` with every problem found."""
    problems = []
    if admin_id == user_id:
        problems.append(Problem(ErrorCode.INVALID_INPUT, NO_SELF_BAN, ("id",)))
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > REASON_MAX:
        problems.append(Problem(ErrorCode.INVALID_INPUT, f"At most {REASON_MAX} characters", ("input", "reason")))
    elif reason is not None and any(unicodedata.category(char) in _REFUSED_IN_REASONS for char in reason):
        problems.append(Problem(ErrorCode.INVALID_INPUT, BAD_CHARACTERS, ("input", "reason")))
    if expires_at is not None and _utc(expires_at) <= now:
        problems.append(Problem(ErrorCode.INVALID_INPUT, PAST_END, ("input", "expiresAt")))
    if problems:
        raise Rejected(*problems)
    return reason


def _utc(moment: datetime) -> datetime:
    """In UTC; a moment that leaves Python's range there (0001-01-01T00:00:00+01:00) counts as past."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


async def ban_user(
    db: AsyncSession,
    *,
    user_id: uuid.UUID | None,
    reason: str | None,
    expires_at: datetime | None,
    actor: Actor,
    client: Client,
    now: datetime | None = None,
) -> User:
    """Ban (or re-ban with a new reason and end) and revoke every session of the user; an admin's
    impersonation sessions end too. Conditional on another active admin remaining, like a demotion."""
    now = now or utcnow()
    user = await _target(db, user_id)
    reason = _check_ban(actor.user_id, user.id, reason, expires_at, now)
    await lock_active_admins(db)
    statement = (
        update(User)
        .where(User.id == user.id, unless_last_active_admin(user.id))
        .values(banned_at=now, ban_reason=reason, ban_expires_at=expires_at)
        .returning(User)
    )
    banned = (await db.execute(statement, execution_options={"populate_existing": True})).scalar_one_or_none()
    if banned is None:  # deleted meanwhile, or the last active admin
        if await db.scalar(select(User.id).where(User.id == user.id)) is None:
            raise Rejected(Problem(ErrorCode.NOT_FOUND, USER_NOT_FOUND, ("id",)))
        raise Rejected(Problem(ErrorCode.INVALID_INPUT, LAST_ADMIN_BAN, ("id",)))
    revoked = await revoke_sessions(db, user_id=user.id, now=now)
    await revoke_impersonations_by(db, user.id, now=now)
    details = {"reason": reason, "expiresAt": expires_at.isoformat() if expires_at else None, "revokedSessions": revoked}
    await events.record(db, EventType.USER_BANNED, user_id=user.id, email=banned.email,
                        actor=events.towards(actor, user.id), client=client, details=details, now=now)
    return banned


async def unban_user(db: AsyncSession, *, user_id: uuid.UUID | None, actor: Actor, client: Client) -> User:
    """Lift a ban (also one that already ended by itself); a user who was never banned is left as is."""
    user = await _target(db, user_id)
    if user.banned_at is None:
        return user
    user.banned_at = user.ban_reason = user.ban_expires_at = None
    await db.flush()
    await events.record(db, EventType.USER_UNBANNED, user_id=user.id, email=user.email,
                        actor=events.towards(actor, user.id), client=client)
    return user
