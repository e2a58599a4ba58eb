"""Reads of the security event log: read-only records, the newest-first keyset ordering, the admins'
filters and one statement for a page of events of many users at once (the `User.securityEvents` loader)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import SecurityEvent
from db.records import read_only_record, record_columns, record_maker
from db.services.pagination import Ordering, SortKey

_EVENTS = SecurityEvent.__table__
# Users per statement of `events_of_users`: SQLite allows 500 terms in a compound select.
_USERS_PER_STATEMENT = 200


SecurityEventRecord = read_only_record(
    "SecurityEventRecord", SecurityEvent, doc="A `security_events` row as read for the API."
)


make_event_record = record_maker(SecurityEventRecord)
_COLUMNS = record_columns(SecurityEventRecord, _EVENTS)

EVENT_ORDERING = Ordering(
    "EVENTS", (SortKey(_EVENTS.c.occurred_at, datetime), SortKey(_EVENTS.c.id, uuid.UUID)), descending=True
)


def event_position(row: SecurityEventRecord) -> tuple[datetime, uuid.UUID]:
    return row.occurred_at, row.id


@dataclass(frozen=True)
class EventFilter:
    types: Sequence[str] | None = None
    user_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    since: datetime | None = None


def filtered_events(event_filter: EventFilter) -> Select:
    """Events matching the filter, as record columns, ready for `fetch_page` (each filter has an index
    that leads with it, then the ordering's keys)."""
    statement = select(*_COLUMNS)
    columns = _EVENTS.c
    if event_filter.types is not None:
        statement = statement.where(columns.type.in_(list(event_filter.types)))
    if event_filter.user_id is not None:
        statement = statement.where(columns.user_id == event_filter.user_id)
    if event_filter.actor_id is not None:
        statement = statement.where(columns.actor_id == event_filter.actor_id)
    if event_filter.since is not None:
        statement = statement.where(columns.occurred_at >= event_filter.since)
    return statement


async def events_by_ids(db: AsyncSession, ids: Sequence[uuid.UUID]) -> list[SecurityEventRecord | None]:
    rows = await (await db.connection()).execute(select(*_COLUMNS).where(_EVENTS.c.id.in_(ids)))
    by_id = {row.id: row for row in map(make_event_record, rows)}
    return [by_id.get(id_) for id_ in ids]


async def events_of_users(
    db: AsyncSession,
    user_ids: Sequence[uuid.UUID],
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> dict[uuid.UUID, list[SecurityEventRecord]]:
    """Up to `limit` events per user, newest first: each user's page is its own range of the
    (user_id, occurred_at, id) index, however many events they have; all of them in one statement."""
    pages: dict[uuid.UUID, list[SecurityEventRecord]] = {id_: [] for id_ in user_ids}
    if limit <= 0:
        return pages
    connection = await db.connection()
    for start in range(0, len(user_ids), _USERS_PER_STATEMENT):
        parts = []
        for user_id in user_ids[start:start + _USERS_PER_STATEMENT]:
            part = select(*_COLUMNS).where(_EVENTS.c.user_id == user_id)
            if after is not None:
                part = part.where(EVENT_ORDERING.after(after))
            parts.append(select(part.order_by(*EVENT_ORDERING.order_by()).limit(limit).subquery()))
        statement = parts[0] if len(parts) == 1 else union_all(*parts)
        for row in await connection.execute(statement):
            found = make_event_record(row)
            pages[found.user_id].append(found)
    for rows in pages.values():
        rows.sort(key=event_position, reverse=True)
    return pages
