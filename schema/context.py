"""The per-operation GraphQL context: one lazily opened database session, loaders and the viewer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.fastapi import BaseContext

from api.settings import Settings
from db.engine import Database
from db.models import Session, User
from db.services.sessions import SessionPolicy, authenticate
from schema.loaders import Loaders


@dataclass(frozen=True)
class Viewer:
    """Who the request acts for: the user and the session its token belongs to."""

    user: User
    session: Session


class Context(BaseContext):
    def __init__(self, *, database: Database, settings: Settings) -> None:
        super().__init__()
        self.database = database
        self.settings = settings
        self._session: AsyncSession | None = None
        # SQLAlchemy forbids concurrent use of one AsyncSession; sibling resolvers run concurrently.
        self._session_lock = asyncio.Lock()
        self._viewer: asyncio.Future[Viewer | None] | None = None

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """The operation's session, held exclusively for the duration of the `async with`."""
        async with self._session_lock:
            if self._session is None:
                self._session = self.database.sessionmaker()
            yield self._session

    async def finish(self, *, commit: bool) -> None:
        """Commit (or roll back) and close the operation's session, if one was opened."""
        session, self._session = self._session, None
        if session is None:
            return
        try:
            if commit:
                await session.commit()
            else:
                await session.rollback()
        finally:
            await session.close()

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self)

    async def viewer(self) -> Viewer | None:
        """The authenticated viewer, resolved once per operation (None when anonymous)."""
        if self._viewer is None:
            self._viewer = asyncio.ensure_future(self._authenticate())
        return await asyncio.shield(self._viewer)

    def request_token(self) -> tuple[str | None, bool]:
        """(token, came from the cookie): the bearer header wins over the cookie."""
        request = self.request
        if request is None:
            return None, False
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip(), False
        cookie = request.cookies.get(self.settings.cookie_name)
        return (cookie, True) if cookie else (None, False)

    async def _authenticate(self) -> Viewer | None:
        token, _ = self.request_token()
        if not token:
            return None
        async with self.db() as session:
            found = await authenticate(session, token, policy=SessionPolicy.from_settings(self.settings))
        return Viewer(*found) if found else None

    @property
    def current_session_id(self):
        """The ID of the session authenticating this request, once `viewer()` has been awaited."""
        if self._viewer is None or not self._viewer.done() or self._viewer.exception():
            return None
        viewer = self._viewer.result()
        return viewer.session.id if viewer else None
