"""The GraphQL `User` type. Its parent (`self` in the resolvers) is a `db.models.User` row on write paths or
its read-only `UserRecord` on read paths: the same columns and rules (db/records.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from db.models import User as UserRow
from db.records import UserRecord
from db.types import utcnow
from schema.permissions import require_self_or_admin
from schema.relay import to_global_id
from schema.types.connections import SessionConnection, session_connection
from schema.types.enums import Role, SessionStatus
from schema.types.node import Node
from schema.types.security_event import SecurityEventConnection, user_event_connection


@strawberry.type(name="User", description="A person who can sign in.")
class User(Node):
    email: str
    name: str
    image: str | None
    email_verified: bool
    role: Role
    is_active: bool
    created_at: datetime
    updated_at: datetime
    last_sign_in_at: datetime | None
    two_factor_enabled: bool

    @strawberry.field
    def id(self) -> strawberry.ID:  # `self` is the UserRow
        return strawberry.ID(to_global_id("User", self.id))

    @strawberry.field(
        description="The user's sign-in sessions, newest first. Visible to the user and to admins. "
        "status: null means all."
    )
    async def sessions(
        self,
        info: strawberry.Info,
        first: int | None = 20,
        after: str | None = None,
        status: SessionStatus | None = SessionStatus.ACTIVE,
    ) -> SessionConnection:
        await require_self_or_admin(info, self.id)
        return await session_connection(info.context.loaders, self.id, first=first, after=after, status=status)

    # --- bans and the security event log (planned/admin.graphql) ---
    ban_reason: str | None
    ban_expires_at: datetime | None

    @strawberry.field
    def is_banned(self) -> bool:
        return self.is_banned_at(utcnow())

    @strawberry.field(description="This account's security events, newest first. Visible to the user and to admins.")
    async def security_events(
        self, info: strawberry.Info, first: int | None = 20, after: str | None = None
    ) -> SecurityEventConnection:
        await require_self_or_admin(info, self.id)
        return await user_event_connection(info.context.loaders, self.id, first=first, after=after)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, (UserRow, UserRecord))
