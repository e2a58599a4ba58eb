"""Admins opening a short session as another user, for support (impersonateUser / stopImpersonating).

The session is the user's own, marked with the admin (`sessions.impersonated_by_id`), and lasts at most
an hour: sliding expiry never extends it (db/services/sessions.py). What it may not do is refused by
`schema.permissions.forbid_impersonation`. It ends when the admin stops it, when the admin is demoted,
deactivated or banned (revoked) or deleted (ON DELETE CASCADE), or when the user is banned or deactivated.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, insert, literal, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role, Session, User
from db.services import events
from db.services.admin import lock_active_admins
from db.services.errors import ErrorCode, Problem, Rejected
from db.services.events import EventType
from db.services.origin import Actor, Client
from db.services.sessions import SessionPolicy
from db.services.tokens import hash_token, new_token
from db.types import utcnow

MAX_DURATION = timedelta(hours=1)
_USER_AGENT_MAX = 512  # as sessions.create_session
NOT_IMPERSONABLE = "Only an active, unbanned user who is not an admin, other than yourself, can be impersonated"
NOT_IMPERSONATING = "This session is not an impersonation"


def _allowed(user_id: uuid.UUID, now: datetime, *, admin: bool):
    """The user exists, is active, is not banned and is (or, for a target, is not) an admin."""
    row = aliased(User)
    unbanned = or_(row.banned_at.is_(None), and_(row.ban_expires_at.is_not(None), row.ban_expires_at <= now))
    role = row.role == Role.ADMIN if admin else row.role != Role.ADMIN
    return exists().where(row.id == user_id, row.is_active.is_(True), unbanned, role)


async def impersonate(
    db: AsyncSession,
    *,
    admin_id: uuid.UUID,
    user_id: uuid.UUID | None,
    policy: SessionPolicy,
    client: Client,
    now: datetime | None = None,
) -> tuple[User, Session, str]:
    """A new session of the user opened by the admin: (user, session, token).

    Both rows are locked first (PostgreSQL), so a ban, deactivation or demotion committing meanwhile
    either comes before (and this is refused) or after (and revokes the new session); on SQLite the
    INSERT's own conditions do the same.
    """
    now = now or utcnow()
    if user_id is None:
        raise Rejected(Problem(ErrorCode.NOT_FOUND, "No such user", ("id",)))
    # The active admins first, then the user: the order every admin change locks in (admin.py), so a
    # ban or demotion racing this one waits for it instead of deadlocking with it.
    await lock_active_admins(db)
    locked = {
        row.id: row
        for row in await db.scalars(
            select(User).where(User.id.in_({admin_id, user_id})).with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    admin, user = locked.get(admin_id), locked.get(user_id)
    if user is None:
        raise Rejected(Problem(ErrorCode.NOT_FOUND, "No such user", ("id",)))
    admin_can = admin is not None and admin.role is Role.ADMIN and admin.is_active and not admin.is_banned_at(now)
    target_can = user.role is not Role.ADMIN and user.is_active and not user.is_banned_at(now)
    if user.id == admin_id or not admin_can or not target_can:
        raise Rejected(Problem(ErrorCode.INVALID_INPUT, NOT_IMPERSONABLE, ("id",)))
    token = new_token()
    values = {
        "id": uuid.uuid4(),
        "user_id": user.id,
        "token_hash": hash_token(token),
        "expires_at": now + min(MAX_DURATION, policy.ttl),
        "ip_address": client.ip_address,
        "user_agent": (client.user_agent or None) and client.user_agent[:_USER_AGENT_MAX],
        "impersonated_by_id": admin_id,
        "created_at": now,
        "updated_at": now,
    }
    # The checks again, in the INSERT itself: SQLite reads outside the write lock, so only a statement
    # that writes sees the account as the next writer (a ban) will.
    columns = Session.__table__.c
    source = select(*(literal(value, columns[name].type) for name, value in values.items())).where(
        _allowed(user.id, now, admin=False), _allowed(admin_id, now, admin=True)
    )
    inserted = await db.execute(insert(Session).from_select(list(values), source))
    if inserted.rowcount != 1:
        raise Rejected(Problem(ErrorCode.INVALID_INPUT, NOT_IMPERSONABLE, ("id",)))
    login = await db.get(Session, values["id"])
    await events.record(db, EventType.IMPERSONATION_STARTED, user_id=user.id, email=user.email,
                        actor=Actor.admin(admin_id), client=client,
                        details={"sessionId": str(login.id), "expiresAt": login.expires_at.isoformat()}, now=now)
    return user, login, token


async def stop_impersonating(db: AsyncSession, *, login: Session, client: Client, now: datetime | None = None) -> Session:
    """Revoke the impersonation session `login` (the one authenticating the request)."""
    if login.impersonated_by_id is None:
        raise Rejected(Problem(ErrorCode.INVALID_INPUT, NOT_IMPERSONATING))
    now = now or utcnow()
    if login.revoked_at is None:
        login.revoked_at = now
        await db.flush()
    email = await db.scalar(select(User.email).where(User.id == login.user_id))
    await events.record(db, EventType.IMPERSONATION_STOPPED, user_id=login.user_id, email=email,
                        actor=Actor.admin(login.impersonated_by_id, impersonation=True), client=client,
                        details={"sessionId": str(login.id)}, now=now)
    return login
