"""The GraphQL `Session` type, resolved straight from a `db.models.Session` row or a `SessionRecord`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from db.models import Role
from db.models import Session as SessionRow
from db.records import SessionRecord
from schema.relay import to_global_id
from schema.types.enums import SessionStatus
from schema.types.node import Node

if TYPE_CHECKING:
    from schema.types.user import User


@strawberry.type(name="Session", description="One signed-in device or browser of a user.")
class Session(Node):
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    ip_address: str | None
    user_agent: str | None

    @strawberry.field
    def id(self) -> strawberry.ID:  # `self` is the SessionRow
        return strawberry.ID(to_global_id("Session", self.id))

    @strawberry.field
    def status(self) -> SessionStatus:
        return self.status

    @strawberry.field(description="True for the session that authenticates the current request.")
    def is_current(self, info: strawberry.Info) -> bool:
        return self.id == info.context.current_session_id

    @strawberry.field
    async def user(self, info: strawberry.Info) -> Annotated[User, strawberry.lazy("schema.types.user")]:
        return await info.context.loaders.user_by_id.load(self.user_id)

    # --- impersonation (planned/admin.graphql) ---
    @strawberry.field(description="True for a session opened by an admin with impersonateUser.")
    def is_impersonation(self) -> bool:
        return self.impersonated_by_id is not None

    @strawberry.field(description="The admin who opened this session with impersonateUser (shown to admins only).")
    async def impersonated_by(
        self, info: strawberry.Info
    ) -> Annotated[User, strawberry.lazy("schema.types.user")] | None:
        if self.impersonated_by_id is None:
            return None
        viewer = await info.context.viewer()
        if viewer is None or viewer.user.role != Role.ADMIN:
            return None
        return await info.context.loaders.user_by_id.load(self.impersonated_by_id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, (SessionRow, SessionRecord))
