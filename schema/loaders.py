"""Per-request DataLoaders: one query per batch, results in key order."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from aiodataloader import DataLoader

from db import queries

if TYPE_CHECKING:
    from db.models import Session, User
    from schema.context import Context


class Loaders:
    """Created per request: aiodataloader binds to the running event loop and caches per instance."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self.user_by_id: DataLoader[uuid.UUID, User | None] = DataLoader(self._load_users)
        self.session_by_id: DataLoader[uuid.UUID, Session | None] = DataLoader(self._load_sessions)

    async def _load_users(self, ids: list[uuid.UUID]) -> list[User | None]:
        async with self._context.db() as session:
            return await queries.users_by_ids(session, ids)

    async def _load_sessions(self, ids: list[uuid.UUID]) -> list[Session | None]:
        async with self._context.db() as session:
            return await queries.sessions_by_ids(session, ids)

    def prime_users(self, users: list[User]) -> None:
        for user in users:
            self.user_by_id.prime(user.id, user)
