"""Per-request DataLoaders of the security event log: events by ID, and pages of many users' events in
one statement (a page of users with their `securityEvents` costs the same as one user)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiodataloader import DataLoader
from sqlalchemy import select

from db import event_queries
from db.event_queries import EVENT_ORDERING, SecurityEventRecord
from db.models import SecurityEvent
from schema.loaders import _grouped

if TYPE_CHECKING:
    from schema.context import Context

# (user_id, rows wanted, after position): one page of one user's events.
EventPageKey = tuple[uuid.UUID, int, tuple[datetime, uuid.UUID] | None]


class EventLoaders:
    def __init__(self, context: Context) -> None:
        self._context = context
        self.by_id: DataLoader[uuid.UUID, SecurityEventRecord | None] = DataLoader(self._load_by_id)
        self.page: DataLoader[EventPageKey, list[SecurityEventRecord]] = DataLoader(self._load_pages)
        self.has_newer: DataLoader[tuple[Any, ...], bool] = DataLoader(self._load_has_newer)

    async def _load_by_id(self, ids: list[uuid.UUID]) -> list[SecurityEventRecord | None]:
        async with self._context.db() as db:
            return await event_queries.events_by_ids(db, ids)

    async def _load_pages(self, keys: list[EventPageKey]) -> list[list[SecurityEventRecord]]:
        pages: dict[tuple[Any, ...], list[SecurityEventRecord]] = {}
        async with self._context.db() as db:
            for (limit, after), user_ids in _grouped(keys).items():
                found = await event_queries.events_of_users(db, user_ids, limit=limit, after=after)
                pages.update({(user_id, limit, after): rows for user_id, rows in found.items()})
        return [pages[key] for key in keys]

    async def _load_has_newer(self, keys: list[tuple[Any, ...]]) -> list[bool]:
        """Which users have an event at or before a cursor (newer, in newest-first order)."""
        found: set[tuple[Any, ...]] = set()
        async with self._context.db() as db:
            for (position,), user_ids in _grouped(keys).items():
                statement = (
                    select(SecurityEvent.user_id)
                    .where(SecurityEvent.user_id.in_(user_ids), EVENT_ORDERING.at_or_after(position, reverse=True))
                    .distinct()
                )
                found.update((user_id, position) for user_id in await db.scalars(statement))
        return [key in found for key in keys]
