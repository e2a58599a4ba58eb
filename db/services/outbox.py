"""The mail outbox: messages stored in the transaction of the change that causes them (rolled back with
it), then claimed, sent and marked by a delivery worker (api/mail/worker.py) in any process.

A claim sets `claim_id` and a lease (`claimed_until`) in one statement: on PostgreSQL over rows locked
with `FOR UPDATE SKIP LOCKED`, so concurrent workers take different messages without waiting; SQLite runs
one writer at a time, so the statement alone is atomic. While a lease runs no other worker takes the
message; a worker that crashed mid-send leaves a lease that runs out, and the message is sent again
(at least once, with the same Message-ID, so a receiver can drop the repeat).
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, event, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from db.models import OutboxMessage
from db.types import utcnow

_ENQUEUED = "usergraph_outbox_enqueued"
_ERROR_MAX = 2000


@dataclass(frozen=True)
class Mail:
    """A rendered message, ready to store."""

    message_id: str
    sender: str
    recipient: str
    subject: str
    content: str


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    claim_id: uuid.UUID
    message_id: str
    sender: str
    recipient: str
    content: str
    attempts: int  # this try included


async def enqueue(db: AsyncSession, mail: Mail, *, now: datetime | None = None) -> uuid.UUID:
    """Store a message in the operation's transaction; delivery workers of this process are woken when it
    commits (the others find it at their next poll)."""
    now = now or utcnow()
    message_id = uuid.uuid4()
    await db.execute(insert(OutboxMessage).values(
        id=message_id, message_id=mail.message_id, sender=mail.sender, recipient=mail.recipient,
        subject=mail.subject[:255], content=mail.content, created_at=now, next_attempt_at=now, attempts=0,
    ))
    db.sync_session.info[_ENQUEUED] = True
    return message_id


# --- waking the workers of this process once a transaction that enqueued mail commits ---------------

_wake_ups: weakref.WeakSet = weakref.WeakSet()


class WakeUp:
    """Something a worker waits on; `enqueue`'s commit calls every registered one."""

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        _wake_ups.add(self)

    def close(self) -> None:
        _wake_ups.discard(self)


@event.listens_for(Session, "after_commit")
def _wake_workers(session: Session) -> None:
    if session.info.pop(_ENQUEUED, False):
        for wake_up in list(_wake_ups):
            wake_up.callback()


@event.listens_for(Session, "after_rollback")
def _forget_enqueued(session: Session) -> None:
    session.info.pop(_ENQUEUED, None)


# --- delivery -----------------------------------------------------------------------------------------


def _due(now: datetime):
    return and_(
        OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None), OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
    )


async def claim(db: AsyncSession, *, lease: timedelta, limit: int = 10, now: datetime | None = None) -> list[Claimed]:
    """Claim up to `limit` due messages for this worker until `now + lease`; commit before sending."""
    now = now or utcnow()
    claim_id = uuid.uuid4()
    due = (
        select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.next_attempt_at).limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has no row locks and needs none
        .cte("due")
    )
    if db.get_bind().dialect.name == "postgresql":
        # Chosen once: as an `IN (subquery)` PostgreSQL may run the LIMITed subquery again for each row
        # it looks at, and claim more than `limit` messages.
        due = due.prefix_with("MATERIALIZED")
    rows = (await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(select(due.c.id)), _due(now))
        .values(claim_id=claim_id, claimed_until=now + lease, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id, OutboxMessage.message_id, OutboxMessage.sender, OutboxMessage.recipient,
                   OutboxMessage.content, OutboxMessage.attempts)
        .execution_options(synchronize_session=False)
    )).all()
    return [Claimed(row.id, claim_id, row.message_id, row.sender, row.recipient, row.content, row.attempts)
            for row in rows]


def _mine(message: Claimed):
    return and_(OutboxMessage.id == message.id, OutboxMessage.claim_id == message.claim_id)


def headers_only(content: str) -> str:
    """What is kept of a message once it is out of our hands: its headers. The body held a live link
    token, which the database otherwise keeps only as a hash."""
    return content.split("\n\n", 1)[0] + "\n"


async def mark_sent(db: AsyncSession, message: Claimed, *, now: datetime | None = None) -> None:
    await db.execute(
        update(OutboxMessage).where(_mine(message))
        .values(sent_at=now or utcnow(), claimed_until=None, last_error=None, content=headers_only(message.content))
        .execution_options(synchronize_session=False)
    )


async def retry_later(db: AsyncSession, message: Claimed, *, error: str, delay: timedelta,
                      now: datetime | None = None) -> None:
    await db.execute(
        update(OutboxMessage).where(_mine(message))
        .values(next_attempt_at=(now or utcnow()) + delay, claimed_until=None, last_error=error[:_ERROR_MAX])
        .execution_options(synchronize_session=False)
    )


async def give_up(db: AsyncSession, message: Claimed, *, error: str, now: datetime | None = None) -> None:
    """The server refused the message for good (a 5xx reply): keep it, with why, and stop trying."""
    await db.execute(
        update(OutboxMessage).where(_mine(message))
        .values(failed_at=now or utcnow(), claimed_until=None, last_error=error[:_ERROR_MAX],
                content=headers_only(message.content))
        .execution_options(synchronize_session=False)
    )


def backoff(attempts: int, *, base: timedelta, ceiling: timedelta) -> timedelta:
    """Exponential: base, 2 base, 4 base, ... up to `ceiling`."""
    return min(base * (2 ** min(max(attempts - 1, 0), 30)), ceiling)


async def purge(db: AsyncSession, *, before: datetime) -> int:
    """Delete messages sent (or given up on) before `before`; returns how many."""
    result = await db.execute(delete(OutboxMessage).where(
        or_(OutboxMessage.sent_at < before, OutboxMessage.failed_at < before)
    ))
    return result.rowcount or 0
