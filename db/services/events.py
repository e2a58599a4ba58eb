"""The security event log: what happened to an account, who did it, from where.

Two ways to record, by what the event is about:
- `record(db, ...)`: an event about a change, added to the change's own transaction, so a rolled-back
  change leaves no event.
- `record_attempt(unit, ...)`: an event about an attempt (a failed sign-in, a wrong second-factor code),
  committed on its own at once, so it is kept whatever its operation does.

Services call these where the thing happens (never resolvers). Each event is also logged as one line
(logger `usergraph.security`, fields under `event`) once it is committed.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, event, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session as OrmSession

from db.models import SecurityEvent, User
from db.services.origin import Actor, ActorKind, Client
from db.types import utcnow
from db.unit_of_work import UnitOfWork

log = logging.getLogger("usergraph.security")
_PENDING = "usergraph_security_events"  # events of the current transaction, logged when it commits


class EventType(StrEnum):
    SIGNED_UP = "SIGNED_UP"
    SIGNED_IN = "SIGNED_IN"
    SIGN_IN_FAILED = "SIGN_IN_FAILED"
    SIGNED_OUT = "SIGNED_OUT"
    SESSION_REVOKED = "SESSION_REVOKED"
    PASSWORD_CHANGED = "PASSWORD_CHANGED"
    PASSWORD_RESET_REQUESTED = "PASSWORD_RESET_REQUESTED"
    PASSWORD_RESET = "PASSWORD_RESET"
    EMAIL_VERIFIED = "EMAIL_VERIFIED"
    EMAIL_CHANGE_REQUESTED = "EMAIL_CHANGE_REQUESTED"
    EMAIL_CHANGED = "EMAIL_CHANGED"
    USER_CREATED = "USER_CREATED"
    USER_UPDATED = "USER_UPDATED"
    ROLE_CHANGED = "ROLE_CHANGED"
    USER_DELETED = "USER_DELETED"
    USER_BANNED = "USER_BANNED"
    USER_UNBANNED = "USER_UNBANNED"
    IMPERSONATION_STARTED = "IMPERSONATION_STARTED"
    IMPERSONATION_STOPPED = "IMPERSONATION_STOPPED"
    TWO_FACTOR_ENABLED = "TWO_FACTOR_ENABLED"
    TWO_FACTOR_DISABLED = "TWO_FACTOR_DISABLED"
    RECOVERY_CODES_REGENERATED = "RECOVERY_CODES_REGENERATED"
    RECOVERY_CODE_USED = "RECOVERY_CODE_USED"


def towards(actor: Actor, user_id: uuid.UUID | None) -> Actor:
    """A signed-in user acting on another user's account acts as an admin (only admins may)."""
    if actor.kind is ActorKind.SELF and actor.user_id != user_id:
        return Actor.admin(actor.user_id)
    return actor


def _values(
    type: EventType,
    *,
    user_id: uuid.UUID | None,
    email: str | None,
    actor: Actor,
    client: Client,
    details: dict[str, Any] | None,
    now: datetime | None,
) -> dict[str, Any]:
    details = dict(details or {})
    if actor.impersonation:
        details["impersonation"] = True
    return {
        "id": uuid.uuid4(),
        "type": EventType(type).value,
        "occurred_at": now or utcnow(),
        "actor_id": actor.user_id,
        "actor_kind": actor.kind.value,
        "user_id": user_id,
        "email": email,
        "ip_address": client.ip_address,
        "user_agent": client.user_agent,
        "request_id": client.request_id,
        "details": details or None,
        "impersonation": actor.impersonation,
    }


async def _insert(db: AsyncSession, values: dict[str, Any], *, logged: dict[str, Any] | None = None) -> None:
    await db.execute(insert(SecurityEvent).values(**values))
    db.sync_session.info.setdefault(_PENDING, []).append(logged or values)


async def record(
    db: AsyncSession,
    type: EventType,
    *,
    user_id: uuid.UUID | None,
    email: str | None,
    actor: Actor,
    client: Client,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """An event about a change, in the change's transaction (flushed with it, committed with it)."""
    values = _values(type, user_id=user_id, email=email, actor=actor, client=client, details=details, now=now)
    await _insert(db, values)


async def record_deletion(db: AsyncSession, *, user_id: uuid.UUID, email: str, actor: Actor, client: Client) -> None:
    """USER_DELETED, written after the row is gone: the event keeps the email and, in its details, the ID
    (its `user` is null, as the foreign key would have made it; so is an actor who deleted themselves)."""
    if actor.user_id == user_id:
        actor = Actor(actor.kind, None, actor.impersonation)
    await record(db, EventType.USER_DELETED, user_id=None, email=email, actor=actor, client=client,
                 details={"userId": str(user_id)})


async def record_attempt(
    unit: UnitOfWork,
    type: EventType,
    *,
    user_id: uuid.UUID | None,
    email: str | None,
    actor: Actor,
    client: Client,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """An event about an attempt, committed on its own at once (`unit.independent()`).

    When the operation's transaction already holds writes (a sign-in refused after its row lock), the
    event is written as soon as that transaction ends instead: writing it now could wait on those locks.
    """
    values = _values(type, user_id=user_id, email=email, actor=actor, client=client, details=details, now=now)
    # Written outside the operation, the account may be gone by then (deleted meanwhile): its ID is
    # then left out rather than the event lost to the foreign key.
    row = {**values, **{key: _if_present(values[key]) for key in ("user_id", "actor_id") if values[key] is not None}}
    if unit.has_written():
        unit.after_end(lambda db: _insert(db, row, logged=values))
        return
    async with unit.independent() as db:
        await _insert(db, row, logged=values)


def _if_present(user_id: uuid.UUID):
    return select(User.id).where(User.id == user_id).scalar_subquery()


async def purge_events(db: AsyncSession, *, before: datetime) -> int:
    """Delete events that happened before `before` (the retention period); returns how many."""
    result = await db.execute(delete(SecurityEvent).where(SecurityEvent.occurred_at < before))
    return result.rowcount or 0


def _log_line(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: str(value) if isinstance(value, uuid.UUID) else value.isoformat() if isinstance(value, datetime) else value
        for key, value in values.items()
    }


@event.listens_for(OrmSession, "after_commit")
def _log_committed(db: OrmSession) -> None:
    for values in db.info.pop(_PENDING, ()):
        log.info(
            "security event %s user=%s actor=%s:%s", values["type"], values["user_id"], values["actor_kind"],
            values["actor_id"], extra={"event": _log_line(values)},
        )


@event.listens_for(OrmSession, "after_transaction_end")
def _forget_uncommitted(db: OrmSession, transaction) -> None:
    if transaction.parent is None:  # a rolled-back change leaves no event, in the log either
        db.info.pop(_PENDING, None)
