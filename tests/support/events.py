"""Reading the security event log in tests, straight from the database."""

from __future__ import annotations

from sqlalchemy import select

from db.models import SecurityEvent


async def events_of(database, *types: str) -> list[SecurityEvent]:
    """Every event (of these types, if given), oldest first."""
    statement = select(SecurityEvent).order_by(SecurityEvent.occurred_at, SecurityEvent.id)
    if types:
        statement = statement.where(SecurityEvent.type.in_(types))
    async with database.sessionmaker() as db:
        return list((await db.scalars(statement)).all())


async def only_event(database, type_: str) -> SecurityEvent:
    found = await events_of(database, type_)
    assert len(found) == 1, [(event.type, event.details) for event in found]
    return found[0]
