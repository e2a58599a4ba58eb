"""The security event log: what happened to an account, who did it, from where.

Two ways to record, by what the event is about:
- `record(db, ...)`: an event about a change, added to the change's own transaction, so a rolled-back
  change leaves no event.
- `record_attempt(unit, ...)`: an event about an attempt (a failed sign-in, a wrong second-factor code),
  committed on its own at once, so it is kept whatever its operation does.

Services call these where the thing happens (never resolvers).
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.services.origin import Actor, Client
from db.unit_of_work import UnitOfWork


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


async def record(
    db: AsyncSession,
    type: EventType,
    *,
    user_id: uuid.UUID | None,
    email: str | None,
    actor: Actor,
    client: Client,
    details: dict[str, Any] | None = None,
) -> None:
    """An event about a change, in the change's transaction (flushed with it, committed with it)."""
    # The event table arrives with the event log; until then nothing is stored.


async def record_attempt(
    unit: UnitOfWork,
    type: EventType,
    *,
    user_id: uuid.UUID | None,
    email: str | None,
    actor: Actor,
    client: Client,
    details: dict[str, Any] | None = None,
) -> None:
    """An event about an attempt, committed on its own at once (`unit.independent()`)."""
    # The event table arrives with the event log; until then nothing is stored.
