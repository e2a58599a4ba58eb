"""Per-request DataLoaders: one query per batch, results in key order."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Hashable, Sequence
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from aiodataloader import DataLoader

from db import queries
from db.models import SessionStatus
from db.types import utcnow

if TYPE_CHECKING:
    from db.records import SessionRecord as Session
    from schema.event_loaders import EventLoaders
    from db.records import UserRecord as User
    from schema.context import Context

# (user_id, rows wanted, after position, status): one page of one user's sessions.
SessionPageKey = tuple[uuid.UUID, int, tuple[datetime, uuid.UUID] | None, SessionStatus | None]


def _grouped(keys: Sequence[tuple[Any, ...]]) -> dict[Hashable, list[uuid.UUID]]:
    """Group keys `(user_id, *rest)` by `rest`: one statement serves every user sharing the arguments."""
    groups: dict[Hashable, dict[uuid.UUID, None]] = defaultdict(dict)  # dicts: ordered, unique, O(1)
    for user_id, *rest in keys:
        groups[tuple(rest)][user_id] = None
    return {rest: list(user_ids) for rest, user_ids in groups.items()}


class Loaders:
    """Created per request: aiodataloader binds to the running event loop and caches per instance."""

    def __init__(self, context: Context) -> None:
        self._context = context
        # One clock per request, so a page and its totalCount agree on which sessions are active.
        self.now = utcnow()
        # Rows this request already read in pages, consulted before querying by ID: cheaper than
        # DataLoader.prime, which makes a future per row whether or not anything ever asks for it.
        self._seen_users: dict[uuid.UUID, User] = {}
        self._seen_sessions: dict[uuid.UUID, Session] = {}
        self.user_by_id: DataLoader[uuid.UUID, User | None] = DataLoader(self._load_users)
        self.session_by_id: DataLoader[uuid.UUID, Session | None] = DataLoader(self._load_sessions)
        self.session_page: DataLoader[SessionPageKey, list[Session]] = DataLoader(self._load_session_pages)
        self.session_count: DataLoader[tuple[uuid.UUID, SessionStatus | None], int] = DataLoader(
            self._load_session_counts
        )
        self.has_sessions_at_or_before: DataLoader[tuple[Any, ...], bool] = DataLoader(
            self._load_sessions_at_or_before
        )

    async def _load_users(self, ids: list[uuid.UUID]) -> list[User | None]:
        return await self._load_unseen(ids, self._seen_users, queries.users_by_ids)

    async def _load_sessions(self, ids: list[uuid.UUID]) -> list[Session | None]:
        return await self._load_unseen(ids, self._seen_sessions, queries.sessions_by_ids)

    async def _load_unseen(self, ids: list[uuid.UUID], seen: dict[uuid.UUID, Any], load) -> list[Any]:
        missing = [id_ for id_ in ids if id_ not in seen]
        found: dict[uuid.UUID, Any] = {}
        if missing:
            async with self._context.db() as db:
                found = dict(zip(missing, await load(db, missing), strict=True))
        return [seen[id_] if id_ in seen else found[id_] for id_ in ids]

    async def _load_session_pages(self, keys: list[SessionPageKey]) -> list[list[Session]]:
        pages: dict[tuple[Any, ...], list[Session]] = {}
        async with self._context.db() as db:
            for (limit, after, status), user_ids in _grouped(keys).items():
                found = await queries.sessions_of_users(
                    db, user_ids, limit=limit, after=after, status=status, now=self.now
                )
                pages.update({(user_id, limit, after, status): rows for user_id, rows in found.items()})
        for rows in pages.values():
            self._seen_sessions.update((row.id, row) for row in rows)
        return [pages[key] for key in keys]

    async def _load_session_counts(self, keys: list[tuple[uuid.UUID, SessionStatus | None]]) -> list[int]:
        counts: dict[tuple[Any, ...], int] = {}
        async with self._context.db() as db:
            for (status,), user_ids in _grouped(keys).items():
                found = await queries.session_counts(db, user_ids, status=status, now=self.now)
                counts.update({(user_id, status): n for user_id, n in found.items()})
        return [counts[key] for key in keys]

    async def _load_sessions_at_or_before(self, keys: list[tuple[Any, ...]]) -> list[bool]:
        found: set[tuple[Any, ...]] = set()
        async with self._context.db() as db:
            for (position, status), user_ids in _grouped(keys).items():
                users = await queries.users_with_sessions_at_or_before(
                    db, user_ids, position=position, status=status, now=self.now
                )
                found.update((user_id, position, status) for user_id in users)
        return [key in found for key in keys]

    def prime_users(self, users: list[User]) -> None:
        self._seen_users.update((user.id, user) for user in users)

    @cached_property
    def events(self) -> EventLoaders:
        """The security event log's loaders (schema/event_loaders.py), made when a request needs them."""
        from schema.event_loaders import EventLoaders

        return EventLoaders(self._context)
