"""The per-operation GraphQL context: one lazily opened database session, loaders, the viewer and the
session cookie."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.fastapi import BaseContext

from db.engine import Database
from db.models import Session, User
from db.records import SessionRecord, UserRecord
from db.services.auth import AuthPolicy, SignedIn
from db.services.email_flows import DEFAULT_POLICY as DEFAULT_EMAIL_FLOWS, EmailFlowPolicy
from db.services.origin import Client
from db.services.sessions import authenticate, authenticate_records
from db.types import utcnow
from db.unit_of_work import UnitOfWork
from schema.hooks import Hooks
from schema.loaders import Loaders

# A cookie only authenticates bodies a cross-site HTML form cannot send (CSRF): forms can only post
# urlencoded, multipart or text/plain. GET is safe because mutations over GET are refused.
_COOKIE_SAFE_CONTENT_TYPES = {"application/json", "application/graphql"}
_IP_MAX, _USER_AGENT_MAX = 45, 512


@dataclass(frozen=True)
class Viewer:
    """Who the request acts for: the user and the session its token belongs to.

    ORM rows in a mutation (services write to them); read-only records in a query, which skip the ORM's
    loading and instrumentation (nothing in a query writes them back).
    """

    user: User | UserRecord
    session: Session | SessionRecord

    @property
    def writable(self) -> bool:
        return isinstance(self.user, User) and isinstance(self.session, Session)


@dataclass(frozen=True)
class ContextConfig:
    """What every operation's context needs from the settings, built once where the app starts."""

    auth: AuthPolicy
    cookie_name: str = "usergraph_session"
    secure_cookies: bool = True  # off only in DEBUG, for plain-HTTP development
    cookie_samesite: Literal["lax", "strict", "none"] = "lax"
    hooks: Hooks = Hooks()
    email_flows: EmailFlowPolicy = DEFAULT_EMAIL_FLOWS


class Context(BaseContext):
    def __init__(self, *, database: Database, config: ContextConfig) -> None:
        super().__init__()
        self.database = database
        self.config = config
        self.unit = UnitOfWork(database.sessionmaker)
        self._viewer: asyncio.Future[Viewer | None] | None = None

    def db(self) -> AbstractAsyncContextManager[AsyncSession]:
        """The operation's session, held exclusively for the duration of the `async with`."""
        return self.unit.db()

    async def finish(self, *, commit: bool) -> None:
        """End the operation's transaction (db/unit_of_work.py), then run the writes deferred past it."""
        await self.unit.finish(commit=commit)

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self)

    async def viewer(self, *, writes: bool = False) -> Viewer | None:
        """The authenticated viewer, resolved once per operation (None when anonymous).

        `writes=True` (resolvers of mutations) asks for ORM rows the services can change; otherwise the
        first lookup reads records, and a later `writes=True` loads the rows by ID.
        """
        if self._viewer is None:
            self._viewer = asyncio.ensure_future(self._authenticate(writes=writes))
        elif self._viewer.done():
            viewer = self._viewer.result()  # every resolver after the first: no shield, no await
            if not writes or viewer is None or viewer.writable:
                return viewer
        viewer = await asyncio.shield(self._viewer)
        if writes and viewer is not None and not viewer.writable:
            viewer = await self._writable(viewer)
        return viewer

    async def _writable(self, viewer: Viewer) -> Viewer | None:
        """The ORM rows of a viewer first read as records (through the identity map); from now on they
        are the operation's viewer."""
        async with self.db() as db:
            user = await db.get(User, viewer.user.id)
            login = await db.get(Session, viewer.session.id)
        rows = Viewer(user, login) if user is not None and login is not None else None
        resolved = asyncio.get_running_loop().create_future()
        resolved.set_result(rows)
        self._viewer = resolved
        return rows

    def request_token(self) -> tuple[str | None, bool]:
        """(token, came from the cookie): the bearer header wins over the cookie."""
        request = self.request
        if request is None:
            return None, False
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip(), False
        cookie = request.cookies.get(self.config.cookie_name)
        return (cookie, True) if cookie else (None, False)

    def client(self) -> Client:
        """The TCP peer (uvicorn already replaced it with X-Forwarded-For when the peer is a trusted
        proxy) and the user agent."""
        request = self.request
        if request is None:
            return Client(request_id=self.config.hooks.request_id())
        host = request.client.host if request.client else None
        user_agent = request.headers.get("user-agent") or None
        return Client(
            ip_address=host[:_IP_MAX] if host else None,
            # PostgreSQL refuses NUL in text; another server than uvicorn may let one through.
            user_agent=user_agent and user_agent.replace("\x00", "")[:_USER_AGENT_MAX] or None,
            request_id=self.config.hooks.request_id(),
        )

    def start_session(self, signed_in: SignedIn) -> None:
        """Set the session cookie for a new session: from now on it is the operation's viewer, so the
        payload can show the new user's own fields (`sessions`, `isCurrent`)."""
        viewer = asyncio.get_running_loop().create_future()
        viewer.set_result(Viewer(signed_in.user, signed_in.session))
        self._viewer = viewer
        self._set_cookie(signed_in.token)

    def end_session(self) -> None:
        """Tell the browser to drop the session cookie, unless the request was signed in by a bearer
        token: that session is not the cookie's (an admin page keeps an impersonation token in memory
        beside its own cookie session)."""
        token, from_cookie = self.request_token()
        if self.response is not None and (token is None or from_cookie):
            self.response.delete_cookie(self.config.cookie_name, **self._cookie_attributes())

    def _set_cookie(self, token: str) -> None:
        if self.response is not None:
            max_age = int(self.config.auth.sessions.ttl.total_seconds())
            self.response.set_cookie(self.config.cookie_name, token, max_age=max_age, **self._cookie_attributes())

    def _cookie_attributes(self) -> dict[str, object]:
        # The same on setting and deleting, or the browser keeps a second cookie.
        samesite = self.config.cookie_samesite
        # Browsers drop SameSite=None without Secure (and take Secure cookies from http://localhost).
        secure = self.config.secure_cookies or samesite == "none"
        return {"path": "/", "secure": secure, "httponly": True, "samesite": samesite}

    def _cookie_allowed(self) -> bool:
        request = self.request
        if request is None or request.method in ("GET", "HEAD"):
            return True
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        return media_type in _COOKIE_SAFE_CONTENT_TYPES

    async def _authenticate(self, *, writes: bool) -> Viewer | None:
        token, from_cookie = self.request_token()
        if not token or (from_cookie and not self._cookie_allowed()):
            return None
        policy = self.config.auth.sessions
        started = utcnow()
        if writes:
            async with self.db() as db:
                found = await authenticate(db, token, policy=policy, now=started)
        else:
            direct = self.database.engine if self.database.direct_reads else None
            found = await authenticate_records(self.db, token, policy=policy, now=started, direct=direct)
        if found is None:
            return None
        user, login = found
        if from_cookie and login.expires_at >= started + policy.ttl:
            self._set_cookie(token)  # the expiry just slid forward: so does the cookie's Max-Age
        return Viewer(user, login)

    @property
    def current_session_id(self) -> uuid.UUID | None:
        """The session authenticating this request (once `viewer()` has been awaited), or the one a
        sign-in in this operation just started."""
        if self._viewer is None or not self._viewer.done() or self._viewer.exception():
            return None
        viewer = self._viewer.result()
        return viewer.session.id if viewer else None
